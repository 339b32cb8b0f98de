"""Turning canonical frames into database rows and back, shared by every SQL backend.

Backends differ in SQL, not in what a row holds, so the encoding lives here once:

- ids and text become ``str`` or ``None``; dicts become compact JSON text (``None`` when empty);
- datetimes become integer microseconds since the Unix epoch, UTC (naive input is taken as UTC);
- each event gets a 16-byte dedupe key: a hash of its ``event_id`` or, without one, of its content;
- each item/user gets a 16-byte content hash so an upsert can tell "unchanged" from "updated".

Decoding goes the other way and produces the canonical frames of :mod:`shopmind.schema`.
"""

from __future__ import annotations

import gc
import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import numpy as np
import orjson
import pandas as pd

from shopmind.data.loaders.base import Reject
from shopmind.errors import StoreError
from shopmind.schema import EVENT_COLUMNS, ITEM_COLUMNS, USER_COLUMNS
from shopmind.storage.base import (
    EVENT_CHUNK_COLUMNS,
    EVENT_CHUNK_EXTRA_COLUMNS,
    EVENT_COUNT_COLUMNS,
    ITEM_EVENT_COUNT_COLUMNS,
    REJECT_COLUMNS,
    Records,
)

#: Events are encoded and written in chunks of this many rows (bounded memory, same transaction).
CHUNK_ROWS = 50_000

_NAT = np.iinfo(np.int64).min
_SEP = "\x1f"  # unit separator: cannot appear in validated ids
_NONE = "\x00"
_NUMBER_KINDS = ("integer", "floating", "decimal", "mixed-integer", "mixed-integer-float")


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of row tuples are built.

    Rows hold no reference cycles, but allocating that many containers triggers full collections that
    scan them all again and again; pausing roughly halves the time to read or write a large event log.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# ---------------------------------------------------------------------------------------------- input
_REQUIRED = {"event": ("user_id", "type", "timestamp"), "item": ("item_id",), "user": ("user_id",)}


def as_frame(records: Records, columns: Sequence[str], kind: str) -> pd.DataFrame:
    """A frame with exactly ``columns`` (missing ones filled with None); required columns must be there.

    Records (dicts) become object columns holding the values exactly as given.
    """
    if isinstance(records, pd.DataFrame):
        df = records
    else:
        rows = list(records)
        bad = next((i for i, r in enumerate(rows) if not isinstance(r, Mapping)), None)
        if bad is not None:
            raise StoreError(f"cannot read {kind} records: record {bad} is a {type(rows[bad]).__name__}, "
                             "expected a dict (or pass a DataFrame)")
        keys = dict.fromkeys(k for r in rows for k in r)
        df = pd.DataFrame({k: pd.Series([r.get(k) for r in rows], dtype=object) for k in keys},
                          index=pd.RangeIndex(len(rows)))
    missing = [c for c in _REQUIRED[kind] if c not in df.columns]
    if missing and len(df):
        raise StoreError(f"{kind} records have no {missing} column(s); got columns {list(df.columns)}")
    return df.reindex(columns=list(columns)).reset_index(drop=True)


def str_list(s: pd.Series) -> list[str | None]:
    """Column as ``str``/``None`` values (numbers become their text, missing values None)."""
    if not len(s):
        return []
    if pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):
        return cast("list[str | None]", s.astype(object).where(s.notna(), None).tolist())
    return [None if _missing(v) else str(v) for v in s.tolist()]


def float_list(s: pd.Series, column: str) -> list[float | None]:
    """Column as finite floats or None."""
    try:
        arr = pd.to_numeric(s, errors="raise").astype("float64").to_numpy()
    except (TypeError, ValueError) as exc:
        raise StoreError(f"column {column!r} must hold numbers: {exc}") from None
    out: list[float | None] = arr.tolist()
    bad = ~np.isfinite(arr)
    if bad.any():
        for i in np.flatnonzero(bad):
            out[i] = None
    return out


def micros_list(s: pd.Series, column: str) -> list[int | None]:
    """Column of datetimes as integer microseconds since the epoch, UTC (naive taken as UTC)."""
    if not len(s):
        return []
    try:
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            ts = s.dt.tz_convert("UTC")
        elif pd.api.types.is_datetime64_dtype(s.dtype):
            ts = s.dt.tz_localize("UTC")
        elif s.notna().any() and (pd.api.types.is_numeric_dtype(s.dtype)
                                  or pd.api.types.infer_dtype(s, skipna=True) in _NUMBER_KINDS):
            raise TypeError("got numbers; epoch numbers are converted by shopmind.ingest")
        else:
            ts = pd.to_datetime(s, utc=True)
    except (TypeError, ValueError, OverflowError) as exc:
        raise StoreError(f"column {column!r} must hold datetimes (validate with shopmind.ingest first): "
                         f"{exc}") from None
    arr = ts.array.as_unit("us").asi8
    out: list[int | None] = arr.tolist()
    nat = arr == _NAT
    if nat.any():
        for i in np.flatnonzero(nat):
            out[i] = None
    return out


#: One encoder for every row (``json.dumps`` with options builds a new one per call: a third of the time).
_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
#: orjson for the common case (plain str/int/float/bool/list/dict contexts: ~6x faster than the encoder above,
#: which was half of a bulk import's client time); anything it would spell differently goes to ``_JSON``.
_ORJSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS \
    | orjson.OPT_PASSTHROUGH_DATACLASS


def _refuse(value: Any) -> Any:
    raise TypeError(type(value).__name__)


def json_text(value: Mapping[str, Any]) -> str:
    """Compact JSON text with sorted keys, UTF-8 kept, and ``str()`` of values JSON has no type for.

    orjson writes the common case. It would write NaN and infinities as ``null``, numpy numbers as numbers and
    datetimes in its own format where the standard encoder (``NaN``, ``default=str``) does not, and it refuses
    non-str keys and ints beyond 64 bits: those values go to the standard encoder, so the text is the same
    either way except for how a float is spelled (``1e16`` for ``1e+16``: the same number).

    >>> json_text({"b": [1, 2.5, None], "a": "红"})
    '{"a":"红","b":[1,2.5,null]}'
    >>> json_text({"x": float("nan")})
    '{"x":NaN}'
    """
    try:
        out = orjson.dumps(value, default=_refuse, option=_ORJSON_OPTIONS)
    except (orjson.JSONEncodeError, TypeError):
        return _JSON.encode(value)
    if b"null" in out:  # a None, or a NaN/infinity orjson wrote as null: let the standard encoder decide
        return _JSON.encode(value)
    return out.decode("utf-8")


def json_list(s: pd.Series, column: str) -> list[str | None]:
    """Column of dicts as compact JSON text; empty or missing dicts become None."""
    out: list[str | None] = []
    for v in s.tolist():
        if type(v) is dict:  # the common case first: no ABC checks (half of a bulk import's context time)
            out.append(json_text(v) if v else None)
            continue
        if not isinstance(v, float) and not v:  # None, {} or "": kept cheap
            out.append(None)
            continue
        if isinstance(v, str):
            try:
                v = json.loads(v) if v.strip() else None
            except json.JSONDecodeError:
                raise StoreError(f"column {column!r} holds text that is not JSON: {v[:80]!r}") from None
        if v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, Mapping) and not v):
            out.append(None)
        elif isinstance(v, Mapping):
            out.append(json_text(v))
        else:
            raise StoreError(f"column {column!r} must hold dicts (JSON objects), got {type(v).__name__}")
    return out


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


# ---------------------------------------------------------------------------------------------- entities
def encode_entities(records: Records, kind: str) -> tuple[list[tuple[Any, ...]], int]:
    """Rows for an item (``kind='item'``) or user upsert, in ``ITEM_COLUMNS``/``USER_COLUMNS`` order plus
    a trailing content hash; duplicate ids keep their last occurrence. Returns (rows, collapsed)."""
    columns = ITEM_COLUMNS if kind == "item" else USER_COLUMNS
    id_col = f"{kind}_id"
    df = as_frame(records, columns, kind)
    n_in = len(df)
    ids = pd.Series(str_list(df[id_col]), dtype=object)
    df = df.loc[~ids.duplicated(keep="last").to_numpy()]
    cols: dict[str, list[Any]] = {}
    for col in columns:
        s = df[col]
        if col == id_col:
            cols[col] = str_list(s)
        elif col == "attributes":
            cols[col] = json_list(s, col)
        elif col == "created_at":
            cols[col] = micros_list(s, col)
        elif col == "price":
            cols[col] = float_list(s, col)
        elif col == "in_stock":
            cols[col] = [True if _missing(v) else bool(v) for v in s.tolist()]
        else:
            cols[col] = str_list(s)
    rows = []
    for values in zip(*(cols[c] for c in columns), strict=True):
        rows.append((*values, _digest(json.dumps(values, ensure_ascii=False))))
    return rows, n_in - len(rows)


@dataclass(frozen=True)
class EncodedUsers:
    """Users encoded ahead of their upsert (:func:`encode_user_batch`): the rows of :func:`encode_entities`,
    how many duplicate ids collapsed, and the rows as COPY text for the staging table (``ord`` first)."""

    rows: list[tuple[Any, ...]]
    collapsed: int
    copy_data: bytes


def encode_user_batch(records: Records) -> EncodedUsers:
    """:func:`encode_entities` for users, with the COPY text a writer thread only has to send."""
    rows, collapsed = encode_entities(records, "user")
    if not rows:
        return EncodedUsers(rows, collapsed, b"")
    ids, attrs, created, hashes = (list(c) for c in zip(*rows, strict=True))
    lines = ["\t".join(f) for f in zip([str(i) for i in range(len(rows))], _copy_texts(ids), _copy_texts(attrs),
                                       ["\\N" if c is None else str(c) for c in created], bytea_texts(hashes),
                                       strict=True)]
    return EncodedUsers(rows, collapsed, copy_bytes(lines))


def decode_entities(rows: Sequence[Sequence[Any]], kind: str) -> pd.DataFrame:
    """The canonical frame from rows selected in ``ITEM_COLUMNS``/``USER_COLUMNS`` order (dicts as JSON
    text or already decoded, times as epoch microseconds)."""
    columns = ITEM_COLUMNS if kind == "item" else USER_COLUMNS
    data = _columns(rows, len(columns))
    out = pd.DataFrame(index=pd.RangeIndex(len(rows)))
    for col, values in zip(columns, data, strict=True):
        if col == "attributes":
            out[col] = pd.Series(decode_json(values), index=out.index, dtype=object)
        elif col == "created_at":
            out[col] = decode_micros(values)
        elif col == "price":
            out[col] = pd.Series(values, index=out.index, dtype="float64")
        elif col == "in_stock":
            out[col] = pd.Series(values, index=out.index, dtype=bool)
        else:
            out[col] = pd.Series(values, index=out.index, dtype=object)
    return out


def transpose(rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    """Rows transposed into ``width`` column lists (None stays None)."""
    return _columns(rows, width)


def _columns(rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    """Rows transposed into column lists (keeps None as None, unlike ``DataFrame.from_records``)."""
    if not rows:
        return [[] for _ in range(width)]
    return [list(c) for c in zip(*rows, strict=True)]


def entity_dict(frame: pd.DataFrame) -> dict[str, Any] | None:
    """The first row of a decoded entity frame as a plain dict (None for missing values)."""
    if frame.empty:
        return None
    out = {}
    for k, v in frame.iloc[0].to_dict().items():
        if isinstance(v, pd.Timestamp):
            out[k] = v.to_pydatetime()
        elif not isinstance(v, dict) and _missing(v):
            out[k] = None
        elif isinstance(v, np.bool_ | np.floating):
            out[k] = v.item()
        else:
            out[k] = v
    return out


# ---------------------------------------------------------------------------------------------- events
#: Order of the values in an encoded event row (after the dedupe key).
EVENT_ROW = ("dedupe_key", "event_id", "user_id", "item_id", "type", "value", "ts_us", "session_id",
             "context")


def event_key(event_id: str | None, user_id: str | None, item_id: str | None, event_type: str | None,
              value: float | None, ts_us: int | None, session_id: str | None) -> bytes:
    """The identity of an event (16 bytes): its ``event_id``, or else a hash of its content - user, item,
    type, value (None when missing or not finite), time in microseconds and session. The store keeps one
    event per key (``dedupe_key``), and the serving pipeline's live counters skip the same keys, so an
    event counts live exactly when the store took it.

    >>> event_key("e1", "u", "i", "view", None, 1, None) == event_key("e1", "v", None, "buy", 2.0, 9, "s")
    True
    >>> one_us_apart = [event_key(None, "u", "i", "view", None, t, None) for t in (1_000_000, 1_000_001)]
    >>> one_us_apart[0] == one_us_apart[1]
    False
    """
    if event_id is not None:
        return _digest(f"id{_SEP}{event_id}")
    # None is spelled _NONE so that a missing value never equals the text "None"
    v = None if value is None or not math.isfinite(value) else float(value)
    return _digest(f"h{_SEP}{_NONE if user_id is None else user_id}{_SEP}{_NONE if item_id is None else item_id}"
                   f"{_SEP}{_NONE if event_type is None else event_type}{_SEP}{_NONE if v is None else repr(v)}"
                   f"{_SEP}{_NONE if ts_us is None else ts_us}{_SEP}{_NONE if session_id is None else session_id}")


def encode_events(records: Records) -> Iterator[list[tuple[Any, ...]]]:
    """Chunks of event rows in ``EVENT_ROW`` order, in input order."""
    for columns in encode_event_columns(records):
        yield list(zip(*columns, strict=True))


def encode_event_columns(records: Records) -> Iterator[list[list[Any]]]:
    """Chunks of :func:`encode_events` as columns (``EVENT_ROW`` order), before they are zipped into rows."""
    plain = plain_event_columns(records)
    if plain is not None:  # a short list of plain records (an API write): the same values without pandas
        yield plain
        return
    df = as_frame(records, EVENT_COLUMNS, "event")
    for start in range(0, len(df), CHUNK_ROWS):
        part = df.iloc[start:start + CHUNK_ROWS]
        eid, user, item = str_list(part["event_id"]), str_list(part["user_id"]), str_list(part["item_id"])
        etype, session = str_list(part["type"]), str_list(part["session_id"])
        value = float_list(part["value"], "value")
        ts = micros_list(part["timestamp"], "timestamp")
        ctx = json_list(part["context"], "context")
        keys = [event_key(e, u, i, t, v, s, ss)
                for e, u, i, t, v, s, ss in zip(eid, user, item, etype, value, ts, session, strict=True)]
        yield [keys, eid, user, item, etype, value, ts, session, ctx]


#: Lists of records up to this long may be encoded by :func:`plain_event_columns`.
PLAIN_ROWS = 1000
#: Plain record times must fall in these bounds (inside pandas' nanosecond range, where both encoders agree).
_PLAIN_TIMES = (datetime(1700, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC))
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_EXACT_INT = 2**53


class _NotPlain(Exception):
    pass


def _plain_text(v: Any) -> str | None:
    if v is None or type(v) is str:
        return v
    raise _NotPlain


def _plain_float(v: Any) -> float | None:
    if v is None:
        return None
    if type(v) is float:
        return v if math.isfinite(v) else None
    if type(v) is int and -_EXACT_INT <= v <= _EXACT_INT:
        return float(v)
    raise _NotPlain


def _plain_micros(v: Any) -> int | None:
    if v is None:
        return None
    if type(v) is datetime and isinstance(v.tzinfo, timezone) and _PLAIN_TIMES[0] <= v < _PLAIN_TIMES[1]:
        return (v - _EPOCH) // _MICROSECOND
    raise _NotPlain


def _plain_json(v: Any) -> str | None:
    if v is None:
        return None
    if type(v) is dict:
        return json_text(v) if v else None
    raise _NotPlain


def plain_event_columns(records: Records) -> list[list[Any]] | None:
    """:func:`encode_event_columns` of a short list of plain event records, in plain Python: None unless it is a
    list of at most :data:`PLAIN_ROWS` dicts holding every required key, whose ids and texts are ``str`` or None,
    ``value`` a float, an int or None, ``timestamp`` a ``datetime`` with a fixed UTC offset (years 1700-2199)
    or None and ``context`` a dict or None (what :func:`shopmind.ingest.small.validate_small_events` gives).
    The values are those of the frame path (``tests/storage/test_records.py`` compares them)."""
    if not isinstance(records, list) or not records or len(records) > PLAIN_ROWS:
        return None
    cols: list[list[Any]] = [[] for _ in EVENT_ROW]
    keys, eids, users, items, types, values, times, sessions, contexts = cols
    try:
        for r in records:
            if type(r) is not dict or "user_id" not in r or "type" not in r or "timestamp" not in r:
                return None
            eid, user, item = _plain_text(r.get("event_id")), _plain_text(r["user_id"]), _plain_text(r.get("item_id"))
            etype, session = _plain_text(r["type"]), _plain_text(r.get("session_id"))
            value, ts = _plain_float(r.get("value")), _plain_micros(r["timestamp"])
            contexts.append(_plain_json(r.get("context")))
            keys.append(event_key(eid, user, item, etype, value, ts, session))
            eids.append(eid)
            users.append(user)
            items.append(item)
            types.append(etype)
            values.append(value)
            times.append(ts)
            sessions.append(session)
    except _NotPlain:
        return None
    return cols


@dataclass(frozen=True)
class EncodedEvents:
    """A batch of events encoded ahead of its write (:func:`encode_event_batch`): rows of ``ord`` (the
    position in the batch) followed by the ``EVENT_ROW`` values, and whether any dedupe key repeats in it. A
    bulk loader encodes the next batch in Python while the database inserts the previous one.

    ``copy_lines`` are the rows as lines of PostgreSQL's COPY text format for ``COPY events (dedupe_key,
    event_id, user_id, item_id, type, value, ts, session_id, context)`` (times as UTC timestamps without a
    zone), ``copy_data`` all of them as bytes, ``sorted_keys`` the distinct keys in byte order and
    ``keys_data`` those as COPY text: a writer thread then only sends bytes, and needs no GIL for it."""

    rows: list[tuple[Any, ...]]
    repeated: bool
    copy_lines: list[str]
    copy_data: bytes
    sorted_keys: list[bytes]
    keys_data: bytes

    def __len__(self) -> int:
        return len(self.rows)


def encode_event_batch(records: Records) -> EncodedEvents:
    """:func:`encode_events` for a whole batch, numbered, with its repeated-key flag and its COPY text."""
    rows: list[tuple[Any, ...]] = []
    lines: list[str] = []
    keys: list[bytes] = []
    for columns in encode_event_columns(records):
        rows.extend(zip(range(len(rows), len(rows) + len(columns[0])), *columns, strict=True))
        lines.extend(copy_text_lines(columns))
        keys.extend(columns[0])
    repeated = len(set(keys)) < len(rows)
    ordered = sorted_keys(keys)
    if repeated:
        ordered = list(dict.fromkeys(ordered))  # sorted, so repeats are neighbours: the first of each kept
    return EncodedEvents(rows, repeated, lines, copy_bytes(lines), ordered, copy_bytes(bytea_texts(ordered)))


#: COPY text escapes (backslash first is implied by translate: each character is mapped once).
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_SPECIAL = ("\\", "\t", "\n", "\r")


def _copy_texts(values: list[Any]) -> list[str]:
    present = [v for v in values if v is not None]
    joined = "".join(present)
    if not any(c in joined for c in _COPY_SPECIAL):  # the usual case: nothing to escape
        return ["\\N" if v is None else v for v in values]
    return ["\\N" if v is None else v.translate(_COPY_ESCAPES) for v in values]


def bytea_texts(keys: list[bytes]) -> list[str]:
    """Byte strings in COPY text's hex bytea form (the backslash of ``\\x`` escaped)."""
    return ["\\\\x" + key.hex() for key in keys]


def copy_text_lines(columns: list[list[Any]]) -> list[str]:
    """Event columns (``EVENT_ROW`` order, :func:`encode_event_columns`) as COPY text lines without their
    newline (``None`` as ``\\N``, times as UTC ``YYYY-MM-DDTHH:MM:SS.ffffff``, floats by ``repr``)."""
    keys, eid, user, item, etype, value, ts_us, session, ctx = columns
    if not keys:
        return []
    ts = np.array([_NAT if t is None else t for t in ts_us], dtype=np.int64).astype("datetime64[us]")
    stamps = ["\\N" if t is None else text
              for t, text in zip(ts_us, np.datetime_as_string(ts, unit="us").tolist(), strict=True)]
    values = ["\\N" if v is None else repr(v) for v in value]
    fields = [bytea_texts(keys), _copy_texts(eid), _copy_texts(user), _copy_texts(item), _copy_texts(etype),
              values, stamps, _copy_texts(session), _copy_texts(ctx)]
    return ["\t".join(f) for f in zip(*fields, strict=True)]


def copy_bytes(lines: list[str]) -> bytes:
    """COPY text lines as the bytes of a COPY (one newline after each)."""
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def sorted_keys(keys: list[bytes]) -> list[bytes]:
    """Dedupe keys in byte order: a numpy sort of the 16-byte keys as big-endian integer pairs (0.05 s for
    400k keys against 0.7 s for ``sorted``); ``sorted`` when a key is not 16 bytes long."""
    joined = b"".join(keys)
    if len(joined) != 16 * len(keys):
        return sorted(keys)
    pairs = np.frombuffer(joined, dtype=">u8").reshape(-1, 2)
    return [keys[i] for i in np.lexsort((pairs[:, 1], pairs[:, 0])).tolist()]


def decode_events(rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """The canonical event frame from rows selected as ``seq`` + ``EVENT_COLUMNS`` (times in µs)."""
    seq, *data = _columns(rows, 1 + len(EVENT_COLUMNS))
    out = pd.DataFrame(index=pd.RangeIndex(len(rows)))
    for col, values in zip(EVENT_COLUMNS, data, strict=True):
        if col == "timestamp":
            out[col] = decode_micros(values)
        elif col == "value":
            out[col] = pd.Series(values, index=out.index, dtype="float64")
        elif col == "context":
            out[col] = pd.Series(decode_json(values), index=out.index, dtype=object)
        else:
            out[col] = pd.Series(values, index=out.index, dtype=object)
    out["seq"] = pd.Series(seq, index=out.index, dtype="int64")
    return out


def check_chunk_rows(chunk_rows: int) -> None:
    """Refuse a chunk size that is not a positive int (the message names the parameter)."""
    if not isinstance(chunk_rows, int) or isinstance(chunk_rows, bool) or chunk_rows < 1:
        raise StoreError(f"event_chunks: chunk_rows must be an int >= 1, got {chunk_rows!r}")


def chunk_extras(extra_columns: Iterable[str], last: int | None) -> list[str]:
    """The checked ``extra_columns`` and ``last`` of an ``event_chunks`` call (``EVENT_CHUNK_EXTRA_COLUMNS``
    order); a clear error naming the parameter otherwise."""
    wanted = [str(c) for c in extra_columns]
    unknown = [c for c in wanted if c not in EVENT_CHUNK_EXTRA_COLUMNS]
    if unknown:
        raise StoreError(f"event_chunks: extra_columns {unknown!r} unknown, expected some of "
                         f"{list(EVENT_CHUNK_EXTRA_COLUMNS)}")
    if last is not None and (not isinstance(last, int) or isinstance(last, bool) or last < 0):
        raise StoreError(f"event_chunks: last must be None or an int >= 0, got {last!r}")
    return [c for c in EVENT_CHUNK_EXTRA_COLUMNS if c in wanted]


def event_chunk(rows: Sequence[Sequence[Any]], types: dict[str, str], extras: Sequence[str] = ()) -> pd.DataFrame:
    """One :meth:`~shopmind.storage.base.EventLog.event_chunks` frame from ``(seq, user_id, item_id, type,
    value, ts_us, *extras)`` rows. ``types`` interns the type names (a few distinct strings, one object each)."""
    seq, user, item, etype, value, ts, *extra = _columns(rows, 6 + len(extras))
    n = len(rows)
    frame = pd.DataFrame({
        "seq": np.fromiter(seq, dtype=np.int64, count=n),
        "user_id": np.array(user, dtype=object),
        "item_id": np.array(item, dtype=object),
        "type": np.array([types.setdefault(t, t) for t in etype], dtype=object),
        "value": np.fromiter((math.nan if v is None else v for v in value), dtype=np.float64, count=n),
        "ts_us": np.fromiter(ts, dtype=np.int64, count=n),
    }, columns=list(EVENT_CHUNK_COLUMNS))
    for name, values in zip(extras, extra, strict=True):
        col = np.empty(n, dtype=object)
        col[:] = [bytes(v) for v in values] if name == "dedupe_key" else values
        frame[name] = pd.Series(col, index=frame.index, dtype=object)  # None stays None
    return frame


def decode_item_event_counts(rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """The :meth:`~shopmind.storage.base.EventLog.item_event_counts` frame from ``(item_id, type, count,
    max_ts_us)`` rows."""
    items, types, counts, latest = _columns(rows, 4)
    return pd.DataFrame({"item_id": pd.Series(items, dtype=object), "type": pd.Series(types, dtype=object),
                         "count": pd.Series(counts, dtype="int64"), "max_ts_us": pd.Series(latest, dtype="int64")},
                        columns=list(ITEM_EVENT_COUNT_COLUMNS))


def decode_micros(values: Sequence[int | None]) -> pd.Series:
    """Epoch microseconds (None for missing) as a ``datetime64[us, UTC]`` series."""
    arr = np.fromiter((_NAT if v is None else v for v in values), dtype=np.int64, count=len(values))
    return pd.Series(arr.view("M8[us]")).dt.tz_localize("UTC")


def decode_json(values: Sequence[Any]) -> list[dict[str, Any]]:
    """JSON text (or already-decoded dicts from the driver) as dicts; None becomes ``{}``."""
    return [json.loads(v) if isinstance(v, str) else (dict(v) if v else {}) for v in values]


# ---------------------------------------------------------------------------------------------- rejects
def encode_rejects(import_id: str, rejects: Sequence[Reject | Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    """Quarantine rows in ``REJECT_COLUMNS`` order."""
    rows = []
    for r in rejects:
        d = r.as_dict() if isinstance(r, Reject) else Reject(
            source=str(r.get("source", r.get("file", ""))), row=int(r.get("row", 0)),
            field=str(r.get("field", "")), value=r.get("value"), reason=str(r.get("reason", "")),
            kind=str(r.get("kind", "event"))).as_dict()
        rows.append((import_id, d["source"], d["row"], d["kind"], d["field"], d["value"], d["reason"]))
    return rows


def decode_rejects(rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """The quarantine frame (``REJECT_COLUMNS``) from rows selected in that order."""
    data = _columns(rows, len(REJECT_COLUMNS))
    return pd.DataFrame({c: pd.Series(v, dtype="int64" if c == "row" else object)
                         for c, v in zip(REJECT_COLUMNS, data, strict=True)})


def bucket_micros(bucket_seconds: int) -> int:
    """The width of an :meth:`~shopmind.storage.base.EventLog.event_counts` bucket in microseconds (checked)."""
    if not isinstance(bucket_seconds, int) or isinstance(bucket_seconds, bool) or bucket_seconds < 1:
        raise StoreError(f"event_counts: bucket_seconds must be an int >= 1, got {bucket_seconds!r}")
    return bucket_seconds * 1_000_000


def decode_event_counts(rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """The :meth:`~shopmind.storage.base.EventLog.event_counts` frame from ``(bucket start in microseconds,
    type, count)`` rows."""
    starts, types, counts = _columns(rows, 3)
    frame = pd.DataFrame({
        "start": pd.to_datetime(pd.Series(starts, dtype="int64"), unit="us", utc=True),
        "type": pd.Series(types, dtype=object),
        "count": pd.Series(counts, dtype="int64"),
    })
    return frame[list(EVENT_COUNT_COLUMNS)]


def report_json(report: Mapping[str, Any]) -> tuple[str, str]:
    """``(import_id, json text)`` of an import report."""
    if "import_id" not in report:
        raise StoreError(f"an import report needs an 'import_id' key; got keys {sorted(report)}")
    return str(report["import_id"]), json.dumps(dict(report), ensure_ascii=False, default=str)


# ---------------------------------------------------------------------------------------------- customers
def document_json(doc: Mapping[str, Any], what: str) -> str:
    """A profile or segment document as compact JSON; NaN and infinities are refused (they are not JSON)."""
    if not isinstance(doc, Mapping):
        raise StoreError(f"a {what} must be a dict, got {type(doc).__name__}")
    try:
        return json.dumps(dict(doc), ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=str)
    except ValueError as exc:
        raise StoreError(f"a {what} holds a value that is not JSON (NaN or infinity?): {exc}") from None


def segment_rows(segments: Sequence[Mapping[str, Any]]) -> list[tuple[str, int, str]]:
    """``(segment_id, position, json)`` rows of a segment catalog; ids must be present and distinct."""
    rows, seen = [], set()
    for i, seg in enumerate(segments):
        sid = seg.get("segment_id") if isinstance(seg, Mapping) else None
        if not isinstance(sid, str) or not sid:
            raise StoreError(f"segment {i} has no 'segment_id' (a non-empty string)")
        if sid in seen:
            raise StoreError(f"segment id {sid!r} occurs twice in one catalog")
        seen.add(sid)
        rows.append((sid, i, document_json(seg, "segment")))
    return rows


def membership_rows(memberships: Mapping[str, Sequence[str]]) -> tuple[list[str], list[tuple[str, str]]]:
    """``(user ids, [(segment_id, user_id)])`` of a membership update."""
    users = [str(u) for u in memberships]
    pairs = [(str(seg), str(u)) for u, segs in memberships.items() for seg in dict.fromkeys(segs)]
    return users, pairs


#: Columns of :meth:`~shopmind.storage.base.PersonalData.user_data` rows, by kind (the SQL of each backend
#: selects them in this order; times as integer microseconds, documents as JSON text).
PERSONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "users": ("user_id", "attributes", "created_at"),
    "events": ("seq", "event_id", "user_id", "item_id", "type", "value", "timestamp", "session_id", "context"),
    "quarantine_rows": ("import_id", "source", "row", "kind", "field", "value", "reason"),
    "exposures": ("experiment_id", "variant", "user_id", "recommendation_id", "model_version", "propensity",
                  "timestamp"),
    "decisions": ("decision_id", "bandit_id", "user_id", "arm", "propensity", "context", "reward", "timestamp"),
    "profiles": ("user_id", "profile", "updated_at"),
    "segment_memberships": ("segment_id", "user_id"),
    "deliveries": ("delivery_id", "campaign_id", "user_id", "variant", "creative_id", "channel", "coupon_code",
                   "recommendation_id", "model_version", "item_ids", "propensity", "timestamp"),
    "redemptions": ("code", "campaign_id", "user_id", "order_id", "spend", "discount", "timestamp"),
}
_TIME_COLUMNS = frozenset({"timestamp", "created_at", "updated_at"})
_JSON_COLUMNS = frozenset({"attributes", "context", "profile", "item_ids"})


def personal_dicts(kind: str, rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """Rows selected in ``PERSONAL_COLUMNS[kind]`` order as JSON-able dicts: times as ISO 8601 UTC text,
    documents decoded.

    >>> personal_dicts("profiles", [("u1", '{"stage": "new"}', 1_714_521_600_000_000)])
    [{'user_id': 'u1', 'profile': {'stage': 'new'}, 'updated_at': '2024-05-01T00:00:00+00:00'}]
    """
    out = []
    for row in rows:
        d: dict[str, Any] = {}
        for col, v in zip(PERSONAL_COLUMNS[kind], row, strict=True):
            if v is not None and col in _TIME_COLUMNS:
                v = pd.Timestamp(int(v), unit="us", tz="UTC").isoformat()
            elif isinstance(v, str) and col in _JSON_COLUMNS:
                v = json.loads(v)
            d[col] = v
        out.append(d)
    return out


#: Columns of the ``api_keys`` table, in order.
API_KEY_COLUMNS = ("key_id", "key_hash", "scopes", "name", "rate_limit", "created_us", "revoked_us")


def api_key_row(key: Mapping[str, Any]) -> tuple[Any, ...]:
    """The ``api_keys`` row of a new key (see :class:`~shopmind.storage.base.ApiKeyStore`), created now."""
    key_id, key_hash = key.get("key_id"), key.get("key_hash")
    if not isinstance(key_id, str) or not key_id or not isinstance(key_hash, str) or not key_hash:
        raise StoreError("an API key needs a non-empty 'key_id' and 'key_hash'")
    scopes = [str(s) for s in key.get("scopes") or ()]
    if not scopes:
        raise StoreError(f"API key {key_id!r} has no scopes")
    rate = key.get("rate_limit")
    now_us = int(pd.Timestamp.now(tz="UTC").value // 1000)
    return (key_id, key_hash, json.dumps(scopes), key.get("name"), None if rate is None else float(rate), now_us,
            None)


def _iso(us: int | None) -> str | None:
    return None if us is None else pd.Timestamp(int(us) * 1000, tz="UTC").isoformat()


def api_key_out(row: Sequence[Any], with_hash: bool = True) -> dict[str, Any]:
    """A stored ``api_keys`` row (columns :data:`API_KEY_COLUMNS`) as the dict the store returns."""
    key_id, key_hash, scopes, name, rate, created_us, revoked_us = row
    out = {"key_id": key_id, "scopes": list(json.loads(scopes)), "name": name,
           "rate_limit": None if rate is None else float(rate), "created_at": _iso(created_us),
           "revoked_at": _iso(revoked_us)}
    if with_hash:
        out["key_hash"] = key_hash
    return out
