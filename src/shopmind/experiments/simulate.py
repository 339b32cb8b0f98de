"""Simulated experiments checked every day: what peeking does to a fixed-horizon test, and what it does not do
to the always-valid (mSPRT) one.

Each run is one two-arm experiment: ``users_per_day`` new users per arm each day for ``days`` days, a per-user
metric (``conversion``: 0/1 with rate ``baseline``; ``revenue``: a purchase with that rate times a log-normal
basket value). After every day the cumulative data are tested three ways:

- *naive peeking*: Welch's t-test at alpha each day, stopping at the first p < alpha;
- *sequential*: the mSPRT always-valid p-value (normal mixture with ``tau`` = the planned absolute effect);
- *fixed horizon*: one Welch test on the last day only.

With no true effect (A/A) the share of runs that ever reject is the false-positive rate; with an effect (A/B)
it is the power. Runs are simulated in vectorised chunks (sufficient statistics per day), so 1,000 runs of
14 days x 1,000 users per arm take seconds.

>>> r = simulate_experiments(SimulationConfig(runs=200, days=7, users_per_day=200, seed=1))
>>> r.runs, r.fixed_horizon_rejection_rate <= 0.1
(200, True)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import stats as sps

from shopmind.errors import ParameterError, check_float, check_int
from shopmind.experiments.stats import msprt_pvalues, sample_size_per_arm

METRICS = ("conversion", "revenue")
#: Log-normal basket value of the ``revenue`` metric (median e^3.5 ~ 33, heavy right tail).
BASKET_MU, BASKET_SIGMA = 3.5, 0.8
CHUNK_USER_VALUES = 4_000_000


@dataclass(frozen=True)
class SimulationConfig:
    """One batch of simulated experiments. ``effect`` is the true relative lift of the treatment (0: A/A);
    ``mde`` the relative lift the experiment is planned for (sets the mSPRT mixture and the planned size)."""

    runs: int = 1000
    days: int = 14
    users_per_day: int = 1000
    baseline: float = 0.10
    metric: str = "conversion"
    effect: float = 0.0
    mde: float = 0.10
    alpha: float = 0.05
    seed: int = 42

    def __post_init__(self) -> None:
        owner = "SimulationConfig"
        check_int(owner, "runs", self.runs, 1)
        check_int(owner, "days", self.days, 1, 3650)
        check_int(owner, "users_per_day", self.users_per_day, 2)
        check_float(owner, "baseline", self.baseline, 0.0, 1.0, low_open=True)
        check_float(owner, "alpha", self.alpha, 0.0, 0.5, low_open=True)
        check_float(owner, "mde", self.mde, 0.0, None, low_open=True)
        check_float(owner, "effect", self.effect, -1.0, None)
        if self.metric not in METRICS:
            raise ParameterError(owner, "metric", self.metric, f"one of {', '.join(METRICS)}")
        if self.baseline * (1 + self.effect) > 1 and self.metric == "conversion":
            raise ParameterError(owner, "effect", self.effect, "a lift that keeps the conversion rate <= 1")

    @property
    def mean_value(self) -> float:
        """The control's mean of the metric."""
        basket = math.exp(BASKET_MU + BASKET_SIGMA**2 / 2) if self.metric == "revenue" else 1.0
        return self.baseline * basket

    @property
    def sd(self) -> float:
        """The control's per-user standard deviation of the metric."""
        p = self.baseline
        if self.metric == "conversion":
            return math.sqrt(p * (1 - p))
        second = math.exp(2 * BASKET_MU + 2 * BASKET_SIGMA**2)
        return math.sqrt(p * second - (p * math.exp(BASKET_MU + BASKET_SIGMA**2 / 2)) ** 2)

    @property
    def tau(self) -> float:
        """The mSPRT mixture standard deviation: the planned absolute effect."""
        return self.mde * self.mean_value


@dataclass
class SimulationResult:
    """Share of runs that rejected (ever, for the daily checks), and when the sequential test stopped."""

    config: SimulationConfig
    runs: int
    naive_peeking_rejection_rate: float
    sequential_rejection_rate: float
    fixed_horizon_rejection_rate: float
    planned_users_per_arm: int
    users_per_arm: int
    sequential_median_stop_day: float | None
    by_day: dict[str, list[float]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["config"] = asdict(self.config)
        return out

    def aa_summary(self) -> dict[str, float | int]:
        """The A/A false-positive rates, as ``shopmind experiments simulate --aa --json`` prints them."""
        return {"sequential_false_positive_rate": self.sequential_rejection_rate,
                "naive_peeking_false_positive_rate": self.naive_peeking_rejection_rate,
                "fixed_horizon_false_positive_rate": self.fixed_horizon_rejection_rate,
                "runs": self.runs}


def _daily_sums(cfg: SimulationConfig, rate: float, lift: float, runs: int, rng: np.random.Generator
                ) -> tuple[np.ndarray, np.ndarray]:
    """Per run and day: the sum and the sum of squares of the metric over that day's users of one arm."""
    n = cfg.users_per_day
    if cfg.metric == "conversion":
        s = rng.binomial(n, min(rate * (1 + lift), 1.0), size=(runs, cfg.days)).astype(np.float64)
        return s, s
    sums = np.empty((runs, cfg.days))
    squares = np.empty((runs, cfg.days))
    step = max(1, CHUNK_USER_VALUES // (cfg.days * n))
    for start in range(0, runs, step):
        stop = min(runs, start + step)
        buys = rng.random((stop - start, cfg.days, n)) < rate
        value = np.where(buys, rng.lognormal(BASKET_MU, BASKET_SIGMA, size=buys.shape) * (1 + lift), 0.0)
        sums[start:stop] = value.sum(axis=2)
        squares[start:stop] = (value * value).sum(axis=2)
    return sums, squares


def _cumulative(sums: np.ndarray, squares: np.ndarray, n_per_day: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cumulative mean, variance of the mean (sample variance, ddof 1) and count after each day."""
    s, q = np.cumsum(sums, axis=1), np.cumsum(squares, axis=1)
    n = n_per_day * np.arange(1, sums.shape[1] + 1, dtype=np.float64)
    mean = s / n
    var = np.maximum(q - n * mean * mean, 0.0) / (n - 1)
    return mean, var / n, n


def simulate_experiments(cfg: SimulationConfig) -> SimulationResult:
    """Run ``cfg.runs`` simulated experiments and test each after every day (see the module docstring)."""
    rng = np.random.default_rng(cfg.seed)
    mc, vc, n = _cumulative(*_daily_sums(cfg, cfg.baseline, 0.0, cfg.runs, rng), cfg.users_per_day)
    mt, vt, _ = _cumulative(*_daily_sums(cfg, cfg.baseline, cfg.effect, cfg.runs, rng), cfg.users_per_day)
    diff, var = mt - mc, vt + vc
    se = np.sqrt(var)
    with np.errstate(divide="ignore", invalid="ignore"):
        df = var**2 / (vt**2 / (n - 1) + vc**2 / (n - 1))
        welch_p = np.where(se > 0, 2 * sps.t.sf(np.abs(diff) / se, np.where(np.isfinite(df), df, 1.0)), 1.0)
    naive = (welch_p < cfg.alpha).any(axis=1)
    fixed = welch_p[:, -1] < cfg.alpha
    seq_p = msprt_pvalues(diff, var, cfg.tau)
    seq = seq_p <= cfg.alpha
    stop_days = np.argmax(seq, axis=1)[seq.any(axis=1)] + 1
    return SimulationResult(
        config=cfg,
        runs=cfg.runs,
        naive_peeking_rejection_rate=float(naive.mean()),
        sequential_rejection_rate=float(seq[:, -1].mean()),
        fixed_horizon_rejection_rate=float(fixed.mean()),
        planned_users_per_arm=sample_size_per_arm(cfg.sd, cfg.mde * cfg.mean_value, cfg.alpha),
        users_per_arm=cfg.days * cfg.users_per_day,
        sequential_median_stop_day=float(np.median(stop_days)) if stop_days.size else None,
        by_day={"naive_peeking": np.cumsum(welch_p < cfg.alpha, axis=1).astype(bool).mean(axis=0).tolist(),
                "sequential": seq.mean(axis=0).tolist(),
                "single_test_that_day": (welch_p < cfg.alpha).mean(axis=0).tolist()},
    )


def days_for_planned_size(cfg: SimulationConfig, power: float = 0.8) -> int:
    """Days of ``cfg.users_per_day`` users per arm needed to reach the planned sample size at ``power``."""
    n = sample_size_per_arm(cfg.sd, cfg.mde * cfg.mean_value, cfg.alpha, power)
    return max(1, math.ceil(n / cfg.users_per_day))
