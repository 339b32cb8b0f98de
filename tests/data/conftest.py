"""Fixtures for the reader tests: tiny files written into tmp_path (never ../shared)."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import pytest

WriteFile = Callable[..., Path]


@pytest.fixture
def write(tmp_path: Path) -> WriteFile:
    """``write("name.csv", text, gz=False, encoding="utf-8")`` -> the path (gzip-compressed when ``gz``)."""

    def _write(name: str, text: str | bytes, gz: bool = False, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode(encoding) if isinstance(text, str) else text
        path.write_bytes(gzip.compress(data) if gz else data)
        return path

    return _write
