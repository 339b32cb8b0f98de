"""Item indexes over faiss: exact equals brute force; the approximate ones find most of the exact top-k."""

from __future__ import annotations

import numpy as np
import pytest

from shopmind.errors import ParameterError
from shopmind.pipeline.ann import METHODS, ItemIndex, exact_top, recall_at


@pytest.fixture(scope="module")
def vectors() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((20, 16)).astype(np.float32)
    x = centres[rng.integers(0, 20, 3000)] + 0.3 * rng.standard_normal((3000, 16)).astype(np.float32)
    return x, x[:50] + 0.05


def test_exact_is_the_brute_force_top_k(vectors):
    x, q = vectors
    ids, scores = ItemIndex.build(x, "exact").search(q, 10)
    truth = np.argsort(-(q @ x.T), axis=1, kind="stable")[:, :10]
    assert recall_at(ids, truth) == 1.0
    assert np.allclose(scores, np.take_along_axis(q @ x.T, ids, 1), atol=1e-4)
    assert np.array_equal(exact_top(q, x, 10)[0], ids)


@pytest.mark.parametrize("method", ["hnsw", "ivf"])
def test_approximate_indexes_find_most_neighbours_and_report_their_cost(vectors, method):
    x, q = vectors
    exact = ItemIndex.build(x, "exact").search(q, 10)[0]
    index = ItemIndex.build(x, method, nlist=16, nprobe=4) if method == "ivf" else ItemIndex.build(x, method)
    assert recall_at(index.search(q, 10)[0], exact) >= 0.9
    assert index.stats.method == method and index.stats.build_s >= 0 and index.stats.memory_mb > 0
    assert method in METHODS


def test_an_unknown_method_names_the_choices(vectors):
    with pytest.raises(ParameterError, match="hnsw"):
        ItemIndex.build(vectors[0], "lsh")


def test_recall_counts_shared_entries():
    assert recall_at(np.array([[1, 2, -1]]), np.array([[1, 3, 2]])) == pytest.approx(2 / 3)
