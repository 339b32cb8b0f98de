"""Classic models: item/user kNN, EASE, ALS, BPR, biased MF, content-based, and the tuner.

Every model must learn a tiny block-structured data set (two user groups liking two item groups) better
than popularity, round-trip through save/load, and reject bad hyperparameters with the standard message.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from shopmind.data.interactions import Interactions
from shopmind.errors import DataError, ParameterError, ShopmindError
from shopmind.evaluation.protocol import evaluate
from shopmind.evaluation.splits import leave_one_out
from shopmind.models import create
from shopmind.models.content import ContentRecommender, ItemFeaturizer, item_texts
from shopmind.models.ease import EASE
from shopmind.models.factorization import ALS, BPR, BiasedMF
from shopmind.models.knn import ItemKNN, UserKNN, cosine_topk, history_matrix
from shopmind.models.tuning import tune

N_ITEMS_PER_BLOCK = 15
#: small settings so each model fits in well under a second on the toy data
FAST_PARAMS: dict[str, dict[str, object]] = {
    "itemknn": {"k": 20},
    "userknn": {"k": 20},
    "ease": {"l2": 10.0},
    # two latent blocks: more factors than that only memorise the toy data
    "als": {"factors": 2, "iterations": 10, "regularization": 0.1, "num_threads": 1},
    "bpr": {"factors": 2, "iterations": 60, "learning_rate": 0.05, "num_threads": 1},
    "mf": {"factors": 8, "iterations": 10, "regularization": 0.1},
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


@pytest.fixture(scope="module")
def popular_ndcg(block_split) -> float:
    pop = create("popular").fit(block_split.train)
    return evaluate(pop, block_split.train, block_split.valid).metrics["ndcg@10"]


@pytest.mark.parametrize("name", sorted(FAST_PARAMS))
def test_learns_blocks_and_beats_popularity(name, block_split, popular_ndcg):
    model = create(name, **FAST_PARAMS[name]).fit(block_split.train, block_split.valid)
    res = evaluate(model, block_split.train, block_split.valid)
    assert res.metrics["ndcg@10"] > popular_ndcg + 0.05, (name, res.metrics["ndcg@10"], popular_ndcg)
    # block-B users (the minority, whom popularity fails) get block-B items on top
    b_users = block_split.train.users.indices([f"u{u}" for u in range(40, 60)])
    ids, _ = model.recommend(b_users, N=3)
    assert (_item_block(block_split.train)[ids] == 1).mean() >= 0.8, (name, ids)


@pytest.mark.parametrize("name", sorted(FAST_PARAMS))
def test_save_load_scores_identical(name, block_split, tmp_path):
    from shopmind.models.base import Recommender

    model = create(name, **FAST_PARAMS[name]).fit(block_split.train)
    users = np.arange(block_split.train.n_users)
    before = model.score(users)
    loaded = Recommender.load(model.save(tmp_path / name))
    assert type(loaded) is type(model)
    assert loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.score(users), before)
    np.testing.assert_array_equal(loaded.recommend(users, N=5)[0], model.recommend(users, N=5)[0])


@pytest.mark.parametrize("name", sorted(FAST_PARAMS))
def test_explain_names_history_items(name, block_split):
    model = create(name, **FAST_PARAMS[name]).fit(block_split.train)
    ids, _ = model.recommend(3, N=1)
    why = model.explain(3, int(ids[0]))
    if name in ("mf",):
        assert why is None
        return
    assert why is not None and why["because_of"], (name, why)
    hist = set(block_split.train.history(3).tolist())
    neighbours = name == "userknn"  # explains with similar users instead of items
    for who, _ in why["because_of"]:
        assert neighbours or who in hist


# ---------------------------------------------------------------------------- formulas on hand examples
def test_ease_matches_direct_constrained_solve():
    x = np.array([[1, 0, 1, 1], [0, 1, 1, 0], [1, 1, 0, 0], [1, 0, 0, 1], [0, 1, 1, 1]], dtype=float)
    lam = 2.0
    # each column j regressed on the other columns with a ridge penalty (diag(B) = 0)
    expected = np.zeros((4, 4))
    for j in range(4):
        others = [i for i in range(4) if i != j]
        a = x[:, others]
        expected[others, j] = np.linalg.solve(a.T @ a + lam * np.eye(3), a.T @ x[:, j])
    rows = [(f"u{u}", f"i{i}", t) for u in range(5) for t, i in enumerate(np.flatnonzero(x[u]))]
    events = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])
    data = Interactions.from_frame(events)
    model = EASE(l2=lam, recency="none").fit(data)
    order = data.items.indices([f"i{j}" for j in range(4)])
    np.testing.assert_allclose(model.weights_[np.ix_(order, order)], expected, atol=1e-6)
    users = data.users.indices([f"u{u}" for u in range(5)])
    np.testing.assert_allclose(model.score(users)[:, order], x @ expected, atol=1e-5)


def _hand_matrix() -> sp.csr_matrix:
    # 4 users x 3 items
    return sp.csr_matrix(np.array([[1, 1, 0], [1, 0, 1], [1, 1, 1], [0, 1, 0]], dtype=np.float32))


def test_itemknn_similarity_is_cosine_with_shrink():
    x = _hand_matrix().toarray()
    shrink = 1.5
    n = np.linalg.norm(x, axis=0)
    expected = (x.T @ x) / (np.outer(n, n) + shrink)
    np.fill_diagonal(expected, 0.0)
    sim = cosine_topk(_hand_matrix(), k=10, shrink=shrink).toarray()
    np.testing.assert_allclose(sim, expected, rtol=1e-5)
    # and through the model (item ids follow first appearance, which here is 0, 1, 2)
    events = pd.DataFrame([(f"u{u}", f"i{i}", u * 10 + i) for u in range(4) for i in np.flatnonzero(x[u])],
                          columns=["user_id", "item_id", "timestamp"])
    model = ItemKNN(k=10, shrink=shrink).fit(Interactions.from_frame(events))
    np.testing.assert_allclose(model.similarity_.toarray(), expected, rtol=1e-5)
    # score of user 3 (history: item 1) is s_1j
    np.testing.assert_allclose(model.score(np.array([3]))[0], expected[1], rtol=1e-5)


def test_asymmetric_cosine_and_top_k_pruning():
    x = _hand_matrix().toarray()
    alpha, shrink = 0.2, 0.5
    sq = (x**2).sum(axis=0)
    expected = (x.T @ x) / (np.outer(sq**alpha, sq ** (1 - alpha)) + shrink)
    np.fill_diagonal(expected, 0.0)
    sim = cosine_topk(_hand_matrix(), k=10, shrink=shrink, alpha=alpha).toarray()
    np.testing.assert_allclose(sim, expected, rtol=1e-5)
    top1 = cosine_topk(_hand_matrix(), k=1, shrink=shrink, alpha=alpha)
    assert (np.diff(top1.indptr) == 1).all()
    np.testing.assert_allclose(top1.toarray().max(axis=1), expected.max(axis=1), rtol=1e-5)


def test_userknn_similarity_formula():
    x = _hand_matrix().toarray()
    n = np.linalg.norm(x, axis=1)
    expected = (x @ x.T) / (np.outer(n, n) + 2.0)
    np.fill_diagonal(expected, 0.0)
    events = pd.DataFrame([(f"u{u}", f"i{i}", u * 10 + i) for u in range(4) for i in np.flatnonzero(x[u])],
                          columns=["user_id", "item_id", "timestamp"])
    model = UserKNN(k=10, shrink=2.0).fit(Interactions.from_frame(events))
    np.testing.assert_allclose(model.similarity_.toarray(), expected, rtol=1e-5)
    np.testing.assert_allclose(model.score(np.arange(4)), expected @ x, rtol=1e-5)


def test_recency_weights_halve_per_half_life():
    events = pd.DataFrame({"user_id": ["a"] * 4, "item_id": ["x", "y", "z", "x"], "timestamp": [0, 1, 2, 3]})
    data = Interactions.from_frame(events)
    m = history_matrix(data, recency="position", half_life=1.0).toarray()[0]
    x, y, z = data.items.indices(["x", "y", "z"])
    # x was seen last (repeat keeps the most recent), z one event earlier, y two
    np.testing.assert_allclose([m[x], m[z], m[y]], [1.0, 0.5, 0.25])
    days = pd.DataFrame({"user_id": ["a", "a"], "item_id": ["x", "y"], "timestamp": [0, 86400 * 3]})
    m = history_matrix(Interactions.from_frame(days), recency="time", half_life=3.0).toarray()[0]
    np.testing.assert_allclose(sorted(m), [0.5, 1.0])


# ---------------------------------------------------------------------------- fold-in
def test_als_fold_in_reproduces_trained_user(block_split):
    train = block_split.train
    # without recency the stored user vectors come from training itself, not from a fold-in
    model = ALS(factors=8, iterations=15, regularization=0.1, num_threads=1, recency="none").fit(train)
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


# ---------------------------------------------------------------------------- content
def test_content_needs_item_text():
    events = pd.DataFrame({"user_id": ["a", "a", "b"], "item_id": ["x", "y", "x"]})
    with pytest.raises(DataError, match="item text"):
        ContentRecommender().fit(Interactions.from_frame(events))
    meta = pd.DataFrame({"item_id": ["x", "y"], "price": [1.0, 2.0]})
    with pytest.raises(DataError, match="item text"):
        ContentRecommender().fit(Interactions.from_frame(events, item_meta=meta))


def test_item_texts_use_category_path_and_brand():
    meta = pd.DataFrame({"item_id": ["x"], "title": ["Gel"], "category": ["Beauty > Nails"],
                         "brand": ["OPI"]})
    events = pd.DataFrame({"user_id": ["a"], "item_id": ["x"]})
    data = Interactions.from_frame(events, item_meta=meta)
    (text,) = item_texts(data.item_meta, data.n_items)
    assert "Gel" in text and "cat_beauty__nails" in text and "brand_opi" in text


class _OneHotBlockFeaturizer(ItemFeaturizer):
    """A stand-in for a pretrained encoder: dense vectors from a keyword."""

    def fit_transform(self, texts):
        return self.transform(texts)

    def transform(self, texts):
        return np.array([[1.0, 0.0] if "shoe" in t else [0.0, 1.0] for t in texts])


def test_content_featurizer_is_swappable(block_split, popular_ndcg):
    model = ContentRecommender(featurizer=_OneHotBlockFeaturizer()).fit(block_split.train)
    assert model.item_vectors().shape == (block_split.train.n_items, 2)
    assert evaluate(model, block_split.train, block_split.valid).metrics["ndcg@10"] > popular_ndcg
    ids, _ = model.similar_items(0, N=3)
    block = _item_block(block_split.train)
    assert (block[ids] == block[0]).all()


# ---------------------------------------------------------------------------- parameters and guards
@pytest.mark.parametrize(("make", "param"), [
    (lambda: EASE(l2=-1), "l2"),
    (lambda: EASE(max_items=0), "max_items"),
    (lambda: ItemKNN(k=0), "k"),
    (lambda: ItemKNN(similarity="jaccard"), "similarity"),
    (lambda: ItemKNN(alpha=1.5), "alpha"),
    (lambda: ItemKNN(recency="sometimes"), "recency"),
    (lambda: ItemKNN(normalize="l3"), "normalize"),
    (lambda: UserKNN(shrink=-2.0), "shrink"),
    (lambda: ALS(factors=0), "factors"),
    (lambda: ALS(alpha=-1.0), "alpha"),
    (lambda: BPR(learning_rate=0), "learning_rate"),
    (lambda: BiasedMF(regularization=0), "regularization"),
    (lambda: ContentRecommender(featurizer="word2vec"), "featurizer"),
    (lambda: ContentRecommender(ngram_max=0), "ngram_max"),
])
def test_parameter_validation_names_the_parameter(make, param, block_split):
    model = make()
    with pytest.raises(ParameterError, match=f"The '{param}' parameter of {type(model).__name__} must be"):
        model.fit(block_split.train)


def test_ease_refuses_huge_catalogs_and_suggests_itemknn(block_split):
    with pytest.raises(ShopmindError, match="itemknn"):
        EASE(max_items=10).fit(block_split.train)


def test_tune_grid_and_random_search(block_split):
    best, table = tune("itemknn", block_split, {"k": [1, 20], "shrink": [0.0, 5.0]})
    assert len(table) == 4 and set(best) == {"k", "shrink"}
    assert table["ndcg@10"].iloc[0] == table["ndcg@10"].max()
    row = table.iloc[0]
    assert (row["k"], row["shrink"]) == (best["k"], best["shrink"])
    best, table = tune("ease", block_split, {"l2": [1.0, 10.0, 100.0]}, n_trials=2, seed=1, metric="hr@5",
                       fixed={"max_items": 100})
    assert len(table) == 2 and best["max_items"] == 100 and "hr@5" in table.columns
    with pytest.raises(ParameterError, match="'metric'"):
        tune("ease", block_split, {"l2": [1.0]}, metric="ndcg")


def test_default_grids_name_real_parameters():
    from shopmind.models import available
    from shopmind.models.tuning import DEFAULT_GRIDS

    for name, grid in DEFAULT_GRIDS.items():
        assert set(grid) <= set(available()[name]._param_names()), name


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
    plain = create("als", factors=8, iterations=3, recency="none").fit(data)
    new = np.array([1, 2, 3])
    expected = plain.fold_in(np.union1d(plain.user_items_[0].indices, new))
    np.testing.assert_allclose(plain.live_vector(0, new), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(plain.live_vector(-1, new), plain.fold_in(new), rtol=1e-5, atol=1e-6)
    decayed = create("als", factors=8, iterations=3, recency="position", half_life=2.0).fit(data)
    row = decayed.user_items_[0]
    weights = dict(zip(row.indices.tolist(), (row.data * 0.5 ** 1.5).tolist(), strict=True))
    for item, w in zip([5, 6, 7], [0.5, 0.5 ** 0.5, 1.0], strict=True):  # oldest first, newest weighs 1
        weights[item] = max(weights.get(item, 0.0), w)
    cols = np.array(sorted(weights))
    hist = sp.csr_matrix((np.array([weights[c] for c in cols], np.float32), cols, [0, len(cols)]),
                         shape=(1, decayed.n_items_))
    np.testing.assert_allclose(decayed.live_vector(0, np.array([5, 6, 7])), decayed.fold_in(hist), rtol=1e-5,
                               atol=1e-6)
