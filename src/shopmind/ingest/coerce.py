"""Vectorised coercion of raw columns (strings, numbers, epoch times, JSON text) into typed values.

Each coercer takes one raw column and returns a :class:`Coerced`: the typed values plus, for every kind of
problem, a mask of the rows that have it and a reason. Reasons never contain the offending value (that is
kept next to them in the quarantine), so rejects group well: "not a number" x 1,204.

These functions mirror the rules of the pydantic models in :mod:`shopmind.schema` (strings stripped, ids
1-256 characters, ``price >= 0``, ``currency`` at most 8 characters, ``in_stock`` defaulting to True),
but run over whole columns so that a million events validate in seconds.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

import numpy as np
import pandas as pd

from shopmind.schema import EventType, normalise_event_type

MISSING = "required field is missing or empty"
NUL_CHARACTER = "contains a NUL character (\\x00)"
NOT_A_NUMBER = "not a number"
NOT_FINITE = "not a finite number"
NEGATIVE = "must be >= 0"
BAD_TIME = ("not a date/time; expected ISO-8601 (e.g. 2024-05-01T12:00:00+08:00) "
            "or epoch seconds/milliseconds")
BAD_BOOL = "expected yes/no, true/false or 1/0"
BAD_DICT = "expected a JSON object (a dict or JSON text such as {\"color\": \"red\"})"
UNKNOWN_TYPE = ("unknown event type; expected one of: " + ", ".join(e.value for e in EventType)
                + " (or a known synonym such as pv, cart, buy)")

_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "0.0"}
# An explicit UTC offset (or Z) after a time of day: "...T12:00:00+08:00", "... 12:00Z", "T120000-0500".
_HAS_OFFSET = re.compile(r"(?:T|\s)\d{2}(?::?\d{2}){0,2}(?:[.,]\d+)?\s*(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$")


@dataclass
class Coerced:
    """Typed values of one column and the rows that failed, each mask with its reason."""

    values: pd.Series
    problems: list[tuple[np.ndarray, str]] = field(default_factory=list)

    def add(self, mask: np.ndarray, reason: str) -> None:
        if mask.any():
            self.problems.append((mask, reason))


def _present(s: pd.Series) -> np.ndarray:
    """Rows that hold a value: not null and not blank text."""
    mask = s.notna().to_numpy(dtype=bool)
    if pd.api.types.is_string_dtype(s.dtype) or s.dtype == object:
        kind = pd.api.types.infer_dtype(s, skipna=True)
        if kind in ("string", "mixed", "mixed-integer"):
            blank = (s.str.strip() == "").fillna(False).to_numpy(dtype=bool)
            mask = mask & ~blank
    return cast("np.ndarray", mask)


def _as_object(values: Any, index: pd.Index) -> pd.Series:
    return pd.Series(values, index=index, dtype=object)


# ---------------------------------------------------------------------------------------------- text and ids
def _id_text(v: Any) -> str:
    """One value as id text: whole floats lose their ".0" (CSV readers turn 42 into 42.0)."""
    if isinstance(v, str):
        return v.strip()
    if isinstance(v, float | np.floating) and math.isfinite(v) and float(v).is_integer():
        return str(int(v))
    return str(v).strip()


def coerce_text(s: pd.Series, *, required: bool = False, max_len: int | None = None) -> Coerced:
    """Strings stripped of surrounding whitespace; numbers as text (``42.0`` -> ``"42"``); blank -> None.

    >>> coerce_text(pd.Series([" a ", 7.0, None]), required=True).values.tolist()
    ['a', '7', None]
    """
    present = _present(s)
    kind = pd.api.types.infer_dtype(s, skipna=True)
    if kind == "string":
        text = s.str.strip()
    elif kind == "integer":
        text = s.where(present).astype(object).map(lambda v: str(int(v)), na_action="ignore")
    else:
        text = s.astype(object).where(present, None).map(_id_text, na_action="ignore")
    values = text.astype(object).where(present, None)
    out = Coerced(values)
    if required:
        out.add(~present, MISSING)
        # SQLite's length() stops at a NUL, so an id holding one breaks the store's non-empty check (a 503
        # for the whole batch, found by `make fuzz`); it is a bad row instead
        nul = values.map(lambda v: isinstance(v, str) and "\x00" in v, na_action="ignore")
        out.add(nul.fillna(False).to_numpy(dtype=bool), NUL_CHARACTER)
    if max_len is not None:
        lengths = values.map(len, na_action="ignore").fillna(0).to_numpy()
        out.add(lengths > max_len, f"longer than {max_len} characters")
    return out


def coerce_event_type(s: pd.Series) -> Coerced:
    """Event types normalised with :func:`shopmind.schema.normalise_event_type` (each distinct value once)."""
    text = coerce_text(s, required=True)
    codes, uniques = pd.factorize(text.values, use_na_sentinel=True)
    mapped: list[str | None] = []
    for raw in uniques:
        try:
            mapped.append(normalise_event_type(raw))
        except ValueError:
            mapped.append(None)
    table = np.array([*mapped, None], dtype=object)  # code -1 (missing) picks the trailing None
    values = _as_object(table[codes], s.index)
    text.values = values
    known_missing = codes < 0
    text.add(values.isna().to_numpy() & ~known_missing, UNKNOWN_TYPE)
    return text


# ---------------------------------------------------------------------------------------------- numbers
def coerce_number(s: pd.Series, *, minimum: float | None = None) -> Coerced:
    """Plain numbers (``12.5``, ``"12.5"``); blank -> NaN; text that is not a number is a problem.

    >>> c = coerce_number(pd.Series(["1.5", "x", None, -2]), minimum=0)
    >>> c.values.tolist()[0], [reason for _, reason in c.problems]
    (1.5, ['not a number', 'must be >= 0'])
    """
    present = _present(s)
    if pd.api.types.is_bool_dtype(s.dtype) or not pd.api.types.is_numeric_dtype(s.dtype):
        raw = s.astype(object).where(present, None)
        raw = raw.map(lambda v: v.strip() if isinstance(v, str) else v, na_action="ignore")
        num = pd.to_numeric(raw, errors="coerce")
    else:
        num = s
    arr = np.asarray(num, dtype="float64")
    out = Coerced(pd.Series(np.where(present, arr, np.nan), index=s.index))
    nan = np.isnan(arr)
    out.add(present & nan, NOT_A_NUMBER)
    out.add(present & np.isinf(arr), NOT_FINITE)
    if minimum is not None:
        out.add(present & ~nan & (arr < minimum), f"must be >= {minimum:g}")
    out.values = out.values.where(np.isfinite(out.values.to_numpy()), np.nan)
    return out


def coerce_bool(s: pd.Series, *, default: bool = True) -> Coerced:
    """Booleans from yes/no, true/false, y/n, t/f, 1/0 (any case); blank -> ``default``."""
    present = _present(s)
    # a JSON object or list in the column (from the API) is not a boolean; repr keeps it hashable and invalid
    s = s.map(lambda v: repr(v) if isinstance(v, dict | list | set) else v) if s.dtype == object else s
    codes, uniques = pd.factorize(s.astype(object).where(present, None), use_na_sentinel=True)
    mapped: list[bool | None] = []
    for u in uniques:
        key = str(u).strip().lower() if not isinstance(u, bool | np.bool_) else str(bool(u)).lower()
        mapped.append(True if key in _TRUE else False if key in _FALSE else None)
    table = np.array([*mapped, default], dtype=object)
    values = table[codes]
    out = Coerced(_as_object(values, s.index))
    bad = np.array([v is None for v in values], dtype=bool) if len(values) else np.zeros(0, bool)
    out.add(bad, BAD_BOOL)
    out.values = out.values.where(~bad, default).astype(bool)
    return out


# ---------------------------------------------------------------------------------------------- dicts
def _to_dict(v: Any) -> dict[str, Any] | None:
    if isinstance(v, dict):
        return v
    if isinstance(v, str):
        try:
            parsed = json.loads(v)
        except json.JSONDecodeError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None


def coerce_dict(s: pd.Series) -> Coerced:
    """Dicts, or JSON objects given as text; blank -> ``{}``."""
    present = _present(s)
    values: list[dict[str, Any]] = [{} for _ in range(len(s))]
    bad = np.zeros(len(s), dtype=bool)
    if present.any():
        raw = s.to_numpy(dtype=object)
        for i in np.flatnonzero(present):
            parsed = _to_dict(raw[i])
            if parsed is None:
                bad[i] = True
            else:
                values[i] = parsed
    out = Coerced(_as_object(values, s.index))
    out.add(bad, BAD_DICT)
    return out


# ---------------------------------------------------------------------------------------------- times
def epoch_to_micros(x: np.ndarray) -> np.ndarray:
    """Epoch numbers to microseconds, unit guessed per value from its magnitude.

    Below 1e11 they are seconds (up to the year 5138), below 1e14 milliseconds (from March 1973 on),
    below 1e17 microseconds, else nanoseconds.

    >>> epoch_to_micros(np.array([1714564800, 1714564800000])).tolist()
    [1714564800000000, 1714564800000000]
    """
    x = np.asarray(x, dtype="float64")
    mag = np.abs(x)
    scale = np.select([mag < 1e11, mag < 1e14, mag < 1e17], [1e6, 1e3, 1.0], default=1e-3)
    return cast("np.ndarray", np.rint(x * scale).astype(np.int64))


def _localize(ts: pd.Series, tz: str) -> pd.Series:
    """Naive wall-clock times in ``tz`` as UTC; a repeated hour (DST ends) reads as the first one, a
    skipped hour (DST starts) moves forward."""
    if tz == "UTC":
        return ts.dt.tz_localize("UTC")
    local = ts.dt.tz_localize(tz, ambiguous=np.ones(len(ts), dtype=bool), nonexistent="shift_forward")
    return local.dt.tz_convert("UTC")


def _parse_iso(text: pd.Series, tz: str) -> pd.Series:
    """ISO-8601 strings to UTC; strings without an offset are wall-clock times in ``tz``."""
    if tz == "UTC":
        return pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    has_offset = text.str.contains(_HAS_OFFSET, regex=True, na=False).to_numpy(dtype=bool)
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us, UTC]")
    if has_offset.any():
        out[has_offset] = pd.to_datetime(text[has_offset], format="ISO8601", utc=True, errors="coerce")
    if (~has_offset).any():
        naive = pd.to_datetime(text[~has_offset], format="ISO8601", errors="coerce")
        if isinstance(naive.dtype, pd.DatetimeTZDtype):  # pragma: no cover - offset the regex missed
            out[~has_offset] = naive.dt.tz_convert("UTC")
        else:
            out[~has_offset] = _localize(naive, tz)
    return out


def _epoch_into(micros: np.ndarray, rows: np.ndarray, numbers: np.ndarray) -> None:
    """Write epoch ``numbers`` (floats, NaN for none) into ``micros`` at positions ``rows``."""
    ok = np.isfinite(numbers) & (np.abs(numbers) < 9e18)
    micros[rows[ok]] = epoch_to_micros(numbers[ok])


def _python_time(v: Any, tz: str) -> int:
    """A datetime/date object, or one text value, as epoch microseconds (``_NAT`` when unreadable)."""
    if isinstance(v, datetime | date):
        t = pd.Timestamp(v)
        t = t.tz_localize(tz) if t.tzinfo is None else t
        return int(t.tz_convert("UTC").value // 1000)  # .value is always nanoseconds
    text = str(v).strip()
    try:
        return int(epoch_to_micros(np.array([float(text)]))[0])
    except ValueError:
        parsed = _parse_iso(pd.Series([text], dtype=object), tz).iloc[0]
        return _NAT if pd.isna(parsed) else int(parsed.value // 1000)


_NAT = np.iinfo(np.int64).min
_NUMERIC_KINDS = ("integer", "floating", "mixed-integer-float", "decimal")


def _micros_from_raw(s: pd.Series, present: np.ndarray, tz: str) -> np.ndarray:
    """Epoch microseconds of a column of numbers, text or datetime objects (``_NAT`` where unreadable)."""
    micros = np.full(len(s), _NAT, dtype=np.int64)
    kind = pd.api.types.infer_dtype(s, skipna=True)
    rows = np.flatnonzero(present)
    if not len(rows) or kind == "boolean":
        return micros
    if pd.api.types.is_numeric_dtype(s.dtype) or kind in _NUMERIC_KINDS:
        _epoch_into(micros, rows, pd.to_numeric(s.iloc[rows], errors="coerce").to_numpy(dtype="float64"))
    elif kind == "string":
        text = s.iloc[rows].str.strip()
        digits = text.str.isdigit().fillna(False).to_numpy(dtype=bool)  # digits only: an epoch number
        _epoch_into(micros, rows[digits], pd.to_numeric(text[digits]).to_numpy(dtype="float64"))
        if (~digits).any():
            micros[rows[~digits]] = _parse_iso(text[~digits], tz).array.as_unit("us").asi8
            failed = ~digits & (micros[rows] == _NAT)  # "1714564800.5", "1.7e9"
            numbers = pd.to_numeric(text[failed], errors="coerce").to_numpy(dtype="float64")
            _epoch_into(micros, rows[failed], numbers)
    else:  # a mix (records from JSON or Python): value by value
        for i, v in zip(rows, s.to_numpy(dtype=object)[rows], strict=True):
            if isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool | np.bool_):
                _epoch_into(micros, np.array([i]), np.array([float(v)]))
            elif not isinstance(v, bool | np.bool_):
                micros[i] = _python_time(v, tz)
    return micros


def coerce_timestamp(s: pd.Series, *, default_timezone: str = "UTC", required: bool = False) -> Coerced:
    """Instants as ``datetime64[us, UTC]`` from epoch seconds/milliseconds (see :func:`epoch_to_micros`),
    ISO-8601 text with or without an offset, or datetime values; naive ones are in ``default_timezone``.
    Text made only of digits is an epoch number.

    >>> coerce_timestamp(pd.Series(["2024-05-01T20:00:00+08:00", 1714564800000])).values.tolist()
    [Timestamp('2024-05-01 12:00:00+0000', tz='UTC'), Timestamp('2024-05-01 12:00:00+0000', tz='UTC')]
    """
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        values = s.dt.tz_convert("UTC").dt.as_unit("us")
        present = s.notna().to_numpy()
    elif pd.api.types.is_datetime64_dtype(s.dtype):
        values = _localize(s.dt.as_unit("us"), default_timezone)
        present = s.notna().to_numpy()
    else:
        present = _present(s)
        micros = _micros_from_raw(s, present, default_timezone)
        values = pd.Series(micros.view("M8[us]"), index=s.index).dt.tz_localize("UTC")
    out = Coerced(values)
    if required:
        out.add(~present, MISSING)
    out.add(present & values.isna().to_numpy(), BAD_TIME)
    return out
