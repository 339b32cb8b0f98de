"""The per-version structures that keep a request to at most one pass over the catalog: the neighbour
table, the partial sort, and what a model bundle answers from them (the same as the model itself)."""

from __future__ import annotations

import numpy as np
import pytest

from shopmind.pipeline.candidates import member
from shopmind.pipeline.neighbours import build_neighbours, recall, top_positions
from shopmind.training.scores import top_k, unit_rows


def _clustered(n: int, d: int = 16, clusters: int = 12, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, d))
    return (centres[rng.integers(0, clusters, n)] + 0.4 * rng.standard_normal((n, d))).astype(np.float32)


def test_exact_table_is_the_brute_force_top_k_and_skips_zero_vectors():
    vectors = _clustered(300)
    vectors[[5, 17]] = 0.0  # items without a direction (a factor model's items without interactions)
    unit = unit_rows(vectors)
    table = build_neighbours(unit, 10)
    assert table.exact and table.k == 10
    keep = np.setdiff1d(np.arange(300), [5, 17])
    sims = unit[keep] @ unit[keep].T
    np.fill_diagonal(sims, -np.inf)
    ids, scores = top_k(sims, 10)
    np.testing.assert_array_equal(table.ids[keep], keep[ids])
    np.testing.assert_allclose(table.scores[keep], scores, rtol=1e-6)
    assert (table.counts[[5, 17]] == 0).all() and not np.isin(table.ids, [5, 17]).any()
    got, sc = table.row(3, 4)
    assert got.tolist() == table.ids[3, :4].tolist() and sc.dtype == np.float64
    assert len(table.row(5, 4)[0]) == 0


def test_inverted_file_table_finds_nearly_all_true_neighbours():
    unit = unit_rows(_clustered(3000, seed=1))
    table = build_neighbours(unit, 20, exact_limit=500)  # force the approximate build
    assert not table.exact
    assert recall(table, unit) >= 0.95
    rows = table.ids
    assert (rows != np.arange(3000)[:, None]).all()  # never its own neighbour
    assert all(len(set(r.tolist())) == len(r) for r in rows[:200])  # no duplicates
    assert (np.diff(table.scores, axis=1) <= 1e-6).all()  # best first


@pytest.mark.parametrize("n, k", [(10, 3), (5000, 7), (100_000, 200), (100_000, 100_000)])
def test_top_positions_is_an_exact_partial_sort(n, k):
    rng = np.random.default_rng(n + k)
    scores = np.round(rng.standard_normal(n), 2).astype(np.float32)  # many ties
    scores[rng.integers(0, n, n // 10)] = -np.inf
    pos = top_positions(scores, k)
    expected = np.lexsort((np.arange(n), -scores))[:k]  # best first, ties to the lower position
    np.testing.assert_array_equal(scores[pos], scores[expected])
    assert len(pos) == min(k, n) and len(set(pos.tolist())) == len(pos)


def test_member_is_isin_for_a_sorted_set():
    rng = np.random.default_rng(0)
    values, pool = rng.integers(0, 50, 200), np.sort(rng.integers(0, 50, 30))
    np.testing.assert_array_equal(member(values, pool), np.isin(values, pool))
    assert member(values, np.empty(0, np.int64)).sum() == 0


@pytest.mark.parametrize(("b", "n", "k", "block"), [(1, 5000, 10, 512), (40, 3000, 7, 256), (300, 900, 25, 128),
                                                    (3, 20, 30, 8)])
def test_top_inner_product_is_the_exact_top_k(b, n, k, block):
    from shopmind.pipeline.neighbours import top_inner_product

    rng = np.random.default_rng(b)
    q = rng.standard_normal((b, 8)).astype(np.float32)
    items_t = np.ascontiguousarray(rng.standard_normal((n, 8)).astype(np.float32).T)
    ids, scores = top_inner_product(q, items_t, k, block=block)
    full = q @ items_t
    want = min(k, n)
    assert ids.shape == (b, want)
    expected = np.sort(full, axis=1)[:, ::-1][:, :want]
    np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-5)  # best first, nothing missed
    np.testing.assert_allclose(np.take_along_axis(full, ids, 1), scores, rtol=1e-6, atol=1e-6)
