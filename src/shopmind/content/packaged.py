"""Reading the data files shipped inside :mod:`shopmind.content` (templates, vocabulary, term lists).

Files are read with :mod:`importlib.resources`, so they work from a wheel, a zip or an editable install.

>>> load_toml("resources/vocab.toml")["version"]
'1'
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from shopmind.errors import DataError

_PACKAGE = "shopmind.content"


@cache
def load_toml(name: str) -> dict[str, Any]:
    """A packaged TOML file (path relative to the ``shopmind.content`` package), parsed and cached."""
    try:
        text = resources.files(_PACKAGE).joinpath(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"packaged file {name!r} is missing from shopmind.content (is the package data "
                        "installed? see [tool.setuptools.package-data])") from None
    return parse_toml(text, source=name)


def read_toml_file(path: str | Path) -> dict[str, Any]:
    """A TOML file from disk (a user's own templates or term list)."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise DataError("no such file", source=str(p))
    return parse_toml(p.read_text(encoding="utf-8"), source=str(p))


def parse_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise DataError(f"not valid TOML: {e}", source=source) from None
