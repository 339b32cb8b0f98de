"""Writes through the serving layer: store first (validated, quarantined, deduplicated), then live state.

Every write goes through :mod:`shopmind.ingest` so that the API accepts and rejects exactly what a file
import would, with the same reasons; the rows it accepts are then applied to the live state, so an
acknowledged event already shapes the next recommendation.

Event ``timestamp`` defaults to the time the server received the batch; ``event_id`` makes retries
idempotent (the store skips a known id, and so do the live counters).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from pydantic import ValidationError

from shopmind.data.loaders.base import ReadResult
from shopmind.ingest import ImportReport, import_event_records, import_read_result, records_to_result, validate_frame
from shopmind.ingest.validate import REQUIRED_COLUMNS
from shopmind.pipeline.results import AttributionLog
from shopmind.pipeline.state import LiveState
from shopmind.schema import EVENT_COLUMNS, Event
from shopmind.storage.base import Store

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RowError:
    """Why one row of a batch was rejected (``index`` is 0-based in the batch)."""

    index: int
    field: str
    value: Any
    reason: str


@dataclass(frozen=True)
class WriteResult:
    """What a batch write did. Entities also report ``updated``/``unchanged``; ``duplicates`` are known
    event ids (events) or ids repeated within the batch (items, users)."""

    kind: str
    received: int
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored_fields: list[str] = field(default_factory=list)
    import_id: str | None = None

    @property
    def accepted(self) -> int:
        return self.received - self.rejected


@dataclass(frozen=True)
class DeleteResult:
    deleted: int
    not_found: list[str]


def _typed_events(rows: Sequence[Mapping[str, Any]], rejected: set[int]) -> list[Event]:
    """The accepted rows as :class:`~shopmind.schema.Event` objects, for the live state (pydantic per row:
    cheaper than a second frame validation for the small batches real-time traffic sends)."""
    out = []
    for i, row in enumerate(rows):
        if i in rejected:
            continue
        try:
            out.append(Event.model_validate({k: row[k] for k in EVENT_COLUMNS if k in row}))
        except ValidationError as exc:  # stored by the importer but not parseable here: skip live only
            logger.warning("event %d stored but not applied live: %s", i, exc.errors()[0].get("msg"))
    return out


def _with_default_time(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    now = datetime.now(UTC).isoformat()
    return [r if r.get("timestamp") not in (None, "") else {**r, "timestamp": now} for r in rows]


class LiveWriter:
    """Batch writes of events, items and users (see the module docs)."""

    def __init__(self, store: Store, state: LiveState, attribution: AttributionLog) -> None:
        self.store = store
        self.state = state
        self.attribution = attribution
        #: Called after every catalog change with ``("upsert", accepted item frame)`` or ``("delete", ids)``
        #: (the search index keeps itself current this way).
        self.item_listeners: list[Callable[[str, Any], None]] = []

    def _notify(self, change: str, payload: Any) -> None:
        for listener in self.item_listeners:
            try:
                listener(change, payload)
            except Exception:  # a listener must never fail a write that the store already holds
                logger.exception("item listener failed on %s", change)

    def _import(self, rows: Sequence[Mapping[str, Any]], kind: str, source: str
                ) -> tuple[ImportReport, list[RowError], list[str]]:
        """Import through :mod:`shopmind.ingest`; per-row errors are read back from the quarantine. A small
        batch of plain, valid events skips pandas (:func:`~shopmind.ingest.import_event_records`: the same
        rows stored, the same report); every other batch is validated as a frame."""
        if kind == "event":
            small = import_event_records(self.store, rows, source=source)
            if small is not None:
                return small, [], small.ignored_columns.get(kind, [])
        result = records_to_result(rows, kind, source=source)
        frame: pd.DataFrame = getattr(result, f"{kind}s")
        for col in REQUIRED_COLUMNS[kind]:
            if col not in frame.columns:  # a missing key is a per-row error, not an unusable batch
                frame[col] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
        report = import_read_result(self.store, result)
        errors: list[RowError] = []
        if report.counts(kind).rejected:
            q = self.store.quarantine_frame(report.import_id)
            errors = [RowError(int(r.row) - 1, str(r.field), r.value, str(r.reason))
                      for r in q.itertuples(index=False)]
        return report, errors, report.ignored_columns.get(kind, [])

    def ingest_events(self, rows: Sequence[Mapping[str, Any]], source: str = "api") -> WriteResult:
        """Store events (idempotent by ``event_id``) and apply the accepted ones to the live state."""
        rows = _with_default_time(rows)
        report, errors, ignored = self._import(rows, "event", source)
        c = report.events
        if c.inserted:
            self.apply_events(_typed_events(rows, {e.index for e in errors}))
        return WriteResult("event", len(rows), inserted=c.inserted, duplicates=c.duplicates, rejected=c.rejected,
                           errors=errors, ignored_fields=ignored, import_id=report.import_id)

    def apply_events(self, events: list[Event], *, replicated: bool = False) -> None:
        """Apply stored events to the live state and attribute them (``replicated``: another worker stored
        and published them)."""
        applied = self.state.apply_events(events, replicated=replicated)
        for rid, item, etype in zip(applied.recommendation_ids, applied.items, applied.types, strict=True):
            if rid is not None:
                self.attribution.attribute(rid, self.state.catalog.raw(int(item)), str(etype))
        self.attribution.flush(self.store)

    def import_result(self, result: ReadResult, *, import_id: str | None = None) -> ImportReport:
        """Import what a reader made of a file - rows keep the file's row numbers, rows it could not parse are
        quarantined too - and apply the accepted items and events to the live state, as the batch writes do
        (the console's file import; ``import_id`` lets several parts of one file share one id)."""
        report = import_read_result(self.store, result, import_id=import_id)
        if result.items is not None and report.items.accepted:
            accepted_items = validate_frame(result.items, "item").frame
            self.state.catalog.upsert_frame(accepted_items)
            self._notify("upsert", accepted_items)
            self._share_items(accepted_items)
        if result.events is not None and report.events.inserted:
            accepted = validate_frame(result.events, "event").frame
            self.apply_events(_typed_events(accepted.to_dict("records"), set()))
        return report

    def upsert_items(self, rows: Sequence[Mapping[str, Any]], source: str = "api") -> WriteResult:
        """Insert or replace items in the store and the serving catalog."""
        report, errors, ignored = self._import(rows, "item", source)
        bad = {e.index for e in errors}
        # typed exactly as the importer typed what it stored (off the hot path, so validating twice is fine)
        accepted = validate_frame(records_to_result([r for i, r in enumerate(rows) if i not in bad], "item").items,
                                  "item").frame
        self.state.catalog.upsert_frame(accepted)
        self._notify("upsert", accepted)
        self._share_items(accepted)
        c = report.items
        return WriteResult("item", len(rows), inserted=c.inserted, updated=c.updated, unchanged=c.unchanged,
                           duplicates=c.duplicates, rejected=c.rejected, errors=errors, ignored_fields=ignored,
                           import_id=report.import_id)

    def upsert_users(self, rows: Sequence[Mapping[str, Any]], source: str = "api") -> WriteResult:
        report, errors, ignored = self._import(rows, "user", source)
        c = report.users
        return WriteResult("user", len(rows), inserted=c.inserted, updated=c.updated, unchanged=c.unchanged,
                           duplicates=c.duplicates, rejected=c.rejected, errors=errors, ignored_fields=ignored,
                           import_id=report.import_id)

    def delete_items(self, item_ids: Iterable[str]) -> DeleteResult:
        """Delete items from the store; the serving catalog stops recommending them at once."""
        ids = list(dict.fromkeys(str(i) for i in item_ids))
        # the serving catalog mirrors the store's items (plus items only a model knows)
        existing = {i for i in ids if self.state.catalog.is_known(i)}
        self.store.delete_items(ids)
        self.state.catalog.delete(ids)
        self._notify("delete", ids)
        if self.state.online.shared:
            self.state.online.publish_items("delete", ids)
        return DeleteResult(len(existing), [i for i in ids if i not in existing])

    def delete_users(self, user_ids: Iterable[str]) -> DeleteResult:
        """Delete users from the store, with their exposures, decisions and deliveries, and drop their live
        sessions (their events stay, as in the store)."""
        ids = list(dict.fromkeys(str(i) for i in user_ids))
        missing = [i for i in ids if self.store.get_user(i) is None]
        deleted = self.store.delete_users(ids)
        # a deleted user's experiment exposures, bandit decisions, campaign deliveries and redemptions go too
        self.store.delete_user_exposures(ids)
        self.store.delete_user_decisions(ids)
        self.store.delete_user_deliveries(ids)
        self.state.sessions.forget(ids)
        if self.state.online.shared:
            self.state.online.forget_users(ids)
        return DeleteResult(deleted, missing)

    def _share_items(self, items: pd.DataFrame) -> None:
        if self.state.online.shared and len(items):
            self.state.online.publish_items("upsert", json.loads(items.to_json(orient="records", date_format="iso")))

    def apply_item_change(self, change: str, payload: Any) -> None:
        """A catalog change another worker stored: ``"upsert"`` with item records, ``"delete"`` with ids."""
        if change == "upsert":
            frame = validate_frame(records_to_result(list(payload), "item").items, "item").frame
            self.state.catalog.upsert_frame(frame)
            self._notify("upsert", frame)
        elif change == "delete":
            ids = [str(i) for i in payload]
            self.state.catalog.delete(ids)
            self._notify("delete", ids)
