"""Run the modules' doctests through the installed module identity (not --doctest-modules)."""

from __future__ import annotations

import doctest

import pytest

import healthkg.engine.dot_picture
import healthkg.loaders.amounts
import healthkg.loaders.deck
import healthkg.loaders.lexicon
import healthkg.loaders.normalize


@pytest.mark.parametrize(
    "module",
    [healthkg.loaders.normalize, healthkg.loaders.deck, healthkg.loaders.lexicon, healthkg.loaders.amounts,
     healthkg.engine.dot_picture],
)
def test_doctests(module: object) -> None:
    result = doctest.testmod(module, raise_on_error=False)  # type: ignore[arg-type]
    assert result.attempted > 0
    assert result.failed == 0
