"""Classic models: item/user kNN, EASE, ALS, BPR, biased MF, content-based, and the tuner.

Every model must learn a tiny block-structured data set (two user groups liking two item groups) better
than popularity, round-trip through save/load, and reject bad hyperparameters with the standard message."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopmind.data.interactions import Interactions
from shopmind.errors import ParameterError
from shopmind.evaluation.tuning import tune
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


def test_tune_grid_and_random_search(block_split):
    best, table = tune("itemknn", block_split, {"k": [1, 20], "shrink": [0.0, 5.0]})
    assert len(table) == 4 and set(best) == {"k", "shrink"}
    assert table["ndcg@10"].iloc[0] == table["ndcg@10"].max()
    row = table.iloc[0]
    assert (row["k"], row["shrink"]) == (best["k"], best["shrink"])
    best, table = tune("ease", block_split, {"l2": [1.0, 10.0, 100.0]}, n_trials=2, seed=1, metric="hr@5",
                       fixed={"max_items": 100})
    assert len(table) == 2 and best["max_items"] == 100 and "hr@5" in table.columns
    with pytest.raises(ParameterError, match="'metric'"):
        tune("ease", block_split, {"l2": [1.0]}, metric="ndcg")


def test_default_grids_name_real_parameters():
    from shopmind.evaluation.tuning import DEFAULT_GRIDS
    from shopmind.models import available

    for name, grid in DEFAULT_GRIDS.items():
        assert set(grid) <= set(available()[name].param_names()), name
