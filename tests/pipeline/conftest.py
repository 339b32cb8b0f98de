"""A tiny trained shop shared by the pipeline tests: generated catalog and events (ending today), an
item-kNN model, and a fresh copy of the store per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from shopmind.pipeline import PipelineConfig, RecommendationService
from shopmind.storage import open_store

#: Deterministic defaults for tests: no exploration slot unless asked, no caching of top lists.
TEST_CONFIG = PipelineConfig(seed=0, refresh_seconds=0, explore=0)


@pytest.fixture()
def service(trained_shop, tmp_path: Path) -> Iterator[RecommendationService]:
    shutil.copy(trained_shop.db, tmp_path / "s.db")
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    svc = RecommendationService.open(store, trained_shop.model, config=TEST_CONFIG)
    yield svc
    store.close()
