"""Cold-start protocols: items and users that training never saw.

- :func:`cold_item_split` holds out a random ``fraction`` of the items (with interactions) with *all* their
  interactions; models train on the rest and, for every user who interacted with held-out items, rank the
  held-out items only (the question "which of the new items will this user want?").
- :func:`cold_user_split` holds out a random ``fraction`` of the users; each reveals their first 1, 3, 5, ...
  events (no retraining: ``score_history`` folds them in) and the later items are the targets - how fast
  the recommendations sharpen with each event of a new shopper.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from shopmind.data.interactions import Interactions
from shopmind.errors import check_float, check_int
from shopmind.training import metrics as M
from shopmind.training.scores import Scorer, top_k
from shopmind.training.splits import targets_by_user


@dataclass
class ColdItemSplit:
    train: Interactions
    test: Interactions
    cold_items: np.ndarray

    def describe(self) -> dict[str, int]:
        users, _ = targets_by_user(self.test)
        return {"train_interactions": len(self.train), "test_interactions": len(self.test),
                "cold_items": len(self.cold_items), "test_users": len(users)}


def cold_item_split(data: Interactions, fraction: float = 0.2, seed: int = 0) -> ColdItemSplit:
    check_float("cold_item_split", "fraction", fraction, low=0.0, high=0.9, low_open=True)
    rng = np.random.default_rng(seed)
    active = np.flatnonzero(data.item_counts() > 0)
    cold = np.sort(rng.choice(active, max(1, round(fraction * len(active))), replace=False))
    is_cold = np.isin(data.item, cold)
    return ColdItemSplit(data.take(~is_cold), data.take(is_cold), cold)


def evaluate_cold_items(model: Scorer, split: ColdItemSplit, k: int = 10,
                        batch_size: int = 512) -> dict[str, float]:
    """Rank the cold items for each test user; HR / NDCG / recall @k over all their cold targets."""
    check_int("evaluate_cold_items", "k", k, low=1)
    users, tgts = targets_by_user(split.test)
    cold = split.cold_items
    topk = np.empty((len(users), min(k, len(cold))), dtype=np.int64)
    for s in range(0, len(users), batch_size):
        scores = model.score(users[s:s + batch_size])[:, cold]
        ids, _ = top_k(np.asarray(scores, dtype=np.float32), min(k, len(cold)))
        topk[s:s + batch_size] = cold[ids]
    return {f"hr@{k}": float(M.hit_rate(topk, tgts, k).mean()), f"ndcg@{k}": float(M.ndcg(topk, tgts, k).mean()),
            f"recall@{k}": float(M.recall(topk, tgts, k).mean()), "users": float(len(users))}


@dataclass
class ColdUserSplit:
    """Held-out users: ``revealed`` rows ``[n_cold, n_items]`` (their first events, weight 1) and their later
    items as targets; ``train`` holds everybody else."""

    train: Interactions
    users: np.ndarray
    revealed: list[np.ndarray]
    targets: list[np.ndarray]

    def revealed_rows(self, n: int) -> sp.csr_matrix:
        """The first ``n`` revealed items of each cold user as a CSR of weights."""
        rows, cols = [], []
        for r, items in enumerate(self.revealed):
            take = items[:n]
            rows.extend([r] * len(take))
            cols.extend(take.tolist())
        return sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)),
                             shape=(len(self.revealed), self.train.n_items))


def cold_user_split(data: Interactions, fraction: float = 0.2, max_reveal: int = 5, seed: int = 0) -> ColdUserSplit:
    """Hold out a random ``fraction`` of the users with more than ``max_reveal`` interactions: their first
    ``max_reveal`` items (time order, distinct) can be revealed, the items after them are the targets."""
    check_float("cold_user_split", "fraction", fraction, low=0.0, high=0.9, low_open=True)
    check_int("cold_user_split", "max_reveal", max_reveal, low=1)
    rng = np.random.default_rng(seed)
    p = data.indptr
    eligible = np.flatnonzero(np.diff(p) > max_reveal)
    users = np.sort(rng.choice(eligible, max(1, round(fraction * len(eligible))), replace=False))
    revealed, targets = [], []
    for u in users:
        seq = data.item[p[u]:p[u + 1]]
        _, first = np.unique(seq, return_index=True)
        distinct = seq[np.sort(first)]
        revealed.append(distinct[:max_reveal].astype(np.int64))
        targets.append(np.setdiff1d(distinct[max_reveal:], distinct[:max_reveal]).astype(np.int64))
    keep = np.array([len(t) > 0 for t in targets])
    users = users[keep]
    revealed = [r for r, k in zip(revealed, keep, strict=True) if k]
    targets = [t for t, k in zip(targets, keep, strict=True) if k]
    return ColdUserSplit(data.take(~np.isin(data.user, users)), users, revealed, targets)


def evaluate_cold_users(model: Any, split: ColdUserSplit, reveal: int, k: int = 10) -> dict[str, float]:
    """Rank all items for each cold user from their first ``reveal`` events (``model.score_history``; the
    revealed items are excluded); HR / NDCG / recall @k over their later items."""
    rows = split.revealed_rows(reveal)
    scores = np.array(model.score_history(rows), dtype=np.float32)
    scores[rows.nonzero()] = -np.inf
    topk, _ = top_k(scores, k)
    tg = split.targets
    return {f"hr@{k}": float(M.hit_rate(topk, tg, k).mean()), f"ndcg@{k}": float(M.ndcg(topk, tg, k).mean()),
            f"recall@{k}": float(M.recall(topk, tg, k).mean()), "users": float(len(tg)), "reveal": float(reveal)}
