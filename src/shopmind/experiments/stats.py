"""The statistics of an A/B test, each a small function on numpy arrays (vectorised where a simulation needs it).

- :func:`welch_test`: the fixed-horizon test of a difference in means (Welch's t, unequal variances);
- :func:`ratio_delta`: the delta-method variance of a ratio metric (clicks / exposures per user, CTR) whose
  numerator and denominator are both random per user (Deng et al., "Applying the delta method in metric
  analytics", KDD 2018);
- :func:`cuped`: variance reduction with a pre-experiment covariate (Deng, Xu, Kohavi & Walker, WSDM 2013):
  ``y - theta * (x - mean(x))`` with ``theta = cov(y, x) / var(x)`` pooled over the variants; the variance
  falls by the squared correlation of ``y`` and ``x``;
- :func:`srm_test`: the sample-ratio-mismatch check, a chi-square goodness-of-fit test of the users per variant
  against the planned shares, flagged at p < 0.001 (as Statsig and Optimizely do);
- :func:`msprt`: the mixture sequential probability ratio test with a normal mixture (Robbins 1970; Johari,
  Koomen, Pekelis & Walsh, "Always valid inference", Operations Research 2022) on any asymptotically normal
  estimate: its p-value and confidence sequence stay valid however often they are looked at;
- :func:`sample_size_per_arm`: users per arm for a two-sided fixed-horizon test of a given power.

Every function is tested against statsmodels or scipy, or a textbook identity, on fixed data
(tests/experiments/test_stats.py).

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> a, b = rng.normal(0.0, 1.0, 2000), rng.normal(0.1, 1.0, 2000)
>>> est = welch_test(b, a)
>>> round(est.value, 3), est.p_value < 0.05
(0.126, True)
>>> srm_test([4800, 5200], [0.5, 0.5]).mismatch
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, cast

import numpy as np
from scipy import stats as sps

from shopmind.errors import ParameterError

#: SRM is flagged when the chi-square p-value is below this (the industry convention).
SRM_ALPHA = 1e-3


@dataclass(frozen=True)
class Estimate:
    """A difference between two variants (treatment minus control) with its standard error, two-sided
    ``1 - alpha`` interval and p-value; ``relative`` is the difference over the control's mean."""

    value: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    control_mean: float = math.nan
    treatment_mean: float = math.nan

    @property
    def relative(self) -> float:
        return self.value / self.control_mean if self.control_mean else math.nan

    def as_dict(self) -> dict[str, float]:
        return {**asdict(self), "relative": self.relative}


def _vector(owner: str, name: str, values: Any, min_size: int = 2) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64).ravel()
    if arr.size < min_size or not np.isfinite(arr).all():
        raise ParameterError(owner, name, f"{arr.size} values", f"at least {min_size} finite numbers")
    return arr


def _check_alpha(owner: str, alpha: float) -> None:
    if not 0.0 < alpha < 1.0:
        raise ParameterError(owner, "alpha", alpha, "a number in (0, 1)")


def normal_estimate(value: float, se: float, alpha: float = 0.05, control_mean: float = math.nan,
                    treatment_mean: float = math.nan) -> Estimate:
    """A z-test and interval of an asymptotically normal estimate."""
    z = sps.norm.ppf(1 - alpha / 2)
    p = float(2 * sps.norm.sf(abs(value) / se)) if se > 0 else (0.0 if value else 1.0)
    return Estimate(float(value), float(se), float(value - z * se), float(value + z * se), p, control_mean,
                    treatment_mean)


def welch_test(treatment: Any, control: Any, alpha: float = 0.05) -> Estimate:
    """Difference in means with Welch's t-test (unequal variances, Welch-Satterthwaite degrees of freedom).

    Per-user values: conversion (0/1), revenue, clicks. Matches ``scipy.stats.ttest_ind(equal_var=False)``.
    """
    _check_alpha("welch_test", alpha)
    t = _vector("welch_test", "treatment", treatment)
    c = _vector("welch_test", "control", control)
    vt, vc = t.var(ddof=1) / t.size, c.var(ddof=1) / c.size
    diff, se = float(t.mean() - c.mean()), math.sqrt(vt + vc)
    if se == 0:
        return Estimate(diff, 0.0, diff, diff, 0.0 if diff else 1.0, float(c.mean()), float(t.mean()))
    df = (vt + vc) ** 2 / (vt**2 / (t.size - 1) + vc**2 / (c.size - 1))
    q = sps.t.ppf(1 - alpha / 2, df)
    p = float(2 * sps.t.sf(abs(diff) / se, df))
    return Estimate(diff, se, diff - q * se, diff + q * se, p, float(c.mean()), float(t.mean()))


@dataclass(frozen=True)
class Ratio:
    """A ratio metric ``sum(numerator) / sum(denominator)`` over users, with its delta-method variance."""

    value: float
    var: float
    users: int

    @property
    def se(self) -> float:
        return math.sqrt(self.var)


def ratio_delta(numerator: Any, denominator: Any) -> Ratio:
    """The ratio of sums and the delta-method variance of it, users being the independent units.

    ``var = sum((y_i - r n_i)^2) / (sum n_i)^2``: the first-order (delta-method) variance with population
    moments, the same number as a cluster-robust (by user) variance of the per-exposure mean.
    """
    y = _vector("ratio_delta", "numerator", numerator, 1)
    n = _vector("ratio_delta", "denominator", denominator, 1)
    if y.size != n.size:
        raise ParameterError("ratio_delta", "denominator", n.size, f"one value per user ({y.size})")
    total = n.sum()
    if total <= 0:
        raise ParameterError("ratio_delta", "denominator", float(total), "a positive sum")
    r = float(y.sum() / total)
    return Ratio(r, float(((y - r * n) ** 2).sum() / total**2), int(y.size))


def ratio_test(treatment: tuple[Any, Any], control: tuple[Any, Any], alpha: float = 0.05) -> Estimate:
    """Difference of two ratio metrics (each ``(numerator, denominator)`` per user), delta-method z-test."""
    _check_alpha("ratio_test", alpha)
    t, c = ratio_delta(*treatment), ratio_delta(*control)
    return normal_estimate(t.value - c.value, math.sqrt(t.var + c.var), alpha, c.value, t.value)


@dataclass(frozen=True)
class Cuped:
    """A CUPED-adjusted comparison: ``theta``, the variance reduction (``1 - var(adjusted) / var(raw)``,
    pooled over the variants) and the adjusted estimate next to the raw one."""

    theta: float
    variance_reduction: float
    adjusted: Estimate
    raw: Estimate

    def as_dict(self) -> dict[str, Any]:
        return {"theta": self.theta, "variance_reduction": self.variance_reduction,
                "adjusted": self.adjusted.as_dict(), "raw": self.raw.as_dict()}


def cuped_theta(y: Any, x: Any) -> float:
    """``cov(y, x) / var(x)``: the slope of the least-squares line of ``y`` on ``x``."""
    yy, xx = _vector("cuped", "y", y), _vector("cuped", "x", x)
    vx = xx.var(ddof=1)
    return float(np.cov(yy, xx, ddof=1)[0, 1] / vx) if vx > 0 else 0.0


def cuped(treatment: tuple[Any, Any], control: tuple[Any, Any], alpha: float = 0.05) -> Cuped:
    """CUPED: each side is ``(metric, pre-period covariate)`` per user. ``theta`` is pooled over both sides
    (so the adjustment does not depend on the assignment) and the adjusted metrics are compared with Welch's
    test."""
    yt, xt = _vector("cuped", "treatment metric", treatment[0]), _vector("cuped", "treatment covariate", treatment[1])
    yc, xc = _vector("cuped", "control metric", control[0]), _vector("cuped", "control covariate", control[1])
    if yt.size != xt.size or yc.size != xc.size:
        raise ParameterError("cuped", "covariate", "a different length", "one covariate value per user")
    y, x = np.concatenate([yt, yc]), np.concatenate([xt, xc])
    theta = cuped_theta(y, x)
    mx = x.mean()
    at, ac = yt - theta * (xt - mx), yc - theta * (xc - mx)
    adj = np.concatenate([at, ac])
    vy = y.var(ddof=1)
    reduction = float(1.0 - adj.var(ddof=1) / vy) if vy > 0 else 0.0
    adjusted = welch_test(at, ac, alpha)
    raw = welch_test(yt, yc, alpha)
    adjusted = Estimate(adjusted.value, adjusted.se, adjusted.ci_low, adjusted.ci_high, adjusted.p_value,
                        raw.control_mean, raw.treatment_mean)
    return Cuped(theta, reduction, adjusted, raw)


@dataclass(frozen=True)
class SRM:
    """The sample-ratio-mismatch check: observed and expected users per variant, chi-square and p-value."""

    observed: tuple[int, ...]
    expected: tuple[float, ...]
    chi2: float
    p_value: float
    alpha: float = SRM_ALPHA

    @property
    def mismatch(self) -> bool:
        return self.p_value < self.alpha

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "mismatch": self.mismatch}


def srm_test(counts: Sequence[int], shares: Sequence[float], alpha: float = SRM_ALPHA) -> SRM:
    """Chi-square goodness of fit of the users per variant (``counts``) to the planned ``shares``
    (normalised to sum to 1). The same statistic as ``scipy.stats.chisquare``."""
    obs = np.asarray(counts, dtype=np.float64)
    w = np.asarray(shares, dtype=np.float64)
    if obs.size < 2 or obs.size != w.size or (obs < 0).any() or (w <= 0).any():
        raise ParameterError("srm_test", "shares", list(shares), "one positive share per variant (2 or more)")
    total = obs.sum()
    expected = w / w.sum() * total
    if total == 0:
        return SRM(tuple(int(v) for v in obs), tuple(expected.tolist()), 0.0, 1.0, alpha)
    chi2 = float(((obs - expected) ** 2 / expected).sum())
    p = float(sps.chi2.sf(chi2, obs.size - 1))
    return SRM(tuple(int(v) for v in obs), tuple(float(e) for e in expected), chi2, p, alpha)


# ---------------------------------------------------------------------------------------------- sequential
def msprt_log_lr(estimate: Any, var: Any, tau: float) -> np.ndarray:
    """Log of the mixture likelihood ratio of H0 ``effect = 0`` for a normal estimate with variance ``var``,
    the effect mixed over N(0, tau^2)::

        Lambda = sqrt(V / (V + tau^2)) * exp(tau^2 * estimate^2 / (2 V (V + tau^2)))

    (with ``V = sigma^2 / n`` this is Robbins' mixture for the mean of n normal observations). Vectorised:
    ``estimate`` and ``var`` broadcast; ``var <= 0`` gives ``-inf`` (no evidence yet).
    """
    if not tau > 0:
        raise ParameterError("msprt", "tau", tau, "a positive mixture standard deviation (in the metric's units)")
    est = np.asarray(estimate, dtype=np.float64)
    v = np.asarray(var, dtype=np.float64)
    t2 = tau * tau
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 0.5 * np.log(v / (v + t2)) + t2 * est**2 / (2 * v * (v + t2))
    return np.where(v > 0, out, -np.inf)


def msprt_pvalues(estimates: Any, variances: Any, tau: float) -> np.ndarray:
    """Always-valid p-values along the last axis (the looks): ``p_n = min(1, min_{k<=n} 1 / Lambda_k)``.

    Rejecting when ``p_n <= alpha`` at any look keeps the false-positive rate at most ``alpha`` (Ville's
    inequality), however many looks are taken."""
    log_lr = msprt_log_lr(estimates, variances, tau)
    p = np.minimum(1.0, np.exp(-log_lr))
    return np.minimum.accumulate(p, axis=-1)


def confidence_sequence(estimate: Any, var: Any, tau: float, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """The always-valid ``1 - alpha`` interval: every effect whose mixture likelihood ratio stays below
    ``1 / alpha``, i.e. ``estimate -/+ sqrt(V (V + tau^2) / tau^2 * (2 log(1/alpha) + log((V + tau^2) / V)))``.
    Intersect the intervals over time (running max of the lows, min of the highs) to report them."""
    _check_alpha("confidence_sequence", alpha)
    est = np.asarray(estimate, dtype=np.float64)
    v = np.asarray(var, dtype=np.float64)
    t2 = tau * tau
    with np.errstate(divide="ignore", invalid="ignore"):
        half = np.sqrt(v * (v + t2) / t2 * (2 * math.log(1 / alpha) + np.log((v + t2) / v)))
    half = np.where(v > 0, half, np.inf)
    return est - half, est + half


def sample_size_per_arm(sd: float, mde: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Users per arm for a two-sided z-test of a difference ``mde`` in a metric of standard deviation ``sd``
    (equal arms): ``n = 2 (z_{1-alpha/2} + z_{power})^2 sd^2 / mde^2``. For a conversion rate ``p`` use
    ``sd = sqrt(p (1 - p))``."""
    _check_alpha("sample_size_per_arm", alpha)
    if not 0 < power < 1:
        raise ParameterError("sample_size_per_arm", "power", power, "a number in (0, 1)")
    if not (sd > 0 and mde != 0):
        raise ParameterError("sample_size_per_arm", "mde", mde, "a non-zero effect, with a positive sd")
    z = sps.norm.ppf(1 - alpha / 2) + sps.norm.ppf(power)
    return cast("int", math.ceil(2 * z * z * sd * sd / (mde * mde)))
