"""Classic models: item/user kNN, EASE, ALS, BPR, biased MF, content-based, and the tuner.

Every model must learn a tiny block-structured data set (two user groups liking two item groups) better
than popularity, round-trip through save/load, and reject bad hyperparameters with the standard message."""

from __future__ import annotations

import numpy as np
import pytest

from fixtures.blocks import FAST_PARAMS, item_block
from shopmind.errors import ParameterError
from shopmind.evaluation.protocol import evaluate
from shopmind.models import create
from shopmind.models.content import ContentRecommender
from shopmind.models.ease import EASE
from shopmind.models.factorization import ALS, BPR, BiasedMF
from shopmind.models.knn import ItemKNN, UserKNN


@pytest.mark.parametrize("name", sorted(FAST_PARAMS))
def test_learns_blocks_and_beats_popularity(name, block_split, popular_ndcg):
    model = create(name, **FAST_PARAMS[name]).fit(block_split.train, block_split.valid)
    res = evaluate(model, block_split.train, block_split.valid)
    assert res.metrics["ndcg@10"] > popular_ndcg + 0.05, (name, res.metrics["ndcg@10"], popular_ndcg)
    # block-B users (the minority, whom popularity fails) get block-B items on top
    b_users = block_split.train.users.indices([f"u{u}" for u in range(40, 60)])
    ids, _ = model.recommend(b_users, N=3)
    assert (item_block(block_split.train)[ids] == 1).mean() >= 0.8, (name, ids)


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
