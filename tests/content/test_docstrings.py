"""The examples in the content modules' docstrings run and say what they print."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["facts", "lexicon", "units", "claims", "grounding", "compliance", "request", "templates", "slots",
           "backends", "reviews", "cache", "service", "slate", "packaged", "prompt_book", "llm", "openai_compat",
           "llamacpp", "gguf", "registry", "bench", "text_metrics"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"shopmind.content.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {module.__name__} failed"
    assert result.attempted > 0
