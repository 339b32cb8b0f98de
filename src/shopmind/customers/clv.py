"""Customer lifetime value: BG/NBD (Fader, Hardie & Lee 2005) and Gamma-Gamma (Fader, Hardie & Lee 2005b).

Both likelihoods are written out with :mod:`scipy.special` and maximised with :func:`scipy.optimize.minimize`
over the log of the parameters (so they stay positive). ``lifetimes`` has the same models but is unmaintained
since 2020 and pins old numpy/pandas idioms; ``pymc-marketing`` is the maintained successor but brings PyMC and
PyTensor for what are two closed-form likelihoods (see docs/customers.md).

The inputs are the usual per-customer summary (:func:`summarise`):

- ``frequency`` x: repeat purchases (purchase days after the first one) in the calibration period;
- ``recency`` t_x: time from the first to the last purchase;
- ``T``: time from the first purchase to the end of the calibration period;
- ``monetary`` m_x: mean value of the repeat purchases (Gamma-Gamma uses customers with x > 0 only).

>>> import numpy as np
>>> x, tx, T = np.array([0, 2, 5, 1]), np.array([0.0, 10.0, 30.0, 2.0]), np.array([39.0, 39.0, 38.0, 20.0])
>>> m = BetaGeoModel().fit(x, tx, T)
>>> bool(0.0 < m.probability_alive(x, tx, T)[0] <= 1.0)
True
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1

from shopmind.errors import DataError, NotFittedError, check_float

logger = logging.getLogger(__name__)

#: Time unit of the published CDNOW analysis: weeks.
WEEK_DAYS = 7.0


def _as_arrays(*cols: Any) -> list[np.ndarray]:
    arrays = [np.asarray(c, dtype=np.float64).ravel() for c in cols]
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise DataError(f"the summary columns differ in length: {[len(a) for a in arrays]}")
    return arrays


def _maximise(objective: Any, start: np.ndarray) -> Any:
    """Minimise ``objective`` over log-parameters: quasi-Newton first (fast), then a simplex polish from
    there (robust to the flat ridges these likelihoods have); the better of the two wins."""
    with np.errstate(all="ignore"):
        quick = minimize(objective, start, method="L-BFGS-B", options={"ftol": 1e-14, "gtol": 1e-9})
        polish = minimize(objective, quick.x, method="Nelder-Mead",
                          options={"xatol": 1e-9, "fatol": 1e-13, "maxiter": 200})
    return polish if polish.fun <= quick.fun else quick


def _check_summary(x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> None:
    if not len(x):
        raise DataError("no customers to fit: the summary is empty")
    bad = ~(np.isfinite(x) & np.isfinite(tx) & np.isfinite(T))
    if bad.any():
        raise DataError(f"{int(bad.sum())} customers have a missing or infinite frequency, recency or T")
    if (x < 0).any() or (tx < 0).any() or (tx > T + 1e-9).any():
        raise DataError("the summary needs frequency >= 0 and 0 <= recency <= T for every customer")
    if (x > 0).sum() == 0:
        raise DataError("no customer made a repeat purchase: BG/NBD needs some repeat buyers to fit")


class BetaGeoModel:
    """BG/NBD: purchases follow a Poisson process with a gamma-distributed rate (r, alpha) while the customer
    is alive; after each purchase the customer drops out with a beta-distributed probability (a, b).

    Parameters
    ----------
    penalizer : L2 penalty on the parameters (0: plain maximum likelihood, which reproduces the paper).
    """

    def __init__(self, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer

    # ------------------------------------------------------------------ likelihood
    @staticmethod
    def log_likelihood_terms(params: np.ndarray, x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
        """The log-likelihood of each customer under ``params = (r, alpha, a, b)`` (paper, eq. 6)."""
        r, alpha, a, b = params
        a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        a2 = betaln(a, b + x) - betaln(a, b)
        a3 = -(r + x) * np.log(alpha + T)
        repeat = x > 0
        xr = np.where(repeat, x, 1.0)  # keeps log(b + x - 1) finite where it is not used
        a4 = np.where(repeat, np.log(a) - np.log(b + xr - 1) - (r + x) * np.log(alpha + tx), -np.inf)
        return np.asarray(a1 + a2 + np.logaddexp(a3, a4), dtype=np.float64)

    def fit(self, frequency: Any, recency: Any, T: Any, weights: Any = None) -> Self:
        """Maximum likelihood fit; sets ``r_``, ``alpha_``, ``a_``, ``b_`` and ``log_likelihood_``."""
        check_float(type(self).__name__, "penalizer", self.penalizer, low=0.0)
        x, tx, t_obs = _as_arrays(frequency, recency, T)
        _check_summary(x, tx, t_obs)
        w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
        # identical (x, t_x, T) rows are common (every one-time buyer of a day): fit each once, weighted
        rows, inverse = np.unique(np.column_stack([x, tx, t_obs]), axis=0, return_inverse=True)
        w = np.bincount(inverse.ravel(), weights=w, minlength=len(rows))
        x, tx, t_obs = rows[:, 0], rows[:, 1], rows[:, 2]
        scale = max(float(np.median(t_obs)), 1e-9)  # alpha lives on the time scale: start near it

        def objective(log_params: np.ndarray) -> float:
            params = np.exp(log_params)
            ll = float(np.dot(w, self.log_likelihood_terms(params, x, tx, t_obs)))
            penalty = self.penalizer * float(np.sum(params ** 2))
            return float(-ll / w.sum() + penalty)

        t0 = time.perf_counter()
        best = _maximise(objective, np.log([1.0, scale, 1.0, 1.0]))
        self.r_, self.alpha_, self.a_, self.b_ = (float(v) for v in np.exp(best.x))
        self.log_likelihood_ = float(np.dot(w, self.log_likelihood_terms(self.params_, x, tx, t_obs)))
        self.n_customers_ = int(w.sum())
        self.fit_seconds_ = time.perf_counter() - t0
        logger.info("BG/NBD fit on %d customers: %s (LL %.1f) in %.2fs", self.n_customers_, self.as_dict(),
                    self.log_likelihood_, self.fit_seconds_)
        return self

    # ------------------------------------------------------------------ state
    @property
    def params_(self) -> np.ndarray:
        if not hasattr(self, "r_"):
            raise NotFittedError("BetaGeoModel is not fitted yet: call fit() first")
        return np.array([self.r_, self.alpha_, self.a_, self.b_])

    def as_dict(self) -> dict[str, float]:
        """``{"r", "alpha", "a", "b", "log_likelihood"}`` of the fit."""
        r, alpha, a, b = self.params_
        return {"r": float(r), "alpha": float(alpha), "a": float(a), "b": float(b),
                "log_likelihood": float(self.log_likelihood_)}

    @classmethod
    def from_dict(cls, d: dict[str, float]) -> BetaGeoModel:
        """A fitted model from :meth:`as_dict` output (as stored by the refresh job)."""
        m = cls()
        m.r_, m.alpha_, m.a_, m.b_ = (float(d[k]) for k in ("r", "alpha", "a", "b"))
        m.log_likelihood_ = float(d.get("log_likelihood", float("nan")))
        return m

    # ------------------------------------------------------------------ predictions
    def probability_alive(self, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """P(alive | x, t_x, T) (paper, eq. 11); 1 for customers without repeat purchases."""
        r, alpha, a, b = self.params_
        x, tx, t_obs = _as_arrays(frequency, recency, T)
        repeat = x > 0
        xr = np.where(repeat, x, 1.0)
        log_ratio = np.log(a) - np.log(b + xr - 1) + (r + x) * (np.log(alpha + t_obs) - np.log(alpha + tx))
        return np.where(repeat, 1.0 / (1.0 + np.exp(np.minimum(log_ratio, 700.0))), 1.0)

    def expected_purchases(self, t: Any) -> np.ndarray:
        """E[X(t)]: purchases a new customer makes in a period of length ``t`` (paper, eq. 7)."""
        r, alpha, a, b = self.params_
        t = np.asarray(t, dtype=np.float64)
        z = t / (alpha + t)
        out = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))
        return np.where(t > 0, out, 0.0)

    def conditional_expected_purchases(self, t: Any, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """E[Y(t) | x, t_x, T]: purchases in the next ``t`` time units (paper, eq. 10)."""
        r, alpha, a, b = self.params_
        x, tx, t_obs = _as_arrays(frequency, recency, T)
        t = np.broadcast_to(np.asarray(t, dtype=np.float64), x.shape)
        z = t / (alpha + t_obs + t)
        head = (a + b + x - 1) / (a - 1)
        c = a + b + x - 1
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log_hyp = np.log(hyp2f1(r + x, b + x, c, z))
            # Euler's transformation where the series overflows (heavy buyers, long horizons)
            alt = np.log(hyp2f1(c - r - x, c - b - x, c, z)) + (c - r - x - b - x) * np.log1p(-z)
        log_hyp = np.where(np.isfinite(log_hyp), log_hyp, alt)
        body = 1 - np.exp(log_hyp + (r + x) * (np.log(alpha + t_obs) - np.log(alpha + t_obs + t)))
        repeat = x > 0
        xr = np.where(repeat, x, 1.0)
        odds = np.where(repeat, a / (b + xr - 1) * np.exp((r + x) * (np.log(alpha + t_obs) - np.log(alpha + tx))),
                        0.0)
        out = head * body / (1 + odds)
        return np.where(np.isfinite(out) & (t > 0), np.maximum(out, 0.0), 0.0)


class GammaGammaModel:
    """Gamma-Gamma spend model: a customer's transaction values are gamma(p, nu) with nu ~ gamma(q, gamma).

    Fitted on customers with at least one repeat purchase (x > 0) and their mean repeat value.
    """

    def __init__(self, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer

    @staticmethod
    def log_likelihood_terms(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
        """Per-customer log-likelihood of the mean spend ``m`` over ``x`` transactions."""
        p, q, g = params
        px = p * x
        return np.asarray(gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(g) + (px - 1) * np.log(m)
                          + px * np.log(x) - (px + q) * np.log(g + x * m), dtype=np.float64)

    def fit(self, frequency: Any, monetary: Any) -> Self:
        """Maximum likelihood fit on the customers with ``frequency > 0`` and ``monetary > 0``."""
        check_float(type(self).__name__, "penalizer", self.penalizer, low=0.0)
        x, m = _as_arrays(frequency, monetary)
        keep = (x > 0) & np.isfinite(m) & (m > 0)
        x, m = x[keep], m[keep]
        if len(x) < 3:
            raise DataError(f"Gamma-Gamma needs repeat buyers with a positive spend; got {len(x)}")

        def objective(log_params: np.ndarray) -> float:
            params = np.exp(log_params)
            return -float(np.mean(self.log_likelihood_terms(params, x, m))) + self.penalizer * float(
                np.sum(params ** 2))

        t0 = time.perf_counter()
        best = _maximise(objective, np.log([1.0, 1.0, max(float(np.mean(m)), 1e-6)]))
        self.p_, self.q_, self.gamma_ = (float(v) for v in np.exp(best.x))
        self.log_likelihood_ = float(np.sum(self.log_likelihood_terms(self.params_, x, m)))
        self.n_customers_ = len(x)
        self.fit_seconds_ = time.perf_counter() - t0
        return self

    @property
    def params_(self) -> np.ndarray:
        if not hasattr(self, "p_"):
            raise NotFittedError("GammaGammaModel is not fitted yet: call fit() first")
        return np.array([self.p_, self.q_, self.gamma_])

    def as_dict(self) -> dict[str, float]:
        p, q, g = self.params_
        return {"p": float(p), "q": float(q), "gamma": float(g)}

    @classmethod
    def from_dict(cls, d: dict[str, float]) -> GammaGammaModel:
        m = cls()
        m.p_, m.q_, m.gamma_ = (float(d[k]) for k in ("p", "q", "gamma"))
        m.log_likelihood_ = float("nan")
        return m

    def conditional_expected_spend(self, frequency: Any, monetary: Any) -> np.ndarray:
        """E[M | x, m_x]: expected value of a customer's future transaction (the population mean
        ``p * gamma / (q - 1)`` for customers without repeat purchases or without a known spend)."""
        p, q, g = self.params_
        x, m = _as_arrays(frequency, monetary)
        population = p * g / (q - 1) if q > 1 else float("nan")
        known = (x > 0) & np.isfinite(m) & (m > 0)
        xs, ms = np.where(known, x, 1.0), np.where(known, m, 1.0)
        out = (g + xs * ms) * p / (p * xs + q - 1)
        return np.where(known, out, population)


# ---------------------------------------------------------------------------------------------- summaries
@dataclass(frozen=True)
class Summary:
    """Per-customer summary of a transaction log, calibration and (optionally) holdout period."""

    frame: pd.DataFrame  # index customer id; frequency, recency, T, monetary[, holdout_frequency, holdout_T]
    calibration_end: pd.Timestamp
    observation_end: pd.Timestamp | None
    unit_days: float


def summarise(transactions: pd.DataFrame, calibration_end: pd.Timestamp | str,
              observation_end: pd.Timestamp | str | None = None, unit_days: float = WEEK_DAYS,
              customer: str = "customer_id", when: str = "timestamp", amount: str = "amount") -> Summary:
    """Per-customer frequency, recency, T and mean repeat value (the published protocol).

    Purchases are counted per distinct calendar day (several orders on one day are one transaction, their
    values summed); times are in ``unit_days`` (7: weeks). Customers whose first purchase falls after
    ``calibration_end`` are left out. With ``observation_end`` the holdout repeat purchases (days after
    ``calibration_end`` up to and including ``observation_end``) are counted too.

    >>> tx = pd.DataFrame({"customer_id": [1, 1, 1, 2], "amount": [10.0, 20.0, 30.0, 5.0],
    ...                    "timestamp": pd.to_datetime(["1997-01-01", "1997-01-15", "1997-03-01", "1997-02-01"])})
    >>> s = summarise(tx, "1997-02-28", "1997-06-30")
    >>> s.frame.loc[1, ["frequency", "recency", "T", "monetary", "holdout_frequency"]].tolist()
    [1.0, 2.0, 8.285714285714286, 20.0, 1.0]
    """
    cal_end = pd.Timestamp(calibration_end).normalize()
    obs_end = pd.Timestamp(observation_end).normalize() if observation_end is not None else None
    tz = getattr(transactions[when].dtype, "tz", None)
    if tz is not None:
        cal_end = cal_end.tz_localize(tz) if cal_end.tzinfo is None else cal_end
        obs_end = obs_end.tz_localize(tz) if obs_end is not None and obs_end.tzinfo is None else obs_end
    df = pd.DataFrame({"c": transactions[customer].to_numpy(),
                       "day": pd.to_datetime(transactions[when]).dt.normalize(),
                       "v": pd.to_numeric(transactions[amount], errors="coerce").to_numpy(np.float64)
                       if amount in transactions else np.nan})
    daily = df.groupby(["c", "day"], sort=True, observed=True)["v"].sum(min_count=1).reset_index()
    first = daily.groupby("c", sort=False)["day"].transform("min")
    daily = daily[first <= cal_end]
    first = first[daily.index]
    cal = daily[daily["day"] <= cal_end]
    unit = pd.Timedelta(days=unit_days)
    g = cal.groupby("c", sort=True)
    out = pd.DataFrame({"first": g["day"].min(), "last": g["day"].max(), "n": g.size()})
    out["frequency"] = (out["n"] - 1).astype(np.float64)
    out["recency"] = (out["last"] - out["first"]) / unit
    out["T"] = (cal_end - out["first"]) / unit
    repeat = cal[cal["day"] > first[cal.index]]
    out["monetary"] = repeat.groupby("c")["v"].mean().reindex(out.index).fillna(0.0)
    if obs_end is not None:
        hold = daily[(daily["day"] > cal_end) & (daily["day"] <= obs_end)]
        out["holdout_frequency"] = hold.groupby("c").size().reindex(out.index).fillna(0).astype(np.float64)
        out["holdout_T"] = (obs_end - cal_end) / unit
    out.index.name = customer
    return Summary(out.drop(columns=["first", "last", "n"]), cal_end, obs_end, float(unit_days))


def read_cdnow(path: Any) -> pd.DataFrame:
    """The CDNOW log (master with its header line, or the 1/10 sample with its two id columns) as
    ``customer_id, timestamp, cds, amount``.

    >>> import io
    >>> read_cdnow(io.StringIO(" 00004 0001 19970101  2   29.33\\n 00004 0001 19970118  2   29.73\\n")).shape
    (2, 4)
    """
    raw = pd.read_csv(path, sep=r"\s+", header=None, dtype=str, engine="python")
    if not raw.empty and not str(raw.iloc[0, -1]).replace(".", "", 1).isdigit():
        raw = raw.iloc[1:]  # the master file's header line
    if raw.shape[1] == 5:  # the sample: original id, sample id, date, cds, dollars
        raw = raw.iloc[:, [0, 2, 3, 4]]
    if raw.shape[1] != 4:
        raise DataError(f"expected the CDNOW columns customer_id date number_of_cds dollar_value; got "
                        f"{raw.shape[1]} columns", source=str(path))
    raw.columns = ["customer_id", "date", "cds", "amount"]
    return pd.DataFrame({
        "customer_id": raw["customer_id"].str.lstrip("0").to_numpy(object),
        "timestamp": pd.to_datetime(raw["date"], format="%Y%m%d"),
        "cds": pd.to_numeric(raw["cds"]).to_numpy(np.int64),
        "amount": pd.to_numeric(raw["amount"]).to_numpy(np.float64),
    }).reset_index(drop=True)


#: The published protocol on CDNOW: calibration to 1997-09-30, holdout to 1998-06-30 (weeks 40-78).
CDNOW_CALIBRATION_END = pd.Timestamp("1997-09-30")
CDNOW_OBSERVATION_END = pd.Timestamp("1998-06-30")


def cdnow_calibration_end(transactions: pd.DataFrame, calibration_weeks: float) -> pd.Timestamp:
    """The end of a ``calibration_weeks`` calibration starting at the log's first day (39 weeks from
    1997-01-01 is 1997-09-30, the published protocol)."""
    start = pd.Timestamp(transactions["timestamp"].min()).normalize()
    return start + pd.Timedelta(days=round(calibration_weeks * WEEK_DAYS) - 1)


@dataclass
class ClvFit:
    """Both models fitted on one summary, with the holdout comparison when there is one."""

    summary: Summary
    bgnbd: BetaGeoModel
    gamma_gamma: GammaGammaModel | None
    predicted_holdout: np.ndarray | None

    def report(self) -> dict[str, Any]:
        """``{"bgnbd", "gamma_gamma", "holdout", "customers", "fit_seconds"}`` (the CLI's ``--json``)."""
        out: dict[str, Any] = {"bgnbd": self.bgnbd.as_dict(),
                               "gamma_gamma": self.gamma_gamma.as_dict() if self.gamma_gamma else None,
                               "holdout": None, "customers": len(self.summary.frame)}
        if self.predicted_holdout is not None:
            actual = self.summary.frame["holdout_frequency"].to_numpy()
            out["holdout"] = {"actual": float(actual.sum()), "predicted": float(self.predicted_holdout.sum()),
                              "mae": float(np.mean(np.abs(self.predicted_holdout - actual)))}
        seconds = self.bgnbd.fit_seconds_ + (self.gamma_gamma.fit_seconds_ if self.gamma_gamma else 0.0)
        out["fit_seconds"] = round(seconds, 3)
        return out


def fit_clv(summary: Summary) -> ClvFit:
    """Fit BG/NBD (and Gamma-Gamma when there are repeat buyers with spend) on a :func:`summarise` result and
    predict the holdout when the summary has one."""
    f = summary.frame
    bg = BetaGeoModel().fit(f["frequency"], f["recency"], f["T"])
    gg: GammaGammaModel | None = None
    if ((f["frequency"] > 0) & (f["monetary"] > 0)).sum() >= 3:
        gg = GammaGammaModel().fit(f["frequency"], f["monetary"])
    pred = None
    if "holdout_frequency" in f:
        pred = bg.conditional_expected_purchases(f["holdout_T"], f["frequency"], f["recency"], f["T"])
    return ClvFit(summary, bg, gg, pred)


def cumulative_repeat_purchases(transactions: pd.DataFrame, model: BetaGeoModel, start: pd.Timestamp,
                                weeks: int, unit_days: float = WEEK_DAYS) -> pd.DataFrame:
    """Actual and predicted cumulative repeat purchases of the cohort, by week since ``start``.

    The prediction sums each customer's E[X(t - first purchase)] (the unconditional curve of the paper's
    figure 2); the actual counts repeat purchase days.
    """
    df = pd.DataFrame({"c": transactions["customer_id"].to_numpy(),
                       "day": pd.to_datetime(transactions["timestamp"]).dt.normalize()}).drop_duplicates()
    first = df.groupby("c")["day"].transform("min")
    repeat_days = (df.loc[df["day"] > first, "day"] - start) / pd.Timedelta(days=unit_days)
    firsts = (df.groupby("c")["day"].min() - start) / pd.Timedelta(days=unit_days)
    week = np.arange(1, weeks + 1, dtype=np.float64)
    actual = np.searchsorted(np.sort(repeat_days.to_numpy()), week, side="right")
    f0 = firsts.to_numpy()
    predicted = np.array([model.expected_purchases(np.maximum(w - f0, 0.0)).sum() for w in week])
    return pd.DataFrame({"week": week.astype(int), "actual": actual.astype(float), "predicted": predicted})
