"""Building canonical frames: column order, id text, tolerant number parsing, dict columns.

Conventions every reader follows (the importer relies on them):

- ids (``user_id``, ``item_id``, ``event_id``, ``session_id``) are text, missing values NaN;
- ``timestamp`` is epoch *seconds* (int or float; millisecond clocks are divided by 1000), an ISO-8601
  string, or - for data without a clock, such as sequence files - the 1-based position in the user's history;
- ``attributes``/``context`` hold a ``dict`` or ``None`` when there is nothing to say;
- numbers that do not parse are left as they were, so the importer can report them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from shopmind.schema import EVENT_COLUMNS, ITEM_COLUMNS, USER_COLUMNS

Kind = Literal["events", "items", "users"]

#: Canonical columns of each kind of frame.
KIND_COLUMNS: dict[str, tuple[str, ...]] = {
    "events": EVENT_COLUMNS, "items": ITEM_COLUMNS, "users": USER_COLUMNS,
}
#: The ``kind`` a :class:`~shopmind.data.loaders.base.Reject` records for each kind of frame.
REJECT_KIND: dict[str, str] = {"events": "event", "items": "item", "users": "user"}
ID_COLUMNS = ("event_id", "user_id", "item_id", "session_id")


def as_dict(value: Any) -> dict[str, Any]:
    """A mapping as a dict, a JSON object given as text parsed; anything else ``{}``."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            parsed = json.loads(value)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def is_missing(value: Any) -> bool:
    """None, NaN, NaT or an empty string."""
    if value is None:
        return True
    if isinstance(value, float):
        return value != value
    if isinstance(value, str):
        return value == ""
    return value is pd.NaT or value is pd.NA


def as_text(values: Any) -> pd.Series:
    """Ids as text, missing values kept missing (``42`` and ``"42"`` become the same id).

    >>> as_text(pd.Series([42, None])).tolist()
    ['42', nan]
    """
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if pd.api.types.is_string_dtype(s.dtype) and not pd.api.types.is_object_dtype(s.dtype):
        return s.reset_index(drop=True)
    if pd.api.types.is_float_dtype(s.dtype):
        # a float id column is an int column with holes: print 42.0 as "42"
        mask = s.isna()
        whole = s.where(mask, s.round()).eq(s) | mask
        if whole.all():
            s = s.astype("Int64")
    out = s.astype("str")
    return out.mask(s.isna().to_numpy()).reset_index(drop=True)


def numeric_or_raw(values: Any) -> pd.Series:
    """Numbers when every present value parses (int if possible), else the values unchanged.

    >>> numeric_or_raw(pd.Series(["1", "2"])).tolist(), numeric_or_raw(pd.Series(["1", "x"])).tolist()
    ([1, 2], ['1', 'x'])
    """
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    s = s.reset_index(drop=True)
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        return s
    try:
        arr = pa.array(s, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        try:
            return pd.to_numeric(s)
        except (TypeError, ValueError):
            return s
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        return pd.Series(arr.to_pandas(), name=s.name)
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        return s
    arr = pc.utf8_trim_whitespace(arr)
    for target in (pa.int64(), pa.float64()):
        try:
            return pd.Series(pc.cast(arr, target).to_pandas(), name=s.name)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    return s


def epoch_seconds(values: Any, unit: str = "s") -> pd.Series:
    """Epoch numbers in ``unit`` (``s``, ``ms``, ``us``, ``ns``) as seconds; unparsable columns stay raw."""
    s = numeric_or_raw(values)
    if unit == "s" or not pd.api.types.is_numeric_dtype(s.dtype):
        return s
    scale = {"ms": 1e3, "us": 1e6, "ns": 1e9}[unit]
    return s / scale


def dict_column(columns: Mapping[str, Sequence[Any]], n: int, base: Sequence[Any] | None = None) -> list[Any]:
    """One dict per row from ``{key: values}`` (missing values left out; ``None`` for an empty dict).

    ``base`` holds dicts already present (e.g. an ``attributes`` object in JSON) that the keys extend.

    >>> dict_column({"color": ["red", None]}, 2)
    [{'color': 'red'}, None]
    """
    keys = list(columns)
    cols = [c.tolist() if isinstance(c, pd.Series | np.ndarray) else list(c) for c in columns.values()]
    bases: list[Any] = list(base) if base is not None else [None] * n
    out: list[Any] = []
    for i, values in enumerate(zip(*cols, strict=True) if cols else ((),) * n):
        prior = bases[i]
        d: dict[str, Any] = dict(prior) if isinstance(prior, dict) else {}
        for k, v in zip(keys, values, strict=True):
            if not is_missing(v):
                d[k] = v.item() if isinstance(v, np.generic) else v
        out.append(d or None)
    return out


def canonical_frame(kind: Kind, data: Mapping[str, Any], source: str, rows: Any) -> pd.DataFrame:
    """A canonical frame: the given canonical columns in schema order, then ``_source`` and ``_row``.

    Scalars in ``data`` are repeated over every row (``None`` leaves the column out); ids become text.

    >>> canonical_frame("events", {"user_id": [1], "item_id": ["a"], "type": "rating"}, "f.csv", [2])
      user_id item_id    type _source  _row
    0       1       a  rating   f.csv     2
    """
    rows = np.asarray(rows, dtype=np.int64)
    n = len(rows)
    out: dict[str, Any] = {}
    for col in KIND_COLUMNS[kind]:
        if col not in data:
            continue
        v = data[col]
        if v is None:
            continue
        if isinstance(v, str | int | float | bool):
            v = pd.Series([v] * n, dtype="str" if isinstance(v, str) else None)
        elif not isinstance(v, pd.Series):
            v = pd.Series(v, dtype=object if col in ("attributes", "context") else None)
        if len(v) != n:
            raise ValueError(f"column {col!r} has {len(v)} values for {n} rows")
        out[col] = as_text(v) if col in ID_COLUMNS else v.reset_index(drop=True)
    out["_source"] = pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[source])
    out["_row"] = rows
    return pd.DataFrame(out)


def concat_frames(frames: Sequence[pd.DataFrame | None]) -> pd.DataFrame | None:
    """Stack frames from several files (``None`` when there are none)."""
    present = [f for f in frames if f is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    out = pd.concat(present, ignore_index=True)
    out["_source"] = out["_source"].astype("category")
    return out


def last_per_id(frame: pd.DataFrame, id_col: str) -> pd.DataFrame:
    """One row per id, the last one seen (its ``_row`` says where it came from)."""
    last = frame.drop_duplicates(id_col, keep="last")
    return last.sort_values("_row", kind="stable").reset_index(drop=True)
