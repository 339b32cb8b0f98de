"""Item co-occurrence ("bought together", "viewed together") from the event history.

Two items co-occur when the same basket - a session, or the user when events carry no session - touched
both. Scores are cosine-normalised counts, c_ij / sqrt(n_i n_j), so a best-seller does not co-occur with
everything; only the ``top_k`` neighbours of each item are kept. Baskets larger than ``max_basket`` items
are skipped (a crawler or a very long session would add quadratic noise).

>>> co = CoOccurrence.build(np.array([0, 0, 1, 1, 2]), np.array([1, 2, 1, 2, 3]), n_items=4)
>>> co.neighbours(1, 5)[0].tolist()
[2]
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


class CoOccurrence:
    """Top-k co-occurring items per catalog index (CSR rows sorted by score, best first)."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, scores: np.ndarray) -> None:
        self.indptr, self.indices, self.scores = indptr, indices, scores

    @classmethod
    def empty(cls) -> CoOccurrence:
        return cls(np.zeros(1, np.int64), np.empty(0, np.int64), np.empty(0, np.float32))

    @property
    def n_items(self) -> int:
        return len(self.indptr) - 1

    @classmethod
    def build(cls, baskets: np.ndarray, items: np.ndarray, n_items: int, top_k: int = 50,
              max_basket: int = 100) -> CoOccurrence:
        """From parallel arrays of basket codes (ints) and catalog indices."""
        baskets, items = np.asarray(baskets, dtype=np.int64), np.asarray(items, dtype=np.int64)
        if len(items) == 0 or n_items == 0:
            return cls(np.zeros(n_items + 1, np.int64), np.empty(0, np.int64), np.empty(0, np.float32))
        pairs = np.unique(np.stack([baskets, items], axis=1), axis=0)
        sizes = np.bincount(pairs[:, 0])
        ok = (sizes[pairs[:, 0]] >= 2) & (sizes[pairs[:, 0]] <= max_basket)
        pairs = pairs[ok]
        n_baskets = int(pairs[:, 0].max()) + 1 if len(pairs) else 0
        b = sp.csr_matrix((np.ones(len(pairs), np.float32), (pairs[:, 0], pairs[:, 1])),
                          shape=(n_baskets, n_items))
        co = (b.T @ b).tocoo()
        degree = np.asarray(b.sum(axis=0)).ravel()
        off = co.row != co.col
        rows, cols, counts = co.row[off], co.col[off], co.data[off]
        scores = (counts / np.sqrt(degree[rows] * degree[cols])).astype(np.float32)
        order = np.lexsort((cols, -scores, rows))
        rows, cols, scores = rows[order], cols[order], scores[order]
        starts = np.searchsorted(rows, np.arange(n_items + 1))
        rank = np.arange(len(rows)) - starts[rows]
        keep = rank < top_k
        rows, cols, scores = rows[keep], cols[keep], scores[keep]
        indptr = np.searchsorted(rows, np.arange(n_items + 1)).astype(np.int64)
        return cls(indptr, cols.astype(np.int64), scores)

    def neighbours_block(self, items: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`neighbours` of several items at once, as rows padded to ``k``: ids ``[len(items), k]``,
        scores (float32) and the number of real entries in each row (the rest is padding)."""
        items = np.asarray(items, dtype=np.int64)
        inside = (items >= 0) & (items < self.n_items)
        rows = np.where(inside, items, 0)
        lo = self.indptr[rows] if self.n_items else np.zeros(len(items), np.int64)
        counts = np.where(inside, np.minimum(self.indptr[rows + 1] - lo, k), 0) if self.n_items else lo
        if len(self.indices) == 0:
            return np.zeros((len(items), k), np.int64), np.zeros((len(items), k), np.float32), counts
        pos = np.minimum(lo[:, None] + np.arange(k), len(self.indices) - 1)
        return self.indices[pos], self.scores[pos], counts

    def neighbours(self, item: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Up to ``k`` co-occurring catalog indices and their scores, best first."""
        if not 0 <= item < self.n_items:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        lo, hi = int(self.indptr[item]), int(self.indptr[item + 1])
        hi = min(hi, lo + k)
        return self.indices[lo:hi], self.scores[lo:hi]
