"""Classic models: item/user kNN, EASE, ALS, BPR, biased MF, content-based, and the tuner.

Every model must learn a tiny block-structured data set (two user groups liking two item groups) better
than popularity, round-trip through save/load, and reject bad hyperparameters with the standard message."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from shopmind.data.interactions import Interactions
from shopmind.errors import ParameterError, ShopmindError
from shopmind.models import create
from shopmind.models.factorization import ALS, BPR, BiasedMF
from shopmind.models.knn import history_matrix
from shopmind.training.splits import leave_one_out

N_ITEMS_PER_BLOCK = 15


#: small settings so each model fits in well under a second on the toy data
FAST_PARAMS: dict[str, dict[str, object]] = {
    "itemknn": {"k": 20},
    "userknn": {"k": 20},
    "ease": {"l2": 10.0},
    # two latent blocks: more factors than that only memorise the toy data
    "als": {"factors": 2, "epochs": 10, "regularization": 0.1, "threads": 1},
    "bpr": {"factors": 2, "epochs": 60, "learning_rate": 0.05, "threads": 1},
    "mf": {"factors": 8, "epochs": 10, "regularization": 0.1},
    "content": {},
}


def _block_frame(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """60 users: 40 like items 0-14 (block A), 20 like items 15-29 (block B), so the most popular items
    are all A items and popularity fails the B users. Each user first rates one item of the other block
    badly (rating 1), then 8 items of their own block well (4-5)."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(60):
        own, other = (0, 1) if u < 40 else (1, 0)
        t = 0
        bad = other * N_ITEMS_PER_BLOCK + int(rng.integers(N_ITEMS_PER_BLOCK))
        rows.append((f"u{u}", f"i{bad}", 1.0, t))
        for it in rng.choice(N_ITEMS_PER_BLOCK, size=8, replace=False):
            t += 1
            rows.append((f"u{u}", f"i{own * N_ITEMS_PER_BLOCK + int(it)}", float(rng.integers(4, 6)), t))
    events = pd.DataFrame(rows, columns=["user_id", "item_id", "value", "timestamp"])
    words = [("red running shoe", "Shoes > Running"), ("blue phone charger", "Electronics > Phones")]
    meta = pd.DataFrame([
        {"item_id": f"i{i}", "title": f"{words[i // N_ITEMS_PER_BLOCK][0]} model {i}",
         "category": words[i // N_ITEMS_PER_BLOCK][1], "brand": "Acme" if i % 2 else "Globex"}
        for i in range(2 * N_ITEMS_PER_BLOCK)])
    return events, meta


@pytest.fixture(scope="module")
def block_split():
    events, meta = _block_frame()
    return leave_one_out(Interactions.from_frame(events, item_meta=meta, name="blocks"))


def _item_block(data: Interactions) -> np.ndarray:
    """Block (0 = A, 1 = B) of each dense item index (dense indices follow first appearance)."""
    return np.array([int(raw[1:]) // N_ITEMS_PER_BLOCK for raw in data.items.raw_ids])


def _b_items(data: Interactions) -> np.ndarray:
    return np.flatnonzero(_item_block(data) == 1)


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


@pytest.mark.parametrize("klass", [ALS, BPR])
def test_partial_fit_users_moves_a_user_to_the_other_block(klass, block_split):
    params = FAST_PARAMS[klass.name]
    model = klass(**params).fit(block_split.train)
    block = _item_block(block_split.train)
    u = block_split.train.users.index("u0")  # a block-A user ...
    assert (block[model.recommend(u, N=3)[0]] == 0).all()
    new_hist = _b_items(block_split.train)[:6]  # ... who now only buys block B
    model.partial_fit_users(np.array([u]), sp.csr_matrix(
        (np.ones(6, dtype=np.float32), (np.zeros(6, dtype=int), new_hist)), shape=(1, model.n_items_)))
    ids = model.recommend(u, N=3)[0]
    assert (block[ids] == 1).all()
    assert not set(ids.tolist()) & set(new_hist.tolist())  # the new history is filtered as seen
    with pytest.raises(ParameterError, match="'users'"):
        model.partial_fit_users(np.array([10_000]), new_hist)


def test_bpr_fold_in_ranks_own_block_first(block_split):
    model = BPR(**FAST_PARAMS["bpr"]).fit(block_split.train)
    vec = model.fold_in(_b_items(block_split.train)[:4])
    assert vec[-1] == 1.0  # the bias coordinate
    top = np.argsort(-model.score_vectors(vec)[0])[:8]
    assert (_item_block(block_split.train)[top] == 1).mean() >= 0.75


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
