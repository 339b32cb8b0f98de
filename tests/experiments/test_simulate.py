"""The A/A and A/B simulations at small sizes with fixed seeds (the 1,000-run benchmark is a CLI command)."""

from __future__ import annotations

import pytest

from shopmind.errors import ParameterError
from shopmind.experiments.simulate import SimulationConfig, days_for_planned_size, simulate_experiments


def test_aa_peeking_inflates_the_naive_test_but_not_the_sequential_one() -> None:
    res = simulate_experiments(SimulationConfig(runs=400, days=10, users_per_day=300, seed=5))
    summary = res.aa_summary()
    assert set(summary) == {"sequential_false_positive_rate", "naive_peeking_false_positive_rate",
                            "fixed_horizon_false_positive_rate", "runs"}
    assert summary["runs"] == 400
    assert summary["sequential_false_positive_rate"] <= 0.05
    assert summary["naive_peeking_false_positive_rate"] > 0.1  # ~20% with 10 looks
    assert 0.02 <= summary["fixed_horizon_false_positive_rate"] <= 0.09
    assert res.by_day["naive_peeking"] == sorted(res.by_day["naive_peeking"])


def test_ab_has_power_at_the_planned_size() -> None:
    cfg = SimulationConfig(runs=300, users_per_day=1000, days=1, baseline=0.1, mde=0.1, effect=0.1, seed=9)
    cfg = SimulationConfig(**{**cfg.__dict__, "days": days_for_planned_size(cfg)})
    res = simulate_experiments(cfg)
    assert res.users_per_arm >= res.planned_users_per_arm == 14_128
    assert res.fixed_horizon_rejection_rate == pytest.approx(0.8, abs=0.08)
    assert 0.2 < res.sequential_rejection_rate < res.fixed_horizon_rejection_rate
    assert res.sequential_median_stop_day is not None


def test_revenue_metric_runs_in_chunks() -> None:
    res = simulate_experiments(SimulationConfig(runs=60, days=5, users_per_day=200, metric="revenue", seed=2))
    assert res.runs == 60 and res.sequential_rejection_rate <= 0.1


def test_bad_configuration_is_a_parameter_error() -> None:
    with pytest.raises(ParameterError, match="metric"):
        SimulationConfig(metric="happiness")
    with pytest.raises(ParameterError, match="runs"):
        SimulationConfig(runs=0)
