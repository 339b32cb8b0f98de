"""The dense scan: the top k of the rows that can be asked for equals the top k of the whole capacity (the
plain definition, as the index first computed it), ties and bits included."""

from __future__ import annotations

import numpy as np
import pytest

from shopmind.search.dense import SCAN_ALIGN, DenseIndex


def _reference(index: DenseIndex, query: np.ndarray, k: int, mask: np.ndarray | None
               ) -> tuple[np.ndarray, np.ndarray]:
    """Every row up to the capacity scored, masked to -inf, arg-partitioned and sorted (the first version)."""
    s = np.full(len(index.alive), -np.inf, dtype=np.float32)
    s[:] = np.where(index.alive, index.vectors @ query.astype(np.float32), -np.inf)
    if mask is not None:
        m = np.zeros(len(s), dtype=bool)
        m[: min(len(mask), len(s))] = mask[: len(s)]
        s = np.where(m, s, -np.inf)
    k = min(k, int(np.isfinite(s).sum()))
    if k <= 0:
        return np.empty(0, np.int64), np.empty(0, np.float32)
    top = np.argpartition(-s, k - 1)[:k]
    top = top[np.argsort(-s[top], kind="stable")]
    return top.astype(np.int64), s[top]


def _unit(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.mark.parametrize("n_docs", [1, 63, 64, 1000, 3000, 5001])
def test_the_scan_of_the_live_rows_equals_the_scan_of_the_whole_capacity(n_docs: int) -> None:
    rng = np.random.default_rng(n_docs)
    index = DenseIndex(dim=48)
    base = _unit(rng, n_docs, 48)
    base[rng.random(n_docs) < 0.2] = base[0]  # equal vectors: exact ties
    for start in range(0, n_docs, 700):  # grown in batches: the capacity runs past the last document
        index.add(list(range(start, min(start + 700, n_docs))), base[start: start + 700])
    for doc in rng.choice(n_docs, size=n_docs // 10, replace=False).tolist():
        index.delete(doc)
    assert len(index.alive) >= n_docs
    for trial in range(6):
        query = base[int(rng.integers(n_docs))] if trial % 2 else _unit(rng, 1, 48)[0]
        masks = [None, rng.random(n_docs) < 0.5, rng.random(n_docs + 5) < 0.3, np.zeros(n_docs, dtype=bool),
                 rng.random(max(n_docs - SCAN_ALIGN - 3, 0)) < 0.7]
        for mask in masks:
            for k in (1, 10, 200):
                docs, cos = index.search(query, k, mask)
                want_docs, want_cos = _reference(index, query, k, mask)
                assert docs.tolist() == want_docs.tolist()
                assert cos.dtype == want_cos.dtype and np.array_equal(cos, want_cos)


def test_an_empty_index_finds_nothing() -> None:
    index = DenseIndex(dim=4)
    docs, cos = index.search(np.ones(4, dtype=np.float32), 5)
    assert docs.tolist() == [] and cos.tolist() == []
