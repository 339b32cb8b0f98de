"""The attribute vocabulary: category prefixes, brand, price level within the category, attributes and tags."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopmind.models.fusion.attributes import AttributeVocabulary


def test_attribute_block_category_prefixes_brand_price_level_and_tags():
    meta = pd.DataFrame({
        "category": ["Shoes > Running"] * 10 + ["Home > Kitchen"] * 10 + ["Drama|Comedy", "Comedy"],
        "brand": ["Acme"] * 10 + ["Potter"] * 10 + [None, None],
        # cheap and dear *within* each category: 1..10 and 100..1000
        "price": list(range(1, 11)) + [100 * i for i in range(1, 11)] + [np.nan, np.nan],
        "attributes": [{"colour": "red", "features": ["Waterproof", "Light"], "description_zh": "x" * 80}] * 10
        + ['{"colour": "blue"}'] * 10 + [{"release_year": 1996}, {"release_year": 1996}],
        "tags": ["sale, new"] * 2 + [None] * 20,
    })
    vocab = AttributeVocabulary(price_levels=5, min_count=2).fit(meta, len(meta))
    toks = vocab.item_tokens(meta, len(meta))
    assert toks[0]["category"] == ["cat:shoes", "cat:shoes>running"]
    assert toks[0]["brand"] == ["brand:acme"]
    assert toks[0]["price"] == ["price_level=0"] and toks[10]["price"] == ["price_level=0"]  # per category
    assert toks[9]["price"] == ["price_level=4"] and toks[19]["price"] == ["price_level=4"]
    assert {"attr:colour=red", "attr:features=waterproof", "attr:tag=sale"} <= set(toks[0]["attr"])
    assert not any("description_zh" in t for t in vocab.vocab)  # long free text is not an attribute
    assert toks[20]["category"] == ["cat:comedy"]  # "Drama" is on one item only: dropped (min_count=2)
    assert toks[20]["attr"] == ["attr:release_year=1996"]
    x = vocab.transform(meta, len(meta))
    np.testing.assert_allclose(np.sqrt(x.multiply(x).sum(axis=1)).A.ravel(), 1.0, rtol=1e-5)
    # each group carries the same weight: two category tokens share one group's mass
    row = x[0].toarray().ravel()
    assert row[vocab.vocab["cat:shoes"]] ** 2 * 2 == pytest.approx(row[vocab.vocab["brand:acme"]] ** 2, rel=1e-5)
