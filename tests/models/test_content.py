"""The content model: item texts, swappable featurizers, pretrained encoders that learn the taste groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fixtures.blocks import item_block
from shopmind.data.interactions import Interactions
from shopmind.errors import DataError, ParameterError
from shopmind.evaluation.protocol import evaluate
from shopmind.models import create
from shopmind.models.content import ContentRecommender, ItemFeaturizer
from shopmind.text.items import item_texts
from shopmind.training.splits import leave_one_out


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
    block = item_block(block_split.train)
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

    split = leave_one_out(block_data)
    full = split.train_valid()
    pop = evaluate(create("popular").fit(full), full, split.test).metrics["ndcg@10"]
    got = evaluate(create("content", featurizer="hashing").fit(full), full, split.test).metrics["ndcg@10"]
    assert got > pop
    with pytest.raises(ParameterError, match="featurizer"):
        create("content", featurizer="word2vec").fit(full)
