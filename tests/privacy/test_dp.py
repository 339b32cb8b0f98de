"""Differential privacy: the Laplace noise's calibration (against scipy's distributions), contribution
bounding, co-occurrence counts and the epsilon budget ledger.

OpenDP draws its noise from the operating system's secure randomness and cannot be seeded, so the
statistical checks use sample sizes and thresholds under which a correct sampler fails less than once in
a million runs (a KS p-value is uniform under the null: p < 1e-6 happens with probability 1e-6)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from shopmind.errors import ParameterError
from shopmind.privacy.dp import (
    BudgetLedger,
    PrivacyBudgetError,
    bound_contributions,
    cooccurrence_row,
    noisy_counts,
    period_bounds,
    private_cooccurrence_row,
    private_group_sizes,
    private_item_counts,
)
from shopmind.storage import open_store

N = 100_000


def test_continuous_laplace_matches_scipy_laplace_of_the_stated_scale() -> None:
    out = noisy_counts(np.full(N, 10.0), epsilon=0.5, sensitivity=2.0)
    assert out.scale == 4.0 and out.epsilon_spent == pytest.approx(0.5)
    noise = out.values - 10.0
    assert stats.kstest(noise, stats.laplace(loc=0, scale=4.0).cdf).pvalue > 1e-6
    # the mean absolute deviation of Laplace(b) is b: 0.5% standard error at this size, 3% is > 6 sigma
    assert np.mean(np.abs(noise)) == pytest.approx(4.0, rel=0.03)
    # a wrong scale is rejected by the same test
    assert stats.kstest(noise, stats.laplace(loc=0, scale=3.0).cdf).pvalue < 1e-6


def test_discrete_laplace_matches_scipy_dlaplace() -> None:
    out = noisy_counts(np.zeros(N, dtype=np.int64), epsilon=1.0, sensitivity=3)
    assert out.values.dtype == np.int64 and out.scale == 3.0 and out.epsilon_spent == pytest.approx(1.0)
    ref = stats.dlaplace(a=1.0 / 3.0)  # P(k) proportional to exp(-|k| / scale)
    values, counts = np.unique(out.values, return_counts=True)
    inner = np.abs(values) <= 12
    expected = ref.pmf(values[inner]) * N
    observed = counts[inner]
    # chi-square over the central support (the tails beyond 12 pooled into one cell)
    obs = np.append(observed, N - observed.sum())
    exp = np.append(expected, N - expected.sum())
    assert stats.chisquare(obs, exp).pvalue > 1e-6
    assert out.values.var() == pytest.approx(ref.var(), rel=0.05)


def test_noise_scale_follows_sensitivity_over_epsilon() -> None:
    small = noisy_counts(np.zeros(20_000), epsilon=4.0, sensitivity=1.0)
    large = noisy_counts(np.zeros(20_000), epsilon=0.5, sensitivity=1.0)
    assert (small.scale, large.scale) == (0.25, 2.0)
    assert np.mean(np.abs(large.values)) / np.mean(np.abs(small.values)) == pytest.approx(8.0, rel=0.1)


@pytest.mark.parametrize(("epsilon", "sensitivity"), [(0.0, 1.0), (-1.0, 1.0), (float("nan"), 1.0), (1.0, 0.0)])
def test_bad_epsilon_or_sensitivity_is_a_parameter_error(epsilon: float, sensitivity: float) -> None:
    with pytest.raises(ParameterError, match=r"epsilon|sensitivity"):
        noisy_counts(np.zeros(3), epsilon, sensitivity)


def test_bound_contributions_caps_items_per_user_and_weights() -> None:
    users = np.repeat(np.arange(5), 30)
    items = np.tile(np.arange(30), 5)
    u, i, w = bound_contributions(users, items, np.full(150, 5.0), max_items=7, max_weight=2.0, seed=1)
    assert np.bincount(u).tolist() == [7] * 5
    assert set(w.tolist()) == {2.0}
    again = bound_contributions(users, items, np.full(150, 5.0), max_items=7, max_weight=2.0, seed=1)
    assert np.array_equal(i, again[1])  # seeded: the same subset
    with pytest.raises(ParameterError, match="max_items"):
        bound_contributions(users, items, max_items=0)


def test_private_item_counts_sensitivity_is_max_items_times_max_weight() -> None:
    users, items = np.array([0, 0, 1, 2]), np.array([1, 2, 1, 1])
    assert private_item_counts(users, items, 4, 1.0, max_items=3).sensitivity == 3
    weighted = private_item_counts(users, items, 4, 2.0, max_items=3, weights=np.ones(4), max_weight=5.0)
    assert (weighted.sensitivity, weighted.scale) == (15.0, 7.5)


def test_cooccurrence_row_counts_users_who_touched_both() -> None:
    users = np.array([0, 0, 0, 1, 1, 2, 2])
    items = np.array([0, 1, 2, 0, 1, 1, 3])
    assert cooccurrence_row(users, items, 0, 4).tolist() == [0, 2, 1, 0]
    assert cooccurrence_row(users, items, 1, 4).tolist() == [2, 0, 1, 1]
    # with a huge epsilon the noise (scale (max_items - 1) / epsilon) hardly moves the counts
    row = private_cooccurrence_row(users, items, 0, 4, 1e4, max_items=3)
    assert row.sensitivity == 2 and row.values.tolist() == [0, 2, 1, 0]
    assert row.top(2).tolist() == [1, 2]


def test_ledger_refuses_once_the_budget_is_spent_and_renews_next_period() -> None:
    ledger = BudgetLedger(open_store("sqlite:///:memory:"), budget=2.0, period="day")
    day = pd.Timestamp("2026-12-06 09:00", tz="UTC")
    assert ledger.charge("trending:24h", 1.0, when=day).remaining == 1.0
    assert ledger.charge("together:sku-1", 1.0, when=day).remaining == 0.0
    with pytest.raises(PrivacyBudgetError, match=r"period 2026-12-06 is spent: 2 of 2 used.*renews at "
                                                 r"2026-12-07T00:00:00\+00:00") as info:
        ledger.charge("trending:24h", 0.1, when=day)
    assert info.value.period == "2026-12-06"
    status = ledger.status(day)
    assert (status.spent, status.queries) == (2.0, 2)  # the refused query spent nothing
    assert ledger.charge("trending:24h", 1.0, when=day + pd.Timedelta(days=1)).remaining == 1.0


def test_period_bounds_and_bad_period() -> None:
    name, start, end = period_bounds(pd.Timestamp("2026-12-31 23:59", tz="UTC"), "month")
    assert (name, start.isoformat(), end.isoformat()) == ("2026-12", "2026-12-01T00:00:00+00:00",
                                                          "2027-01-01T00:00:00+00:00")
    with pytest.raises(ParameterError, match="period"):
        BudgetLedger(open_store("sqlite:///:memory:"), budget=1.0, period="year")


def test_group_sizes_bound_each_user_to_max_groups() -> None:
    members = {"a": [f"u{i}" for i in range(50)], "b": [f"u{i}" for i in range(50)], "c": ["u1"]}
    names, sizes = private_group_sizes(members, 1e6, max_groups=1, seed=0)
    assert names == ["a", "b", "c"] and sizes.sensitivity == 1.0
    assert sum(sizes.values.tolist()) == 50  # every user counted in exactly one of their groups
    _, loose = private_group_sizes(members, 1e6, max_groups=3)
    assert loose.values.tolist() == [50, 50, 1] and loose.scale == 3e-6
