"""The per-version structures that keep a request to at most one pass over the catalog: the neighbour
table, the partial sort, and what a model bundle answers from them (the same as the model itself)."""

from __future__ import annotations

import numpy as np
import pytest

from shopmind.models import create
from shopmind.models.base import top_k
from shopmind.pipeline.candidates import member, rescale, similar_source
from shopmind.pipeline.catalog import Catalog
from shopmind.pipeline.neighbours import build_neighbours, recall, top_positions, unit_rows
from shopmind.pipeline.versions import ModelBundle, bounded_top


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


@pytest.fixture(scope="module")
def als(trained_shop):
    return create("als", factors=8, iterations=3).fit(trained_shop.data)


def _assert_same_top_k(bundle: ModelBundle, model, user: int, k: int) -> None:
    """The bundle's answer is a top-k of the model's scores with the history left out: the same scores as
    ``model.recommend`` (which item of several tied at the cut is kept may differ), best first, each the
    model's score of that item."""
    ids, scores = bundle.recommend(user, k)
    want_ids, want_scores = model.recommend(user, N=k)
    np.testing.assert_allclose(scores, want_scores[want_ids >= 0], rtol=1e-5, atol=1e-6)
    m = bundle.model_index(ids)
    np.testing.assert_allclose(scores, model.score(np.array([user]))[0][m], rtol=1e-5, atol=1e-6)
    assert not set(m.tolist()) & set(model.seen_[user].indices.tolist())
    assert len(set(ids.tolist())) == len(ids) and (np.diff(scores) <= 0).all()


def test_bundle_recommends_what_the_model_does(als):
    bundle = ModelBundle(als, Catalog(), user_cache_size=0)
    assert bundle._user_vectors is not None  # the matrix-vector fast path is taken
    for user in range(0, als.n_users_, 7):
        for k in (1, 10, als.n_items_):
            _assert_same_top_k(bundle, als, user, k)


def test_the_norm_bounded_scan_reads_only_what_can_make_the_top_k():
    rng = np.random.default_rng(0)
    n, d = 50_000, 16
    vectors = rng.standard_normal((n, d)).astype(np.float32) * rng.pareto(2.0, (n, 1)).astype(np.float32)
    norms = np.linalg.norm(vectors.astype(np.float64), axis=1)
    order = np.argsort(-norms, kind="stable")
    rows, norms = np.ascontiguousarray(vectors[order].T), norms[order]
    for _ in range(20):
        user = rng.standard_normal(d).astype(np.float32)
        hidden = rng.choice(n, 30, replace=False)
        pos, scores, read = bounded_top(user, float(np.linalg.norm(user)), rows, norms, hidden, 50)
        full = user @ rows
        full[hidden] = -np.inf
        expected = np.lexsort((np.arange(n), -full))[:50]
        np.testing.assert_allclose(scores, full[expected], rtol=1e-6)
        assert set(pos.tolist()) == set(expected.tolist()) and read < n  # the short tail is never read


def test_items_without_a_direction_are_left_out_of_the_pass_but_not_the_answer(trained_shop):
    model = create("als", factors=8, iterations=3).fit(trained_shop.data)
    model.item_factors_[:40] = 0.0  # e.g. items with no training interactions
    bundle = ModelBundle(model, Catalog(), user_cache_size=0)
    zero = ~np.any(model.item_factors_ != 0, axis=1)
    np.testing.assert_array_equal(np.sort(bundle._scored), np.flatnonzero(~zero))
    for user in range(0, model.n_users_, 11):
        for k in (5, model.n_items_):  # a top-k reaching the zero scores falls back to the whole catalog
            _assert_same_top_k(bundle, model, user, k)


def test_recent_users_candidates_are_cached_per_version(als):
    bundle = ModelBundle(als, Catalog(), user_cache_size=2)
    first = bundle.recommend(0, 10)
    again = bundle.recommend(0, 10)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert again[0].dtype == np.int64 and again[1].dtype == np.float64
    bundle.recommend(1, 10)
    bundle.recommend(2, 10)
    assert list(bundle._user_cache) == [(1, 10), (2, 10)]  # bounded, least recent out


def test_similar_rows_match_the_models_similar_items(als):
    bundle = ModelBundle(als, Catalog(), neighbours=12)
    assert bundle.neighbours is not None and bundle.neighbours.exact
    items = [0, 3, 3, 9999, 7]  # repeated and unknown catalog indices
    ids, scores, counts = bundle.similar_block(items, 10)
    assert counts[3] == 0
    for row, c in enumerate(items):
        got, sc = bundle.similar(c, 10)
        np.testing.assert_array_equal(ids[row, : counts[row]], got)
        np.testing.assert_array_equal(scores[row, : counts[row]], sc)
        if c < als.n_items_:
            m = int(bundle.model_index(np.array([c]))[0])
            want, want_scores = als.similar_items(m, N=10)
            if np.any(als.item_vectors()[m] != 0):  # items without a direction have no neighbours
                np.testing.assert_allclose(sc, want_scores[want >= 0][: len(got)], rtol=1e-5, atol=1e-6)


def test_similar_source_rescales_each_anchor_and_source_separately(als, service):
    bundle = ModelBundle(als, service.state.catalog)
    co = service.state.viewed_together
    busy = np.argsort(-np.diff(co.indptr))[:3].tolist()
    anchors = [(i, "view") for i in [*busy, 10**6]]  # the last one is unknown everywhere
    ids, scores, owners = similar_source(anchors, bundle, co, 6)
    expected_ids, expected_scores, expected_owners = [], [], []
    for rank, (item, _) in enumerate(anchors):
        for got, sc in (bundle.similar(item, 6), co.neighbours(item, 6)):
            if len(got):
                expected_ids.append(got)
                expected_scores.append(0.7 ** rank * rescale(sc))
                expected_owners.append(np.full(len(got), item))
    np.testing.assert_array_equal(ids, np.concatenate(expected_ids))
    np.testing.assert_allclose(scores, np.concatenate(expected_scores))
    np.testing.assert_array_equal(owners, np.concatenate(expected_owners))
    assert similar_source([], bundle, co, 6)[0].size == 0


def test_only_the_serving_version_keeps_a_user_cache(als):
    from shopmind.pipeline.versions import ModelVersions

    versions = ModelVersions()
    first, second = (ModelBundle(als, Catalog(), version=v) for v in ("a", "b"))
    versions.activate(first)
    first.recommend(0, 10)
    versions.activate(second)
    second.recommend(0, 10)
    assert not first._user_cache and second._user_cache
    versions.rollback()
    assert not second._user_cache and versions.active is first


def test_scores_of_given_items_are_the_models(trained_shop):
    model = create("als", factors=8, iterations=3).fit(trained_shop.data)
    model.item_factors_[:5] = 0.0
    catalog = Catalog()
    bundle = ModelBundle(model, catalog)
    extra = catalog.ensure(["not-in-the-model"])
    idx = np.concatenate([bundle.m2c[[0, 3, 7, 60]], extra])
    got = bundle.scores_for(2, idx)
    np.testing.assert_allclose(got[:4], model.score(np.array([2]))[0][[0, 3, 7, 60]], rtol=1e-5, atol=1e-6)
    assert np.isnan(got[4])


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
