"""Top-k items by inner product over a model's item vectors: exact, or approximate for catalogs of millions.

:class:`ItemIndex` wraps faiss (the library the retrieval benchmark measures everything against):

- ``"exact"``: faiss' flat inner-product index - the exact brute-force floor itself, blocked matrix
  products with a fused top-k selection;
- ``"hnsw"``: a graph index (HNSW, ``m`` links per node, ``ef_search`` candidates per query), for
  catalogs of millions: recall below 1, speed far above exact;
- ``"ivf"``: an inverted file (``nlist`` k-means cells, sqrt(n) by default, trained on 64 vectors a cell;
  ``nprobe`` visited per query).

The method is a setting (``PipelineSettings.retrieval``, ``bench-serve --ann``); every index reports its
build time and memory (:attr:`ItemIndex.stats`) and :func:`recall_at` measures it against exact.

>>> rng = np.random.default_rng(0)
>>> x = rng.standard_normal((1000, 16)).astype(np.float32)
>>> ids, scores = ItemIndex.build(x, "exact").search(x[:2], 3)
>>> ids[:, 0].tolist() == np.argmax(x[:2] @ x.T, axis=1).tolist()
True
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import faiss
import numpy as np

from shopmind.errors import ParameterError

METHODS = ("exact", "hnsw", "ivf")


@dataclass(frozen=True)
class IndexStats:
    method: str
    build_s: float
    memory_mb: float
    params: dict[str, Any]


class ItemIndex:
    """Inner-product search over ``[n, d]`` item vectors (see the module docs); build with :meth:`build`."""

    def __init__(self, index: Any, stats: IndexStats) -> None:
        self.index = index
        self.stats = stats

    @classmethod
    def build(cls, vectors: np.ndarray, method: str = "exact", *, m: int = 32, ef_construction: int = 64,
              ef_search: int = 128, nlist: int | None = None, nprobe: int = 16, seed: int = 0) -> ItemIndex:
        """Index ``vectors`` with ``method`` (one of :data:`METHODS`)."""
        if method not in METHODS:
            raise ParameterError("ItemIndex", "method", method, f"one of {list(METHODS)}")
        x = np.ascontiguousarray(vectors, dtype=np.float32)
        n, d = x.shape
        t0 = time.perf_counter()
        params: dict[str, Any] = {}
        index: Any
        if method == "exact":
            index = faiss.IndexFlatIP(d)
        elif method == "hnsw":
            index = faiss.IndexHNSWFlat(d, m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = ef_construction
            index.hnsw.efSearch = ef_search
            params = {"m": m, "ef_construction": ef_construction, "ef_search": ef_search}
        else:
            cells = nlist or int(np.clip(np.sqrt(n), 1, n))
            index = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, cells, faiss.METRIC_INNER_PRODUCT)
            rng = np.random.default_rng(seed)
            train = x[rng.choice(n, min(n, 64 * cells), replace=False)]
            index.cp.seed = seed
            index.train(train)
            index.nprobe = min(nprobe, cells)
            params = {"nlist": cells, "nprobe": index.nprobe}
        index.add(x)
        build_s = time.perf_counter() - t0
        memory = faiss.serialize_index(index).nbytes / 2**20
        return cls(index, IndexStats(method, round(build_s, 2), round(float(memory), 1), params))

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` item indices and scores for each query ``[b, d]``, best first (-1 where fewer exist)."""
        q = np.ascontiguousarray(queries, dtype=np.float32)
        if q.ndim == 1:
            q = q[None, :]
        scores, ids = self.index.search(q, k)
        return ids.astype(np.int64), scores


def exact_top(queries: np.ndarray, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-``k`` by inner product of ``queries`` ``[b, d]`` against ``vectors`` ``[n, d]`` without
    building an index (faiss' blocked brute force): indices and scores, best first."""
    scores, ids = faiss.knn(np.ascontiguousarray(queries, dtype=np.float32),
                            np.ascontiguousarray(vectors, dtype=np.float32), k, metric=faiss.METRIC_INNER_PRODUCT)
    return ids.astype(np.int64), scores


def recall_at(found: np.ndarray, exact: np.ndarray) -> float:
    """Share of the exact top-k (rows of ``exact``) that ``found`` holds (recall@k)."""
    hits = sum(len(np.intersect1d(a[a >= 0], b)) for a, b in zip(found, exact, strict=True))
    return float(hits / exact.size) if exact.size else 1.0
