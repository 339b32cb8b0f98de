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
