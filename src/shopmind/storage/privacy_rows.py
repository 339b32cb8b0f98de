"""Rows of the privacy ledger (:class:`shopmind.storage.base.PrivacyLedger`), shared by the backends."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import pandas as pd

from shopmind.storage.base import PRIVACY_SPEND_COLUMNS

#: Rounding slack when adding decimal epsilons (0.1 + 0.2 must fit a budget of 0.3).
SLACK = 1e-9


def now_us() -> int:
    """The wall clock as integer microseconds since the epoch (UTC)."""
    return time.time_ns() // 1000


def privacy_fits(spent: float, epsilon: float, budget: float) -> bool:
    """Whether spending ``epsilon`` on top of ``spent`` stays within ``budget``.

    >>> privacy_fits(0.1, 0.2, 0.3), privacy_fits(0.5, 0.6, 1.0)
    (True, False)
    """
    return spent + float(epsilon) <= float(budget) + SLACK


def privacy_frame(rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """``PRIVACY_SPEND_COLUMNS`` + ``seq`` from ``(seq, period, query, epsilon, ts_us)`` rows."""
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["seq", "period", "query", "epsilon", "ts_us"])
    frame["seq"] = frame["seq"].astype("int64")
    frame["epsilon"] = frame["epsilon"].astype("float64")
    frame["timestamp"] = pd.to_datetime(frame["ts_us"].astype("int64"), unit="us", utc=True)
    return frame[[*PRIVACY_SPEND_COLUMNS, "seq"]]
