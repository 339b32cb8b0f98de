"""Import what a reader produced (or plain records) into a store, quarantining every bad row.

An import validates each frame of a :class:`~shopmind.data.loaders.base.ReadResult` (see
:mod:`shopmind.ingest.validate`), upserts items and users, appends events, quarantines every rejected row
(parse-level rejects from the reader included) under a new import id, and records an
:class:`~shopmind.ingest.report.ImportReport` in the store's import log.

Importing is idempotent: items and users are upserts (unchanged rows count as ``unchanged``) and events
are deduplicated by the store, so importing the same file again inserts nothing. Each kind of record is
written in its own transaction; if a write fails the import raises
:class:`~shopmind.errors.StoreError`, and running it again completes it without duplicating anything.

k-core filtering is deliberately *not* done here: the store keeps every valid event, and training picks
its filter with ``load_interactions(store, k_core=k)`` (:mod:`shopmind.storage.export`).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from shopmind.data.loaders.base import ReadResult, Reject
from shopmind.errors import DataError, check_param
from shopmind.ingest.report import ImportReport
from shopmind.ingest.small import validate_small_events
from shopmind.ingest.validate import validate_frame
from shopmind.storage.base import Store

logger = logging.getLogger(__name__)

KINDS = ("item", "user", "event")  # written in this order: the catalog before the events that cite it


def new_import_id() -> str:
    """A sortable, unique import id such as ``20240501T120000-3fa2c1``."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def _check_timezone(tz: str) -> None:
    try:
        ZoneInfo(tz)
        ok = True
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        ok = False
    check_param("import_read_result", "default_timezone", tz, ok,
                "an IANA time zone name such as 'UTC' or 'Asia/Shanghai'")


def import_read_result(store: Store, result: ReadResult, *, default_timezone: str = "UTC",
                       import_id: str | None = None) -> ImportReport:
    """Validate and store everything in ``result``; returns the report (also kept in the store).

    ``default_timezone`` is the zone of times written without an offset. Bad rows never stop the import:
    each becomes quarantine entries (``store.quarantine_frame(report.import_id)``) with its file, row, field,
    value and reason. Raises :class:`~shopmind.errors.DataError` only when a whole frame is unusable
    (a required column is missing), before anything is written.

    >>> from shopmind.storage import open_store
    >>> store = open_store("sqlite:///:memory:")
    >>> events = pd.DataFrame({"user_id": ["u1", "u2"], "item_id": ["a", "b"], "type": ["pv", "teleport"],
    ...                        "timestamp": [1714564800, 1714564801], "_source": "e.csv", "_row": [2, 3]})
    >>> report = import_read_result(store, ReadResult("e.csv", events=events, format="csv"))
    >>> report.events.inserted, report.rejected, store.quarantine_frame(report.import_id)["row"].tolist()
    (1, 1, [3])
    """
    _check_timezone(default_timezone)
    start = time.perf_counter()
    report = _new_report(result.source, result.format, default_timezone, import_id)
    frames = {"item": result.items, "user": result.users, "event": result.events}
    # Validate everything first: a structurally unusable frame fails before anything is written.
    validated = {kind: validate_frame(frames[kind], kind, default_timezone=default_timezone,
                                      source=result.source)
                 for kind in KINDS if frames[kind] is not None}

    parse_rejects = list(result.rejects)
    for kind in KINDS:
        counts = report.counts(kind)
        bad_rows = {(r.source, r.row) for r in parse_rejects if r.kind == kind}
        counts.read = counts.rejected = len(bad_rows)
    report.add_rejects(parse_rejects)

    quarantine: list[Reject] = list(parse_rejects)
    for kind, v in validated.items():
        report.add_rejects(v.rejects)
        quarantine.extend(v.rejects)
        _write_kind(store, report, kind, v.frame, v.rows_in, v.rejected_rows, v.ignored_columns)
    if quarantine:
        store.add_rejects(report.import_id, quarantine)
    return _finish(store, report, start)


def _new_report(source: str, fmt: str, default_timezone: str, import_id: str | None) -> ImportReport:
    return ImportReport(import_id=import_id or new_import_id(), source=source, format=fmt,
                        started_at=datetime.now(UTC).isoformat(timespec="seconds"), default_timezone=default_timezone)


def _write_kind(store: Store, report: ImportReport, kind: str, accepted: pd.DataFrame | list[dict[str, Any]],
                rows_in: int, rejected_rows: int, ignored: list[str]) -> None:
    """Store the accepted rows of one kind and count them in ``report``."""
    counts = report.counts(kind)
    counts.read += rows_in
    counts.rejected += rejected_rows
    counts.accepted = len(accepted)
    if ignored:
        report.ignored_columns[kind] = ignored
    if kind == "event":
        appended = store.append_events(accepted)
        counts.inserted, counts.duplicates = appended.inserted, appended.duplicates
    else:
        upsert = store.upsert_items if kind == "item" else store.upsert_users
        up = upsert(accepted)
        counts.inserted, counts.updated = up.inserted, up.updated
        counts.unchanged, counts.duplicates = up.unchanged, up.collapsed


def _finish(store: Store, report: ImportReport, start: float) -> ImportReport:
    report.seconds = round(time.perf_counter() - start, 3)
    store.record_import(report.to_dict())
    logger.info("%s", report.summary())
    return report


def import_event_records(store: Store, records: Sequence[Mapping[str, Any]], *, source: str = "api",
                         default_timezone: str = "UTC") -> ImportReport | None:
    """:func:`import_records` of events for a small batch of plain, valid events, without pandas
    (:func:`~shopmind.ingest.small.validate_small_events`: the same rows stored, the same report); None, with
    nothing written, when the batch must go through :func:`import_records` (a row to reject, a value that is
    not plain, a large batch).

    >>> from shopmind.storage import open_store
    >>> store = open_store("sqlite:///:memory:")
    >>> import_event_records(store, [{"user_id": "u1", "item_id": "a", "type": "buy", "timestamp": 1714564800}]
    ...                      ).events.inserted
    1
    >>> import_event_records(store, [{"user_id": "u1", "type": "teleport", "timestamp": 1714564800}]) is None
    True
    """
    start = time.perf_counter()
    small = validate_small_events(records, default_timezone=default_timezone, source=source)
    if small is None:
        return None
    report = _new_report(source, "records", default_timezone, None)
    _write_kind(store, report, "event", small.rows, len(small.rows), 0, small.ignored_columns)
    return _finish(store, report, start)


def records_to_result(records: Iterable[Mapping[str, Any]], kind: str = "event", *,
                      source: str = "api") -> ReadResult:
    """A :class:`ReadResult` holding plain records (dicts with canonical keys) of one kind.

    Row numbers are 1-based positions in ``records``.
    """
    if kind not in KINDS:
        raise DataError(f"unknown record kind {kind!r}; expected 'event', 'item' or 'user'", source=source)
    rows = list(records)
    keys: dict[str, None] = {}
    for i, r in enumerate(rows, start=1):
        if not isinstance(r, Mapping):
            raise DataError(f"expected a mapping (a JSON object), got {type(r).__name__}",
                            source=source, row=i)
        keys.update(dict.fromkeys(r))
    # object columns keep values exactly as given (from_records would turn 42 into 42.0 next to a gap)
    frame = pd.DataFrame({k: pd.Series([r.get(k) for r in rows], dtype=object) for k in keys},
                         index=pd.RangeIndex(len(rows)))
    frame["_source"] = source
    frame["_row"] = range(1, len(rows) + 1)
    return ReadResult(source=source, format="records", **{f"{kind}s": frame})


def import_records(store: Store, records: Iterable[Mapping[str, Any]], kind: str = "event", *,
                   source: str = "api", default_timezone: str = "UTC") -> ImportReport:
    """Import plain Python records (what the REST API receives) of one ``kind``.

    >>> from shopmind.storage import open_store
    >>> store = open_store("sqlite:///:memory:")
    >>> import_records(store, [{"item_id": "sku-1", "title": "Tea", "price": "4.50"}], "item").items.inserted
    1
    """
    return import_read_result(store, records_to_result(records, kind, source=source),
                              default_timezone=default_timezone)
