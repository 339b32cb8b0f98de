import numpy as np
import pandas as pd
import pytest

from shopmind.data import Interactions
from shopmind.errors import ParameterError
from shopmind.models import create
from shopmind.models.base import top_k
from shopmind.models.knn import ItemKNN, cosine_topk


def test_popularity_counts_distinct_users():
    df = pd.DataFrame({"user_id": ["a", "a", "b", "c"], "item_id": ["x", "x", "x", "y"], "timestamp": [1, 2, 3, 4]})
    m = create("popular").fit(Interactions.from_frame(df))
    assert m.popularity_.tolist() == [2.0, 1.0]


def test_popularity_window_uses_recent_days():
    day = 86400
    df = pd.DataFrame({"user_id": ["a", "b", "c", "d"], "item_id": ["old", "old", "new", "new2"],
                       "timestamp": [0, 1, 30 * day, 30 * day + 1]})
    m = create("popular", window_days=7).fit(Interactions.from_frame(df))
    ids, _ = m.recommend(0, N=3, filter_seen=False)
    assert ids[0] != 0 and 0 in ids  # "old" falls behind the recent items but is still ranked


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


def test_top_k_pads_and_orders():
    ids, vals = top_k(np.array([[0.1, np.inf * -1, 0.3]]), 4)
    assert ids.tolist() == [[2, 0, -1, -1]]
    assert np.isneginf(vals[0, 2:]).all()
