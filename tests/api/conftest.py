"""The REST API over a tiny trained shop: a generated catalog and events (ending today), an item-kNN
model, a fresh copy of the store per test, and TestClients with and without API keys."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shopmind.api import ApiSettings, create_app
from shopmind.pipeline import PipelineConfig, RecommendationService
from shopmind.storage import open_store

READ_KEY, WRITE_KEY = "reader-key", "writer-key"
READ, WRITE = {"X-API-Key": READ_KEY}, {"X-API-Key": WRITE_KEY}


@pytest.fixture()
def service(trained_shop, tmp_path: Path) -> Iterator[RecommendationService]:
    shutil.copy(trained_shop.db, tmp_path / "s.db")
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    yield RecommendationService.open(store, trained_shop.model,
                                     config=PipelineConfig(seed=0, refresh_seconds=0, explore=0))
    store.close()


@pytest.fixture()
def models_dir(tmp_path: Path) -> Path:
    return tmp_path / "models"


@pytest.fixture()
def client(service: RecommendationService, models_dir: Path) -> Iterator[TestClient]:
    """API keys on: READ_KEY has read, WRITE_KEY has write (and so read)."""
    settings = ApiSettings.from_env(f"{READ_KEY}:read,{WRITE_KEY}:write", models_dir=models_dir,
                                    max_body_bytes=64 * 1024)
    with TestClient(create_app(service, settings), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture()
def open_client(service: RecommendationService) -> Iterator[TestClient]:
    """No API keys configured: authentication is off."""
    with TestClient(create_app(service, ApiSettings()), raise_server_exceptions=False) as c:
        yield c
