"""Who should get the coupon: uplift models, their evaluation, and a simulated shop with known effects.

Targeting the users most likely to buy spends coupons on people who would buy anyway. Uplift models estimate
the *change* in purchase probability a coupon causes, ``tau(x) = P(buy | x, coupon) - P(buy | x, none)``, from a
randomised treatment/control log:

- :class:`TwoModel` (T-learner): one classifier per group, ``tau = p1(x) - p0(x)``;
- :class:`ClassTransformation` (Jaskowski & Jaroszewicz 2012): one classifier of ``z = 1`` when (treated and
  bought) or (control and did not buy), groups re-weighted to equal size, ``tau = 2 P(z=1|x) - 1``;
- :class:`XLearner` (Kunzel, Sekhon, Bickel & Yu, PNAS 2019): imputed effects ``y1 - p0(x1)`` and
  ``p1(x0) - y0`` regressed on ``x``, blended by the treatment propensity.

Base learners are scikit-learn's histogram gradient boosting (scikit-uplift and causalml were considered; see
docs/marketing.md). Evaluation on held-out randomised data: the Qini curve and coefficient (Radcliffe 2007) and
uplift@k; on the simulated shop, also the true incremental purchases per coupon of each targeting rule.

>>> shop = simulate_shop(2000, seed=1)
>>> round(float(shop.tau.mean()), 3) > 0, bool((shop.tau < 0).any())
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, cast

import numpy as np

from shopmind.errors import DataError, ParameterError, check_float, check_int

FEATURES = ("recency_days", "orders_12m", "spend_12m", "price_sensitivity", "email_engagement", "new_customer")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return cast("np.ndarray", 1.0 / (1.0 + np.exp(-z)))


def _check(x: Any, y: Any, t: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xx = np.asarray(x, dtype=np.float64)
    yy = np.asarray(y, dtype=np.float64).ravel()
    tt = np.asarray(t, dtype=np.float64).ravel()
    if xx.ndim != 2 or xx.shape[0] != yy.size or yy.size != tt.size:
        raise DataError("features, outcomes and treatment flags must have one row per user", field="treatment")
    if not np.isin(tt, (0.0, 1.0)).all() or not np.isin(yy, (0.0, 1.0)).all():
        raise DataError("treatment and outcome must be 0/1", field="treatment")
    if min(tt.sum(), (1 - tt).sum()) < 10:
        raise DataError("both the treatment and the control group need at least 10 users", field="treatment")
    return xx, yy, tt


def _classifier(seed: int, max_iter: int = 150) -> Any:
    # lazy: scikit-learn takes most of a second to import; only uplift training needs it
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(max_iter=max_iter, learning_rate=0.05, max_leaf_nodes=15,
                                          min_samples_leaf=50, l2_regularization=1.0, random_state=seed)


def _regressor(seed: int, max_iter: int = 150) -> Any:
    # lazy: scikit-learn takes most of a second to import; only uplift training needs it
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(max_iter=max_iter, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=50,
                                         l2_regularization=1.0, random_state=seed)


class UpliftModel:
    name: ClassVar[str] = "uplift"

    def __init__(self, seed: int = 0, max_iter: int = 150) -> None:
        check_int(type(self).__name__, "max_iter", max_iter, 1)
        self.seed, self.max_iter = seed, max_iter

    def classifier(self) -> Any:
        return _classifier(self.seed, self.max_iter)

    def regressor(self) -> Any:
        return _regressor(self.seed, self.max_iter)

    def fit(self, x: Any, y: Any, treatment: Any) -> UpliftModel:
        raise NotImplementedError

    def predict(self, x: Any) -> np.ndarray:
        """Estimated uplift (change in purchase probability) per row."""
        raise NotImplementedError


class TwoModel(UpliftModel):
    name = "two_model"

    def fit(self, x: Any, y: Any, treatment: Any) -> TwoModel:
        xx, yy, tt = _check(x, y, treatment)
        self.m1 = self.classifier().fit(xx[tt == 1], yy[tt == 1])
        self.m0 = self.classifier().fit(xx[tt == 0], yy[tt == 0])
        return self

    def predict(self, x: Any) -> np.ndarray:
        xx = np.asarray(x, dtype=np.float64)
        return np.asarray(self.m1.predict_proba(xx)[:, 1] - self.m0.predict_proba(xx)[:, 1])


class ClassTransformation(UpliftModel):
    name = "class_transformation"

    def fit(self, x: Any, y: Any, treatment: Any) -> ClassTransformation:
        xx, yy, tt = _check(x, y, treatment)
        z = (yy == tt).astype(int)  # bought with the coupon, or did not buy without it
        e = tt.mean()
        weight = np.where(tt == 1, 0.5 / e, 0.5 / (1 - e))  # as if the split were 50/50
        self.model = self.classifier().fit(xx, z, sample_weight=weight)
        return self

    def predict(self, x: Any) -> np.ndarray:
        return np.asarray(2.0 * self.model.predict_proba(np.asarray(x, dtype=np.float64))[:, 1] - 1.0)


class XLearner(UpliftModel):
    name = "x_learner"

    def fit(self, x: Any, y: Any, treatment: Any) -> XLearner:
        xx, yy, tt = _check(x, y, treatment)
        x1, y1, x0, y0 = xx[tt == 1], yy[tt == 1], xx[tt == 0], yy[tt == 0]
        m1 = self.classifier().fit(x1, y1)
        m0 = self.classifier().fit(x0, y0)
        self.tau1 = self.regressor().fit(x1, y1 - m0.predict_proba(x1)[:, 1])
        self.tau0 = self.regressor().fit(x0, m1.predict_proba(x0)[:, 1] - y0)
        self.g = float(tt.mean())  # a randomised log: the propensity is the treated share
        return self

    def predict(self, x: Any) -> np.ndarray:
        xx = np.asarray(x, dtype=np.float64)
        return np.asarray(self.g * self.tau0.predict(xx) + (1 - self.g) * self.tau1.predict(xx))


LEARNERS: dict[str, type[UpliftModel]] = {m.name: m for m in (TwoModel, ClassTransformation, XLearner)}


# ---------------------------------------------------------------------------------------------- metrics
def qini_curve(y: Any, uplift: Any, treatment: Any) -> tuple[np.ndarray, np.ndarray]:
    """Radcliffe's Qini curve: after targeting the top ``n`` users by score, the incremental buyers
    ``Y_t(n) - Y_c(n) N_t(n) / N_c(n)`` (treated buyers minus control buyers scaled to the treated count).
    Returns ``(n, qini)`` at each distinct score, starting at (0, 0)."""
    yy = np.asarray(y, dtype=np.float64).ravel()
    tt = np.asarray(treatment, dtype=np.float64).ravel()
    order = np.argsort(-np.asarray(uplift, dtype=np.float64).ravel(), kind="stable")
    s = np.asarray(uplift, dtype=np.float64).ravel()[order]
    yt, tc = np.cumsum(yy[order] * tt[order]), np.cumsum(tt[order])
    yc, cc = np.cumsum(yy[order] * (1 - tt[order])), np.cumsum(1 - tt[order])
    last = np.r_[np.flatnonzero(np.diff(s) != 0), s.size - 1]  # the end of each run of equal scores
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(cc[last] > 0, yt[last] - yc[last] * tc[last] / np.maximum(cc[last], 1), yt[last])
    return np.r_[0, last + 1].astype(np.float64), np.r_[0.0, q]


def qini_coefficient(y: Any, uplift: Any, treatment: Any) -> float:
    """Area between the Qini curve and the random-targeting line (from (0, 0) to the curve's end), divided by
    ``n^2`` (so it is comparable across sample sizes). Positive: better than random."""
    n, q = qini_curve(y, uplift, treatment)
    total = n[-1]
    area = float(np.sum((n[1:] - n[:-1]) * (q[1:] + q[:-1]) / 2))
    random_area = q[-1] * total / 2
    return cast("float", (area - random_area) / (total * total))


def uplift_at_k(y: Any, uplift: Any, treatment: Any, k: float = 0.2) -> float:
    """Observed uplift among the top ``k`` share by score: treated buy rate minus control buy rate there."""
    check_float("uplift_at_k", "k", k, 0.0, 1.0, low_open=True)
    yy = np.asarray(y, dtype=np.float64).ravel()
    tt = np.asarray(treatment, dtype=np.float64).ravel()
    top = np.argsort(-np.asarray(uplift, dtype=np.float64).ravel(), kind="stable")[:max(1, round(k * yy.size))]
    t, c = top[tt[top] == 1], top[tt[top] == 0]
    if t.size == 0 or c.size == 0:
        return float("nan")
    return float(yy[t].mean() - yy[c].mean())


# ---------------------------------------------------------------------------------------------- simulated shop
@dataclass
class SimulatedShop:
    """Users with features ``x`` (``FEATURES``), their purchase probability without a coupon ``p0`` and the
    coupon's true effect ``tau`` (so ``p1 = p0 + tau``), a randomised treatment ``t`` and outcome ``y``."""

    x: np.ndarray
    p0: np.ndarray
    tau: np.ndarray
    t: np.ndarray
    y: np.ndarray


def simulate_shop(users: int, seed: int = 0, treated_share: float = 0.5) -> SimulatedShop:
    """A shop whose coupon effect differs by user, with all four classic groups:

    - *sure things*: loyal frequent buyers, likely to buy anyway, barely moved by a coupon;
    - *persuadables*: price-sensitive occasional buyers, moved a lot;
    - *sleeping dogs*: lapsed customers who are e-mail averse - a coupon reminds them to unsubscribe and
      lowers their purchase probability (negative effect);
    - *lost causes*: neither buy nor react.
    """
    check_int("simulate_shop", "users", users, 100)
    check_float("simulate_shop", "treated_share", treated_share, 0.0, 1.0, low_open=True)
    rng = np.random.default_rng(seed)
    orders = rng.poisson(rng.gamma(1.2, 2.0, users))
    recency = np.where(orders > 0, rng.exponential(60, users), rng.uniform(90, 400, users))
    spend = orders * rng.lognormal(3.5, 0.6, users)
    price = np.clip(rng.beta(2, 3, users) + 0.3 * (orders < 2), 0, 1)
    engagement = np.clip(rng.beta(2, 2, users) - 0.002 * recency + 0.3, 0, 1)
    new = (orders == 0).astype(np.float64)
    x = np.column_stack([recency, orders, spend, price, engagement, new])
    p0 = _sigmoid(-3.2 + 0.35 * np.minimum(orders, 10) - 0.006 * recency + 0.4 * engagement)
    persuadable = 0.12 * price * (orders <= 3) * engagement
    sleeping = -0.05 * (recency > 150) * (engagement < 0.35)
    # sure things (6+ orders) and lost causes get almost nothing: a coupon moves their timing, not their purchase
    tau = np.clip(persuadable + sleeping + 0.02 * p0 * (orders < 6), -p0, 1 - p0)
    t = (rng.random(users) < treated_share).astype(np.float64)
    y = (rng.random(users) < p0 + t * tau).astype(np.float64)
    return SimulatedShop(x, p0, tau, t, y)


@dataclass
class TargetingResult:
    name: str
    incremental_per_coupon: float
    qini: float
    uplift_at_20: float


def compare_targeting(train: SimulatedShop, test: SimulatedShop, share: float = 0.2,
                      learners: tuple[str, ...] = tuple(LEARNERS), seed: int = 0, max_iter: int = 150
                      ) -> dict[str, Any]:
    """Fit each uplift learner and a purchase-propensity model on ``train`` (randomised); on ``test`` give
    coupons to the top ``share`` by each score and report the true incremental purchases per coupon (mean
    ``tau`` of the targeted users), plus Qini and uplift@``share`` measured from the test's randomised outcomes."""
    unknown = [n for n in learners if n not in LEARNERS]
    if unknown:
        raise ParameterError("compare_targeting", "learners", list(learners), f"names from {', '.join(LEARNERS)}")
    k = max(1, round(share * test.y.size))
    out: dict[str, TargetingResult] = {}

    def result(name: str, score: np.ndarray) -> TargetingResult:
        top = np.argsort(-score, kind="stable")[:k]
        return TargetingResult(name, float(test.tau[top].mean()), qini_coefficient(test.y, score, test.t),
                               uplift_at_k(test.y, score, test.t, share))

    for name in learners:
        model = LEARNERS[name](seed, max_iter).fit(train.x, train.y, train.t)
        out[name] = result(name, model.predict(test.x))
    # "most likely to buy": a purchase model on the whole log, the coupon ignored - what targeting by
    # propensity does in practice
    propensity = _classifier(seed, max_iter).fit(train.x, train.y)
    out["propensity"] = result("propensity", propensity.predict_proba(test.x)[:, 1])
    out["random"] = result("random", np.random.default_rng(seed).random(test.y.size))
    oracle = result("oracle", test.tau)
    best = max(learners, key=lambda n: out[n].incremental_per_coupon)
    base = out["propensity"].incremental_per_coupon
    return {"share": share, "users": {"train": int(train.y.size), "test": int(test.y.size)},
            "targeting": {n: r.__dict__ for n, r in out.items()}, "oracle": oracle.__dict__, "best": best,
            "ratio_best_uplift_to_propensity": out[best].incremental_per_coupon / base if base > 0 else float("inf"),
            "true_effect": {"mean": float(test.tau.mean()), "negative_share": float((test.tau < 0).mean())}}
