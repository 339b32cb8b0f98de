"""Item-, user- and sequence-aware kNN: similarity formulas on hand examples, pruning, recency weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from shopmind.data import Interactions
from shopmind.errors import ParameterError
from shopmind.models.knn import ItemKNN, UserKNN, cosine_topk, history_matrix


def _hand_matrix() -> sp.csr_matrix:
    # 4 users x 3 items
    return sp.csr_matrix(np.array([[1, 1, 0], [1, 0, 1], [1, 1, 1], [0, 1, 0]], dtype=np.float32))


def test_cosine_with_shrink_matches_formula():
    import scipy.sparse as sp

    x = sp.csr_matrix(np.array([[1, 1, 0], [1, 0, 1], [1, 1, 1]], dtype=np.float32))
    s = cosine_topk(x, k=2, shrink=1.0).toarray()
    # items 0 and 1: dot = 2, |r0| = sqrt(3), |r1| = sqrt(2) -> 2 / (sqrt(6) + 1)
    assert s[0, 1] == pytest.approx(2 / (np.sqrt(6) + 1), rel=1e-5)
    assert s[0, 0] == 0


def test_itemknn_bad_k_message():
    with pytest.raises(ParameterError, match=r"The 'k' parameter of ItemKNN must be an int >= 1. Got -3 instead."):
        ItemKNN(k=-3).fit(Interactions.from_frame(pd.DataFrame({"user_id": ["a"], "item_id": ["x"]})))


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
