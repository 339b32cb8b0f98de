"""Neighbourhood collaborative filtering: item-kNN with cosine similarity and shrinkage.

s_ij = r_i . r_j / (|r_i| |r_j| + shrink), keeping the ``k`` nearest neighbours of each item;
a user's score for item j is the sum of s_ij over the items i in their history (weighted by the
interaction weight when ``weighted``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from shopmind.data.interactions import Interactions
from shopmind.errors import check_float, check_int, check_param
from shopmind.models.base import Recommender, register


def cosine_topk(x: sp.csr_matrix, k: int, shrink: float, block: int = 2048) -> sp.csr_matrix:
    """Column-column cosine similarity of ``x`` (rows = users), keeping the top ``k`` per column.

    Returns an ``[n_cols, n_cols]`` CSR whose row i holds i's neighbours; the diagonal is zero.
    """
    xc = x.tocsc().astype(np.float32)
    norms = np.sqrt(np.asarray(xc.multiply(xc).sum(axis=0)).ravel())
    n = xc.shape[1]
    xt = xc.T.tocsr()
    rows, cols, vals = [], [], []
    for start in range(0, n, block):
        stop = min(n, start + block)
        sim = (xt[start:stop] @ xc).toarray()
        denom = norms[start:stop, None] * norms[None, :] + shrink + 1e-12
        sim /= denom
        sim[np.arange(stop - start), np.arange(start, stop)] = 0.0
        kk = min(k, n - 1)
        if kk <= 0:
            continue
        idx = np.argpartition(-sim, kk - 1, axis=1)[:, :kk]
        v = np.take_along_axis(sim, idx, axis=1)
        keep = v > 0
        r = np.repeat(np.arange(start, stop), kk).reshape(-1, kk)
        rows.append(r[keep])
        cols.append(idx[keep])
        vals.append(v[keep])
    if not rows:
        return sp.csr_matrix((n, n), dtype=np.float32)
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(n, n), dtype=np.float32)


@register("itemknn")
class ItemKNN(Recommender):
    """Item-based kNN (cosine, shrinkage, neighbourhood size ``k``)."""

    def __init__(self, k: int = 100, shrink: float = 10.0, weighted: bool = False) -> None:
        self.k = k
        self.shrink = shrink
        self.weighted = weighted

    def _validate_params(self) -> None:
        name = type(self).__name__
        check_int(name, "k", self.k, low=1)
        check_float(name, "shrink", self.shrink, low=0.0)
        check_param(name, "weighted", self.weighted, isinstance(self.weighted, bool), "a bool")

    def _fit(self, train: Interactions, valid: Interactions | None) -> None:
        self.user_items_ = train.to_csr(aggregate="max", weighted=self.weighted)
        # similarity from the binary matrix; neighbour i -> j stored as row i
        sim = cosine_topk(train.to_csr(weighted=False), self.k, self.shrink)
        self.similarity_ = sim

    def score(self, users: np.ndarray) -> np.ndarray:
        self._check_fitted()
        return np.asarray((self.user_items_[np.asarray(users)] @ self.similarity_).todense(), dtype=np.float32)

    def item_vectors(self) -> np.ndarray | None:
        return None

    def similar_items(self, item: int, N: int = 10) -> tuple[np.ndarray, np.ndarray]:
        self._check_fitted()
        row = self.similarity_[int(item)]
        order = np.argsort(-row.data, kind="stable")[:N]
        ids = row.indices[order].astype(np.int64)
        vals = row.data[order].astype(np.float32)
        if len(ids) < N:
            ids = np.pad(ids, (0, N - len(ids)), constant_values=-1)
            vals = np.pad(vals, (0, N - len(vals)), constant_values=-np.inf)
        return ids, vals

    def explain(self, user: int, item: int) -> dict[str, object]:
        """The history items that contributed most to ``item``'s score."""
        self._check_fitted()
        hist = self.user_items_[int(user)]
        contrib = []
        col = self.similarity_[:, int(item)].toarray().ravel()
        for i, w in zip(hist.indices, hist.data, strict=True):
            if col[i] > 0:
                contrib.append((int(i), float(w * col[i])))
        contrib.sort(key=lambda t: -t[1])
        return {"reason": "similar_to_history", "because_of": contrib[:3]}
