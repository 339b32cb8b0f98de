"""EASE: the closed-form solution on a hand example, and the refusal of catalogs too big for it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopmind.data.interactions import Interactions
from shopmind.errors import ShopmindError
from shopmind.models.ease import EASE


# ---------------------------------------------------------------------------- formulas on hand examples
def test_ease_matches_direct_constrained_solve():
    x = np.array([[1, 0, 1, 1], [0, 1, 1, 0], [1, 1, 0, 0], [1, 0, 0, 1], [0, 1, 1, 1]], dtype=float)
    lam = 2.0
    # each column j regressed on the other columns with a ridge penalty (diag(B) = 0)
    expected = np.zeros((4, 4))
    for j in range(4):
        others = [i for i in range(4) if i != j]
        a = x[:, others]
        expected[others, j] = np.linalg.solve(a.T @ a + lam * np.eye(3), a.T @ x[:, j])
    rows = [(f"u{u}", f"i{i}", t) for u in range(5) for t, i in enumerate(np.flatnonzero(x[u]))]
    events = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])
    data = Interactions.from_frame(events)
    model = EASE(l2=lam, recency="none").fit(data)
    order = data.items.indices([f"i{j}" for j in range(4)])
    np.testing.assert_allclose(model.weights_[np.ix_(order, order)], expected, atol=1e-6)
    users = data.users.indices([f"u{u}" for u in range(5)])
    np.testing.assert_allclose(model.score(users)[:, order], x @ expected, atol=1e-5)


def test_ease_refuses_huge_catalogs_and_suggests_itemknn(block_split):
    with pytest.raises(ShopmindError, match="itemknn"):
        EASE(max_items=10).fit(block_split.train)
