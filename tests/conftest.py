"""Fixtures shared by the whole suite live in ``tests/fixtures`` (loaded here as plugins): tiny synthetic data
sets and a trained shop (:mod:`fixtures.shop`), two taste blocks for the classic models
(:mod:`fixtures.blocks`), cyclic sequences for the torch sequence models (:mod:`fixtures.sequences`), a shop
whose tastes only image vectors reveal (:mod:`fixtures.image_shop`), a demo catalog and a fake chat-model
server (:mod:`fixtures.content`), the merchant's console and its browser (:mod:`fixtures.console`), the CDNOW
sample from the lifetimes wheel and a small shop for customer understanding (:mod:`fixtures.customers`). Tests
never read ../shared."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from shopmind.text.cache import set_cache_url

pytest_plugins = ["fixtures.shop", "fixtures.blocks", "fixtures.content", "fixtures.sequences", "fixtures.image_shop",
                  "fixtures.console", "fixtures.customers", "fixtures.campaigns",
                  "fixtures.redis_server", "fixtures.ray_cluster"]


def pytest_configure(config: pytest.Config) -> None:
    """One text-embedding cache for the whole run, out of the user's home: models fitted directly in tests
    use it, and so do CLI commands (through SHOPMIND_EMBEDDING_CACHE)."""
    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='shopmind-test-cache-')) / 'embeddings.db'}"
    os.environ["SHOPMIND_EMBEDDING_CACHE"] = url
    set_cache_url(url)
    # The FAQ translator (the local LLM, when `make setup-llm` or `make setup` installed it) stays off unless a
    # test turns it on: each test's fresh $SHOPMIND_HOME would join the 491 MB model file again, and a rendering
    # takes a second. Its tests use stand-ins; tests/assist/test_translate.py runs the real model once.
    os.environ["SHOPMIND_ASSIST_TRANSLATOR"] = "false"
