"""Top-10 retrieval over a million item vectors: the engine's paths against the exact brute-force floor."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from shopmind.pipeline.neighbours import top_inner_product, top_positions


def retrieval_bench(n: int, dim: int, seed: int = 0, single: int = 30, batched: int = 512,
                    batch: int = 256) -> dict[str, Any]:
    """Top-10 over ``n`` x ``dim`` vectors: our retrieval paths against the exact brute-force floor.

    Ours: one query is :func:`~shopmind.pipeline.versions.bounded_top`'s matrix-vector product plus
    :func:`~shopmind.pipeline.neighbours.top_positions` (what a request runs); a batch of ``batch``
    queries is :func:`~shopmind.pipeline.neighbours.top_inner_product`. The floor of each mode is the
    fastest exact brute force available here: numpy (score everything, partition every row) and, when
    faiss is installed, its flat inner-product index (``distance_compute_blas_threshold`` set low, as
    BENCHMARKS.md advises) - each floor's time is reported.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim), dtype=np.float32)
    xt = np.ascontiguousarray(x.T)
    q = rng.standard_normal((max(batched, single), dim), dtype=np.float32)

    def numpy_floor(qs: np.ndarray) -> np.ndarray:
        s = qs @ xt
        return np.argpartition(-s, 9, axis=1)[:, :10]

    floors: dict[str, Callable[[np.ndarray], np.ndarray]] = {"numpy": numpy_floor}
    try:
        import faiss  # lazy: optional (the dev extra): the numpy floor otherwise

        faiss.cvar.distance_compute_blas_threshold = 1
        index = faiss.IndexFlatIP(dim)
        index.add(x)
        floors["faiss"] = lambda qs: index.search(qs, 10)[1]
    except ImportError:
        pass

    def ours_single(qs: np.ndarray) -> np.ndarray:
        return np.array([top_positions(v @ xt, 10) for v in qs])

    def ours_batched(qs: np.ndarray) -> np.ndarray:
        return top_inner_product(qs, xt, 10)[0]

    def timed(fn: Callable[[np.ndarray], np.ndarray], chunk: int, total: int) -> float:
        fn(q[:chunk])  # warm
        t0 = time.perf_counter()
        for s in range(0, total, chunk):
            fn(q[s:s + chunk])
        return (time.perf_counter() - t0) / total * 1000.0

    # exactness: the same top-10 sets as the floor
    ref = numpy_floor(q[:16])
    same = all(set(a.tolist()) == set(b.tolist()) for a, b in zip(ours_batched(q[:16]), ref, strict=True)) and \
        all(set(a.tolist()) == set(b.tolist()) for a, b in zip(ours_single(q[:4]), ref[:4], strict=True))
    out: dict[str, Any] = {"vectors": n, "dim": dim, "exact_match": same, "floors": sorted(floors)}
    runs = (("single", ours_single, 1, single), ("batched", ours_batched, min(batch, batched), batched))
    for label, ours, chunk, total in runs:
        by_floor = {name: round(timed(fn, chunk, total), 3) for name, fn in floors.items()}
        f = min(by_floor.values())
        o = timed(ours, chunk, total)
        out[label] = {"queries_per_call": chunk, "floor_ms_per_query": f, "floor_by_method": by_floor,
                      "ours_ms_per_query": round(o, 3), "ratio": round(o / f, 3)}
    return out
