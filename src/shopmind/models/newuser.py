"""New shoppers: a popularity prior that gives way to a personal model as their events accumulate.

With ``n`` events in a history, scores are ``w(n) z(prior) + (1 - w(n)) z(base)`` with ``w(n) = c / (c + n)``
(``z``: per-user standardised scores). ``c`` is learned on shoppers held out from the training data (each
reveals 1..5 first events, no retraining) unless given: the prior dominates a first click and fades with
each further event, which on real data beats both the pure prior and the pure personal model for new users.
Users with long histories get (almost) the base model.

>>> model = create("newuser", base="itemknn").fit(train)          # doctest: +SKIP
>>> model.score_history(first_events_rows)                         # doctest: +SKIP
"""

from __future__ import annotations

import logging
from typing import Any, cast

import numpy as np
import scipy.sparse as sp

from shopmind.data.interactions import Interactions
from shopmind.errors import check_float, check_param
from shopmind.models.base import Recommender
from shopmind.models.registry import available, create, parse_spec, register
from shopmind.training.coldstart import cold_user_split, evaluate_cold_users
from shopmind.training.scores import standardise

log = logging.getLogger(__name__)
C_GRID = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)


@register("newuser")
class NewUserBlend(Recommender):
    """``base`` and ``prior``: ``NAME[:PARAM=VALUE...]`` (``/`` also separates parameters) of models that can
    score unseen histories; ``c``: the prior's strength in events (None: learned on held-out users)."""

    def __init__(self, base: str = "itemknn", prior: str = "popular", c: float | None = None,
                 holdout: float = 0.2, seed: int = 0) -> None:
        self.base = base
        self.prior = prior
        self.c = c
        self.holdout = holdout
        self.seed = seed

    def _spec(self, text: str) -> tuple[str, dict[str, Any]]:
        return parse_spec(str(text).replace("/", ":"), "NewUserBlend")

    def validate_params(self) -> None:
        name = type(self).__name__
        for field in ("base", "prior"):
            model, _ = self._spec(getattr(self, field))
            check_param(name, field, getattr(self, field), model in available() and model != "newuser",
                        "a model name (with :PARAM=VALUE options)")
        if self.c is not None:
            check_float(name, "c", self.c, low=0.0)
        check_float(name, "holdout", self.holdout, low=0.0, high=0.9, low_open=True)

    def _make(self, text: str) -> Recommender:
        model, params = self._spec(text)
        return create(model, **params)

    def _fit(self, train: Interactions, valid: Interactions | None) -> None:
        self.c_ = float(self.c) if self.c is not None else self._learn_c(train)
        self.base_ = self._make(self.base).fit(train)
        self.prior_ = self._make(self.prior).fit(train)
        self.n_events_ = np.diff(self.seen_.indptr).astype(np.float32)

    def _learn_c(self, train: Interactions) -> float:
        split = cold_user_split(train, self.holdout, 5, self.seed)
        base, prior = self._make(self.base).fit(split.train), self._make(self.prior).fit(split.train)
        self.valid_ndcg_: dict[str, float] = {}
        best_c, best = C_GRID[0], -1.0
        for c in C_GRID:
            blend = _Fixed(base, prior, c)
            v = float(np.mean([evaluate_cold_users(blend, split, r)["ndcg@10"] for r in (1, 3, 5)]))
            self.valid_ndcg_[str(c)] = round(v, 5)
            if v > best + 1e-9:
                best_c, best = c, v
        log.info("newuser: c=%s (held-out users' NDCG@10 by c: %s)", best_c, self.valid_ndcg_)
        return best_c

    def _blend(self, base: np.ndarray, prior: np.ndarray, n: np.ndarray) -> np.ndarray:
        w = (self.c_ / (self.c_ + np.maximum(n, 0.0)))[:, None] if self.c_ > 0 else np.zeros((len(n), 1))
        return cast("np.ndarray", (w * standardise(prior) + (1.0 - w) * standardise(base)).astype(np.float32))

    def score(self, users: np.ndarray) -> np.ndarray:
        self._check_fitted()
        u = np.asarray(users)
        return self._blend(self.base_.score(u), self.prior_.score(u), self.n_events_[u])

    def score_history(self, user_items: Any) -> np.ndarray:
        self._check_fitted()
        rows = sp.csr_matrix(user_items, dtype=np.float32)
        return self._blend(self.base_.score_history(rows), self.prior_.score_history(rows),
                           np.diff(rows.indptr).astype(np.float32))

    def explain(self, user: int, item: int) -> dict[str, Any] | None:
        self._check_fitted()
        n = float(self.n_events_[int(user)])
        return {"reason": "new-user blend", "prior_weight": round(self.c_ / (self.c_ + n), 3) if self.c_ else 0.0,
                "base": self.base_.explain(user, item)}


class _Fixed:
    """A blend with a given ``c`` over already fitted parts (for choosing ``c``)."""

    def __init__(self, base: Recommender, prior: Recommender, c: float) -> None:
        self.base, self.prior, self.c = base, prior, c

    def score_history(self, rows: sp.csr_matrix) -> np.ndarray:
        n = np.diff(rows.indptr).astype(np.float32)
        w = (self.c / (self.c + n))[:, None] if self.c > 0 else np.zeros((len(n), 1))
        blended: np.ndarray = w * standardise(self.prior.score_history(rows)) + (1 - w) * standardise(
            self.base.score_history(rows))
        return blended
