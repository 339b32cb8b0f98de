"""Hyperparameter search on the validation split: grid and random search, and the recorded search spaces."""

from __future__ import annotations

import pandas as pd
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


def test_sampled_search_is_optuna_tpe_seeded_and_reproducible(block_split):
    from optuna.distributions import FloatDistribution

    grid = {"l2": FloatDistribution(1.0, 1000.0, log=True)}
    best, table = tune("ease", block_split, grid, n_trials=3, seed=3, fixed={"max_items": 100})
    again, table2 = tune("ease", block_split, grid, n_trials=3, seed=3, fixed={"max_items": 100})
    assert len(table) == 3 and best == again and table["l2"].tolist() == table2["l2"].tolist()
    assert 1.0 <= best["l2"] <= 1000.0 and best["l2"] == table["l2"].iloc[0]
    import numpy as np

    best, _ = tune("ease", block_split, {"l2": np.array([10.0, 100.0])}, n_trials=2, fixed={"max_items": 100})
    assert type(best["l2"]) is float  # numpy values come back as the plain values the models check
    with pytest.raises(ParameterError, match=r"grid\['l2'\].*non-empty list of values or an optuna distribution"):
        tune("ease", block_split, {"l2": []}, n_trials=1)
    with pytest.raises(ParameterError, match=r"'n_trials'.*an int when the grid holds distributions"):
        tune("ease", block_split, grid)


def test_ray_tune_reports_the_serial_leaderboard(block_split, ray_cluster):
    from shopmind.training.executor import RayExecutor

    grid = {"k": [1, 20], "shrink": [0.0, 5.0]}
    serial_best, serial = tune("itemknn", block_split, grid)
    sampled = {"l2": [1.0, 10.0, 100.0, 1000.0]}
    serial_tpe_best, serial_tpe = tune("ease", block_split, sampled, n_trials=3, seed=1, fixed={"max_items": 100})
    with RayExecutor() as ex:
        best, table = tune("itemknn", block_split, grid, executor=ex)
        tpe_best, tpe = tune("ease", block_split, sampled, n_trials=3, seed=1, fixed={"max_items": 100}, executor=ex)
    assert best == serial_best and tpe_best == serial_tpe_best
    pd.testing.assert_frame_equal(table.drop(columns="fit_seconds"), serial.drop(columns="fit_seconds"))
    pd.testing.assert_frame_equal(tpe.drop(columns="fit_seconds"), serial_tpe.drop(columns="fit_seconds"))
