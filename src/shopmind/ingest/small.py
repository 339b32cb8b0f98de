"""Small event batches without pandas: what :func:`~shopmind.ingest.validate.validate_frame` would make of
them, row by row in plain Python, for the inputs where that is easy to be sure of.

``POST /events`` mostly carries one or a few events; building a frame and running the column coercers costs
~10 ms of CPU for one event, ten times the store write itself. :func:`validate_small_events` accepts a batch
only when every row is *plain* - a dict whose ids and texts are ``str`` (or None/absent), ``value`` an
``int``/``float``, ``timestamp`` epoch digits or numbers or ISO-8601 text of a simple form
(``2024-05-01T12:00:00.5+08:00``, offset optional, years 1700-2199), ``context`` a ``dict`` - and every row
passes the rules; then it returns the typed rows, equal to the good rows of ``validate_frame``. Anything else
(a row that would be rejected, another type, a rarer time format, a bigger batch) returns None and the batch
goes through ``validate_frame`` as before, which decides and words the rejects: so both paths accept the same
rows, store the same values and reject with the same reasons (``tests/ingest/test_small.py`` checks them on
the same inputs).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from shopmind.ingest.coerce import epoch_to_micros
from shopmind.schema import EVENT_COLUMNS, normalise_event_type

logger = logging.getLogger(__name__)

#: Batches up to this many rows may take the small path (beyond it the column coercers are cheaper per row).
SMALL_BATCH = 256
#: Times outside these years go through pandas (its bounds and this module's parsing are not compared there).
MIN_YEAR, MAX_YEAR = 1700, 2199

_BOOKKEEPING = ("_source", "_row")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MIN_TIME = datetime(MIN_YEAR, 1, 2, tzinfo=UTC)  # a day inside the bounds: offsets shift the date
_MAX_TIME = datetime(MAX_YEAR, 12, 30, tzinfo=UTC)
#: ISO-8601 text this module parses: a date, optionally a time with seconds, a fraction of up to 6 digits and
#: ``Z`` or a ``+HH:MM`` offset (ASCII digits only; anything else is left to pandas).
_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?"
                  r"(?:Z|[+-][0-9]{2}:[0-9]{2})?)?", re.ASCII)
_DIGITS = re.compile(r"[0-9]{1,15}", re.ASCII)
_MAX_INT = 2**53  # ints a float64 holds exactly


class _Unsure(Exception):
    """This row is not plain, or the rules reject it: let ``validate_frame`` decide the batch."""


@dataclass
class SmallEvents:
    """A batch :func:`validate_small_events` accepted: ``rows`` are the typed events (``EVENT_COLUMNS``:
    ids and texts ``str`` or None, ``value`` a float (NaN when absent), ``timestamp`` a UTC ``datetime``,
    ``context`` a dict) and ``ignored_columns`` the unknown keys, in the order ``validate_frame`` lists them."""

    rows: list[dict[str, Any]]
    ignored_columns: list[str] = field(default_factory=list)


def _text(v: Any, *, required: bool = False, max_len: int | None = None) -> str | None:
    """``coerce_text`` of one plain value: stripped, blank -> None."""
    if v is None:
        if required:
            raise _Unsure
        return None
    if type(v) is not str:
        raise _Unsure
    text = v.strip()
    if not text:
        if required:
            raise _Unsure
        return None
    if (required and "\x00" in text) or (max_len is not None and len(text) > max_len):
        raise _Unsure
    return text


def _number(v: Any) -> float:
    """``coerce_number`` of one plain value: absent or NaN -> NaN."""
    if v is None:
        return math.nan
    if type(v) is float:
        if math.isinf(v):
            raise _Unsure
        return v
    if type(v) is int and -_MAX_INT <= v <= _MAX_INT:
        return float(v)
    raise _Unsure


def _epoch(x: float) -> datetime:
    """Epoch seconds/milliseconds/... as ``coerce_timestamp`` reads them (:func:`epoch_to_micros`)."""
    if not math.isfinite(x) or abs(x) >= 9e18:
        raise _Unsure
    micros = int(epoch_to_micros(np.array([x]))[0])
    t = _EPOCH + timedelta(microseconds=micros)
    if not _MIN_TIME <= t <= _MAX_TIME:
        raise _Unsure
    return t


def _time(v: Any) -> datetime:
    """``coerce_timestamp`` (required, default time zone UTC) of one plain value."""
    if type(v) is int:
        if not -_MAX_INT <= v <= _MAX_INT:
            raise _Unsure
        return _epoch(float(v))
    if type(v) is float:
        return _epoch(v)
    if type(v) is not str:
        raise _Unsure
    text = v.strip()
    if _DIGITS.fullmatch(text):
        return _epoch(float(int(text)))
    if not _ISO.fullmatch(text):
        raise _Unsure
    try:
        t = datetime.fromisoformat(text)
    except ValueError:  # 2024-02-30, 25:00: pandas words the reject
        raise _Unsure from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)  # naive times are in the default time zone, UTC on this path
    t = t.astimezone(UTC)
    if not _MIN_TIME <= t <= _MAX_TIME:
        raise _Unsure
    return t


def _context(v: Any) -> dict[str, Any]:
    if v is None:
        return {}
    if type(v) is not dict:
        raise _Unsure
    return v


def _event(row: Mapping[str, Any]) -> dict[str, Any]:
    event_type = _text(row.get("type"), required=True)
    try:
        event_type = normalise_event_type(event_type or "")
    except ValueError:
        raise _Unsure from None
    return {"event_id": _text(row.get("event_id"), max_len=256),
            "user_id": _text(row.get("user_id"), required=True, max_len=256),
            "item_id": _text(row.get("item_id"), max_len=256),
            "type": event_type,
            "value": _number(row.get("value")),
            "timestamp": _time(row.get("timestamp")),
            "session_id": _text(row.get("session_id")),
            "context": _context(row.get("context"))}


def validate_small_events(records: Sequence[Any], *, default_timezone: str = "UTC",
                          source: str = "") -> SmallEvents | None:
    """The typed rows of a small batch of plain, valid events, or None when ``validate_frame`` must decide
    (see the module docs). ``default_timezone`` other than UTC always returns None.

    >>> small = validate_small_events([{"user_id": " u1 ", "item_id": "a", "type": "PV", "timestamp": 1714564800}])
    >>> row = small.rows[0]
    >>> row["user_id"], row["type"], row["timestamp"].isoformat()
    ('u1', 'view', '2024-05-01T12:00:00+00:00')
    >>> validate_small_events([{"user_id": "", "type": "view", "timestamp": 1714564800}]) is None
    True
    """
    if default_timezone != "UTC" or not records or len(records) > SMALL_BATCH:
        return None
    keys: dict[Any, None] = {}
    rows = []
    try:
        for row in records:
            if type(row) is not dict:
                raise _Unsure
            keys.update(dict.fromkeys(row))
            rows.append(_event(row))
    except _Unsure:
        return None
    ignored = [k for k in keys if k not in EVENT_COLUMNS and k not in _BOOKKEEPING]
    if ignored:  # as validate_frame says it
        logger.warning("%s: ignoring unknown %s columns %s", source or "input", "event", ignored)
    return SmallEvents(rows, ignored)

