"""Every example in a docstring of ``src/shopmind`` runs and prints what it says (``python -m doctest``
semantics, ellipsis and whitespace-normalised)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import shopmind
from shopmind.data.synth import generate_demo_shop, write_demo_shop

MODULES = sorted(m.name for m in pkgutil.walk_packages(shopmind.__path__, "shopmind."))
#: names the examples use without importing them
EXTRA = {"generate_demo_shop": generate_demo_shop, "write_demo_shop": write_demo_shop}


def _examples(name: str) -> int:
    module = importlib.import_module(name)
    return sum(len(t.examples) for t in doctest.DocTestFinder().find(module, globs={**vars(module), **EXTRA}))


@pytest.mark.parametrize("name", [m for m in MODULES if _examples(m)])
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                             extraglobs=EXTRA)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed"
