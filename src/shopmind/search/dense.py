"""The dense side: item vectors from the multilingual encoder, searched exactly.

Exact search is one matrix-vector product: at 100,000 x 384 float32 that is ~40 million multiply-adds,
a few milliseconds on one core, and it needs no index build, so an upserted item is searchable as soon as
its vector is computed. (An ANN index pays off from about a million items; see ``docs/search.md``.)

Vectors come through :func:`shopmind.text.cache.encode_cached`, so an unchanged item is never encoded
twice; query vectors are kept in a small LRU cache (head queries repeat).

>>> import numpy as np
>>> index = DenseIndex(dim=2)
>>> index.add([0, 1], np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32))
>>> index.search(np.array([0.9, 0.1], dtype=np.float32), 1)[0].tolist()
[0]
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from shopmind.text.cache import encode_cached
from shopmind.text.encoders import TextEncoder

#: The dense scan covers a multiple of this many rows (see :meth:`DenseIndex._products`).
SCAN_ALIGN = 64


class DenseIndex:
    """Unit vectors by document id with an ``alive`` mask; exact inner-product top-k."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.vectors = np.zeros((0, dim), dtype=np.float32)
        self.alive = np.zeros(0, dtype=bool)

    def _grow(self, size: int) -> None:
        if size > len(self.alive):
            n = max(size, 2 * len(self.alive), 1024)
            vectors = np.zeros((n, self.dim), dtype=np.float32)
            vectors[: len(self.vectors)] = self.vectors
            alive = np.zeros(n, dtype=bool)
            alive[: len(self.alive)] = self.alive
            self.vectors, self.alive = vectors, alive

    def add(self, docs: Sequence[int], vectors: np.ndarray) -> None:
        if not len(docs):
            return
        idx = np.asarray(docs, dtype=np.int64)
        self._grow(int(idx.max()) + 1)
        self.vectors[idx] = vectors
        self.alive[idx] = True

    def delete(self, doc: int) -> None:
        if doc < len(self.alive):
            self.alive[doc] = False

    def _products(self, query: np.ndarray, rows: int) -> np.ndarray:
        """Inner products of ``query`` with the first ``rows`` vectors (at least those; maybe a few more).

        Only the rows that can be asked for are scanned - never the spare capacity past the last document, which
        doubles at each growth. The count is rounded up to a multiple of :data:`SCAN_ALIGN` rows: BLAS computes
        a row in its main blocked loop, and so to the same bits, wherever that row is in an aligned block; a
        ragged edge (or a ragged split between BLAS threads) takes another path whose last bit may differ, and
        equal vectors must keep equal cosines."""
        n = min(len(self.alive), -(-rows // SCAN_ALIGN) * SCAN_ALIGN)
        return self.vectors[:n] @ query.astype(np.float32, copy=False)

    def scores(self, query: np.ndarray, size: int) -> np.ndarray:
        """Cosine of every document id below ``size`` (``-inf`` for deleted and unknown ones)."""
        n = min(size, len(self.alive))
        out = np.full(size, -np.inf, dtype=np.float32)
        if n:
            out[:n] = np.where(self.alive[:n], self._products(query, n)[:n], -np.inf)
        return out

    def search(self, query: np.ndarray, k: int, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` live documents (optionally only where ``mask``): ids and cosines, best first."""
        rows = len(self.alive) if mask is None else min(len(mask), len(self.alive))
        keep = self.alive[:rows] if mask is None else self.alive[:rows] & mask[:rows]
        # the negated cosines, +inf where not kept, over every id up to the capacity: the smallest k are the top
        # k (negation is exact), and the selection sees the array it always saw, so ties come out as they did
        neg = np.full(len(self.alive), np.inf, dtype=np.float32)
        np.negative(self._products(query, rows)[:rows], out=neg[:rows], where=keep)
        k = min(k, int(np.count_nonzero(np.isfinite(neg))))
        if k <= 0:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        top = np.argpartition(neg, k - 1)[:k]
        top = top[np.argsort(neg[top], kind="stable")]
        return top.astype(np.int64), -neg[top]


class QueryEncoder:
    """Query vectors with an LRU cache in front of the encoder (and the store's embedding cache behind)."""

    def __init__(self, encoder: TextEncoder, cache: Any = None, size: int = 4096) -> None:
        self.encoder = encoder
        self.cache = cache
        self.size = size
        self._lru: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, text: str) -> np.ndarray:
        with self._lock:
            hit = self._lru.get(text)
            if hit is not None:
                self._lru.move_to_end(text)
                return hit
        vec = encode_cached(self.encoder, [text], self.cache, kind="query")[0][0]
        with self._lock:
            self._lru[text] = vec
            if len(self._lru) > self.size:
                self._lru.popitem(last=False)
        return cast("np.ndarray", vec)
