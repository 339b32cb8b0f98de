"""One registry of store backends, keyed by URL scheme (as Gorse does).

>>> from shopmind.storage import open_store
>>> store = open_store("sqlite:///:memory:")
>>> type(store).__name__
'SQLiteStore'
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from shopmind.errors import StoreError
from shopmind.storage.base import Store
from shopmind.storage.postgres import PostgresStore
from shopmind.storage.sqlite import SQLiteStore

StoreFactory = Callable[[str], Store]


def _sqlite(url: str) -> Store:
    return SQLiteStore(url)


def _postgres(url: str) -> Store:
    # imported lazily: a SQLite-only deployment never loads the PostgreSQL driver

    return PostgresStore(url)


_BACKENDS: dict[str, StoreFactory] = {"sqlite": _sqlite, "postgresql": _postgres, "postgres": _postgres}


def register_backend(scheme: str, factory: StoreFactory) -> None:
    """Make ``open_store`` open ``scheme://...`` URLs with ``factory(url)`` (replaces an existing one)."""
    _BACKENDS[scheme.lower()] = factory


def supported_schemes() -> list[str]:
    """The URL schemes ``open_store`` understands, sorted."""
    return sorted(_BACKENDS)


def open_store(url: str) -> Store:
    """Open (creating when needed) the store at ``url``.

    ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``, ``sqlite:///:memory:`` or
    ``postgresql://user@host:5432/dbname[?schema=NAME]``.

    Raises :class:`~shopmind.errors.StoreError` naming the URL and the supported schemes when the scheme
    is unknown, or when the store cannot be opened.
    """
    scheme = urlsplit(str(url)).scheme.lower() if "://" in str(url) else ""
    factory = _BACKENDS.get(scheme)
    if factory is None:
        raise StoreError(f"cannot open store {url!r}: unknown URL scheme {scheme or '(none)'!r}; "
                         f"expected one of {', '.join(s + '://' for s in supported_schemes())} "
                         "(e.g. sqlite:///shopmind.db or postgresql://user@host/dbname)")
    return factory(str(url))
