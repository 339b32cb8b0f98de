"""Batch scoring: the top-``n`` items of every user a trained model knows, into one Parquet file.

``shopmind recommend --all-users --out recs.parquet [--executor ray]``. The users (every user of the store
the model was trained on, in the artifact's order) are cut into shards of ``shard_size``; each shard is one
piece of work for an executor (:mod:`shopmind.training.executor`): in this process one after another, or as
Ray tasks side by side. A worker loads the artifact once and keeps it for its later shards. Shards are
written in order as they arrive, so the file is the same whichever executor produced it.

The file has one row per (user, rank): ``user`` (raw id), ``rank`` (1 = best), ``item`` (raw id) and
``score``; a user with fewer than ``n`` items left to recommend has fewer rows.

>>> shards(5, 2)
[(0, 2), (2, 4), (4, 5)]
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from shopmind.errors import check_int
from shopmind.models import Recommender
from shopmind.models.base import read_artifact_meta
from shopmind.training.executor import Executor, SerialExecutor

log = logging.getLogger(__name__)

SCHEMA = pa.schema([("user", pa.string()), ("rank", pa.int16()), ("item", pa.string()), ("score", pa.float32())])

#: Artifacts a worker process has loaded: path -> (meta.json mtime, model).
_loaded: dict[str, tuple[float, Recommender]] = {}


@dataclass
class BatchScoringResult:
    """What a batch scoring run did (``as_dict`` is the JSON the CLI prints and writes)."""

    users: int
    rows: int
    shards: int
    seconds: float
    out: Path
    executor: dict[str, Any] = field(default_factory=dict)

    @property
    def users_per_second(self) -> float:
        return self.users / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"users": self.users, "rows": self.rows, "shards": self.shards, "seconds": round(self.seconds, 3),
                "users_per_second": round(self.users_per_second, 1), "out": str(self.out), "executor": self.executor}


def shards(n_users: int, shard_size: int) -> list[tuple[int, int]]:
    """``[start, stop)`` dense user ranges of at most ``shard_size`` users."""
    return [(a, min(a + shard_size, n_users)) for a in range(0, n_users, shard_size)]


def _model(path: str) -> Recommender:
    """The artifact at ``path``, loaded once per process (again when it was rewritten)."""
    mtime = (Path(path) / "meta.json").stat().st_mtime
    hit = _loaded.get(path)
    if hit is None or hit[0] != mtime:
        _loaded[path] = (mtime, Recommender.load(path))
    return _loaded[path][1]


def score_shard(common: tuple[str, int], span: tuple[int, int]) -> pa.Table:
    """The recommendation rows of the users ``span`` (dense indices): the unit an executor runs."""
    path, n = common
    model = _model(path)
    users = np.arange(span[0], span[1], dtype=np.int64)
    ids, scores = model.recommend(users, N=n)
    ids, scores = np.atleast_2d(ids), np.atleast_2d(scores)
    keep = ids >= 0
    rows, cols = np.nonzero(keep)
    raw_users = np.asarray(model.users_.raws(users[rows]), dtype=object)
    raw_items = np.asarray(model.items_.raws(ids[keep]), dtype=object)
    return pa.table({"user": pa.array(raw_users, pa.string()), "rank": pa.array(cols + 1, pa.int16()),
                     "item": pa.array(raw_items, pa.string()), "score": pa.array(scores[keep], pa.float32())},
                    schema=SCHEMA)


def score_all_users(model_path: Path, out: Path, n: int = 10, shard_size: int = 2000,
                    executor: Executor | None = None,
                    on_shard: Callable[[int, int], None] | None = None) -> BatchScoringResult:
    """Write the top-``n`` of every user of the model at ``model_path`` to the Parquet file ``out``.

    ``on_shard(users_done, users_total)`` is called as each shard is written (progress)."""
    check_int("score_all_users", "n", n, low=1)
    check_int("score_all_users", "shard_size", shard_size, low=1)
    meta = read_artifact_meta(model_path)
    n_users = len(meta["users"])
    spans = shards(n_users, shard_size)
    executor = executor or SerialExecutor()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    ready: dict[int, pa.Table] = {}
    written = {"next": 0, "users": 0, "rows": 0}
    t0 = time.perf_counter()
    with pq.ParquetWriter(tmp, SCHEMA) as writer:

        def arrived(i: int, table: pa.Table) -> None:
            ready[i] = table
            while written["next"] in ready:  # in shard order, whatever order they finish in
                j = written["next"]
                part = ready.pop(j)
                writer.write_table(part)
                written["next"] += 1
                written["users"] += spans[j][1] - spans[j][0]
                written["rows"] += part.num_rows
                if on_shard:
                    on_shard(written["users"], n_users)

        executor.map(score_shard, spans, common=(str(model_path), n), on_result=arrived, collect=False)
    tmp.replace(out)
    seconds = time.perf_counter() - t0
    result = BatchScoringResult(n_users, written["rows"], len(spans), seconds, out, executor.describe())
    log.info("scored %d users in %d shards in %.1fs (%.0f users/s) -> %s", n_users, len(spans), seconds,
             result.users_per_second, out)
    return result
