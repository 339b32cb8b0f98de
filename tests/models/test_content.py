"""Classic models: item/user kNN, EASE, ALS, BPR, biased MF, content-based, and the tuner.

Every model must learn a tiny block-structured data set (two user groups liking two item groups) better
than popularity, round-trip through save/load, and reject bad hyperparameters with the standard message."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopmind.data.interactions import Interactions
from shopmind.errors import DataError, ParameterError
from shopmind.evaluation.protocol import evaluate
from shopmind.models import create
from shopmind.models.content import ContentRecommender, ItemFeaturizer
from shopmind.text.items import item_texts
from shopmind.training.splits import leave_one_out

N_ITEMS_PER_BLOCK = 15


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


@pytest.fixture(scope="module")
def popular_ndcg(block_split) -> float:
    pop = create("popular").fit(block_split.train)
    return evaluate(pop, block_split.train, block_split.valid).metrics["ndcg@10"]


class _OneHotBlockFeaturizer(ItemFeaturizer):
    """A stand-in for a pretrained encoder: dense vectors from a keyword."""

    def fit_transform(self, texts):
        return self.transform(texts)

    def transform(self, texts):
        return np.array([[1.0, 0.0] if "shoe" in t else [0.0, 1.0] for t in texts])


# ---------------------------------------------------------------------------- content
def test_content_needs_item_text():
    events = pd.DataFrame({"user_id": ["a", "a", "b"], "item_id": ["x", "y", "x"]})
    with pytest.raises(DataError, match="item text"):
        ContentRecommender().fit(Interactions.from_frame(events))
    meta = pd.DataFrame({"item_id": ["x", "y"], "price": [1.0, 2.0]})
    with pytest.raises(DataError, match="item text"):
        ContentRecommender().fit(Interactions.from_frame(events, item_meta=meta))


def test_content_featurizer_is_swappable(block_split, popular_ndcg):
    model = ContentRecommender(featurizer=_OneHotBlockFeaturizer()).fit(block_split.train)
    assert model.item_vectors().shape == (block_split.train.n_items, 2)
    assert evaluate(model, block_split.train, block_split.valid).metrics["ndcg@10"] > popular_ndcg
    ids, _ = model.similar_items(0, N=3)
    block = _item_block(block_split.train)
    assert (block[ids] == block[0]).all()


def test_item_texts_use_category_path_and_brand():
    meta = pd.DataFrame({"item_id": ["x"], "title": ["Gel"], "category": ["Beauty > Nails"],
                         "brand": ["OPI"]})
    events = pd.DataFrame({"user_id": ["a"], "item_id": ["x"]})
    data = Interactions.from_frame(events, item_meta=meta)
    (text,) = item_texts(data.item_meta, data.n_items)
    assert "Gel" in text and "cat_beauty__nails" in text and "brand_opi" in text


def test_content_model_with_an_encoder_learns_the_taste_groups(block_data):
    from shopmind.evaluation.protocol import evaluate
    from shopmind.training.splits import leave_one_out

    split = leave_one_out(block_data)
    full = split.train_valid()
    pop = evaluate(create("popular").fit(full), full, split.test).metrics["ndcg@10"]
    got = evaluate(create("content", featurizer="hashing").fit(full), full, split.test).metrics["ndcg@10"]
    assert got > pop
    with pytest.raises(ParameterError, match="featurizer"):
        create("content", featurizer="word2vec").fit(full)
