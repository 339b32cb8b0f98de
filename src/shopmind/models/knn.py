"""Neighbourhood collaborative filtering: item-kNN and user-kNN with (asymmetric) cosine and shrinkage.

Similarity between two columns a, b of a binary interaction matrix (items for item-kNN, users for
user-kNN), with n_a = |r_a|:

- ``"cosine"``:      s_ab = r_a . r_b / (n_a n_b + shrink)
- ``"asymmetric"``:  s_ab = r_a . r_b / (n_a^(2 alpha) n_b^(2 (1 - alpha)) + shrink)   (Aiolli 2013;
  ``alpha=0.5`` is the cosine)

Only the ``k`` largest similarities of each row are kept. Item-kNN scores item j for user u as
sum_i w_ui s_ij over the items i of u's history; ``w_ui`` is 1 (or the event weight when ``weighted``),
optionally decayed by recency (``half_life`` counted in events or in days, see :func:`history_matrix`).
User-kNN scores sum_v s_uv r_vj over u's ``k`` nearest users v.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from shopmind.data.interactions import Interactions
from shopmind.errors import check_float, check_int, check_param
from shopmind.models.base import Recommender
from shopmind.models.registry import register

RECENCY_MODES = ("none", "position", "time")
SIMILARITIES = ("cosine", "asymmetric")
NORMALIZATIONS = ("none", "max", "neighbours")


def cosine_topk(x: sp.csr_matrix, k: int, shrink: float, alpha: float = 0.5,
                block: int = 2048) -> sp.csr_matrix:
    """Column-column similarity of ``x`` (rows = users), keeping the top ``k`` per row of the result.

    s_ab = x_a . x_b / (|x_a|^(2 alpha) |x_b|^(2 (1 - alpha)) + shrink); ``alpha=0.5`` is the cosine with
    shrinkage. Returns an ``[n_cols, n_cols]`` float32 CSR whose row a holds a's neighbours b; the
    diagonal is zero and only positive similarities are kept.
    """
    xc = x.tocsc().astype(np.float32)
    sq = np.asarray(xc.multiply(xc).sum(axis=0), dtype=np.float64).ravel()
    left = sq ** alpha  # |x_a|^(2 alpha)
    right = sq ** (1.0 - alpha)
    n = xc.shape[1]
    xt = xc.T.tocsr()
    kk = min(k, n - 1)
    rows, cols, vals = [], [], []
    for start in range(0, n, block):
        if kk <= 0:
            break
        stop = min(n, start + block)
        sim = (xt[start:stop] @ xc).toarray()
        denom = (left[start:stop, None] * right[None, :] + shrink + 1e-12).astype(np.float32)
        sim /= denom
        sim[np.arange(stop - start), np.arange(start, stop)] = 0.0
        idx = np.argpartition(-sim, kk - 1, axis=1)[:, :kk]
        v = np.take_along_axis(sim, idx, axis=1)
        keep = v > 0
        r = np.repeat(np.arange(start, stop), kk).reshape(-1, kk)
        rows.append(r[keep])
        cols.append(idx[keep])
        vals.append(v[keep])
    if not rows:
        return sp.csr_matrix((n, n), dtype=np.float32)
    out = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                        shape=(n, n), dtype=np.float32)
    out.sort_indices()
    return out


def history_matrix(data: Interactions, weighted: bool = False, recency: str = "none",
                   half_life: float = 0.0) -> sp.csr_matrix:
    """User x item matrix of history weights w_ui, optionally decayed by recency.

    Each event gets ``weight`` (its event weight when ``weighted``, else 1) times a decay
    ``0.5 ** (age / half_life)``, where ``age`` is, per user, the number of later events
    (``recency="position"``) or the days since that user's latest event (``recency="time"``). Repeated
    (user, item) pairs keep their largest value (so an item seen again recently counts as recent).
    Measuring age from each user's own latest event leaves each user's ranking unchanged compared with
    a global "now" (the factor is the same for all of that user's items) and avoids underflow.
    """
    if recency == "none" or half_life <= 0:
        return data.to_csr(aggregate="max", weighted=weighted)
    w = data.weight.copy() if weighted else np.ones(len(data), dtype=np.float32)
    counts = data.user_counts()
    end = data.indptr[1:]
    if recency == "position":
        age = (np.repeat(end, counts) - 1 - np.arange(len(data))).astype(np.float64)
    else:
        last_t = data.timestamp[np.maximum(end - 1, 0)]
        age = (np.repeat(last_t, counts) - data.timestamp).astype(np.float64) / 86400.0
    decayed = data.take(np.arange(len(data)))
    decayed.weight = (w * np.power(0.5, age / half_life)).astype(np.float32)
    return decayed.to_csr(aggregate="max", weighted=True)


def _normalize_scores(scores: np.ndarray, mode: str, support: np.ndarray | None = None) -> np.ndarray:
    """``"max"``: divide each row by its largest score (ranking unchanged; comparable across users, for
    blending); ``"neighbours"``: divide each score by the total similarity mass that produced it."""
    if mode == "max":
        top = scores.max(axis=1, keepdims=True)
        scores /= np.where(top > 0, top, 1.0)
    elif mode == "neighbours" and support is not None:
        scores /= support + 1e-6
    return scores


class _NeighbourhoodParams:
    """Validation shared by the two kNN models."""

    k: int
    shrink: float
    similarity: str
    alpha: float
    weighted: bool
    normalize: str

    def _validate_common(self) -> None:
        name = type(self).__name__
        check_int(name, "k", self.k, low=1)
        check_float(name, "shrink", self.shrink, low=0.0)
        check_param(name, "similarity", self.similarity, self.similarity in SIMILARITIES,
                    f"one of {list(SIMILARITIES)}")
        check_float(name, "alpha", self.alpha, low=0.0, high=1.0)
        check_param(name, "weighted", self.weighted, isinstance(self.weighted, bool), "a bool")
        check_param(name, "normalize", self.normalize, self.normalize in NORMALIZATIONS,
                    f"one of {list(NORMALIZATIONS)}")

    def _alpha(self) -> float:
        return self.alpha if self.similarity == "asymmetric" else 0.5


@register("itemknn")
class ItemKNN(_NeighbourhoodParams, Recommender):
    """Item-based kNN: (asymmetric) cosine with shrinkage, ``k`` neighbours per item, optional recency decay.

    The defaults are the classic item-kNN (no recency decay; k and shrink chosen on the ml-100k validation
    split), the baseline every other model is compared with. :class:`SequentialItemKNN` (``seqknn``) is the
    same model with the user's history weighted towards recent items.

    >>> model = ItemKNN(k=50, shrink=10.0).fit(train)           # doctest: +SKIP
    >>> ids, scores = model.recommend(0, N=10)                  # doctest: +SKIP
    """

    def __init__(self, k: int = 50, shrink: float = 10.0, similarity: str = "cosine", alpha: float = 0.5,
                 weighted: bool = False, recency: str = "none", half_life: float = 1.0,
                 normalize: str = "none") -> None:
        self.k = k
        self.shrink = shrink
        self.similarity = similarity
        self.alpha = alpha
        self.weighted = weighted
        self.recency = recency
        self.half_life = half_life
        self.normalize = normalize

    def validate_params(self) -> None:
        self._validate_common()
        name = type(self).__name__
        check_param(name, "recency", self.recency, self.recency in RECENCY_MODES,
                    f"one of {list(RECENCY_MODES)}")
        check_float(name, "half_life", self.half_life, low=0.0)

    def _fit(self, train: Interactions, valid: Interactions | None) -> None:
        self.user_items_ = history_matrix(train, self.weighted, self.recency, self.half_life)
        # similarity from the binary matrix; neighbour i -> j stored as row i
        self.similarity_ = cosine_topk(train.to_csr(weighted=False), self.k, self.shrink, self._alpha())

    def _refit_item_side(self) -> str:
        # the similarities are a function of the binary matrix only, which ``seen_`` is: recomputed from the
        # remaining users they are exactly those of a fit without the removed ones
        self.similarity_ = cosine_topk(self.seen_, self.k, self.shrink, self._alpha())
        return "exact"

    def score(self, users: np.ndarray) -> np.ndarray:
        self._check_fitted()
        hist = self.user_items_[np.asarray(users)]
        scores = np.asarray((hist @ self.similarity_).todense(), dtype=np.float32)
        support = None
        if self.normalize == "neighbours":
            support = np.asarray((hist.sign() @ self.similarity_).todense(), dtype=np.float32)
        return _normalize_scores(scores, self.normalize, support)

    def score_history(self, user_items: Any) -> np.ndarray:
        """Item-kNN scores of given history rows (weights ``[B, n_items]``)."""
        self._check_fitted()
        hist = sp.csr_matrix(user_items, dtype=np.float32)
        scores = np.asarray((hist @ self.similarity_).todense(), dtype=np.float32)
        support = None
        if self.normalize == "neighbours":
            support = np.asarray((hist.sign() @ self.similarity_).todense(), dtype=np.float32)
        return _normalize_scores(scores, self.normalize, support)

    def item_vectors(self) -> np.ndarray | None:
        return None

    def similar_items(self, item: int, N: int = 10) -> tuple[np.ndarray, np.ndarray]:
        self._check_fitted()
        row = self.similarity_[int(item)]
        order = np.lexsort((row.indices, -row.data))[:N]
        ids = row.indices[order].astype(np.int64)
        vals = row.data[order].astype(np.float32)
        if len(ids) < N:
            ids = np.pad(ids, (0, N - len(ids)), constant_values=-1)
            vals = np.pad(vals, (0, N - len(vals)), constant_values=-np.inf)
        return ids, vals

    def explain(self, user: int, item: int) -> dict[str, object]:
        """The history items that contributed most to ``item``'s score (item, w_ui * s_ij)."""
        self._check_fitted()
        hist = self.user_items_[int(user)]
        col = self.similarity_[:, int(item)].toarray().ravel()
        contrib = [(int(i), float(w * col[i])) for i, w in zip(hist.indices, hist.data, strict=True)
                   if col[i] > 0]
        contrib.sort(key=lambda t: -t[1])
        return {"reason": "similar_to_history", "because_of": contrib[:3]}


@register("seqknn")
class SequentialItemKNN(ItemKNN):
    """Item-kNN whose user history is weighted towards the most recent items: an item's weight halves for
    every ``half_life`` later events (``recency="time"``: days). Defaults chosen on the validation split of
    ml-100k and Amazon Beauty: the decay lifts validation NDCG@10 from 0.067 to 0.111 on ml-100k and from
    0.047 to 0.055 on Beauty.
    """

    def __init__(self, k: int = 100, shrink: float = 20.0, similarity: str = "cosine", alpha: float = 0.5,
                 weighted: bool = False, recency: str = "position", half_life: float = 1.0,
                 normalize: str = "none") -> None:
        super().__init__(k=k, shrink=shrink, similarity=similarity, alpha=alpha, weighted=weighted,
                         recency=recency, half_life=half_life, normalize=normalize)


@register("userknn")
class UserKNN(_NeighbourhoodParams, Recommender):
    """User-based kNN: s_uv = r_u . r_v / (|r_u| |r_v| + shrink) (or the asymmetric cosine) over binary
    histories, ``k`` nearest users; item j scores sum_v s_uv r_vj (r_vj is the event weight when
    ``weighted``)."""

    def __init__(self, k: int = 100, shrink: float = 10.0, similarity: str = "cosine", alpha: float = 0.5,
                 weighted: bool = False, normalize: str = "none") -> None:
        self.k = k
        self.shrink = shrink
        self.similarity = similarity
        self.alpha = alpha
        self.weighted = weighted
        self.normalize = normalize

    def validate_params(self) -> None:
        self._validate_common()

    def _fit(self, train: Interactions, valid: Interactions | None) -> None:
        binary = train.to_csr(weighted=False)
        self.user_items_ = train.to_csr(aggregate="max", weighted=self.weighted)
        # users are the columns here: row u of the result holds u's nearest users
        self.similarity_ = cosine_topk(binary.T.tocsr(), self.k, self.shrink, self._alpha())

    def _refit_item_side(self) -> str:
        self.similarity_ = cosine_topk(self.seen_.T.tocsr(), self.k, self.shrink, self._alpha())
        return "exact"

    def score(self, users: np.ndarray) -> np.ndarray:
        self._check_fitted()
        neigh = self.similarity_[np.asarray(users)]
        scores = np.asarray((neigh @ self.user_items_).todense(), dtype=np.float32)
        support = None
        if self.normalize == "neighbours":
            support = np.asarray((neigh @ self.user_items_.sign()).todense(), dtype=np.float32)
        return _normalize_scores(scores, self.normalize, support)

    def explain(self, user: int, item: int) -> dict[str, object]:
        """The neighbours (user, s_uv * r_vj) who contributed most to ``item``'s score."""
        self._check_fitted()
        neigh = self.similarity_[int(user)]
        col = self.user_items_[:, int(item)].toarray().ravel()
        contrib = [(int(v), float(s * col[v])) for v, s in zip(neigh.indices, neigh.data, strict=True)
                   if col[v] > 0]
        contrib.sort(key=lambda t: -t[1])
        return {"reason": "similar_users", "because_of": contrib[:3]}
