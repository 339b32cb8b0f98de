"""Hybrid: a weighted blend of several models' scores, weights learned on held-out data.

Each component's scores are standardised per user (zero mean, unit variance over the catalog) and
blended as ``sum_c w_c * z_c``. The weights are chosen on a validation split *carved from the training
data* (each user's last training interaction), so ``fit(train)`` never looks at anything outside ``train``;
the grid includes every single component, so on that validation split the blend is never worse than its
best part. Components that stop early on a held-out interaction (sequence models) use the same held-out
items for it, so no training interaction is held out twice. The components are then refitted on all of
``train``.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any

import numpy as np

from shopmind.data.interactions import Interactions
from shopmind.errors import ParameterError, check_float, check_int, check_param
from shopmind.models.base import Recommender
from shopmind.models.registry import available, create, parse_spec, register
from shopmind.training.metrics import ndcg
from shopmind.training.scores import mask_seen, standardise, top_k
from shopmind.training.splits import carve_validation

log = logging.getLogger(__name__)


@register("hybrid")
class Hybrid(Recommender):
    """Blend of ``components``: comma-separated ``NAME[:PARAM=VALUE...]`` entries (e.g.
    ``"sasrec:item_features=category,itemknn:k=20,ease"``) or a list of ``(name, params)``.

    ``weights``: fixed weights (same order), or None to learn them on validation with a simplex grid of
    resolution ``grid_step``. ``max_valid_users`` caps the users used to choose the weights. ``refit``:
    ``"all"`` refits every component on all of ``train`` after the weights are chosen; ``"auto"`` lets
    models that can read new histories without retraining (SASRec, GRU4Rec) keep the network trained for
    the weights (it then reads the full histories), which halves the hybrid's cost for them. Components
    with weight 0 are not refitted.
    """

    def __init__(self, components: str | list[Any] = "seqknn,ease,als", weights: list[float] | None = None,
                 grid_step: float = 0.1, max_valid_users: int = 3000, seed: int = 0, refit: str = "auto") -> None:
        self.components = components
        self.refit = refit
        self.weights = weights
        self.grid_step = grid_step
        self.max_valid_users = max_valid_users
        self.seed = seed

    # ------------------------------------------------------------------ params
    def _specs(self) -> list[tuple[str, dict[str, Any]]]:
        comps = self.components
        if isinstance(comps, str):
            comps = [c.strip() for c in comps.split(",") if c.strip()]
        specs = []
        for c in comps:
            name, params = parse_spec(c, "Hybrid.components") if isinstance(c, str) else (c[0], dict(c[1]))
            if name not in available() or name == "hybrid":
                raise ParameterError(type(self).__name__, "components", self.components,
                                     f"model names from {sorted(set(available()) - {'hybrid'})}")
            specs.append((name, params))
        return specs

    def validate_params(self) -> None:
        name = type(self).__name__
        specs = self._specs()
        check_param(name, "components", self.components, len(specs) >= 1, "at least one model name")
        if self.weights is not None:
            check_param(name, "weights", self.weights,
                        len(self.weights) == len(specs) and all(w >= 0 for w in self.weights),
                        f"{len(specs)} non-negative numbers (one per component)")
        check_float(name, "grid_step", self.grid_step, low=0.01, high=1.0)
        check_int(name, "max_valid_users", self.max_valid_users, low=10)
        check_int(name, "seed", self.seed, low=0)
        check_param(name, "refit", self.refit, self.refit in ("auto", "all"), "'auto' or 'all'")

    # ------------------------------------------------------------------ fitting
    def _build(self) -> list[Recommender]:
        return [create(n, **p) for n, p in self._specs()]

    def _fit(self, train: Interactions, valid: Interactions | None) -> None:
        specs = self._specs()
        inner: list[Recommender | None] = [None] * len(specs)
        if self.weights is not None or len(specs) == 1:
            self.weights_ = np.asarray(self.weights if self.weights is not None else [1.0], dtype=np.float32)
            self.valid_ndcg_: dict[str, float] = {}
        else:
            self.weights_, self.valid_ndcg_, inner = self._learn_weights(train)
        # refit on all of train; with refit="auto" a model that can read new histories without retraining
        # (sequence models) keeps the network trained for the weights and just reads the full histories
        self.models_ = []
        self.reused_: list[str] = []
        for (name, _), m, fitted, w in zip(specs, self._build(), inner, self.weights_, strict=True):
            if fitted is not None and self.refit == "auto" and hasattr(fitted, "update_histories"):
                self.models_.append(fitted.update_histories(train))
                self.reused_.append(name)
            elif w > 0 or fitted is None:
                self.models_.append(m.fit(train))
            else:
                self.models_.append(fitted)  # weight 0: never scored, keep the inner fit
        log.info("hybrid weights %s", dict(zip([n for n, _ in specs], self.weights_.tolist(), strict=True)))

    def _learn_weights(self, train: Interactions) -> tuple[np.ndarray, dict[str, float], list[Recommender | None]]:
        carved = carve_validation(train, self.max_valid_users, self.seed)
        hist, users, tgts = carved.rest, carved.users, carved.targets
        seen = hist.to_csr(weighted=False)
        # components that early-stop on held-out interactions of their own (sequence models with
        # ``auto_valid``) validate on the blend's held-out items instead: no user loses a second interaction
        held = carved.held
        zs = []
        fitted: list[Recommender | None] = []
        for m in self._build():
            if getattr(m, "auto_valid", 0) and getattr(m, "patience", 0):
                m.fit(hist, held)
            else:
                m.fit(hist)
            z = standardise(m.score(users))
            mask_seen(z, seen, users)
            zs.append(z)
            fitted.append(m)
        steps = round(1 / self.grid_step)
        best_w, best, table = None, -1.0, {}
        for combo in itertools.product(range(steps + 1), repeat=len(zs)):
            if sum(combo) != steps:
                continue
            w = np.array(combo, dtype=np.float32) / steps
            s = sum(wi * z for wi, z in zip(w, zs, strict=True) if wi > 0)
            v = float(ndcg(top_k(s, 10)[0], tgts, 10).mean())
            table[",".join(f"{x:.2f}" for x in w)] = v
            if v > best + 1e-9:
                best, best_w = v, w
        assert best_w is not None
        return best_w, table, fitted

    # ------------------------------------------------------------------ scoring
    def score(self, users: np.ndarray) -> np.ndarray:
        self._check_fitted()
        out = np.zeros((len(users), self.n_items_), dtype=np.float32)
        for w, m in zip(self.weights_, self.models_, strict=True):
            if w > 0:
                out += w * standardise(m.score(users))
        return out

    def score_history(self, user_items: Any) -> np.ndarray:
        self._check_fitted()
        out = np.zeros((user_items.shape[0], self.n_items_), dtype=np.float32)
        for w, m in zip(self.weights_, self.models_, strict=True):
            if w > 0:
                out += w * standardise(m.score_history(user_items))
        return out

    def explain(self, user: int, item: int) -> dict[str, Any] | None:
        self._check_fitted()
        parts = {}
        for (name, _), w, m in zip(self._specs(), self.weights_, self.models_, strict=True):
            if w > 0:
                parts[name] = {"weight": float(w), "explanation": m.explain(user, item)}
        return {"reason": "hybrid", "components": parts}
