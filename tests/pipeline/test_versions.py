"""The per-version structures that keep a request to at most one pass over the catalog: the neighbour
table, the partial sort, and what a model bundle answers from them (the same as the model itself)."""

from __future__ import annotations

import numpy as np
import pytest

from shopmind.data.catalog import Catalog
from shopmind.models import create
from shopmind.pipeline.versions import ModelBundle, bounded_top


@pytest.fixture(scope="module")
def als(trained_shop):
    return create("als", factors=8, epochs=3).fit(trained_shop.data)


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
    model = create("als", factors=8, epochs=3).fit(trained_shop.data)
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
    model = create("als", factors=8, epochs=3).fit(trained_shop.data)
    model.item_factors_[:5] = 0.0
    catalog = Catalog()
    bundle = ModelBundle(model, catalog)
    extra = catalog.ensure(["not-in-the-model"])
    idx = np.concatenate([bundle.m2c[[0, 3, 7, 60]], extra])
    got = bundle.scores_for(2, idx)
    np.testing.assert_allclose(got[:4], model.score(np.array([2]))[0][[0, 3, 7, 60]], rtol=1e-5, atol=1e-6)
    assert np.isnan(got[4])


@pytest.mark.parametrize("method", ["hnsw", "ivf"])
def test_an_approximate_index_chosen_by_configuration_finds_nearly_the_exact_top_k(als, trained_shop, method):
    catalog = Catalog()
    catalog.upsert_frame(trained_shop.items)
    exact = ModelBundle(als, catalog)
    approx = ModelBundle(als, catalog, retrieval=method)
    assert exact.ann is None and approx.ann is not None and approx.ann.stats.method == method
    hits, total = 0, 0
    for user in range(0, als.n_users_, 7):
        want, _ = exact.recommend(user, 10)
        got, scores = approx.recommend(user, 10)
        assert not set(approx.model_index(got).tolist()) & set(als.seen_[user].indices.tolist())
        assert (np.diff(scores) <= 1e-6).all()
        hits += len(np.intersect1d(want, got))
        total += len(want)
    assert hits / total >= 0.9
