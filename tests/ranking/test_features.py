"""CTR / conversion rankers: labels and causal features, learning a planted signal, persistence, errors,
the ranking stage of the live service, and the `shopmind ctr` commands."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopmind.ranking.features import DENSE


def test_one_request_context_gives_the_same_features_as_one_context_per_row():
    """The live service passes one Context for all candidates, training replays one per row: both paths must
    produce identical features, or the ranker would serve on features it never saw."""
    from shopmind.data.catalog import Catalog
    from shopmind.data.signals import ItemSignals
    from shopmind.ranking.features import Context, UserProfile, dense_features, sparse_fields

    cat = Catalog()
    cat.upsert_frame(pd.DataFrame({"item_id": [f"i{k}" for k in range(30)],
                                   "category": [f"A > B{k % 4}" for k in range(30)],
                                   "brand": [f"br{k % 3}" for k in range(30)],
                                   "price": np.linspace(5, 80, 30)}))
    sig = ItemSignals({"view": 1.0, "purchase": 3.0})
    sig.add(np.array([1, 2, 2, 7]), np.array(["view", "view", "purchase", "view"], dtype=object),
            np.array([0, 1, 2, 3]))
    profile = UserProfile.build(cat, np.array([2, 6, 10, 11]))
    items = np.arange(30)
    for ctx in (Context("search", "mobile", 3, 14), Context(None, None, None, None), Context("x", "tv", 99, 0)):
        one = dense_features(cat, sig, profile, items, ctx)
        each = dense_features(cat, sig, profile, items, [ctx] * len(items))
        np.testing.assert_array_equal(one, each)
        np.testing.assert_array_equal(sparse_fields(cat, 4, items, ctx), sparse_fields(cat, 4, items, [ctx] * 30))
    # category shares are the user's history shares: items 2, 6, 10 are in B2 (3 of 4), 11 in B3
    share = dense_features(cat, sig, profile, items, Context())[:, DENSE.index("user_category_share")]
    assert share[2] == pytest.approx(0.75) and share[3] == pytest.approx(0.25) and share[0] == 0.0


def test_history_shares_count_each_field_apart_and_unknown_codes_count_for_nothing():
    """The profile keeps the category, root-category and brand codes of the history in one sorted array:
    a code of one field never counts for another, an item without a brand or category has no share, and a
    history item out of the catalog is left out of the counts."""
    from shopmind.data.catalog import Catalog
    from shopmind.data.signals import ItemSignals
    from shopmind.ranking.features import Context, UserProfile, dense_features

    cat = Catalog()
    cat.upsert_frame(pd.DataFrame({"item_id": ["a", "b", "c", "d", "e"],
                                   "category": ["X > Y", "X > Y", "X > Z", None, "W > V"],
                                   "brand": ["acme", None, "acme", "zen", "zen"],
                                   "price": [1.0, 2.0, 3.0, 4.0, 5.0]}))
    sig = ItemSignals({"view": 1.0})
    profile = UserProfile.build(cat, np.array([0, 1, 2, 3, 99, -1]))  # 99 and -1 are not catalog items
    assert profile.n == 4
    got = dense_features(cat, sig, profile, np.arange(5), Context())
    col = {name: got[:, DENSE.index(name)].tolist() for name in
           ("user_category_share", "user_root_share", "user_brand_share", "seen_before")}
    assert col["user_category_share"] == pytest.approx([0.5, 0.5, 0.25, 0.0, 0.0])  # d has no category
    assert col["user_root_share"] == pytest.approx([0.75, 0.75, 0.75, 0.0, 0.0])
    assert col["user_brand_share"] == pytest.approx([0.5, 0.0, 0.5, 0.25, 0.25])  # b has no brand
    assert col["seen_before"] == [1.0, 1.0, 1.0, 1.0, 0.0]
    empty = UserProfile.build(cat, np.array([], dtype=np.int64))
    assert not dense_features(cat, sig, empty, np.arange(5), Context())[:, 3:6].any()
