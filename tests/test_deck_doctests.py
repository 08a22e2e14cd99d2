"""The examples in the loaders' docstrings (normalisation, kanji numerals, name splitting) hold."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from healthkg.loaders import deck, normalize, numerals


@pytest.mark.parametrize("module", [deck, normalize, numerals], ids=lambda m: m.__name__)
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
