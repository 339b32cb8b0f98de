"""Store fixtures: every contract test runs once per backend.

PostgreSQL tests use ``SHOPMIND_TEST_POSTGRES_URL`` (default: the local server) and a fresh schema per
test, dropped afterwards; they are skipped, with the reason, when the server cannot be reached.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from shopmind.storage import Store, open_store

PG_URL = os.environ.get("SHOPMIND_TEST_POSTGRES_URL", "postgresql://127.0.0.1:5432/test")


@functools.cache
def postgres_unreachable() -> str | None:
    """Why the test server cannot be used, or None when it can."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return "psycopg is not installed"
    try:
        with psycopg.connect(PG_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"PostgreSQL at {PG_URL} (SHOPMIND_TEST_POSTGRES_URL) is unreachable: {first}"
    return None


def _with_schema(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}schema={schema}"


def _drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty store of the backend named by the test's parameter."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    yield from _throwaway_postgres()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """The URL of an empty PostgreSQL store in a throwaway schema (for what only that backend has)."""
    yield from _throwaway_postgres()


@pytest.fixture
def second_postgres_url() -> Iterator[str]:
    """Another empty PostgreSQL store in its own throwaway schema (to compare two ways of writing)."""
    yield from _throwaway_postgres()


def _throwaway_postgres() -> Iterator[str]:
    """A PostgreSQL store URL in a new schema, dropped afterwards; skips when no server answers."""
    reason = postgres_unreachable()
    if reason:
        pytest.skip(reason)
    schema = f"shopmind_test_{uuid.uuid4().hex[:12]}"
    try:
        yield _with_schema(PG_URL, schema)
    finally:
        _drop_schema(schema)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An open, empty store (closed after the test)."""
    s = open_store(store_url)
    try:
        yield s
    finally:
        s.close()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that uses a store once per backend."""
    if "store_url" in metafunc.fixturenames:
        metafunc.parametrize("store_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                             indirect=True)
