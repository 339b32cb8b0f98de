"""Non-personalised baselines: random and most-popular (all time or a recent window)."""

from __future__ import annotations

from typing import Any

import numpy as np

from shopmind.data.interactions import Interactions
from shopmind.errors import check_int, check_param
from shopmind.models.base import Recommender
from shopmind.models.registry import register


@register("random")
class RandomModel(Recommender):
    """Uniformly random scores (seeded); the floor every model must clear."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def validate_params(self) -> None:
        check_int(type(self).__name__, "seed", self.seed, low=0)

    def _fit(self, train: Interactions, valid: Interactions | None) -> None:
        self.rng_state_ = self.seed

    def score(self, users: np.ndarray) -> np.ndarray:
        self._check_fitted()
        # deterministic per user so that repeated calls agree
        out = np.empty((len(users), self.n_items_), dtype=np.float32)
        for r, u in enumerate(np.asarray(users)):
            out[r] = np.random.default_rng((self.seed, int(u))).random(self.n_items_, dtype=np.float32)
        return out


@register("popular")
class MostPopular(Recommender):
    """Rank items by how many distinct users interacted with them.

    ``window_days`` counts only interactions in the last N days of the training data (``0`` = all time);
    ``weighted`` sums event weights instead of counting users.
    """

    def __init__(self, window_days: int = 0, weighted: bool = False) -> None:
        self.window_days = window_days
        self.weighted = weighted

    def validate_params(self) -> None:
        check_int(type(self).__name__, "window_days", self.window_days, low=0)
        check_param(type(self).__name__, "weighted", self.weighted, isinstance(self.weighted, bool), "a bool")

    def _fit(self, train: Interactions, valid: Interactions | None) -> None:
        mask = np.ones(len(train), dtype=bool)
        if self.window_days:
            mask = train.timestamp >= train.timestamp.max() - self.window_days * 86400
        m = train.take(mask).to_csr(weighted=self.weighted)
        pop = np.asarray(m.sum(axis=0)).ravel() if self.weighted else np.diff(m.tocsc().indptr)
        # tiny all-time prior breaks ties among items unseen in the window
        if self.window_days:
            pop = pop + 1e-6 * np.diff(train.to_csr(weighted=False).tocsc().indptr)
        self.popularity_ = pop.astype(np.float32)

    def score(self, users: np.ndarray) -> np.ndarray:
        self._check_fitted()
        return np.broadcast_to(self.popularity_, (len(users), self.n_items_))

    def score_history(self, user_items: Any) -> np.ndarray:
        self._check_fitted()
        return np.array(np.broadcast_to(self.popularity_, (user_items.shape[0], self.n_items_)))

    def explain(self, user: int, item: int) -> dict[str, object]:
        self._check_fitted()
        return {"reason": "popular", "interactions": float(self.popularity_[item])}
