"""Offline evaluation of the rankers: AUC, log-loss and calibration on the latest slice of the log.

Rows are split in time order: train (oldest), validation (for early choices and calibration), test
(newest). Baselines in the same run: the positive rate of the training rows (a constant) and item
popularity (the smoothed click-through rate feature alone), so a ranker's lift is visible.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from shopmind.ranking.dataset import CTRDataset
from shopmind.ranking.features import DENSE
from shopmind.ranking.models import create_ranker


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Mean |observed rate - mean prediction| over equal-count bins, weighted by bin size."""
    if len(y) == 0:
        return float("nan")
    order = np.argsort(p, kind="stable")
    total = 0.0
    for chunk in np.array_split(order, bins):
        if len(chunk):
            total += len(chunk) * abs(float(y[chunk].mean()) - float(p[chunk].mean()))
    return total / len(y)


def ctr_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import log_loss, roc_auc_score

    p = np.clip(p, 1e-6, 1 - 1e-6)
    auc = float(roc_auc_score(y, p)) if 0 < y.mean() < 1 else float("nan")
    return {"auc": auc, "logloss": float(log_loss(y, p, labels=[0, 1])),
            "ece": expected_calibration_error(y, p), "mean_p": float(p.mean()), "rate": float(y.mean())}


def fit_for_serving(ds: CTRDataset, name: str, params: dict[str, Any] | None = None
                    ) -> tuple[Any, dict[str, float]]:
    """A ranker trained on all of ``ds`` but its newest 10%, which calibrates it (what ``shopmind ctr train``
    and ``shopmind bench-serve`` serve); returns it with its metrics on that newest slice."""
    fit_rows, cal_rows = ds.split_by_time((0.9,))
    ranker = create_ranker(name, **(params or {})).fit(fit_rows, cal_rows)
    return ranker, ctr_metrics(cal_rows.label, ranker.predict_proba(cal_rows.dense, cal_rows.fields))


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
    from shopmind import __version__
    from shopmind.bench import _git_commit

    return {"data": source, "dataset": data.describe(), "split": "time: 70% train / 10% valid / 20% test",
            "runs": [r.as_dict() for r in runs], "shopmind_version": __version__, "commit": _git_commit()}
