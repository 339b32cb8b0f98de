"""Uncertainty of offline metrics: bootstrap intervals over users and paired tests between two models.

Every per-user metric vector from :class:`~shopmind.evaluation.protocol.EvalResult` can be passed in. The
bootstrap resamples users (the unit that varies between data sets), is seeded, and is computed in chunks so
that memory stays at a few tens of MB whatever the number of users.

Examples
--------
>>> import numpy as np
>>> ci = bootstrap_ci(np.array([0.0, 1.0] * 50), n_boot=200, seed=0)
>>> ci.low < ci.mean == 0.5 < ci.high
True
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats as sps

from shopmind.errors import ParameterError, check_float, check_int
from shopmind.evaluation.protocol import EvalResult

#: at most this many resampled values are held in memory at once
_CHUNK_ELEMENTS = 4_000_000


@dataclass(frozen=True)
class ConfidenceInterval:
    """A point estimate (the sample mean) with a percentile bootstrap interval."""

    mean: float
    low: float
    high: float
    confidence: float
    n_boot: int

    def to_dict(self) -> dict[str, float]:
        """Plain-JSON form: ``{"mean", "low", "high", "confidence", "n_boot"}``."""
        return asdict(self)


@dataclass(frozen=True)
class PairedTest:
    """Paired comparison of model A against model B on the same users (difference = A - B).

    ``p_bootstrap`` is the two-sided paired bootstrap p-value (resampling the per-user differences re-centred
    on zero); ``p_ttest`` the paired t-test; ``p_wilcoxon`` the Wilcoxon signed-rank test (zero differences
    dropped). When every difference is zero all p-values are 1.
    """

    n_users: int
    mean_a: float
    mean_b: float
    mean_diff: float
    ci_low: float
    ci_high: float
    confidence: float
    p_bootstrap: float
    p_ttest: float
    p_wilcoxon: float

    def to_dict(self) -> dict[str, float]:
        """Plain-JSON form of every field."""
        return asdict(self)


def _check_common(owner: str, n_boot: int, confidence: float, seed: int) -> None:
    check_int(owner, "n_boot", n_boot, low=10)
    check_float(owner, "confidence", confidence, low=0.0, high=1.0, low_open=True)
    if confidence >= 1.0:
        raise ParameterError(owner, "confidence", confidence, "a number in (0, 1)")
    check_int(owner, "seed", seed, low=0)


def _as_vector(owner: str, name: str, values: Any) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64).ravel()
    if len(v) == 0:
        raise ParameterError(owner, name, "an empty array", "a non-empty vector of per-user values")
    if not np.all(np.isfinite(v)):
        raise ParameterError(owner, name, "a vector with NaN or inf", "finite per-user values")
    return v


def bootstrap_means(values: np.ndarray, n_boot: int = 1000, seed: int = 0) -> np.ndarray:
    """``n_boot`` means of ``values`` resampled with replacement (seeded, chunked).

    Examples
    --------
    >>> bootstrap_means(np.ones(5), n_boot=3).tolist()
    [1.0, 1.0, 1.0]
    """
    v = np.asarray(values, dtype=np.float64)
    n = len(v)
    rng = np.random.default_rng(seed)
    out = np.empty(n_boot)
    step = max(1, _CHUNK_ELEMENTS // max(1, n))
    for start in range(0, n_boot, step):
        stop = min(n_boot, start + step)
        idx = rng.integers(0, n, size=(stop - start, n))
        out[start:stop] = v[idx].mean(axis=1)
    return out


def bootstrap_ci(values: np.ndarray, n_boot: int = 1000, confidence: float = 0.95,
                 seed: int = 0) -> ConfidenceInterval:
    """Percentile bootstrap confidence interval of the mean of a per-user metric.

    Parameters
    ----------
    values : one value per user (e.g. ``result.per_user["ndcg@10"]``).
    n_boot : number of resamples (>= 10; 1000 is plenty for a 95% interval).
    confidence : coverage of the interval, e.g. 0.95.
    seed : the same seed gives the same interval.

    Examples
    --------
    >>> ci = bootstrap_ci(np.array([0.0, 0.0, 1.0, 1.0]), n_boot=100)
    >>> ci.mean, 0.0 <= ci.low <= ci.high <= 1.0
    (0.5, True)
    """
    _check_common("bootstrap_ci", n_boot, confidence, seed)
    v = _as_vector("bootstrap_ci", "values", values)
    means = bootstrap_means(v, n_boot, seed)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    mean = float(v.mean())
    # the percentile interval of a symmetric statistic can miss the mean by rounding; keep it inside
    return ConfidenceInterval(mean, float(min(low, mean)), float(max(high, mean)), confidence, n_boot)


def paired_test(a: np.ndarray, b: np.ndarray, n_boot: int = 1000, confidence: float = 0.95,
                seed: int = 0) -> PairedTest:
    """Compare two models' per-user metric vectors evaluated on the same users, in the same order.

    Returns the mean difference ``a - b`` with a percentile bootstrap interval, and three two-sided
    p-values (paired bootstrap, paired t-test, Wilcoxon signed-rank).

    Examples
    --------
    >>> a = np.array([1.0, 1.0, 0.0, 1.0] * 25)
    >>> t = paired_test(a, a)
    >>> t.mean_diff, t.p_bootstrap, t.p_ttest, t.p_wilcoxon
    (0.0, 1.0, 1.0, 1.0)
    """
    _check_common("paired_test", n_boot, confidence, seed)
    va = _as_vector("paired_test", "a", a)
    vb = _as_vector("paired_test", "b", b)
    if len(va) != len(vb):
        raise ParameterError("paired_test", "b", f"{len(vb)} values",
                             f"{len(va)} values, one per user of a (the same users, same order)")
    d = va - vb
    mean_diff = float(d.mean())
    ci = bootstrap_ci(d, n_boot=n_boot, confidence=confidence, seed=seed)
    if np.all(d == 0):
        p_boot = p_t = p_w = 1.0
    else:
        null = bootstrap_means(d - mean_diff, n_boot, seed + 1)
        extreme = int((np.abs(null) >= abs(mean_diff) - 1e-15).sum())
        p_boot = (extreme + 1) / (n_boot + 1)
        p_t = _ttest_p(d)
        p_w = _wilcoxon_p(d)
    return PairedTest(len(d), float(va.mean()), float(vb.mean()), mean_diff, ci.low, ci.high, confidence,
                      float(p_boot), p_t, p_w)


def _ttest_p(d: np.ndarray) -> float:
    if len(d) < 2:
        return float("nan")
    if np.all(d == d[0]):  # no spread: a constant non-zero difference is as certain as it gets
        return 0.0
    return float(sps.ttest_1samp(d, 0.0).pvalue)


def _wilcoxon_p(d: np.ndarray) -> float:
    nz = d[d != 0]
    if len(nz) == 0:
        return 1.0
    res = sps.wilcoxon(nz, zero_method="wilcox", alternative="two-sided")
    p = float(res.pvalue)
    return p if math.isfinite(p) else float("nan")


def paired_test_results(a: EvalResult, b: EvalResult, metric: str = "ndcg@10", n_boot: int = 1000,
                        confidence: float = 0.95, seed: int = 0) -> PairedTest:
    """:func:`paired_test` on one metric of two evaluations, aligned on the users both evaluated.

    Examples
    --------
    >>> r = EvalResult(np.array([0, 1]), np.zeros((2, 1), int), [], {"hr@1": np.array([1.0, 0.0])}, {})
    >>> paired_test_results(r, r, "hr@1", n_boot=50).p_bootstrap
    1.0
    """
    for name, res in (("a", a), ("b", b)):
        if metric not in res.per_user:
            raise ParameterError("paired_test_results", "metric", metric,
                                 f"a per-user metric of {name} (one of {sorted(res.per_user)})")
    common, ia, ib = np.intersect1d(a.users, b.users, assume_unique=True, return_indices=True)
    if len(common) == 0:
        raise ParameterError("paired_test_results", "b", "an evaluation on other users",
                             "an evaluation on the same test users as a")
    return paired_test(a.per_user[metric][ia], b.per_user[metric][ib], n_boot=n_boot,
                       confidence=confidence, seed=seed)
