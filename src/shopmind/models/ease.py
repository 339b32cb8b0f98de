"""EASE: embarrassingly shallow autoencoder (Steck, WWW 2019), closed form.

    min_B |X - X B|^2 + l2 |B|^2   s.t. diag(B) = 0
    P = (X^T X + l2 I)^-1,   B = I - P diag(1 / diag(P))   (so B_ij = -P_ij / P_jj, B_jj = 0)

The item x item Gram matrix and its inverse are dense: memory grows as n_items^2 and time as n_items^3
(about 2 s for 3.7k items and a minute for 12k items on 2 cores), hence ``max_items``. Scores are
``w_u B`` where ``w_u`` is the user's history, optionally decayed by recency as in item-kNN.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack

from shopmind.data.interactions import Interactions
from shopmind.errors import ShopmindError, check_float, check_int, check_param
from shopmind.models.base import Recommender
from shopmind.models.knn import RECENCY_MODES, history_matrix
from shopmind.models.registry import register
from shopmind.training.scores import top_k


def ease_weights(gram: np.ndarray, l2: float) -> np.ndarray:
    """EASE's B from a dense Gram matrix ``X^T X`` (modified in place), via a Cholesky inverse.

    The precision of ``gram`` is kept (float32 halves memory and time on large catalogs).
    """
    n = gram.shape[0]
    gram[np.diag_indices(n)] += l2
    potrf, potri = lapack.get_lapack_funcs(("potrf", "potri"), (gram,))
    chol, info = potrf(gram, lower=False, overwrite_a=True, clean=False)
    if info != 0:
        raise ShopmindError("EASE: the regularised Gram matrix is not positive definite "
                            f"(LAPACK info {info}); increase l2")
    inv, info = potri(chol, lower=False, overwrite_c=True)
    if info != 0:
        raise ShopmindError(f"EASE: inverting the Gram matrix failed (LAPACK info {info}); increase l2")
    # potri fills the upper triangle only: mirror it
    upper = np.triu(inv)
    p = upper + np.triu(inv, 1).T
    del upper, inv
    b = p / (-np.diag(p))[None, :]
    b[np.diag_indices(n)] = 0.0
    return cast("np.ndarray", b)


@register("ease")
class EASE(Recommender):
    """EASE with L2 regularisation ``l2`` (closed form; dense item x item weights).

    ``max_items`` guards memory and time: above it fitting stops with an error suggesting item-kNN.

    >>> model = EASE(l2=250.0).fit(train)       # doctest: +SKIP
    >>> model.recommend(0, N=10)                # doctest: +SKIP
    """

    def __init__(self, l2: float = 500.0, weighted: bool = False, recency: str = "position",
                 half_life: float = 2.0, max_items: int = 20_000) -> None:
        self.l2 = l2
        self.weighted = weighted
        self.recency = recency
        self.half_life = half_life
        self.max_items = max_items

    def validate_params(self) -> None:
        name = type(self).__name__
        check_float(name, "l2", self.l2, low=0.0, low_open=True)
        check_param(name, "weighted", self.weighted, isinstance(self.weighted, bool), "a bool")
        check_param(name, "recency", self.recency, self.recency in RECENCY_MODES,
                    f"one of {list(RECENCY_MODES)}")
        check_float(name, "half_life", self.half_life, low=0.0)
        check_int(name, "max_items", self.max_items, low=1)

    def _fit(self, train: Interactions, valid: Interactions | None) -> None:
        n = train.n_items
        if n > self.max_items:
            gib = 3 * n * n * 4 / 2**30
            raise ShopmindError(
                f"EASE needs a dense {n} x {n} item matrix (~{gib:.1f} GiB and O(n^3) time) but max_items is "
                f"{self.max_items}: use 'itemknn' (sparse neighbours) for catalogs this large, or raise "
                "max_items if the machine has the memory")
        x = train.to_csr(aggregate="max", weighted=self.weighted)
        if self.weighted:  # the binary matrix is ``seen_``; the weighted one is kept for exact unlearning
            self.user_weights_ = x
        self.weights_ = self._solve(x)
        self.user_items_ = history_matrix(train, self.weighted, self.recency, self.half_life)

    def _solve(self, x: sp.csr_matrix) -> np.ndarray:
        # float64 where it is cheap, float32 for big catalogs (half the memory, twice the speed)
        dtype = np.float64 if x.shape[1] <= 8000 else np.float32
        gram = (x.T @ x).toarray().astype(dtype, copy=False)
        return ease_weights(gram, float(self.l2)).astype(np.float32, copy=False)

    def _refit_item_side(self) -> str:
        # B is a function of X^T X over the remaining users: solved again it is exactly a fresh fit's
        x = getattr(self, "user_weights_", None) if self.weighted else self.seen_
        if x is None:  # an artifact written before the weighted matrix was kept
            return "user_removed"
        self.weights_ = self._solve(x)
        return "exact"

    def score(self, users: np.ndarray) -> np.ndarray:
        self._check_fitted()
        return np.asarray(self.user_items_[np.asarray(users)] @ self.weights_, dtype=np.float32)

    def score_history(self, user_items: Any) -> np.ndarray:
        self._check_fitted()
        return np.asarray(sp.csr_matrix(user_items, dtype=np.float32) @ self.weights_, dtype=np.float32)

    def similar_items(self, item: int, N: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Items that ``item`` most supports (largest B_ij)."""
        self._check_fitted()
        row = self.weights_[int(item)].copy()
        row[int(item)] = -np.inf
        ids, vals = top_k(row[None, :], N)
        return ids[0], vals[0]

    def explain(self, user: int, item: int) -> dict[str, object]:
        """The history items with the largest contributions w_ui * B_ij to ``item``'s score."""
        self._check_fitted()
        hist = self.user_items_[int(user)]
        contrib = [(int(i), float(w * self.weights_[i, int(item)]))
                   for i, w in zip(hist.indices, hist.data, strict=True)]
        contrib = [c for c in contrib if c[1] > 0]
        contrib.sort(key=lambda t: -t[1])
        return {"reason": "item_relations", "because_of": contrib[:3]}


__all__ = ["EASE", "ease_weights"]
