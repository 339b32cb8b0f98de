"""What every reader returns: canonical frames plus the rows it could not even parse.

A reader turns a file in some public format into up to three *canonical frames* whose columns are the
field names of :mod:`shopmind.schema` (``EVENT_COLUMNS``, ``ITEM_COLUMNS``, ``USER_COLUMNS``; a reader may
leave out columns it has no data for). Values may still be raw (strings, epoch numbers, ISO dates):
validation and coercion are the importer's job, so that every rejected row is reported the same way.

Every frame also has two bookkeeping columns:

- ``_source``: the file the row came from;
- ``_row``: its 1-based row number there (the line number for line-oriented files, counting the header).

Rows a reader cannot parse at all (a truncated last line, wrong field count, invalid JSON) become
:class:`Reject` entries instead of frame rows - never silently dropped. Such a reject has
``field="_row"`` (the whole row) and the raw line as ``value``.

What the values look like (every built-in reader keeps to this):

- ids (``user_id``, ``item_id``, ``event_id``, ``session_id``) are text; missing values are NaN/None;
- ``timestamp`` is epoch seconds (int or float; millisecond clocks are already divided by 1000), ISO-8601
  text, or - for the clock-less ``sequence``/``pairs`` formats - the 1-based position in the user's history;
- ``attributes``/``context`` hold a ``dict`` or None when there is nothing; empty CSV fields are missing;
- ``_source`` is categorical (one category per file).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Reject:
    """One rejected row: where it was, which field, what value, and why."""

    source: str
    row: int
    field: str
    value: Any
    reason: str
    kind: str = "event"  # event | item | user

    def as_dict(self) -> dict[str, Any]:
        v = self.value
        if v is not None and not isinstance(v, str | int | float | bool):
            v = repr(v)
        return {"source": self.source, "row": self.row, "kind": self.kind, "field": self.field,
                "value": None if v is None else str(v)[:500], "reason": self.reason}


@dataclass
class ReadResult:
    """Frames read from one source (any may be None) and the rows that failed to parse."""

    source: str
    events: pd.DataFrame | None = None
    items: pd.DataFrame | None = None
    users: pd.DataFrame | None = None
    rejects: list[Reject] = field(default_factory=list)
    format: str = "unknown"

    def counts(self) -> dict[str, int]:
        return {
            "events": 0 if self.events is None else len(self.events),
            "items": 0 if self.items is None else len(self.items),
            "users": 0 if self.users is None else len(self.users),
            "rejected": len(self.rejects),
        }
