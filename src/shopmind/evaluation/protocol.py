"""Full-ranking evaluation: every model ranks ALL catalog items for every test user.

No sampled negatives. Items in the user's history (the interactions the model was fitted on) are
excluded when ``exclude_seen`` is set; a target that is itself in the history therefore counts as a miss.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from shopmind.data.interactions import Interactions
from shopmind.evaluation import metrics as M
from shopmind.models.base import Recommender, mask_seen, top_k

PER_USER_METRICS = {
    "hr": M.hit_rate, "ndcg": M.ndcg, "mrr": M.mrr, "recall": M.recall, "precision": M.precision,
    "map": M.average_precision,
}


@dataclass
class EvalResult:
    """Per-user metric vectors (for intervals and paired tests), top-K lists and aggregates."""

    users: np.ndarray
    topk: np.ndarray
    targets: list[np.ndarray]
    per_user: dict[str, np.ndarray]
    metrics: dict[str, float]
    eval_seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def targets_by_user(targets: Interactions) -> tuple[np.ndarray, list[np.ndarray]]:
    """Users that have targets, and each one's target items."""
    p = targets.indptr
    users = np.flatnonzero(np.diff(p) > 0)
    return users, [targets.item[p[u]:p[u + 1]] for u in users]


def rank_all(model: Recommender, history: Interactions, users: np.ndarray, k: int,
             exclude_seen: bool = True, batch_size: int = 512) -> np.ndarray:
    """Top-``k`` item ids for each user over the whole catalog, history excluded."""
    seen = history.to_csr(weighted=False) if exclude_seen else None
    out = np.empty((len(users), k), dtype=np.int64)
    for start in range(0, len(users), batch_size):
        ub = users[start:start + batch_size]
        scores = np.array(model.score(ub), dtype=np.float32, copy=True)
        if seen is not None:
            mask_seen(scores, seen, ub)
        out[start:start + len(ub)] = top_k(scores, k)[0]
    return out


def evaluate(model: Recommender, history: Interactions, targets: Interactions, ks: tuple[int, ...] = (10,),
             exclude_seen: bool = True, batch_size: int = 512) -> EvalResult:
    """Rank all items for each user with targets and compute metrics at each ``k``.

    ``history`` must be what the model was fitted on (its rows are masked when ``exclude_seen``).
    """
    import time

    t0 = time.perf_counter()
    users, tgts = targets_by_user(targets)
    kmax = max(ks)
    topk = rank_all(model, history, users, kmax, exclude_seen=exclude_seen, batch_size=batch_size)
    per_user: dict[str, np.ndarray] = {}
    metrics: dict[str, float] = {}
    item_pop = np.bincount(history.item, minlength=history.n_items)
    for k in ks:
        for name, fn in PER_USER_METRICS.items():
            v = fn(topk, tgts, k)
            per_user[f"{name}@{k}"] = v
            metrics[f"{name}@{k}"] = float(v.mean()) if len(v) else 0.0
        metrics[f"coverage@{k}"] = M.item_coverage(topk, history.n_items, k)
        metrics[f"gini@{k}"] = M.exposure_gini(topk, history.n_items, k)
        nov = M.novelty(topk, item_pop, max(1, int((history.user_counts() > 0).sum())), k)
        per_user[f"novelty@{k}"] = nov
        metrics[f"novelty@{k}"] = float(nov.mean()) if len(nov) else 0.0
    return EvalResult(users, topk, tgts, per_user, metrics, time.perf_counter() - t0)
