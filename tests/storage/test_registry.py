"""Opening stores by URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopmind.errors import StoreError
from shopmind.storage import SQLiteStore, open_store, register_backend, supported_schemes
from shopmind.storage.postgres import split_url
from shopmind.storage.sqlite import sqlite_path


def test_sqlite_relative_path_creates_parent_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with open_store("sqlite:///data/nested/shop.db") as store:
        assert isinstance(store, SQLiteStore)
    assert (tmp_path / "data" / "nested" / "shop.db").is_file()


def test_sqlite_absolute_and_memory(tmp_path: Path) -> None:
    path = tmp_path / "abs" / "shop.db"
    with open_store(f"sqlite:///{path}") as store:
        assert store.url == f"sqlite:////{str(path).lstrip('/')}"
    assert path.is_file()
    with open_store("sqlite:///:memory:") as store:
        assert store.counts()["events"] == 0


def test_sqlite_uses_wal(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'w.db'}") as store:
        assert isinstance(store, SQLiteStore)
        assert store._c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store._c.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


@pytest.mark.parametrize("url", ["sqlite://shop.db", "sqlite:///", "sqlite:"])
def test_malformed_sqlite_url(url: str) -> None:
    with pytest.raises(StoreError, match=r"sqlite:///relative/path\.db"):
        sqlite_path(url)


@pytest.mark.parametrize("url", ["mysql://localhost/shop", "shop.db", "redis://x"])
def test_unknown_scheme_names_url_and_choices(url: str) -> None:
    with pytest.raises(StoreError) as err:
        open_store(url)
    assert repr(url) in str(err.value)
    for scheme in ("sqlite://", "postgresql://"):
        assert scheme in str(err.value)


def test_postgres_schema_parameter_is_ours() -> None:
    assert split_url("postgresql://u@h:5432/db?schema=s_1&sslmode=disable") == (
        "postgresql://u@h:5432/db?sslmode=disable", "s_1")
    assert split_url("postgres://h/db") == ("postgres://h/db", None)
    with pytest.raises(StoreError, match="plain SQL name"):
        split_url("postgresql://h/db?schema=x;drop table y")


def test_postgres_unreachable_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="cannot open PostgreSQL store"):
        open_store("postgresql://127.0.0.1:1/nowhere")


def test_register_backend(tmp_path: Path) -> None:
    register_backend("memo", lambda url: SQLiteStore("sqlite:///:memory:"))
    try:
        assert "memo" in supported_schemes()
        with open_store("memo://anything") as store:
            assert isinstance(store, SQLiteStore)
    finally:
        from shopmind.storage import registry

        registry._BACKENDS.pop("memo")
