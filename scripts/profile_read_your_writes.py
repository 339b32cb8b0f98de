"""Where the time of one read-your-writes probe goes, without HTTP: two workers (two services over one store,
each with its own Redis connection, as two ``serve`` processes have) in this process; a new shopper's view is
ingested by the writer, then the reader builds the shopper's next list. Each stage is timed (wall and the
calling thread's CPU), and the ALS fold-in a live session costs is timed on implicit's thread team against the
one-thread solve requests use.

    PYTHONPATH=src .venv/bin/python scripts/profile_read_your_writes.py --store /tmp/scale/bench.db \\
        --model /tmp/scale/models/als --state redis://127.0.0.1:6379/14 --out FILE.json

The store is copied first (the probes write events); the Redis database is flushed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import redis
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from shopmind.evaluation.serving.load import percentiles
from shopmind.models.base import Recommender
from shopmind.pipeline import RecommendationService
from shopmind.pipeline.state_redis import RedisOnlineState
from shopmind.settings import PipelineSettings
from shopmind.storage import open_store


class Stages:
    """Wall and thread-CPU milliseconds of the wrapped calls, per stage."""

    def __init__(self) -> None:
        self.wall: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            w0, c0 = time.perf_counter(), time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.wall.setdefault(name, []).append((time.perf_counter() - w0) * 1000.0)
                self.cpu.setdefault(name, []).append((time.thread_time() - c0) * 1000.0)
        return timed

    def report(self) -> dict[str, Any]:
        return {name: {"wall": percentiles(self.wall[name]), "cpu_p50_ms": round(float(np.median(self.cpu[name])), 3)}
                for name in self.wall}


def timed(fn: Callable[[], Any], n: int = 50) -> dict[str, float]:
    fn()
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000.0)
    return percentiles(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", required=True, help="SQLite file of the bench-serve shop (copied)")
    ap.add_argument("--model", required=True, help="ALS artifact of that shop")
    ap.add_argument("--state", default="redis://127.0.0.1:6379/14", help="Redis database (flushed)")
    ap.add_argument("--probes", type=int, default=100)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    threadpool_limits(limits=1)  # as `shopmind serve` runs (SHOPMIND_API_BLAS_THREADS=1)
    work = Path(tempfile.mkdtemp(prefix="ryw-profile-"))
    db = work / "store.db"
    shutil.copy(args.store, db)
    redis.Redis.from_url(args.state).flushdb()
    model = Recommender.load(args.model)
    services = []
    for name in ("writer", "reader"):
        service = RecommendationService.open(open_store(f"sqlite:///{db}"), model, config=PipelineSettings(),
                                             version="profile")
        service.share_state(RedisOnlineState(args.state, worker=name))
        services.append(service)
    writer, reader = services
    stages = Stages()
    writer.writer._import = stages.wrap("post: validate + store (ingest, SQLite)", writer.writer._import)  # type: ignore[method-assign]
    writer.state.apply_events = stages.wrap("post: live state + Redis (claim, MULTI)",  # type: ignore[method-assign]
                                            writer.state.apply_events)
    online = reader.state.sessions.online
    online.session = stages.wrap("read: shared session (one pipelined round trip)", online.session)  # type: ignore[method-assign]
    bundle = reader.versions.active
    assert bundle is not None
    bundle.recommend_live = stages.wrap("read: model fold-in + top-k", bundle.recommend_live)  # type: ignore[method-assign]
    items = [i.item_id for u in range(20) for i in reader.recommend(f"U{u:06d}").items]
    rng = np.random.default_rng(0)
    post, read, total, missed = [], [], [], 0
    load0 = os.getloadavg()
    for k in range(args.probes):
        user, item = f"ryw-profile-{k}", items[int(rng.integers(len(items)))]
        t0 = time.perf_counter()
        writer.ingest_events([{"user_id": user, "item_id": item, "type": "view"}])
        t1 = time.perf_counter()
        rec = reader.recommend(user, n=10)
        t2 = time.perf_counter()
        post.append((t1 - t0) * 1000.0)
        read.append((t2 - t1) * 1000.0)
        total.append((t2 - t0) * 1000.0)
        missed += rec.cold_start or item in [i.item_id for i in rec.items]
    rows = sp.csr_matrix((np.ones(1, np.float32), ([0], [3])), shape=(1, model.n_items_))
    conf = model._confidence(rows)  # type: ignore[attr-defined]
    trained = model.model_  # type: ignore[attr-defined]

    def old_fold_in() -> None:  # ALS._fold_in as it was before the request path ran on one thread
        with threadpool_limits(1, "blas"):
            trained.recalculate_user(np.arange(1), conf)
    result = {
        "command": "PYTHONPATH=src .venv/bin/python scripts/profile_read_your_writes.py " + " ".join(
            f"--{k} {v}" for k, v in vars(args).items()),
        "probes": args.probes, "not_reflected": int(missed), "load_average_before": [round(x, 1) for x in load0],
        "load_average_after": [round(x, 1) for x in os.getloadavg()], "cpus": os.cpu_count(),
        "post_ms": percentiles(post), "read_ms": percentiles(read), "probe_ms": percentiles(total),
        "stages": stages.report(),
        "fold_in_one_user_ms": {
            f"before: threadpoolctl BLAS limit + implicit's {trained.num_threads}-thread solve":
                timed(old_fold_in, 200),
            "of which the threadpoolctl limit (enter + exit)": timed(
                lambda: threadpool_limits(1, "blas").__exit__(None, None, None), 200),
            "now: the one-thread solve a request runs": timed(lambda: model._fold_in(rows), 200),  # type: ignore[attr-defined]
        },
    }
    for service in services:
        service.state.online.close()
        service.store.close()
    shutil.rmtree(work, ignore_errors=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
