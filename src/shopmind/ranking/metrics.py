"""How well a ranker's probabilities rank and are calibrated: AUC, log-loss, expected calibration error.

>>> import numpy as np
>>> round(ctr_metrics(np.array([0, 1, 0, 1]), np.array([0.1, 0.9, 0.2, 0.8]))["auc"], 3)
1.0
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import log_loss, roc_auc_score

from shopmind.ranking.dataset import CTRDataset
from shopmind.ranking.models import Ranker, create_ranker


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
    """AUC (NaN with one class only), log-loss, ECE, mean prediction and observed rate."""
    p = np.clip(p, 1e-6, 1 - 1e-6)
    auc = float(roc_auc_score(y, p)) if 0 < y.mean() < 1 else float("nan")
    return {"auc": auc, "logloss": float(log_loss(y, p, labels=[0, 1])),
            "ece": expected_calibration_error(y, p), "mean_p": float(p.mean()), "rate": float(y.mean())}


def fit_for_serving(ds: CTRDataset, name: str, params: dict[str, Any] | None = None
                    ) -> tuple[Ranker, dict[str, float]]:
    """A ranker trained on all of ``ds`` but its newest 10%, which calibrates it (what ``shopmind ctr train``
    and ``shopmind bench-serve`` serve); returns it with its metrics on that newest slice."""
    fit_rows, cal_rows = ds.split_by_time((0.9,))
    ranker = create_ranker(name, **(params or {})).fit(fit_rows, cal_rows)
    return ranker, ctr_metrics(cal_rows.label, ranker.predict_proba(cal_rows.dense, cal_rows.fields))
