"""The analysis of an experiment from its exposure log and the event log.

Users are the unit of randomisation and of analysis. For each exposed user: the variant, the time of the first
exposure ``t0``, the number of exposures, and the outcomes in ``[t0, t0 + attribution window)``: clicks,
purchases, revenue. The same outcomes in the pre-period ``[t0 - pre_period, t0)`` are the CUPED covariates.
Outcomes count either every event of the user in the window (``attribution="user"``, the default) or only
events that echo one of the recommendation ids the user was exposed to (``attribution="recommendation"``,
``context.recommendation_id``).

Per variant: users, conversion (share of users who purchased), CTR (clicks / exposures, a ratio metric with
the delta-method variance), revenue and clicks per user. Each treatment is compared with the control by
Welch's fixed-horizon test (with and without CUPED) and by the always-valid mSPRT over daily looks, and the
split of users is checked for a sample-ratio mismatch.

Revenue of a purchase: ``context.revenue`` when present, else ``value`` x the item's price when the catalog
is given, else ``value``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from shopmind.errors import ParameterError
from shopmind.experiments.assignment import Experiment, unit_hash
from shopmind.experiments.stats import (
    SRM,
    Estimate,
    confidence_sequence,
    cuped,
    msprt_pvalues,
    ratio_delta,
    ratio_test,
    srm_test,
    welch_test,
)

Attribution = Literal["user", "recommendation"]
#: Per-user columns of :func:`user_table`.
USER_COLUMNS = ("user_id", "variant", "first_exposure", "exposures", "clicks", "purchases", "revenue",
                "pre_clicks", "pre_purchases", "pre_revenue")
#: metric -> (per-user column, CUPED covariate column); ``ctr`` is the ratio clicks / exposures.
USER_METRICS = {"conversion": ("converted", "pre_converted"), "revenue_per_user": ("revenue", "pre_revenue"),
                "clicks_per_user": ("clicks", "pre_clicks")}


def purchase_revenue(events: pd.DataFrame, items: pd.DataFrame | None = None) -> np.ndarray:
    """Revenue of each row of ``events`` that is a purchase (0 for other rows)."""
    is_buy = (events["type"] == "purchase").to_numpy()
    out = np.zeros(len(events))
    if not is_buy.any():
        return out
    ctx_rev = np.array([c.get("revenue") if isinstance(c, Mapping) else None for c in events["context"]],
                       dtype=object)
    rev = pd.to_numeric(pd.Series(ctx_rev), errors="coerce").to_numpy(dtype=np.float64)
    value = pd.to_numeric(events["value"], errors="coerce").fillna(1.0).to_numpy(dtype=np.float64)
    fallback = value.copy()
    if items is not None and len(items):
        price = events["item_id"].map(items.set_index("item_id")["price"]).to_numpy(dtype=np.float64)
        fallback = np.where(np.isfinite(price), value * price, value)
    out[is_buy] = np.where(np.isfinite(rev), rev, fallback)[is_buy]
    return out


def _recommendation_ids(events: pd.DataFrame) -> np.ndarray:
    return np.array([str(c["recommendation_id"]) if isinstance(c, Mapping) and c.get("recommendation_id") else ""
                     for c in events["context"]], dtype=object)


def user_table(experiment: Experiment, exposures: pd.DataFrame, events: pd.DataFrame,
               items: pd.DataFrame | None = None, *, as_of: pd.Timestamp | None = None,
               attribution: Attribution = "user") -> pd.DataFrame:
    """One row per exposed user (``USER_COLUMNS``), outcomes counted up to ``as_of`` (default: all).

    Users exposed to more than one variant (which deterministic assignment never does) are dropped."""
    exp = exposures[exposures["experiment_id"] == experiment.experiment_id]
    if as_of is not None:
        exp = exp[exp["timestamp"] < as_of]
    if exp.empty:
        return pd.DataFrame({c: pd.Series(dtype=object if c in ("user_id", "variant") else np.float64)
                             for c in USER_COLUMNS})
    per_user = exp.groupby("user_id", sort=True).agg(variant=("variant", "first"), variants=("variant", "nunique"),
                                                     first_exposure=("timestamp", "min"),
                                                     exposures=("timestamp", "size"))
    per_user = per_user[per_user["variants"] == 1].drop(columns="variants")
    window = pd.Timedelta(hours=experiment.attribution_hours)
    pre = pd.Timedelta(days=experiment.pre_period_days)
    ev = events[events["user_id"].isin(per_user.index) & events["type"].isin(("click", "purchase"))]
    if as_of is not None:
        ev = ev[ev["timestamp"] < as_of]
    ev = ev.assign(revenue=purchase_revenue(ev, items) if len(ev) else np.zeros(0))
    t0 = ev["user_id"].map(per_user["first_exposure"])
    in_window = (ev["timestamp"] >= t0) & (ev["timestamp"] < t0 + window)
    in_pre = (ev["timestamp"] < t0) & (ev["timestamp"] >= t0 - pre)
    if attribution == "recommendation":
        shown = set(exp["recommendation_id"].dropna().astype(str))
        in_window &= pd.Series([r in shown for r in _recommendation_ids(ev)], index=ev.index, dtype=bool)
    elif attribution != "user":
        raise ParameterError("user_table", "attribution", attribution, "'user' or 'recommendation'")

    ev = ev.assign(click=(ev["type"] == "click").astype(np.float64),
                   purchase=(ev["type"] == "purchase").astype(np.float64))

    def tally(mask: pd.Series, prefix: str) -> pd.DataFrame:
        sums = ev.loc[mask, ["user_id", "click", "purchase", "revenue"]].groupby("user_id").sum()
        return sums.rename(columns={"click": f"{prefix}clicks", "purchase": f"{prefix}purchases",
                                    "revenue": f"{prefix}revenue"})

    out = per_user.join(tally(in_window, "")).join(tally(in_pre, "pre_"))
    out = out.fillna({c: 0.0 for c in USER_COLUMNS[4:]}).reset_index()
    out["exposures"] = out["exposures"].astype(np.float64)
    return out[list(USER_COLUMNS)]


@dataclass
class VariantSummary:
    variant: str
    users: int
    expected_share: float
    exposures: int
    conversion: float
    ctr: float
    revenue_per_user: float
    clicks_per_user: float


@dataclass
class Comparison:
    """One treatment against the control on one metric."""

    metric: str
    treatment: str
    control: str
    method: str
    fixed: Estimate
    cuped_fixed: Estimate | None
    variance_reduction: float | None
    sequential_p_value: float
    always_valid_ci: tuple[float, float]
    alpha: float

    @property
    def significant_fixed(self) -> bool:
        est = self.cuped_fixed or self.fixed
        return est.p_value < self.alpha

    @property
    def significant_sequential(self) -> bool:
        return self.sequential_p_value <= self.alpha

    def as_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "treatment": self.treatment, "control": self.control, "method": self.method,
                "fixed": self.fixed.as_dict(), "cuped": self.cuped_fixed.as_dict() if self.cuped_fixed else None,
                "variance_reduction": self.variance_reduction, "sequential_p_value": self.sequential_p_value,
                "always_valid_ci": list(self.always_valid_ci), "significant_fixed": self.significant_fixed,
                "significant_sequential": self.significant_sequential}


@dataclass
class ExperimentReport:
    experiment_id: str
    status: str
    users: int
    variants: list[VariantSummary]
    srm: SRM
    comparisons: list[Comparison]
    #: Per look (end of each day): the primary metric's cumulative estimate, fixed 95% interval and
    #: always-valid interval, per treatment.
    timeline: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"experiment_id": self.experiment_id, "status": self.status, "users": self.users,
                "variants": [asdict(v) for v in self.variants], "srm": self.srm.as_dict(),
                "comparisons": [c.as_dict() for c in self.comparisons], "timeline": self.timeline}


def _metric_estimate(table: pd.DataFrame, metric: str, treatment: str, control: str, alpha: float
                     ) -> tuple[Estimate, float]:
    """The fixed-horizon estimate and its variance (for the sequential test)."""
    t, c = table[table["variant"] == treatment], table[table["variant"] == control]
    if min(len(t), len(c)) < 2:
        nan = math.nan
        return Estimate(nan, nan, nan, nan, 1.0), math.nan
    if metric == "ctr":
        est = ratio_test((t["clicks"], t["exposures"]), (c["clicks"], c["exposures"]), alpha)
    else:
        col = USER_METRICS[metric][0]
        est = welch_test(t[col], c[col], alpha)
    return est, est.se**2


def _with_flags(table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(converted=(table["purchases"] > 0).astype(np.float64),
                        pre_converted=(table["pre_purchases"] > 0).astype(np.float64))


def analyze(experiment: Experiment, exposures: pd.DataFrame, events: pd.DataFrame,
            items: pd.DataFrame | None = None, *, attribution: Attribution = "user") -> ExperimentReport:
    """The full report of an experiment (see the module docstring)."""
    table = _with_flags(user_table(experiment, exposures, events, items, attribution=attribution))
    counts = [int((table["variant"] == v).sum()) for v in experiment.variant_names]
    shares = experiment.shares()
    srm = srm_test(counts, [shares[v] for v in experiment.variant_names]) if sum(counts) else srm_test(
        [0] * len(counts), [shares[v] for v in experiment.variant_names])
    summaries = []
    for v, n in zip(experiment.variant_names, counts, strict=True):
        part = table[table["variant"] == v]
        exposures_n = float(part["exposures"].sum())
        summaries.append(VariantSummary(
            v, n, shares[v], int(exposures_n),
            float(part["converted"].mean()) if n else math.nan,
            ratio_delta(part["clicks"], part["exposures"]).value if exposures_n > 0 else math.nan,
            float(part["revenue"].mean()) if n else math.nan, float(part["clicks"].mean()) if n else math.nan))
    looks = _looks(experiment, exposures, events)
    timelines = _timelines(experiment, exposures, events, items, looks, attribution)
    comparisons = []
    for metric in experiment.metrics:
        for treatment in experiment.treatments:
            est, _ = _metric_estimate(table, metric, treatment, experiment.control, experiment.alpha)
            cup, reduction = None, None
            t, c = table[table["variant"] == treatment], table[table["variant"] == experiment.control]
            if metric in USER_METRICS and min(len(t), len(c)) >= 2:
                col, cov = USER_METRICS[metric]
                result = cuped((t[col], t[cov]), (c[col], c[cov]), experiment.alpha)
                cup, reduction = result.adjusted, result.variance_reduction
            line = [row for row in timelines[metric] if row["treatment"] == treatment]
            seq_p = line[-1]["sequential_p_value"] if line else 1.0
            avci = (line[-1]["cs_low"], line[-1]["cs_high"]) if line else (-math.inf, math.inf)
            comparisons.append(Comparison(metric, treatment, experiment.control,
                                          "delta" if metric == "ctr" else "welch", est, cup, reduction, seq_p, avci,
                                          experiment.alpha))
    return ExperimentReport(experiment.experiment_id, experiment.status, len(table), summaries, srm,
                            comparisons, timelines.get(experiment.metrics[0], []))


def _looks(experiment: Experiment, exposures: pd.DataFrame, events: pd.DataFrame) -> list[pd.Timestamp]:
    """End of each day from the first exposure to the last data (the last event, at most an attribution window
    after the last exposure); at most 366 looks."""
    exp = exposures[exposures["experiment_id"] == experiment.experiment_id]
    if exp.empty:
        return []
    last_exposure = exp["timestamp"].max()
    last = last_exposure
    if len(events):
        window = pd.Timedelta(hours=experiment.attribution_hours)
        last = max(last, min(events["timestamp"].max(), last_exposure + window))
    first, last = exp["timestamp"].min().normalize(), last.normalize()
    days = min(int((last - first) / pd.Timedelta(days=1)) + 1, 366)
    return [first + pd.Timedelta(days=d + 1) for d in range(days)]


def _timelines(experiment: Experiment, exposures: pd.DataFrame, events: pd.DataFrame,
               items: pd.DataFrame | None, looks: list[pd.Timestamp], attribution: Attribution
               ) -> dict[str, list[dict[str, Any]]]:
    """Per metric: the cumulative estimate at each look, as it was known then, with the always-valid p-value
    and confidence sequence (running intersection) and the fixed-horizon interval beside them."""
    tables = [_with_flags(user_table(experiment, exposures, events, items, as_of=when, attribution=attribution))
              for when in looks]
    out: dict[str, list[dict[str, Any]]] = {}
    for metric in experiment.metrics:
        rows: list[dict[str, Any]] = []
        for treatment in experiment.treatments:
            pairs = [_metric_estimate(t, metric, treatment, experiment.control, experiment.alpha) for t in tables]
            ests = [e for e, _ in pairs]
            values = np.nan_to_num(np.array([e.value for e in ests]))
            var = np.nan_to_num(np.array([v for _, v in pairs]), nan=0.0)
            mean = next((e.control_mean for e in reversed(ests) if np.isfinite(e.control_mean) and e.control_mean),
                        1.0)
            tau = max(abs(experiment.mde * mean), 1e-12)
            p = msprt_pvalues(values, var, tau) if len(values) else np.zeros(0)
            lo, hi = confidence_sequence(values, var, tau, experiment.alpha)
            lo, hi = np.maximum.accumulate(lo), np.minimum.accumulate(hi)
            for when, e, pv, a, b in zip(looks, ests, p, lo, hi, strict=True):
                rows.append({"day": when.strftime("%Y-%m-%d"), "treatment": treatment, "metric": metric,
                             "estimate": e.value, "ci_low": e.ci_low, "ci_high": e.ci_high, "p_value": e.p_value,
                             "cs_low": float(a), "cs_high": float(b), "sequential_p_value": float(pv)})
        out[metric] = rows
    return out


def cuped_on_log(events: pd.DataFrame, items: pd.DataFrame | None = None, *, split: pd.Timestamp | None = None,
                 pre_days: float = 28.0, post_days: float = 28.0, metric: str = "revenue_per_user",
                 seed: str = "cuped-aa") -> dict[str, Any]:
    """CUPED's variance reduction on a real (or demo) event log: users active after ``split`` (default: the
    log's last ``post_days``) are split A/A by a salted hash, the metric is measured over ``post_days`` after
    ``split`` and its pre-period value over ``pre_days`` before it is the covariate. Returns the raw and
    CUPED-adjusted A/A comparisons and the variance reduction (the squared correlation)."""
    if metric not in USER_METRICS:
        raise ParameterError("cuped_on_log", "metric", metric, f"one of {', '.join(USER_METRICS)}")
    end = events["timestamp"].max()
    split = split if split is not None else end - pd.Timedelta(days=post_days)
    users = pd.Index(sorted(events["user_id"].unique()))
    ev = events[events["type"].isin(("click", "purchase"))]
    ev = ev.assign(revenue=purchase_revenue(ev, items) if len(ev) else np.zeros(0))
    post = ev[(ev["timestamp"] >= split) & (ev["timestamp"] < split + pd.Timedelta(days=post_days))]
    pre = ev[(ev["timestamp"] < split) & (ev["timestamp"] >= split - pd.Timedelta(days=pre_days))]

    def per_user(part: pd.DataFrame) -> pd.DataFrame:
        flags = part.assign(clicks=(part["type"] == "click").astype(np.float64),
                            converted=(part["type"] == "purchase").astype(np.float64))
        sums = flags[["user_id", "clicks", "converted", "revenue"]].groupby("user_id").sum()
        sums["converted"] = (sums["converted"] > 0).astype(np.float64)
        return sums.reindex(users, fill_value=0.0)

    y, x = per_user(post), per_user(pre)
    col = USER_METRICS[metric][0]
    arm = np.array([int(unit_hash(f"{seed}:{u}") < 0.5) for u in users])
    result = cuped((y[col][arm == 1], x[col][arm == 1]), (y[col][arm == 0], x[col][arm == 0]))
    return {"metric": metric, "users": len(users), "split": split.isoformat(), "pre_days": pre_days,
            "post_days": post_days, "theta": result.theta, "variance_reduction": result.variance_reduction,
            "correlation": float(np.corrcoef(y[col], x[col])[0, 1]) if y[col].std() > 0 and x[col].std() > 0
            else 0.0,
            "raw": result.raw.as_dict(), "cuped": result.adjusted.as_dict(),
            "se_ratio": result.adjusted.se / result.raw.se if result.raw.se > 0 else math.nan}
