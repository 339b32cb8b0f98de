"""Every statistic against a reference implementation (statsmodels, scipy) or a textbook identity, on fixed
data."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats as sps
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from shopmind.errors import ParameterError
from shopmind.experiments.stats import (
    confidence_sequence,
    cuped,
    cuped_theta,
    msprt_log_lr,
    msprt_pvalues,
    ratio_delta,
    ratio_test,
    sample_size_per_arm,
    srm_test,
    welch_test,
)


@pytest.fixture(scope="module")
def rng() -> np.random.Generator:
    return np.random.default_rng(20240501)


def test_welch_matches_scipy_and_statsmodels(rng: np.random.Generator) -> None:
    t, c = rng.lognormal(1.0, 1.0, 400), rng.lognormal(1.1, 0.7, 250)
    est = welch_test(t, c, alpha=0.05)
    ref = sps.ttest_ind(t, c, equal_var=False)
    assert est.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    lo, hi = CompareMeans(DescrStatsW(t), DescrStatsW(c)).tconfint_diff(alpha=0.05, usevar="unequal")
    assert (est.ci_low, est.ci_high) == (pytest.approx(lo, rel=1e-10), pytest.approx(hi, rel=1e-10))
    assert est.value == pytest.approx(t.mean() - c.mean()) and est.relative == pytest.approx(est.value / c.mean())


def test_welch_on_conversions_agrees_with_the_two_proportion_z_test(rng: np.random.Generator) -> None:
    from statsmodels.stats.proportion import proportions_ztest

    t, c = (rng.random(20_000) < 0.11).astype(float), (rng.random(20_000) < 0.10).astype(float)
    _, p_ref = proportions_ztest([t.sum(), c.sum()], [t.size, c.size], prop_var=False)
    assert welch_test(t, c).p_value == pytest.approx(p_ref, rel=0.02)  # pooled vs unpooled variance only


def test_ratio_delta_equals_cluster_robust_ols(rng: np.random.Generator) -> None:
    """The delta-method variance of clicks/exposures is the cluster-robust (by user) variance of the
    per-exposure click mean (statsmodels OLS, no small-sample correction)."""
    exposures = rng.integers(1, 12, 300)
    clicks = rng.binomial(exposures, rng.beta(2, 18, 300))
    r = ratio_delta(clicks, exposures)
    rows_y = np.concatenate([[1.0] * k + [0.0] * (n - k) for k, n in zip(clicks, exposures, strict=True)])
    groups = np.repeat(np.arange(300), exposures)
    fit = sm.OLS(rows_y, np.ones_like(rows_y)).fit(cov_type="cluster",
                                                   cov_kwds={"groups": groups, "use_correction": False})
    assert r.value == pytest.approx(fit.params[0], rel=1e-12)
    assert r.var == pytest.approx(fit.cov_params()[0, 0], rel=1e-10)
    assert r.users == 300


def test_ratio_delta_variance_matches_the_spread_over_repeated_samples() -> None:
    """Textbook check: over many independent samples, the variance of the ratio is the delta-method one."""
    rng = np.random.default_rng(7)
    ratios, variances = [], []
    for _ in range(800):
        n = rng.poisson(5, 400) + 1
        y = rng.binomial(n, 0.08 + 0.04 * (n > 5))  # heavier users click more: the two are correlated
        r = ratio_delta(y, n)
        ratios.append(r.value)
        variances.append(r.var)
    assert np.var(ratios) == pytest.approx(np.mean(variances), rel=0.12)


def test_ratio_test_is_a_z_test_on_the_difference() -> None:
    t = ([3, 0, 5, 1, 2, 4, 0, 1], [10, 4, 12, 6, 8, 9, 3, 5])
    c = ([1, 0, 2, 1, 0, 1, 1], [9, 5, 11, 7, 6, 8, 4])
    est = ratio_test(t, c)
    rt, rc = ratio_delta(*t), ratio_delta(*c)
    z = (rt.value - rc.value) / math.sqrt(rt.var + rc.var)
    assert est.value == pytest.approx(rt.value - rc.value) and est.p_value == pytest.approx(2 * sps.norm.sf(abs(z)))
    assert est.control_mean == pytest.approx(6 / 50) and est.treatment_mean == pytest.approx(16 / 57)


def test_cuped_theta_is_the_ols_slope_and_reduction_is_the_squared_correlation(rng: np.random.Generator) -> None:
    x = rng.gamma(2.0, 10.0, 3000)
    y = 0.6 * x + rng.normal(0, 8, 3000)
    arm = rng.random(3000) < 0.5
    y[arm] += 1.0
    assert cuped_theta(y, x) == pytest.approx(sm.OLS(y, sm.add_constant(x)).fit().params[1], rel=1e-10)
    res = cuped((y[arm], x[arm]), (y[~arm], x[~arm]))
    rho = np.corrcoef(y, x)[0, 1]
    assert res.variance_reduction == pytest.approx(rho**2, rel=1e-10)
    # the adjusted estimate is the raw difference minus theta times the covariate's difference
    assert res.adjusted.value == pytest.approx(res.raw.value - res.theta * (x[arm].mean() - x[~arm].mean()))
    assert res.adjusted.se < res.raw.se * math.sqrt(1 - rho**2) * 1.05
    # and it agrees with the regression adjustment y ~ treatment + x (ANCOVA) to within a fraction of its SE
    ancova = sm.OLS(y, np.column_stack([np.ones_like(x), arm.astype(float), x])).fit()
    assert abs(res.adjusted.value - ancova.params[1]) < 0.1 * res.adjusted.se


def test_srm_matches_scipy_chisquare_and_flags_a_48_52_split() -> None:
    res = srm_test([4800, 5200], [0.5, 0.5])
    ref = sps.chisquare([4800, 5200], [5000, 5000])
    assert res.chi2 == pytest.approx(ref.statistic) and res.p_value == pytest.approx(ref.pvalue)
    assert res.chi2 == pytest.approx(16.0) and res.p_value < 1e-3 and res.mismatch
    ok = srm_test([5030, 4970], [1, 1])
    assert not ok.mismatch and ok.p_value == pytest.approx(sps.chisquare([5030, 4970]).pvalue)
    three = srm_test([2000, 4100, 3900], [0.2, 0.4, 0.4])
    assert three.p_value == pytest.approx(sps.chisquare([2000, 4100, 3900], [2000, 4000, 4000]).pvalue)
    with pytest.raises(ParameterError, match="shares"):
        srm_test([10, 10], [0.5])


def test_srm_catches_a_48_52_assignment_bug_in_simulated_traffic() -> None:
    rng = np.random.default_rng(3)
    users = 20_000
    buggy = (rng.random(users) < 0.52).sum()
    assert srm_test([users - buggy, buggy], [0.5, 0.5]).mismatch
    fair = (rng.random(users) < 0.5).sum()
    assert not srm_test([users - fair, fair], [0.5, 0.5]).mismatch


def test_msprt_is_robbins_normal_mixture() -> None:
    """Textbook: for n N(theta, 1) observations with mean xbar and a N(0, tau^2) mixture, the likelihood ratio
    is the integral of prod N(x_i | theta, 1) / N(x_i | 0, 1) over the mixture, computed here by quadrature."""
    rng = np.random.default_rng(11)
    x = rng.normal(0.15, 1.0, 60)
    n, xbar, tau = x.size, x.mean(), 0.3
    grid = np.linspace(-3, 3, 200_001)
    log_ratio = n * xbar * grid - n * grid**2 / 2
    integrand = np.exp(log_ratio) * sps.norm.pdf(grid, 0, tau)
    numeric = np.sum(integrand) * (grid[1] - grid[0])
    assert math.exp(msprt_log_lr(xbar, 1.0 / n, tau)) == pytest.approx(numeric, rel=1e-6)


def test_msprt_pvalues_never_increase_and_confidence_sequence_contains_zero_until_rejection() -> None:
    est = np.array([0.0, 0.05, 0.02, 0.2, 0.1])
    var = np.array([0.01, 0.005, 0.003, 0.002, 0.001])
    p = msprt_pvalues(est, var, tau=0.1)
    assert (np.diff(p) <= 0).all() and p[0] == 1.0
    lo, hi = confidence_sequence(est, var, 0.1, alpha=0.05)
    excludes_zero = (lo > 0) | (hi < 0)
    np.testing.assert_array_equal(excludes_zero, np.minimum.accumulate(np.minimum(1, np.exp(-msprt_log_lr(
        est, var, 0.1)))) <= 0.05)
    assert msprt_pvalues(np.zeros((3, 2)), np.zeros((3, 2)), 1.0).tolist() == [[1.0, 1.0]] * 3
    with pytest.raises(ParameterError, match="tau"):
        msprt_log_lr(0.1, 0.1, 0.0)


def test_sample_size_matches_statsmodels_normal_power() -> None:
    p, mde = 0.10, 0.01
    sd = math.sqrt(p * (1 - p))
    n = sample_size_per_arm(sd, mde, alpha=0.05, power=0.8)
    ref = NormalIndPower().solve_power(effect_size=mde / sd, alpha=0.05, power=0.8, ratio=1.0)
    assert n == math.ceil(ref) or abs(n - ref) < 2  # statsmodels also counts the far tail (negligible)
    assert n == 14_128  # 2 (1.95996 + 0.84162)^2 0.09 / 0.0001
    with pytest.raises(ParameterError, match="power"):
        sample_size_per_arm(sd, mde, power=1.0)
