"""Churn: will a customer make no purchase in the next N days?

A customer (at least one purchase by the cutoff) has churned at a cutoff when they make no purchase in the
``horizon_days`` after it. Features are computed from what happened up to the cutoff only - every input is cut
at the cutoff first (:func:`churn_features`), which the tests check by adding later events and seeing no
feature change. The model is scikit-learn's ``HistGradientBoostingClassifier``.

The evaluation (:func:`evaluate_churn`) is temporal: the model learns at an earlier cutoff (labels from the
window after it, which ends no later than the later cutoff) and is scored at a later cutoff, beside two
baselines on the same users: recency alone, and BG/NBD's 1 - P(alive) fitted on the data up to the later cutoff.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from shopmind.customers.activity import Activity
from shopmind.customers.clv import BetaGeoModel, summarise
from shopmind.errors import DataError, NotFittedError

logger = logging.getLogger(__name__)

DAY = pd.Timedelta(days=1)
#: Event types counted as features (last 30 days and share of all events).
EVENT_TYPES = ("view", "click", "add_to_cart", "favorite", "search", "rating", "review", "share")
#: User attributes with at most this many distinct values become one-hot features.
MAX_ATTRIBUTE_LEVELS = 12


def _cut(activity: Activity, cutoff: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    ev = activity.events[activity.events["timestamp"] <= cutoff]
    buys = activity.purchases[activity.purchases["timestamp"] <= cutoff]
    return ev, buys


def _summary(buys: pd.DataFrame, cutoff: pd.Timestamp, unit_days: float) -> pd.DataFrame:
    tx = pd.DataFrame({"customer_id": buys["user_id"].to_numpy(), "timestamp": buys["timestamp"].to_numpy(),
                       "amount": buys["amount"].to_numpy()})
    tx["timestamp"] = pd.to_datetime(tx["timestamp"], utc=True)
    return summarise(tx, cutoff.floor("D"), unit_days=unit_days).frame


def bgnbd_at(buys: pd.DataFrame, cutoff: pd.Timestamp, unit_days: float) -> tuple[pd.DataFrame, BetaGeoModel | None]:
    """BG/NBD fitted on purchases up to ``cutoff`` (None when it cannot be fitted) and the summary it used."""
    summary = _summary(buys, cutoff, unit_days)
    try:
        return summary, BetaGeoModel().fit(summary["frequency"], summary["recency"], summary["T"])
    except DataError as exc:
        logger.warning("BG/NBD could not be fitted at %s: %s", cutoff, exc)
        return summary, None


def churn_features(activity: Activity, cutoff: pd.Timestamp, users: pd.DataFrame | None = None,
                   horizon_days: float = 90.0, unit_days: float = 7.0,
                   bgnbd: BetaGeoModel | None = None) -> pd.DataFrame:
    """One row per customer with a purchase by ``cutoff`` (index ``user_id``), from data up to ``cutoff``.

    BG/NBD's P(alive) and expected purchases are features: from ``bgnbd`` when given (a model fitted on the
    whole shop, for scoring a few users), else from a fit on these purchases up to the cutoff."""
    ev, buys = _cut(activity, cutoff)
    if buys.empty:
        raise DataError(f"no purchases up to the cutoff {cutoff}: nothing to predict churn for")
    bg = buys.groupby("user_id", sort=True)
    days = buys[["user_id", "day"]].drop_duplicates().sort_values(["user_id", "day"])
    gaps = days.groupby("user_id")["day"].diff() / DAY
    gap_g = gaps.groupby(days["user_id"])
    amount = buys["amount"].where(np.isfinite(buys["amount"]))
    f = pd.DataFrame({
        "recency_days": (cutoff - bg["timestamp"].max()) / DAY,
        "tenure_days": (cutoff - bg["timestamp"].min()) / DAY,
        "purchase_days": bg["day"].nunique().astype(float),
        "orders": bg["order"].nunique().astype(float),
        "monetary": amount.groupby(buys["user_id"]).sum().reindex(bg.size().index).fillna(0.0),
        "mean_gap_days": gap_g.mean(), "std_gap_days": gap_g.std(), "last_gap_days": gap_g.last(),
    })
    f.index.name = "user_id"
    f["mean_order_value"] = f["monetary"] / f["orders"]
    f["recency_over_gap"] = f["recency_days"] / f["mean_gap_days"]
    for window in (30, 90, 180):
        recent = buys[buys["timestamp"] > cutoff - window * DAY]
        f[f"purchases_{window}d"] = recent.groupby("user_id")["day"].nunique().reindex(f.index).fillna(0.0)
    prev = buys[(buys["timestamp"] <= cutoff - 90 * DAY) & (buys["timestamp"] > cutoff - 180 * DAY)]
    f["purchases_prev_90d"] = prev.groupby("user_id")["day"].nunique().reindex(f.index).fillna(0.0)
    f["trend_90d"] = f["purchases_90d"] - f["purchases_prev_90d"]
    rows = buys["item_row"].to_numpy()
    cats = np.where(rows >= 0, activity.tags.category[np.maximum(rows, 0)], None) if len(
        activity.tags.category) else np.full(len(rows), None, dtype=object)
    f["categories_bought"] = pd.Series(cats, index=buys.index).groupby(buys["user_id"]).nunique().reindex(
        f.index).fillna(0.0)
    ev = ev[ev["user_id"].isin(f.index)]
    if len(ev):
        eg = ev.groupby("user_id")
        f["days_since_last_event"] = ((cutoff - eg["timestamp"].max()) / DAY).reindex(f.index)
        f["events_total"] = eg.size().reindex(f.index).fillna(0.0)
        recent = ev[ev["timestamp"] > cutoff - 30 * DAY]
        counts = recent.groupby(["user_id", "type"]).size().unstack(fill_value=0)
        for t in EVENT_TYPES:
            f[f"{t}_30d"] = counts[t].reindex(f.index).fillna(0.0) if t in counts else 0.0
        f["events_30d"] = recent.groupby("user_id").size().reindex(f.index).fillna(0.0)
        erows = ev["item_row"].to_numpy()
        ecats = np.where(erows >= 0, activity.tags.category[np.maximum(erows, 0)], None) if len(
            activity.tags.category) else np.full(len(erows), None, dtype=object)
        f["categories_engaged"] = pd.Series(ecats, index=ev.index).groupby(ev["user_id"]).nunique().reindex(
            f.index).fillna(0.0)
    if users is not None and len(users):
        f = f.join(_attribute_features(users, f.index))
    if bgnbd is None:
        summary, bgnbd = bgnbd_at(buys, cutoff, unit_days)
    else:
        summary = _summary(buys, cutoff, unit_days)
    if bgnbd is not None:
        s = summary.reindex(f.index)
        f["bgnbd_p_alive"] = bgnbd.probability_alive(s["frequency"], s["recency"], s["T"])
        f["bgnbd_expected"] = bgnbd.conditional_expected_purchases(horizon_days / unit_days, s["frequency"],
                                                                   s["recency"], s["T"])
    return f.astype(np.float64)


def _attribute_features(users: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    attrs = pd.DataFrame(users["attributes"].tolist(), index=users["user_id"].astype(str).to_numpy())
    attrs = attrs[~attrs.index.duplicated(keep="last")].reindex(index)
    out = {}
    for col in attrs.columns:
        values = attrs[col].astype(object).where(attrs[col].notna(), None)
        levels = values.dropna().astype(str).value_counts()
        if 2 <= len(levels) <= MAX_ATTRIBUTE_LEVELS:
            for level in levels.index:
                out[f"attr_{col}={level}"] = (values.astype(str) == level).astype(float).to_numpy()
    return pd.DataFrame(out, index=index)


def churn_labels(activity: Activity, cutoff: pd.Timestamp, horizon_days: float, users: pd.Index) -> pd.Series:
    """1 for users of ``users`` with no purchase in ``(cutoff, cutoff + horizon_days]``, else 0."""
    buys = activity.purchases
    after = buys[(buys["timestamp"] > cutoff) & (buys["timestamp"] <= cutoff + horizon_days * DAY)]
    bought = pd.Index(after["user_id"].unique())
    return pd.Series((~users.isin(bought)).astype(np.int64), index=users, name="churned")


class ChurnModel:
    """Gradient-boosted churn classifier over :func:`churn_features` columns (missing values allowed)."""

    def __init__(self, max_iter: int = 100, learning_rate: float = 0.07, max_leaf_nodes: int = 8,
                 min_samples_leaf: int = 40, l2_regularization: float = 1.0, seed: int = 0) -> None:
        self.max_iter, self.learning_rate, self.max_leaf_nodes = max_iter, learning_rate, max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization, self.seed = l2_regularization, seed

    def fit(self, features: pd.DataFrame, labels: pd.Series) -> Self:
        # lazy: scikit-learn takes most of a second to import
        from sklearn.ensemble import HistGradientBoostingClassifier

        y = labels.reindex(features.index).to_numpy()
        if len(np.unique(y)) < 2:
            raise DataError(f"churn labels are all {int(y[0]) if len(y) else '-'}: the model needs churned and "
                            "retained customers")
        self.features_ = list(features.columns)
        # one OpenMP thread: on a small shared machine the threads spin-wait on each other for tiny trees
        with threadpool_limits(1, "openmp"):
            self.clf_ = HistGradientBoostingClassifier(
                max_iter=self.max_iter, learning_rate=self.learning_rate, max_leaf_nodes=self.max_leaf_nodes,
                min_samples_leaf=self.min_samples_leaf, l2_regularization=self.l2_regularization,
                random_state=self.seed, early_stopping=False,
            ).fit(features.to_numpy(np.float64), y)
        self.medians_ = features.median().fillna(0.0)
        return self

    def _matrix(self, features: pd.DataFrame) -> np.ndarray:
        if not hasattr(self, "clf_"):
            raise NotFittedError("ChurnModel is not fitted yet: call fit() first")
        return np.asarray(features.reindex(columns=self.features_).to_numpy(np.float64))

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        """P(churn) of each row."""
        x = self._matrix(features)
        with threadpool_limits(1, "openmp"):
            return np.asarray(self.clf_.predict_proba(x)[:, 1], dtype=np.float64)

    def explain(self, row: pd.Series, top: int = 5) -> list[dict[str, Any]]:
        """The features that move one customer's score most: each feature in turn set to the training median;
        ``effect`` is how much the customer's P(churn) is above (+) or below (-) what it would be then."""
        base = float(self.predict_proba(row.to_frame().T)[0])
        x = row.reindex(self.features_)
        trials = pd.DataFrame([x] * len(self.features_), columns=self.features_)
        for i, name in enumerate(self.features_):
            trials.iloc[i, i] = self.medians_[name]
        probs = self.predict_proba(trials)
        effects = base - probs
        order = np.argsort(-np.abs(effects))[:top]
        return [{"feature": self.features_[i], "value": _plain(x.iloc[i]),
                 "typical": _plain(self.medians_.iloc[i]), "effect": round(float(effects[i]), 4)}
                for i in order if abs(effects[i]) > 0]


def _plain(v: Any) -> float | None:
    v = float(v)
    return round(v, 4) if np.isfinite(v) else None


def _metrics(y: np.ndarray, score: np.ndarray) -> dict[str, float]:
    # lazy: scikit-learn takes most of a second to import
    from sklearn.metrics import average_precision_score, roc_auc_score

    ok = np.isfinite(score)
    return {"auc": round(float(roc_auc_score(y[ok], score[ok])), 4),
            "pr_auc": round(float(average_precision_score(y[ok], score[ok])), 4)}


def reliability(y: np.ndarray, prob: np.ndarray, bins: int = 10) -> dict[str, Any]:
    """Calibration: per equal-width bin the mean predicted P(churn), the observed churn rate and the count,
    plus the expected calibration error (ECE)."""
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.searchsorted(edges, prob, side="right") - 1, 0, bins - 1)
    rows, ece = [], 0.0
    for b in range(bins):
        m = which == b
        if m.any():
            rows.append({"bin": b, "predicted": round(float(prob[m].mean()), 4),
                         "observed": round(float(y[m].mean()), 4), "count": int(m.sum())})
            ece += m.mean() * abs(prob[m].mean() - y[m].mean())
    return {"bins": rows, "ece": round(float(ece), 4)}


@dataclass
class ChurnEvaluation:
    """The temporal split's outcome (``report()`` is the CLI's ``--json``)."""

    train_cutoff: pd.Timestamp
    test_cutoff: pd.Timestamp
    horizon_days: float
    train_horizon_days: float
    model: ChurnModel
    test_features: pd.DataFrame
    test_labels: pd.Series
    scores: dict[str, np.ndarray]
    train_users: int

    def report(self) -> dict[str, Any]:
        y = self.test_labels.to_numpy()
        out: dict[str, Any] = {name: _metrics(y, s) for name, s in self.scores.items()}
        out["calibration"] = {name: reliability(y, self.scores[name]) for name in ("model", "bgnbd")
                              if name in self.scores}
        out.update({"train_cutoff": self.train_cutoff.isoformat(), "test_cutoff": self.test_cutoff.isoformat(),
                    "horizon_days": self.horizon_days, "train_horizon_days": self.train_horizon_days,
                    "users": len(y), "churn_rate": round(float(y.mean()), 4), "train_users": self.train_users})
        return out


def evaluate_churn(activity: Activity, test_cutoff: pd.Timestamp, horizon_days: float,
                   train_cutoff: pd.Timestamp | None = None, users: pd.DataFrame | None = None,
                   unit_days: float = 7.0, seed: int = 0) -> ChurnEvaluation:
    """Train at ``train_cutoff`` (default ``test_cutoff - horizon_days``), test at ``test_cutoff``.

    The training labels look ``min(horizon_days, test_cutoff - train_cutoff)`` days ahead, so no training
    label comes from after the test cutoff.
    """
    test_cutoff = pd.Timestamp(test_cutoff)
    train_cutoff = test_cutoff - horizon_days * DAY if train_cutoff is None else pd.Timestamp(train_cutoff)
    if train_cutoff >= test_cutoff:
        raise DataError(f"the training cutoff {train_cutoff} must come before the test cutoff {test_cutoff}")
    train_h = min(horizon_days, (test_cutoff - train_cutoff) / DAY)
    x_train = churn_features(activity, train_cutoff, users, train_h, unit_days)
    y_train = churn_labels(activity, train_cutoff, train_h, x_train.index)
    model = ChurnModel(seed=seed).fit(x_train, y_train)
    x_test = churn_features(activity, test_cutoff, users, horizon_days, unit_days)
    y_test = churn_labels(activity, test_cutoff, horizon_days, x_test.index)
    scores = {"model": model.predict_proba(x_test), "recency": x_test["recency_days"].to_numpy()}
    if "bgnbd_p_alive" in x_test:
        scores["bgnbd"] = 1.0 - x_test["bgnbd_p_alive"].to_numpy()
        # not asked for, shown for honesty: BG/NBD's own churn score, P(no purchase in the horizon) ~ exp(-E[Y])
        scores["bgnbd_expected"] = np.exp(-x_test["bgnbd_expected"].to_numpy())
    return ChurnEvaluation(train_cutoff, test_cutoff, float(horizon_days), float(train_h), model, x_test, y_test,
                           scores, len(x_train))
