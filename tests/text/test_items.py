"""The one path from an item's facts to its text and to a cached embedding."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopmind.text import cache
from shopmind.text.items import embed_items, embed_texts, item_texts


@pytest.fixture()
def own_cache(tmp_path):
    """A fresh cache for one test; the suite's cache comes back afterwards."""
    previous = cache.cache_url()
    cache.set_cache_url(f"sqlite:///{tmp_path / 'emb.db'}")
    yield
    cache.set_cache_url(previous)


META = pd.DataFrame({"title": ["Red running shoe", None, "Blue mug"], "category": ["Shoes > Running", None, None],
                     "brand": ["Acme", None, "Potter"]})


def test_item_texts_read_the_fields_in_order_with_tokens_for_bag_of_words():
    assert item_texts(META, 4, ("title", "brand"), tokens=False) == ["Red running shoe Acme", "", "Blue mug Potter",
                                                                     ""]
    (first,) = item_texts(META.iloc[:1], 1, ("category",))
    assert "cat_shoes__running" in first  # path prefixes as tokens for TF-IDF


def test_embed_items_encodes_only_items_with_text_and_caches_them(own_cache):
    vecs, has = embed_items(META, 3, "hashing", ("title", "brand"))
    assert has.tolist() == [True, False, True] and not vecs[1].any() and vecs[0].any()
    again, stats = embed_texts(["Red running shoe Acme", "Blue mug Potter"], "hashing")
    assert stats["cached"] == 2 and stats["encoded"] == 0
    assert np.allclose(again, vecs[[0, 2]])


def test_without_a_cache_everything_is_encoded():
    previous = cache.cache_url()
    cache.set_cache_url(None)
    try:
        _, stats = embed_texts(["a b", "c d"], "hashing")
        _, again = embed_texts(["a b", "c d"], "hashing")
    finally:
        cache.set_cache_url(previous)
    assert stats["encoded"] == again["encoded"] == 2 and again["cached"] == 0
