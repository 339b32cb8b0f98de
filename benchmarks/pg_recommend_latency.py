"""Recommendation latency against a large store (not collected by pytest; run by hand).

    python benchmarks/pg_recommend_latency.py STORE_URL MODEL_DIR [--users 1000] [--seed 0] [--out FILE.json]

For each of ``--users`` shoppers drawn at random among those with events (seeded), one request as a
serving worker without an in-memory copy of the event log answers it: read the shopper's stored history
from the store (``events_frame(user_ids=[u])``: on PostgreSQL the ``(user_id, ts)`` index of every
monthly partition), leave the items seen there out, and take the model's top 10 (``recommend`` with
``filter_items``). Reports p50/p95/p99/max of the store read, the model and the whole request, in ms,
with the load average of the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from pathlib import Path

import numpy as np

from shopmind.models import Recommender
from shopmind.storage import open_store


def _quantiles(ms: list[float]) -> dict[str, float]:
    a = np.asarray(ms)
    return {"p50": round(float(np.percentile(a, 50)), 3), "p95": round(float(np.percentile(a, 95)), 3),
            "p99": round(float(np.percentile(a, 99)), 3), "max": round(float(a.max()), 3),
            "mean": round(float(a.mean()), 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("store")
    ap.add_argument("model", type=Path)
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    t0 = time.perf_counter()
    model = Recommender.load(args.model)
    load_s = time.perf_counter() - t0
    active = np.flatnonzero(np.diff(model.user_items_.indptr) > 0) if hasattr(model, "user_items_") \
        else np.arange(model.n_users_)
    rng = np.random.default_rng(args.seed)
    sample = rng.choice(active, size=min(args.users, len(active)), replace=False)
    store_ms, model_ms, total_ms, history = [], [], [], []
    with open_store(args.store) as store:
        for u in sample.tolist():
            raw = model.users_.raw(u)
            t0 = time.perf_counter()
            events = store.events_frame(user_ids=[raw])
            t1 = time.perf_counter()
            seen = model.items_.indices(events["item_id"].dropna().unique(), missing="skip")
            ids, _ = model.recommend(u, N=10, filter_seen=False, filter_items=seen[seen >= 0])
            t2 = time.perf_counter()
            if (ids < 0).any():
                raise SystemExit(f"fewer than 10 items for user {raw!r}")
            store_ms.append((t1 - t0) * 1000)
            model_ms.append((t2 - t1) * 1000)
            total_ms.append((t2 - t0) * 1000)
            history.append(len(events))
        counts = store.counts()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    payload = {
        "what": "per-request latency: the shopper's history read from the store + the model's top 10",
        "store": args.store.split("@")[-1], "store_counts": counts, "model": str(args.model),
        "model_class": type(model).__name__, "model_params": model.get_params(),
        "model_load_s": round(load_s, 3), "requests": len(sample), "seed": args.seed,
        "history_events": {"mean": round(float(np.mean(history)), 2), "max": int(np.max(history))},
        "store_read_ms": _quantiles(store_ms), "model_ms": _quantiles(model_ms), "total_ms": _quantiles(total_ms),
        "load_average": list(os.getloadavg()), "commit": commit,
    }
    text = json.dumps(payload, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
