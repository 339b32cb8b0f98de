"""Hyperparameter search on the validation split: grid and random search, and the recorded search spaces."""

from __future__ import annotations

import pytest

from shopmind.errors import ParameterError
from shopmind.evaluation.tuning import tune


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
