"""Fixtures shared by the whole suite live in ``tests/fixtures`` (loaded here as plugins): tiny synthetic data
sets and a trained shop (:mod:`fixtures.shop`), cyclic sequences for the torch sequence models
(:mod:`fixtures.sequences`), a shop whose tastes only image vectors reveal (:mod:`fixtures.image_shop`), a
demo catalog and a fake chat-model server (:mod:`fixtures.content`). Tests never read ../shared."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

pytest_plugins = ["fixtures.shop", "fixtures.content", "fixtures.sequences", "fixtures.image_shop"]


def pytest_configure(config: pytest.Config) -> None:
    """Keep the text-embedding cache of the tests out of the user's home."""
    cache = Path(tempfile.mkdtemp(prefix="shopmind-test-cache-")) / "embeddings.db"
    os.environ["SHOPMIND_EMBEDDING_CACHE"] = f"sqlite:///{cache}"
