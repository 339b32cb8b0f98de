"""The storage contract: a few small protocols every backend honours.

A store keeps four things, each behind its own small protocol so that a caller can ask for exactly what it
uses (the training export needs :class:`EventLog` and the two entity stores, the REST API needs
:class:`ItemStore` to look items up, and so on):

- :class:`ItemStore` / :class:`UserStore`: the catalog and the shoppers, upserted by id;
- :class:`EventLog`: behaviour events, append-only, deduplicated, read back in arrival order;
- :class:`ImportLog`: quarantined rows and one report per import;
- :class:`EmbeddingCache`: text embeddings by encoder and text hash.

:class:`Store` is all of them plus ``counts`` and ``close``. Backends live in
:mod:`shopmind.storage.sqlite` and :mod:`shopmind.storage.postgres`; open one with
:func:`shopmind.storage.open_store`.

Every write method is one transaction: it either stores the whole batch or raises
:class:`~shopmind.errors.StoreError` and stores nothing. Stores expect *validated* records (the importer in
:mod:`shopmind.ingest` turns raw files into them); they only enforce the constraints that protect the data
(ids present, prices not negative, event type and time present).

Timestamps are stored as UTC instants and come back as tz-aware UTC pandas datetimes
(``datetime64[us, UTC]``); naive datetimes handed to a store are taken as UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from types import TracebackType
from typing import Any, Protocol, Self, TypeAlias, runtime_checkable

import numpy as np
import pandas as pd

from shopmind.data.loaders.base import Reject

#: What the write methods accept: a canonical frame or a sequence of records with the same keys.
Records: TypeAlias = pd.DataFrame | Sequence[Mapping[str, Any]]

#: Columns of :meth:`ImportLog.quarantine_frame` (``source`` is the file the row came from).
REJECT_COLUMNS = ("import_id", "source", "row", "kind", "field", "value", "reason")
#: Columns of :meth:`EventLog.event_counts`.
EVENT_COUNT_COLUMNS = ("start", "type", "count")


@dataclass(frozen=True)
class UpsertCounts:
    """What an item/user upsert did, counted over the *distinct* ids of the batch.

    ``unchanged`` ids already existed with exactly the same content. When an id occurs several times in
    one batch the last occurrence wins and the earlier ones count as ``collapsed``.
    """

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    collapsed: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class AppendCounts:
    """What an event append did: rows newly stored and rows skipped as duplicates.

    A duplicate has the same ``event_id`` as a stored event or, when it has no ``event_id``, the same
    ``(user_id, item_id, type, value, timestamp, session_id)`` - within the batch or against the store.
    """

    inserted: int = 0
    duplicates: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@runtime_checkable
class ItemStore(Protocol):
    """The catalog, keyed by ``item_id``.

    >>> from shopmind.storage import open_store
    >>> store = open_store("sqlite:///:memory:")
    >>> store.upsert_items([{"item_id": "sku-1", "title": "Tea", "price": 4.5}])
    UpsertCounts(inserted=1, updated=0, unchanged=0, collapsed=0)
    >>> store.get_item("sku-1")["title"]
    'Tea'
    """

    def upsert_items(self, items: Records) -> UpsertCounts:
        """Insert new items and replace the stored content of known ones (columns ``ITEM_COLUMNS``)."""
        ...

    def delete_items(self, item_ids: Iterable[str]) -> int:
        """Delete items by id; returns how many existed. Their events stay in the event log."""
        ...

    def get_item(self, item_id: str) -> dict[str, Any] | None:
        """One item as a dict with every ``ITEM_COLUMNS`` key, or None if unknown."""
        ...

    def items_frame(self) -> pd.DataFrame:
        """All items, columns ``ITEM_COLUMNS``, in the order they were first stored."""
        ...


@runtime_checkable
class UserStore(Protocol):
    """The shoppers, keyed by ``user_id`` (same semantics as :class:`ItemStore`)."""

    def upsert_users(self, users: Records) -> UpsertCounts:
        """Insert new users and replace the stored content of known ones (columns ``USER_COLUMNS``)."""
        ...

    def delete_users(self, user_ids: Iterable[str]) -> int:
        """Delete users by id; returns how many existed. Their events stay in the event log."""
        ...

    def get_user(self, user_id: str) -> dict[str, Any] | None:
        """One user as a dict with every ``USER_COLUMNS`` key, or None if unknown."""
        ...

    def users_frame(self) -> pd.DataFrame:
        """All users, columns ``USER_COLUMNS``, in the order they were first stored."""
        ...


@runtime_checkable
class EventLog(Protocol):
    """Append-only behaviour events.

    >>> import pandas as pd
    >>> from shopmind.storage import open_store
    >>> store = open_store("sqlite:///:memory:")
    >>> store.append_events([{"event_id": "e1", "user_id": "u1", "item_id": "sku-1", "type": "view",
    ...                       "timestamp": pd.Timestamp("2024-05-01 10:00", tz="UTC")}])
    AppendCounts(inserted=1, duplicates=0)
    """

    def append_events(self, events: Records) -> AppendCounts:
        """Append events (columns ``EVENT_COLUMNS``), skipping duplicates; arrival order is kept."""
        ...

    def events_frame(self) -> pd.DataFrame:
        """All events in arrival order: ``EVENT_COLUMNS`` plus ``seq``, the arrival sequence number."""
        ...

    def event_counts(self, bucket_seconds: int = 86_400) -> pd.DataFrame:
        """Events per event type and time bucket, counted by the database (no event row is read out):
        ``EVENT_COUNT_COLUMNS``, ``start`` the bucket's first instant (UTC; buckets are aligned to the epoch),
        ordered by ``start`` then ``type``."""
        ...


@runtime_checkable
class ImportLog(Protocol):
    """Quarantined rows and import reports."""

    def add_rejects(self, import_id: str, rejects: Iterable[Reject | Mapping[str, Any]]) -> int:
        """Quarantine rejected rows under ``import_id``; returns how many were stored."""
        ...

    def quarantine_frame(self, import_id: str | None = None) -> pd.DataFrame:
        """Quarantined rows (``REJECT_COLUMNS``) in the order they were added, optionally of one import."""
        ...

    def record_import(self, report: Mapping[str, Any]) -> None:
        """Store an import report (a JSON-able mapping with an ``import_id`` key; re-recording replaces)."""
        ...

    def list_imports(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Recorded import reports, oldest first: every one, or the newest ``limit``."""
        ...


@runtime_checkable
class EmbeddingCache(Protocol):
    """Text embeddings by (encoder model name, key); the key is a hash of the text (see
    :func:`shopmind.text.cache.text_key`), so an unchanged text is never encoded twice."""

    def get_embeddings(self, model: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached float32 vectors of those ``keys`` that are present."""
        ...

    def put_embeddings(self, model: str, vectors: Mapping[str, np.ndarray]) -> int:
        """Store (or replace) vectors by key; returns how many were written."""
        ...


@runtime_checkable
class Store(ItemStore, UserStore, EventLog, ImportLog, EmbeddingCache, Protocol):
    """Everything shopmind keeps: catalog, users, events, quarantine and import log.

    >>> from shopmind.storage import open_store
    >>> with open_store("sqlite:///:memory:") as store:
    ...     store.counts()["events"]
    0
    """

    url: str

    def counts(self) -> dict[str, int]:
        """Row counts: ``items``, ``users``, ``events``, ``rejects``, ``imports``."""
        ...

    def close(self) -> None:
        """Release the connection; the store must not be used afterwards."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...


class ContextManagedStore:
    """Mixin for backends: ``with`` closes the store; ``repr`` shows the URL."""

    url: str

    def close(self) -> None:  # pragma: no cover - overridden by every backend
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"
