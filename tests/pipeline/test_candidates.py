"""The per-version structures that keep a request to at most one pass over the catalog: the neighbour
table, the partial sort, and what a model bundle answers from them (the same as the model itself)."""

from __future__ import annotations

import numpy as np
import pytest

from shopmind.models import create
from shopmind.pipeline.candidates import rescale, similar_source
from shopmind.pipeline.versions import ModelBundle


@pytest.fixture(scope="module")
def als(trained_shop):
    return create("als", factors=8, epochs=3).fit(trained_shop.data)


def test_similar_source_rescales_each_anchor_and_source_separately(als, service):
    bundle = ModelBundle(als, service.state.catalog)
    co = service.state.viewed_together
    busy = np.argsort(-np.diff(co.indptr))[:3].tolist()
    anchors = [(i, "view") for i in [*busy, 10**6]]  # the last one is unknown everywhere
    ids, scores, owners = similar_source(anchors, bundle, co, 6)
    expected_ids, expected_scores, expected_owners = [], [], []
    for rank, (item, _) in enumerate(anchors):
        for got, sc in (bundle.similar(item, 6), co.neighbours(item, 6)):
            if len(got):
                expected_ids.append(got)
                expected_scores.append(0.7 ** rank * rescale(sc))
                expected_owners.append(np.full(len(got), item))
    np.testing.assert_array_equal(ids, np.concatenate(expected_ids))
    np.testing.assert_allclose(scores, np.concatenate(expected_scores))
    np.testing.assert_array_equal(owners, np.concatenate(expected_owners))
    assert similar_source([], bundle, co, 6)[0].size == 0


def test_main_root_is_the_most_common_root_category_with_ties_to_the_lowest_code():
    import pandas as pd

    from shopmind.data.catalog import Catalog
    from shopmind.pipeline.candidates import main_root

    cat = Catalog()
    cat.upsert_frame(pd.DataFrame({"item_id": list("abcde"),
                                   "category": ["B > x", "A > y", "B > z", "A > w", None]}))
    b, a = int(cat.root[0]), int(cat.root[1])
    assert main_root(cat, np.array([0, 1, 2, 4])) == (b, 2 / 3)  # the item without a category is left out
    assert main_root(cat, np.array([0, 1]))[0] == min(a, b)  # a tie: the lower code, as np.unique gives it
    assert main_root(cat, np.array([4])) == (-1, 0.0) and main_root(cat, np.array([], np.int64)) == (-1, 0.0)
