"""Validate a canonical frame as a whole: typed good rows out, one :class:`Reject` per bad field.

>>> raw = pd.DataFrame({"user_id": ["u1", ""], "type": ["PV", "view"], "timestamp": [1714564800, 1714564800],
...                     "_source": "f.csv", "_row": [2, 3]})
>>> v = validate_frame(raw, "event")
>>> len(v.frame), [(r.row, r.field, r.reason) for r in v.rejects]
(1, [(3, 'user_id', 'required field is missing or empty')])
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from shopmind.data.loaders.base import Reject
from shopmind.errors import DataError
from shopmind.ingest.coerce import (
    Coerced,
    coerce_bool,
    coerce_dict,
    coerce_event_type,
    coerce_number,
    coerce_text,
    coerce_timestamp,
)
from shopmind.schema import EVENT_COLUMNS, ITEM_COLUMNS, USER_COLUMNS

logger = logging.getLogger(__name__)

ColumnRule = Callable[[pd.Series, str], Coerced]  # (raw column, default time zone) -> coerced


def _id(required: bool) -> ColumnRule:
    return lambda s, tz: coerce_text(s, required=required, max_len=256)


def _text(max_len: int | None = None) -> ColumnRule:
    return lambda s, tz: coerce_text(s, max_len=max_len)


def _time(required: bool) -> ColumnRule:
    return lambda s, tz: coerce_timestamp(s, default_timezone=tz, required=required)


#: The rules of each kind of record, column by column (mirroring :mod:`shopmind.schema`).
RULES: dict[str, dict[str, ColumnRule]] = {
    "event": {
        "event_id": _id(False), "user_id": _id(True), "item_id": _id(False),
        "type": lambda s, tz: coerce_event_type(s), "value": lambda s, tz: coerce_number(s),
        "timestamp": _time(True), "session_id": _text(), "context": lambda s, tz: coerce_dict(s),
    },
    "item": {
        "item_id": _id(True), "title": _text(), "description": _text(), "category": _text(),
        "brand": _text(), "price": lambda s, tz: coerce_number(s, minimum=0), "currency": _text(8),
        "attributes": lambda s, tz: coerce_dict(s), "image": _text(), "created_at": _time(False),
        "in_stock": lambda s, tz: coerce_bool(s, default=True),
    },
    "user": {"user_id": _id(True), "attributes": lambda s, tz: coerce_dict(s), "created_at": _time(False)},
}
COLUMNS = {"event": EVENT_COLUMNS, "item": ITEM_COLUMNS, "user": USER_COLUMNS}
#: Columns a non-empty frame must have (a frame without them is unusable, not a set of bad rows).
REQUIRED_COLUMNS = {"event": ("user_id", "type", "timestamp"), "item": ("item_id",), "user": ("user_id",)}
BOOKKEEPING = ("_source", "_row")


@dataclass
class Validated:
    """The outcome of :func:`validate_frame`.

    ``frame`` holds the good rows only, with every canonical column typed (ids/text ``str`` or None,
    numbers float with NaN, times ``datetime64[us, UTC]``, dicts ``dict``); ``rejects`` has one entry per
    bad field (a row can fail on several fields); ``rejected_rows`` counts rows.
    """

    kind: str
    frame: pd.DataFrame
    rejects: list[Reject] = field(default_factory=list)
    rows_in: int = 0
    rejected_rows: int = 0
    ignored_columns: list[str] = field(default_factory=list)


def _plain(v: Any) -> Any:
    """A raw value as a plain Python value for the quarantine (numpy scalars unwrapped, missing -> None)."""
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float | np.floating) and np.isnan(v)):
        return None
    return v.item() if isinstance(v, np.generic) else v


def validate_frame(frame: pd.DataFrame, kind: str, *, default_timezone: str = "UTC",
                   source: str = "") -> Validated:
    """Coerce and check every row of a canonical ``kind`` frame (``'event'``, ``'item'`` or ``'user'``).

    Bookkeeping columns ``_source``/``_row`` say where each row came from (``source`` and the 1-based
    position are used when they are absent). Unknown columns are ignored and listed in the result.
    Raises :class:`~shopmind.errors.DataError` when a non-empty frame lacks a required column.
    """
    if kind not in RULES:
        raise DataError(f"unknown record kind {kind!r}; expected 'event', 'item' or 'user'")
    missing = [c for c in REQUIRED_COLUMNS[kind] if c not in frame.columns]
    if missing and len(frame):
        raise DataError(f"the {kind} frame has no {', '.join(map(repr, missing))} column "
                        f"(columns: {list(frame.columns)}); expected columns from {COLUMNS[kind]}",
                        source=source or None)
    n = len(frame)
    df = frame.reset_index(drop=True)
    ignored = [c for c in df.columns if c not in COLUMNS[kind] and c not in BOOKKEEPING]
    if ignored:
        logger.warning("%s: ignoring unknown %s columns %s", source or "input", kind, ignored)
    sources = (df["_source"].astype(object).to_numpy() if "_source" in df.columns
               else np.full(n, source, dtype=object))
    rows = df["_row"].to_numpy() if "_row" in df.columns else np.arange(1, n + 1)

    bad_row = np.zeros(n, dtype=bool)
    rejects: list[Reject] = []
    good: dict[str, pd.Series] = {}
    for col, rule in RULES[kind].items():
        raw = df[col] if col in df.columns else pd.Series([None] * n, index=df.index, dtype=object)
        coerced = rule(raw, default_timezone)
        good[col] = coerced.values
        raw_values = raw.to_numpy(dtype=object)
        for mask, reason in coerced.problems:
            bad_row |= mask
            rejects.extend(Reject(source=str(sources[i]), row=int(rows[i]), field=col,
                                  value=_plain(raw_values[i]), reason=reason, kind=kind)
                           for i in np.flatnonzero(mask))
    rejects.sort(key=lambda r: (r.row, COLUMNS[kind].index(r.field)))
    keep = ~bad_row
    out = pd.DataFrame({c: v[keep] for c, v in good.items()}, columns=list(COLUMNS[kind]))
    out = out.reset_index(drop=True)
    return Validated(kind, out, rejects, n, int(bad_row.sum()), ignored)
