"""Cold-start protocol for items that training never saw.

:func:`cold_item_split` holds out a random ``fraction`` of the items (with interactions) with *all* their
interactions; models train on the rest and, for every user who interacted with held-out items, rank the
held-out items only (the question "which of the new items will this user want?").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shopmind.data.interactions import Interactions
from shopmind.errors import check_float, check_int
from shopmind.evaluation import metrics as M
from shopmind.evaluation.protocol import targets_by_user
from shopmind.models.base import Recommender, top_k


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


def evaluate_cold_items(model: Recommender, split: ColdItemSplit, k: int = 10,
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
