"""A digest of every list a fixed sequence of requests and events gets, to show a change leaves what is
recommended alone: run it under each source tree and compare the printed digests. Seeded generator and
``refresh_seconds=0`` (no refresh depends on the clock); the store is a fresh copy of the shop's each run.

    PYTHONPATH=/work/main/src .venv/bin/python scripts/same_recommendations.py --shop /tmp/wk-scale --mode redis
    PYTHONPATH=src .venv/bin/python scripts/same_recommendations.py --shop /tmp/wk-scale --mode redis

``--mode redis`` shares the state through ``--state`` (flushed); ``embedded`` shares nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import tempfile
from pathlib import Path

import numpy as np
import redis
from threadpoolctl import threadpool_limits

from shopmind.models.base import Recommender
from shopmind.pipeline import RecommendationService
from shopmind.pipeline.rules import RerankOptions
from shopmind.pipeline.state_redis import RedisOnlineState
from shopmind.settings import PipelineSettings
from shopmind.storage import open_store


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shop", required=True, type=Path, help="a bench-serve work directory")
    ap.add_argument("--mode", choices=("embedded", "redis"), default="embedded")
    ap.add_argument("--state", default="redis://127.0.0.1:6379/13")
    args = ap.parse_args()
    threadpool_limits(limits=1)
    work = Path(tempfile.mkdtemp(prefix="same-recs-"))
    db = work / "copy.db"
    src, dst = sqlite3.connect(args.shop / "bench.db"), sqlite3.connect(db)
    src.backup(dst)
    dst.close()
    src.close()
    service = RecommendationService.open(open_store(f"sqlite:///{db}"), Recommender.load(args.shop / "models/als"),
                                         config=PipelineSettings(seed=0, refresh_seconds=0.0), version="ab")
    if args.mode == "redis":
        redis.Redis.from_url(args.state).flushdb()
        service.share_state(RedisOnlineState(args.state, max_recent=50))
    rng = np.random.default_rng(1)
    items = [service.state.catalog.raw(i) for i in range(200)]
    digest = hashlib.sha256()
    users = [f"U{u:06d}" for u in rng.choice(4000, 1500)] + ["NEW1", "NEW2"]
    for step, user in enumerate(users * 2):
        if step % 7 == 0:
            who = users[int(rng.integers(len(users)))]
            kind = rng.choice(["view", "add_to_cart", "purchase", "dislike"], p=[0.6, 0.2, 0.1, 0.1])
            service.ingest_events([{"event_id": f"e{step}", "user_id": who, "item_id": items[int(rng.integers(200))],
                                    "type": str(kind), "timestamp": "2026-12-06T20:00:00Z"}])
        options = None
        if step % 11 == 0:
            options = RerankOptions(filter_seen=True, context={"item_id": items[int(rng.integers(200))]})
        rec = service.recommend(user, n=10 if step % 5 else 20, offset=step % 3, options=options)
        row = [rec.user_id, rec.model_version, rec.cold_start] + [
            (i.item_id, i.score, i.source, i.reason, i.position, i.because_item_id) for i in rec.items]
        digest.update(json.dumps(row).encode())
    print(args.mode, len(users) * 2, "lists", digest.hexdigest()[:16])


if __name__ == "__main__":
    main()
