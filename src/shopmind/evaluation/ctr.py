"""`shopmind ctr bench`: the rankers' AUC, log-loss and calibration on the latest slice of the log.

Rows are split in time order: train (oldest), validation (for early choices and calibration), test
(newest). Baselines in the same run: the positive rate of the training rows (a constant) and item
popularity (the smoothed click-through rate feature alone), so a ranker's lift is visible.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from shopmind import __version__
from shopmind.evaluation.provenance import git_commit
from shopmind.ranking.dataset import CTRDataset
from shopmind.ranking.features import DENSE
from shopmind.ranking.metrics import ctr_metrics
from shopmind.ranking.models import create_ranker


@dataclass
class RankerRun:
    name: str
    params: dict[str, Any]
    metrics: dict[str, float]
    train_seconds: float
    predict_us_per_row: float
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"model": self.name, "params": self.params,
                "metrics": {k: round(v, 6) for k, v in self.metrics.items()},
                "train_seconds": round(self.train_seconds, 3),
                "predict_us_per_row": round(self.predict_us_per_row, 3), **self.extra}


def run_ctr_bench(data: CTRDataset, models: list[str], params: dict[str, dict[str, Any]] | None = None,
                  valid: float = 0.1, test: float = 0.2) -> list[RankerRun]:
    """Train every ranker on the oldest rows and score the newest ``test`` share."""
    params = params or {}
    train, val, tst = data.split_by_time((1 - valid - test, valid))
    runs = [
        RankerRun("constant", {}, ctr_metrics(tst.label, np.full(len(tst), train.label.mean())), 0.0, 0.0),
        RankerRun("item_ctr", {}, ctr_metrics(tst.label, tst.dense[:, DENSE.index("smoothed_ctr")]), 0.0, 0.0),
    ]
    for name in models:
        model = create_ranker(name, **params.get(name, {}))
        t0 = time.perf_counter()
        model.fit(train, val)
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        p = model.predict_proba(tst.dense, tst.fields)
        us = (time.perf_counter() - t0) / max(1, len(tst)) * 1e6
        runs.append(RankerRun(name, model.get_params(), ctr_metrics(tst.label, p), fit_s, us))
    return runs


def bench_payload(data: CTRDataset, runs: list[RankerRun], source: str) -> dict[str, Any]:
    return {"data": source, "dataset": data.describe(), "split": "time: 70% train / 10% valid / 20% test",
            "runs": [r.as_dict() for r in runs], "shopmind_version": __version__, "commit": git_commit()}
