"""Classic models: item/user kNN, EASE, ALS, BPR, biased MF, content-based, and the tuner.

Every model must learn a tiny block-structured data set (two user groups liking two item groups) better
than popularity, round-trip through save/load, and reject bad hyperparameters with the standard message."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopmind.data.interactions import Interactions
from shopmind.errors import ShopmindError
from shopmind.models.ease import EASE
from shopmind.training.splits import leave_one_out

N_ITEMS_PER_BLOCK = 15


def _block_frame(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """60 users: 40 like items 0-14 (block A), 20 like items 15-29 (block B), so the most popular items
    are all A items and popularity fails the B users. Each user first rates one item of the other block
    badly (rating 1), then 8 items of their own block well (4-5)."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(60):
        own, other = (0, 1) if u < 40 else (1, 0)
        t = 0
        bad = other * N_ITEMS_PER_BLOCK + int(rng.integers(N_ITEMS_PER_BLOCK))
        rows.append((f"u{u}", f"i{bad}", 1.0, t))
        for it in rng.choice(N_ITEMS_PER_BLOCK, size=8, replace=False):
            t += 1
            rows.append((f"u{u}", f"i{own * N_ITEMS_PER_BLOCK + int(it)}", float(rng.integers(4, 6)), t))
    events = pd.DataFrame(rows, columns=["user_id", "item_id", "value", "timestamp"])
    words = [("red running shoe", "Shoes > Running"), ("blue phone charger", "Electronics > Phones")]
    meta = pd.DataFrame([
        {"item_id": f"i{i}", "title": f"{words[i // N_ITEMS_PER_BLOCK][0]} model {i}",
         "category": words[i // N_ITEMS_PER_BLOCK][1], "brand": "Acme" if i % 2 else "Globex"}
        for i in range(2 * N_ITEMS_PER_BLOCK)])
    return events, meta


@pytest.fixture(scope="module")
def block_split():
    events, meta = _block_frame()
    return leave_one_out(Interactions.from_frame(events, item_meta=meta, name="blocks"))


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
