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
