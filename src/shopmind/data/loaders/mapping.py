"""Which source column feeds which canonical field, for the generic CSV/TSV/JSONL/Parquet readers."""

from __future__ import annotations

import codecs
import difflib
import json
import logging
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shopmind.data.loaders.frames import KIND_COLUMNS, Kind, canonical_frame, dict_column, epoch_seconds
from shopmind.errors import DataError

log = logging.getLogger(__name__)

_ALL_CANONICAL = frozenset(c for cols in KIND_COLUMNS.values() for c in cols)
#: Columns a file of each kind must provide (or, for ``type``, a constant ``event_type``).
REQUIRED: dict[str, tuple[str, ...]] = {
    "events": ("user_id", "type", "timestamp"),
    "items": ("item_id",),
    "users": ("user_id",),
}


class ColumnMapping(BaseModel):
    """How a file's columns map onto a canonical frame.

    Canonical field names can be given directly as keyword arguments (they go into ``columns``).

    Parameters
    ----------
    kind : what the file holds, ``events``, ``items`` or ``users``; ``None`` infers it from the columns.
    columns : canonical field -> source column, e.g. ``{"user_id": "visitorid"}``. Canonical columns not
        listed are taken from a source column of the same name when there is one.
    event_type : one event type for every row (e.g. ``"rating"``) when the file has no type column.
    event_type_values : raw type -> canonical type, e.g. ``{"pv": "view"}``; other values pass unchanged.
    extra : source columns collected into ``attributes`` (items, users) or ``context`` (events);
        ``"*"`` takes every column not mapped otherwise.
    timestamp_unit : unit of an epoch-number timestamp column; converted to seconds.
    delimiter, encoding, header, names : how to split a delimited file (``names`` for a file without header).

    >>> m = ColumnMapping(kind="events", user_id="visitorid", item_id="itemid", type="event",
    ...                   timestamp="timestamp", timestamp_unit="ms",
    ...                   event_type_values={"addtocart": "add_to_cart"})
    >>> m.columns["user_id"]
    'visitorid'
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Kind | None = None
    columns: dict[str, str] = Field(default_factory=dict)
    event_type: str | None = None
    event_type_values: dict[str, str] = Field(default_factory=dict)
    extra: list[str] | Literal["*"] = Field(default_factory=list)
    timestamp_unit: Literal["s", "ms", "us", "ns"] = "s"
    delimiter: str | None = None
    encoding: str = "utf-8"
    header: bool = True
    names: list[str] | None = None

    @model_validator(mode="before")
    @classmethod
    def _canonical_keywords(cls, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = [k for k in data if k not in _ALL_CANONICAL and k not in cls.model_fields]
            if unknown:
                near = difflib.get_close_matches(unknown[0], [*_ALL_CANONICAL, *cls.model_fields], n=1)
                hint = f"did you mean {near[0]!r}? " if near else ""
                raise ValueError(f"unknown key {unknown[0]!r}; {hint}expected canonical fields "
                                 f"{sorted(_ALL_CANONICAL)} or options {sorted(cls.model_fields)}")
            moved = {k: v for k, v in data.items() if k in _ALL_CANONICAL and k not in cls.model_fields}
            if moved:
                data = {k: v for k, v in data.items() if k not in moved}
                data["columns"] = {**dict(data.get("columns") or {}), **moved}
        return data

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, v: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(v) - _ALL_CANONICAL)
        if unknown:
            raise ValueError(f"unknown canonical field(s) {unknown}; "
                             f"expected some of {sorted(_ALL_CANONICAL)}")
        return v

    @field_validator("delimiter")
    @classmethod
    def _one_char(cls, v: str | None) -> str | None:
        if v is not None and len(v) != 1:
            raise ValueError(f"the delimiter must be one character, got {v!r}")
        return v

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, v: str) -> str:
        try:
            codecs.lookup(v)
        except LookupError:
            raise ValueError(f"unknown encoding {v!r}; expected a codec name such as 'utf-8' or 'latin-1'") \
                from None
        return v

    @model_validator(mode="after")
    def _fields_fit_kind(self) -> ColumnMapping:
        if self.kind is not None:
            wrong = sorted(set(self.columns) - set(KIND_COLUMNS[self.kind]))
            if wrong:
                raise ValueError(f"field(s) {wrong} do not belong to {self.kind}; "
                                 f"expected some of {list(KIND_COLUMNS[self.kind])}")
        return self

    def resolve(self, available: list[str], source: str) -> tuple[Kind, dict[str, str], list[str]]:
        """``(kind, canonical -> source column, extra columns)`` for a file with ``available`` columns.

        Raises :class:`DataError` naming the missing column and the columns the file has.
        """
        have = set(available)
        for canon, col in self.columns.items():
            if col not in have:
                raise DataError(f"the mapping takes {canon!r} from column {col!r}, which the file does not "
                                f"have; columns found: {available}", source=source, field=col)
        kind = self.kind or infer_kind(set(self.columns) | have, self.event_type, source, available)
        cols = {c: self.columns.get(c, c) for c in KIND_COLUMNS[kind]
                if c in self.columns or c in have}
        if self.event_type is not None:
            cols.pop("type", None)
        required = [c for c in REQUIRED[kind] if c not in cols and not (c == "type" and self.event_type)]
        if required:
            hint = ("; for a file without a type column pass event_type='view' (or the right type)"
                    if required == ["type"] else "")
            raise DataError(f"a file of {kind} needs column(s) {required} (map them with ColumnMapping("
                            f"columns={{...}})); columns found: {available}{hint}", source=source,
                            field=required[0])
        used = set(cols.values())
        if self.extra == "*":
            extra = [c for c in available if c not in used and c != "_row"]
        else:
            missing = [c for c in self.extra if c not in have]
            if missing:
                raise DataError(f"extra column(s) {missing} are not in the file; columns found: {available}",
                                source=source, field=missing[0])
            extra = list(self.extra)
        ignored = [c for c in available if c not in used and c not in extra and c != "_row"]
        if ignored:
            log.info("%s: ignoring column(s) %s (pass extra=%r to keep them)", source, ignored, ignored)
        return kind, cols, extra


def infer_kind(fields: set[str], event_type: str | None, source: str, available: list[str]) -> Kind:
    """events when there is a type or time, items for an item table, users for a user table."""
    if {"type", "timestamp", "session_id"} & fields or event_type or {"user_id", "item_id"} <= fields:
        return "events"
    if "item_id" in fields:
        return "items"
    if "user_id" in fields:
        return "users"
    raise DataError("cannot tell whether this file holds events, items or users: no column is named "
                    "user_id, item_id, type or timestamp; pass mapping=ColumnMapping(kind=..., "
                    f"columns={{...}}) naming its columns; columns found: {available}", source=source)


def apply_mapping(raw: pd.DataFrame, mapping: ColumnMapping, source: str) -> tuple[Kind, pd.DataFrame]:
    """Turn a raw frame (source columns and ``_row``) into a canonical frame of the mapping's kind."""
    available = [c for c in raw.columns if c != "_row"]
    kind, cols, extra = mapping.resolve(available, source)
    data: dict[str, Any] = {canon: raw[col] for canon, col in cols.items()}
    if kind == "events":
        if mapping.event_type is not None:
            data["type"] = mapping.event_type
        elif mapping.event_type_values:
            data["type"] = data["type"].replace(mapping.event_type_values)
        if "timestamp" in data and mapping.timestamp_unit != "s":
            data["timestamp"] = epoch_seconds(data["timestamp"], mapping.timestamp_unit)
    bag = "context" if kind == "events" else "attributes"
    if extra:
        base = [_as_dict(v) for v in data[bag]] if bag in data else None
        data[bag] = dict_column({c: raw[c] for c in extra}, len(raw), base)
    return kind, canonical_frame(kind, data, source, raw["_row"].to_numpy())


def _as_dict(value: Any) -> Any:
    """A dict value as is; a JSON object text parsed; anything else dropped from the merge."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None
