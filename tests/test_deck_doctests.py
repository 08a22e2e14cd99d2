"""The examples in the docstrings of matching text hold: the loaders' (normalisation, kanji numerals, name
splitting) and search's, which shares the loaders' separators."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from healthkg.engine import search
from healthkg.loaders import deck, identity, normalize, numerals, text


@pytest.mark.parametrize("module", [deck, identity, normalize, numerals, search, text], ids=lambda m: m.__name__)
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
