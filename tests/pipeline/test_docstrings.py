"""The examples in the serving modules' docstrings run and say what they print."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["shopmind.pipeline.rules", "shopmind.pipeline.catalog", "shopmind.pipeline.signals",
           "shopmind.pipeline.history", "shopmind.pipeline.cooccurrence", "shopmind.pipeline.exploration",
           "shopmind.pipeline.config", "shopmind.pipeline.neighbours", "shopmind.pipeline.candidates",
           "shopmind.api.metrics", "shopmind.api.settings"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed"
    assert result.attempted > 0
