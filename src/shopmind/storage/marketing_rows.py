"""Rows of the experiment and bandit tables, shared by every SQL backend (as :mod:`records` is for events).

- experiment and bandit definitions are JSON documents keyed by their id;
- an exposure row is ``EXPOSURE_COLUMNS``: who saw which variant of which experiment, when, through which
  recommendation and model version, with the probability of that variant (for off-policy evaluation);
- a bandit decision row is ``DECISION_COLUMNS``: which arm a bandit chose for whom, with the chosen arm's
  propensity, the context it saw, and the reward once it is known;
- a delivery row is ``DELIVERY_COLUMNS``: what a campaign delivered to whom (item ids as a JSON list), and a
  redemption row is ``REDEMPTION_COLUMNS``: an accepted coupon redemption.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from shopmind.errors import StoreError
from shopmind.storage import records as rec
from shopmind.storage.base import (
    DECISION_COLUMNS,
    DELIVERY_COLUMNS,
    EXPOSURE_COLUMNS,
    REDEMPTION_COLUMNS,
    Records,
)

#: Required columns of each kind of row.
REQUIRED = {"exposure": ("experiment_id", "variant", "user_id", "timestamp"),
            "decision": ("decision_id", "bandit_id", "user_id", "arm", "propensity", "timestamp"),
            "delivery": ("delivery_id", "campaign_id", "user_id", "variant", "propensity", "timestamp"),
            "redemption": ("code", "campaign_id", "user_id", "discount", "timestamp")}


def document_json(doc: Mapping[str, Any], key: str, what: str) -> tuple[str, str]:
    """``(id, compact JSON)`` of an experiment or bandit document; NaN and infinities are refused."""
    if not isinstance(doc, Mapping):
        raise StoreError(f"a {what} must be a dict, got {type(doc).__name__}")
    ident = doc.get(key)
    if not isinstance(ident, str) or not ident:
        raise StoreError(f"a {what} needs a {key!r} (a non-empty string); got keys {sorted(doc)}")
    try:
        text = json.dumps(dict(doc), ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=str)
    except ValueError as exc:
        raise StoreError(f"a {what} holds a value that is not JSON (NaN or infinity?): {exc}") from None
    return ident, text


def _frame(records: Records, columns: Sequence[str], kind: str) -> pd.DataFrame:
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
    missing = [c for c in REQUIRED[kind] if c not in df.columns]
    if missing and len(df):
        raise StoreError(f"{kind} records have no {missing} column(s); got columns {list(df.columns)}")
    return df.reindex(columns=list(columns)).reset_index(drop=True)


def _propensities(s: pd.Series, column: str, required: bool) -> list[float | None]:
    values = rec.float_list(s, column)
    for v in values:
        if v is None and required:
            raise StoreError(f"column {column!r} must hold a probability in (0, 1] on every row")
        if v is not None and not 0.0 < v <= 1.0:
            raise StoreError(f"column {column!r} must hold probabilities in (0, 1]; got {v!r}")
    return values


def transpose(rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    """Rows transposed into ``width`` column lists (None stays None)."""
    if not rows:
        return [[] for _ in range(width)]
    return [list(c) for c in zip(*rows, strict=True)]


def encode_exposures(records: Records) -> list[tuple[Any, ...]]:
    """Exposure rows in ``EXPOSURE_COLUMNS`` order (times in epoch microseconds)."""
    df = _frame(records, EXPOSURE_COLUMNS, "exposure")
    cols: dict[str, list[Any]] = {}
    for col in EXPOSURE_COLUMNS:
        if col == "timestamp":
            cols[col] = rec.micros_list(df[col], col)
        elif col == "propensity":
            cols[col] = _propensities(df[col], col, required=False)
        else:
            cols[col] = rec.str_list(df[col])
    return list(zip(*(cols[c] for c in EXPOSURE_COLUMNS), strict=True))


def decode_exposures(rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """The exposure frame (``EXPOSURE_COLUMNS`` + ``seq``) from rows selected as ``seq`` + those columns."""
    seq, *data = transpose(rows, 1 + len(EXPOSURE_COLUMNS))
    out = pd.DataFrame(index=pd.RangeIndex(len(rows)))
    for col, values in zip(EXPOSURE_COLUMNS, data, strict=True):
        if col == "timestamp":
            out[col] = rec.decode_micros(values)
        elif col == "propensity":
            out[col] = pd.Series(values, index=out.index, dtype="float64")
        else:
            out[col] = pd.Series(values, index=out.index, dtype=object)
    out["seq"] = pd.Series(seq, index=out.index, dtype="int64")
    return out


def encode_decisions(records: Records) -> list[tuple[Any, ...]]:
    """Decision rows in ``DECISION_COLUMNS`` order (context as JSON text, times in epoch microseconds)."""
    df = _frame(records, DECISION_COLUMNS, "decision")
    cols: dict[str, list[Any]] = {}
    for col in DECISION_COLUMNS:
        if col == "timestamp":
            cols[col] = rec.micros_list(df[col], col)
        elif col == "propensity":
            cols[col] = _propensities(df[col], col, required=True)
        elif col == "reward":
            cols[col] = rec.float_list(df[col], col)
        elif col == "context":
            cols[col] = rec.json_list(df[col], col)
        else:
            cols[col] = rec.str_list(df[col])
    ids = cols["decision_id"]
    if any(i is None for i in ids):
        raise StoreError("every decision needs a 'decision_id'")
    return list(zip(*(cols[c] for c in DECISION_COLUMNS), strict=True))


def decode_decisions(rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """The decision frame (``DECISION_COLUMNS`` + ``seq``) from rows selected as ``seq`` + those columns."""
    seq, *data = transpose(rows, 1 + len(DECISION_COLUMNS))
    out = pd.DataFrame(index=pd.RangeIndex(len(rows)))
    for col, values in zip(DECISION_COLUMNS, data, strict=True):
        if col == "timestamp":
            out[col] = rec.decode_micros(values)
        elif col in ("propensity", "reward"):
            out[col] = pd.Series([np.nan if v is None else v for v in values], index=out.index, dtype="float64")
        elif col == "context":
            out[col] = pd.Series(rec.decode_json(values), index=out.index, dtype=object)
        else:
            out[col] = pd.Series(values, index=out.index, dtype=object)
    out["seq"] = pd.Series(seq, index=out.index, dtype="int64")
    return out


def increments(bandit_id: str, deltas: Iterable[tuple[str, str, float]]) -> list[tuple[str, str, str, float]]:
    """``(bandit_id, arm, stat, delta)`` rows, equal keys summed; deltas must be finite numbers."""
    out: dict[tuple[str, str], float] = {}
    for arm, stat, delta in deltas:
        value = float(delta)
        if not math.isfinite(value):
            raise StoreError(f"bandit {bandit_id!r}: the increment of {arm}/{stat} is {delta!r}, not a finite number")
        key = (str(arm), str(stat))
        out[key] = out.get(key, 0.0) + value
    return [(str(bandit_id), arm, stat, v) for (arm, stat), v in out.items()]


def stats_dict(rows: Sequence[Sequence[Any]]) -> dict[str, dict[str, float]]:
    """``arm -> stat -> value`` from ``(arm, stat, value)`` rows."""
    out: dict[str, dict[str, float]] = {}
    for arm, stat, value in rows:
        out.setdefault(str(arm), {})[str(stat)] = float(value)
    return out


def first_row(frame: pd.DataFrame) -> dict[str, Any] | None:
    """The first row of a decoded decision or exposure frame as a plain dict (NaN as None), or None."""
    if frame.empty:
        return None
    out: dict[str, Any] = {}
    for k, v in frame.iloc[0].to_dict().items():
        if k == "seq":
            continue
        if isinstance(v, pd.Timestamp):
            out[k] = v
        elif isinstance(v, float | np.floating) and math.isnan(v):
            out[k] = None
        elif isinstance(v, np.generic):
            out[k] = v.item()
        else:
            out[k] = v
    return out


def _id_list(s: pd.Series, column: str) -> list[str | None]:
    out: list[str | None] = []
    for v in s.tolist():
        if v is None or (isinstance(v, float) and math.isnan(v)):
            out.append(None)
        elif isinstance(v, str):
            out.append(json.dumps([v]))
        elif isinstance(v, list | tuple | np.ndarray):
            out.append(json.dumps([str(x) for x in v], ensure_ascii=False))
        else:
            raise StoreError(f"column {column!r} must hold lists of ids, got {type(v).__name__}")
    return out


def encode_deliveries(records: Records) -> list[tuple[Any, ...]]:
    """Delivery rows in ``DELIVERY_COLUMNS`` order (item ids as JSON text, times in epoch microseconds)."""
    df = _frame(records, DELIVERY_COLUMNS, "delivery")
    cols: dict[str, list[Any]] = {}
    for col in DELIVERY_COLUMNS:
        if col == "timestamp":
            cols[col] = rec.micros_list(df[col], col)
        elif col == "propensity":
            cols[col] = _propensities(df[col], col, required=True)
        elif col == "item_ids":
            cols[col] = _id_list(df[col], col)
        else:
            cols[col] = rec.str_list(df[col])
    for key in ("delivery_id", "campaign_id", "user_id", "variant"):
        if any(not v for v in cols[key]):
            raise StoreError(f"every delivery needs a non-empty {key!r}")
    cols["coupon_code"] = [c or None for c in cols["coupon_code"]]
    return list(zip(*(cols[c] for c in DELIVERY_COLUMNS), strict=True))


def decode_deliveries(rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """The delivery frame (``DELIVERY_COLUMNS`` + ``seq``) from rows selected as ``seq`` + those columns."""
    seq, *data = transpose(rows, 1 + len(DELIVERY_COLUMNS))
    out = pd.DataFrame(index=pd.RangeIndex(len(rows)))
    for col, values in zip(DELIVERY_COLUMNS, data, strict=True):
        if col == "timestamp":
            out[col] = rec.decode_micros(values)
        elif col == "propensity":
            out[col] = pd.Series(values, index=out.index, dtype="float64")
        elif col == "item_ids":
            out[col] = pd.Series([json.loads(v) if v else [] for v in values], index=out.index, dtype=object)
        else:
            out[col] = pd.Series(values, index=out.index, dtype=object)
    out["seq"] = pd.Series(seq, index=out.index, dtype="int64")
    return out


def encode_redemption(redemption: Mapping[str, Any]) -> tuple[Any, ...]:
    """One redemption row in ``REDEMPTION_COLUMNS`` order; the discount must be a finite number >= 0."""
    (row,) = list(zip(*(c for c in _redemption_columns(redemption)), strict=True))
    return row


def _redemption_columns(redemption: Mapping[str, Any]) -> list[list[Any]]:
    if not isinstance(redemption, Mapping):
        raise StoreError(f"a redemption must be a dict, got {type(redemption).__name__}")
    df = _frame([redemption], REDEMPTION_COLUMNS, "redemption")
    cols: list[list[Any]] = []
    for col in REDEMPTION_COLUMNS:
        if col == "timestamp":
            cols.append(rec.micros_list(df[col], col))
        elif col in ("spend", "discount"):
            values = rec.float_list(df[col], col)
            if col == "discount" and (values[0] is None or values[0] < 0):
                raise StoreError(f"a redemption's discount must be a number >= 0, got {values[0]!r}")
            cols.append(values)
        else:
            cols.append(rec.str_list(df[col]))
    if any(not cols[i][0] for i in (0, 1, 2)):
        raise StoreError("a redemption needs a non-empty 'code', 'campaign_id' and 'user_id'")
    return cols


def decode_redemptions(rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """The redemption frame (``REDEMPTION_COLUMNS`` + ``seq``)."""
    seq, *data = transpose(rows, 1 + len(REDEMPTION_COLUMNS))
    out = pd.DataFrame(index=pd.RangeIndex(len(rows)))
    for col, values in zip(REDEMPTION_COLUMNS, data, strict=True):
        if col == "timestamp":
            out[col] = rec.decode_micros(values)
        elif col in ("spend", "discount"):
            out[col] = pd.Series([np.nan if v is None else v for v in values], index=out.index, dtype="float64")
        else:
            out[col] = pd.Series(values, index=out.index, dtype=object)
    out["seq"] = pd.Series(seq, index=out.index, dtype="int64")
    return out


def refusal(used: bool, spent: float, discount: float, budget: float | None, user_count: int,
            per_user_cap: int | None) -> str | None:
    """Why a redemption is refused by the store's checks (see :meth:`CampaignStore.redeem_coupon`), or None."""
    if used:
        return "code_used"
    if budget is not None and spent + discount > float(budget) + 1e-9:
        return "budget_spent"
    if per_user_cap is not None and user_count >= int(per_user_cap):
        return "user_cap"
    return None
