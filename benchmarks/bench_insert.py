"""Event insert throughput of a store (not collected by pytest; run by hand).

    python benchmarks/bench_insert.py 200000                       # SQLite in a temporary directory
    python benchmarks/bench_insert.py 200000 "postgresql://127.0.0.1:5432/test?schema=bench"

Appends N synthetic events without ids (so every row is content-hashed), appends them again (all
duplicates), then reads the log back.
"""

from __future__ import annotations

import sys
import tempfile
import time

import numpy as np
import pandas as pd

from shopmind.storage import open_store


def synthetic_events(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "event_id": [None] * n,
        "user_id": pd.Series(rng.integers(0, 20_000, n)).map("u{}".format).astype(object),
        "item_id": pd.Series(rng.integers(0, 50_000, n)).map("i{}".format).astype(object),
        "type": rng.choice(["view", "click", "add_to_cart", "purchase"], n).astype(object),
        "value": np.where(rng.random(n) < 0.1, rng.random(n) * 100, np.nan),
        "timestamp": pd.to_datetime(1_700_000_000 + np.arange(n) * 7, unit="s", utc=True),
        "session_id": None,
        "context": None,
    })


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    url = sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    events = synthetic_events(n)
    with open_store(url) as store:
        for label in ("append", "re-append"):
            t = time.perf_counter()
            counts = store.append_events(events)
            dt = time.perf_counter() - t
            print(f"{label:>10}: {counts} in {dt:.2f} s = {n / dt:,.0f} events/s")
        t = time.perf_counter()
        frame = store.events_frame()
        print(f"      read: {len(frame)} events in {time.perf_counter() - t:.2f} s  ({url})")


if __name__ == "__main__":
    main()
