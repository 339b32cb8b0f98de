"""The REST API over a tiny trained shop: a generated catalog and events (a fixed month), an item-kNN
model, a fresh copy of the store per test, and TestClients with and without API keys."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shopmind.api import create_app
from shopmind.pipeline import RecommendationService
from shopmind.settings import ApiSettings

READ_KEY, WRITE_KEY = "reader-key", "writer-key"
READ, WRITE = {"X-API-Key": READ_KEY}, {"X-API-Key": WRITE_KEY}


@pytest.fixture()
def models_dir(tmp_path: Path) -> Path:
    return tmp_path / "models"


@pytest.fixture()
def client(service: RecommendationService, models_dir: Path) -> Iterator[TestClient]:
    """API keys on: READ_KEY has read, WRITE_KEY has write (and so read)."""
    settings = ApiSettings(keys=f"{READ_KEY}:read,{WRITE_KEY}:write", models_dir=models_dir,
                                    max_body_bytes=64 * 1024)
    with TestClient(create_app(service, settings), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture()
def open_client(service: RecommendationService) -> Iterator[TestClient]:
    """No API keys configured: authentication is off."""
    with TestClient(create_app(service, ApiSettings()), raise_server_exceptions=False) as c:
        yield c
