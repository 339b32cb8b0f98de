"""ALS, BPR and biased MF: fold-in of new histories, live user vectors, partial refits, rating prediction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from fixtures.blocks import FAST_PARAMS, N_ITEMS_PER_BLOCK, b_items, item_block
from shopmind.data.interactions import Interactions
from shopmind.errors import ParameterError, ShopmindError
from shopmind.models import create
from shopmind.models.factorization import ALS, BPR, BiasedMF
from shopmind.models.knn import history_matrix


# ---------------------------------------------------------------------------- fold-in
def test_als_fold_in_reproduces_trained_user(block_split):
    train = block_split.train
    # without recency the stored user vectors come from training itself, not from a fold-in
    model = ALS(factors=8, epochs=15, regularization=0.1, threads=1, recency="none").fit(train)
    hist = model.user_items_
    for u in (0, 45):
        vec = model.fold_in(hist[u])
        cos = vec @ model.user_factors_[u] / (np.linalg.norm(vec) * np.linalg.norm(model.user_factors_[u]))
        assert cos > 0.95
        seen = hist[u].indices
        s_fold = model.score_vectors(vec)[0]
        s_fold[seen] = -np.inf
        top_fold = set(np.argsort(-s_fold)[:5].tolist())
        top_trained = set(model.recommend(u, N=5)[0].tolist())
        assert len(top_fold & top_trained) >= 4
    # item indices work too and give the same vector
    np.testing.assert_allclose(model.fold_in(hist[0].indices), model.fold_in(hist[0]), rtol=1e-4, atol=1e-5)


def test_als_recency_folds_in_decayed_histories(block_split):
    model = ALS(**FAST_PARAMS["als"], recency="position", half_life=2.0).fit(block_split.train)
    decayed = history_matrix(block_split.train, recency="position", half_life=2.0)
    np.testing.assert_allclose(model.user_items_.toarray(), decayed.toarray())
    np.testing.assert_allclose(model.user_factors_[:5], model.fold_in(decayed[:5]), rtol=1e-4, atol=1e-5)


def test_als_live_vector_folds_in_the_history_followed_by_new_items():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"user_id": rng.integers(0, 30, 600).astype(str), "item_id": rng.integers(0, 40, 600).astype(str),
                       "timestamp": np.arange(600)})
    data = Interactions.from_frame(df)
    plain = create("als", factors=8, epochs=3, recency="none").fit(data)
    new = np.array([1, 2, 3])
    expected = plain.fold_in(np.union1d(plain.user_items_[0].indices, new))
    np.testing.assert_allclose(plain.live_vector(0, new), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(plain.live_vector(-1, new), plain.fold_in(new), rtol=1e-5, atol=1e-6)
    decayed = create("als", factors=8, epochs=3, recency="position", half_life=2.0).fit(data)
    row = decayed.user_items_[0]
    weights = dict(zip(row.indices.tolist(), (row.data * 0.5 ** 1.5).tolist(), strict=True))
    for item, w in zip([5, 6, 7], [0.5, 0.5 ** 0.5, 1.0], strict=True):  # oldest first, newest weighs 1
        weights[item] = max(weights.get(item, 0.0), w)
    cols = np.array(sorted(weights))
    hist = sp.csr_matrix((np.array([weights[c] for c in cols], np.float32), cols, [0, len(cols)]),
                         shape=(1, decayed.n_items_))
    np.testing.assert_allclose(decayed.live_vector(0, np.array([5, 6, 7])), decayed.fold_in(hist), rtol=1e-5,
                               atol=1e-6)


def test_als_request_fold_in_runs_on_one_thread_and_matches_the_batch_solve(block_split, tmp_path):
    from shopmind.models.factorization import REQUEST_ROWS

    model = ALS(**{**FAST_PARAMS["als"], "threads": 2}).fit(block_split.train)
    rows = model.user_items_[: REQUEST_ROWS + 1]  # above the request size: implicit's threads
    batch = model.fold_in(rows)
    np.testing.assert_allclose(model.fold_in(rows[:1]), batch[0], rtol=1e-5, atol=1e-6)
    solver = model._request_solver()
    assert solver.num_threads == 1 and model.model_.num_threads == 2  # the trained model is left as it was
    assert solver is model._request_solver()  # kept while the item factors are the same
    # the one-thread twin is never saved with the artifact
    again = ALS.load(model.save(tmp_path / "als"))
    assert "_solver" not in again.__dict__
    np.testing.assert_allclose(again.fold_in(rows[:1]), batch[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("klass", [ALS, BPR])
def test_partial_fit_users_moves_a_user_to_the_other_block(klass, block_split):
    params = FAST_PARAMS[klass.name]
    model = klass(**params).fit(block_split.train)
    block = item_block(block_split.train)
    u = block_split.train.users.index("u0")  # a block-A user ...
    assert (block[model.recommend(u, N=3)[0]] == 0).all()
    new_hist = b_items(block_split.train)[:6]  # ... who now only buys block B
    model.partial_fit_users(np.array([u]), sp.csr_matrix(
        (np.ones(6, dtype=np.float32), (np.zeros(6, dtype=int), new_hist)), shape=(1, model.n_items_)))
    ids = model.recommend(u, N=3)[0]
    assert (block[ids] == 1).all()
    assert not set(ids.tolist()) & set(new_hist.tolist())  # the new history is filtered as seen
    with pytest.raises(ParameterError, match="'users'"):
        model.partial_fit_users(np.array([10_000]), new_hist)


def test_bpr_fold_in_ranks_own_block_first(block_split):
    model = BPR(**FAST_PARAMS["bpr"]).fit(block_split.train)
    vec = model.fold_in(b_items(block_split.train)[:4])
    assert vec[-1] == 1.0  # the bias coordinate
    top = np.argsort(-model.score_vectors(vec)[0])[:8]
    assert (item_block(block_split.train)[top] == 1).mean() >= 0.75


# ---------------------------------------------------------------------------- explicit MF
def test_mf_predicts_ratings(block_split):
    model = BiasedMF(**FAST_PARAMS["mf"]).fit(block_split.train, block_split.valid)
    assert set(model.valid_metrics_) >= {"rmse", "mae"}
    assert model.valid_metrics_["rmse"] < 1.0
    items = block_split.train.items
    u0 = block_split.train.users.index("u0")
    own = model.predict(u0, items.index("i3"))
    other = model.predict(u0, items.index(f"i{N_ITEMS_PER_BLOCK + 3}"))
    assert isinstance(own, float) and 1.0 <= other < own <= 5.0
    assert model.predict(np.array([0, 1]), np.array([3, 4])).shape == (2,)
    assert model.rating_metrics(block_split.valid)["rmse"] == pytest.approx(model.valid_metrics_["rmse"])


def test_mf_needs_ratings():
    events = pd.DataFrame({"user_id": ["a", "a", "b"], "item_id": ["x", "y", "x"]})
    with pytest.raises(ShopmindError, match="ratings"):
        BiasedMF().fit(Interactions.from_frame(events))
