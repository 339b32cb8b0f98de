"""Off-policy evaluation: the value (e.g. CTR) a new policy would have had, estimated from a log written by
another policy that recorded the propensity of each logged action.

For logged rounds ``(x_i, a_i, r_i, p_i)`` (context, action, reward, behaviour propensity ``p_i = pi_0(a_i|x_i)``)
and an evaluation policy ``pi(a|x)``, with importance weight ``w_i = pi(a_i|x_i) / p_i``:

- IPW (inverse propensity weighting, Horvitz-Thompson): ``mean(w_i r_i)`` - unbiased, high variance;
- SNIPW (self-normalised IPW): ``sum(w_i r_i) / sum(w_i)`` - slightly biased, much less variance;
- DR (doubly robust, Dudik, Langford & Li 2011): ``mean(sum_a pi(a|x_i) q(x_i, a) + w_i (r_i - q(x_i, a_i)))``
  with ``q`` a scikit-learn model of the reward (logistic regression by default), cross-fitted so that no round
  is predicted by a model that saw it - unbiased when either the propensities or the model are right.

Intervals are percentile bootstraps over rounds (as the Open Bandit Pipeline reports them): the per-round
terms are resampled with the reward model held fixed.

Logs: the Open Bandit Dataset's CSV (``item_id, position, click, propensity_score, user_feature_*,
user-item_affinity_*``; the position is part of the context), or any CSV/Parquet with ``action``, ``reward``,
``propensity`` (and optionally ``position`` and context columns; the bandit and exposure logs of the store
have this shape).

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> log = LoggedBandit(actions=rng.integers(0, 2, 1000), rewards=rng.random(1000) < 0.3,
...                    propensities=np.full(1000, 0.5), n_actions=2)
>>> res = evaluate_policy(log, uniform_policy(log), n_boot=200, seed=0)
>>> sorted(res), round(res["ipw"].value, 3) == round(res["snipw"].value, 3)
(['dr', 'ipw', 'snipw'], True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.stats import norm

from shopmind.errors import DataError, ParameterError, check_int

ESTIMATORS = ("ipw", "snipw", "dr")
POLICIES = ("uniform",)
#: Columns that mark a file as an Open Bandit Dataset log.
OBD_COLUMNS = ("item_id", "position", "click", "propensity_score")
BOOT_CHUNK = 64


@dataclass
class LoggedBandit:
    """A bandit log: per round the action taken (0 .. n_actions-1), the reward, the behaviour policy's
    propensity of that action, and optionally the slot position and context features for the reward model
    (``context``: rows x features; ``action_features``: rows x n_actions, one feature of each action for that
    round, e.g. the Open Bandit user-item affinity)."""

    actions: np.ndarray
    rewards: np.ndarray
    propensities: np.ndarray
    n_actions: int
    positions: np.ndarray | None = None
    context: sparse.csr_matrix | np.ndarray | None = None
    action_features: np.ndarray | None = None
    action_labels: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.actions = np.asarray(self.actions, dtype=np.int64)
        self.rewards = np.asarray(self.rewards, dtype=np.float64)
        self.propensities = np.asarray(self.propensities, dtype=np.float64)
        n = self.actions.size
        if n == 0:
            raise DataError("the log has no rounds", field="action")
        if self.rewards.size != n or self.propensities.size != n:
            raise DataError("action, reward and propensity must have one value per round", field="reward")
        if (self.actions < 0).any() or (self.actions >= self.n_actions).any():
            raise DataError(f"actions must be in 0..{self.n_actions - 1}", field="action")
        bad = ~((self.propensities > 0) & (self.propensities <= 1))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(f"propensities must be in (0, 1]; round {i} has {self.propensities[i]!r} (a log without "
                            "positive propensities cannot be re-weighted)", row=i, field="propensity")
        if not np.isfinite(self.rewards).all():
            raise DataError("rewards must be finite numbers", field="reward")

    @property
    def rounds(self) -> int:
        return int(self.actions.size)

    @property
    def observed_value(self) -> float:
        """The behaviour policy's own average reward (e.g. its CTR)."""
        return float(self.rewards.mean())


@dataclass(frozen=True)
class OPEEstimate:
    value: float
    ci_low: float
    ci_high: float

    @property
    def width(self) -> float:
        return self.ci_high - self.ci_low

    def contains(self, value: float) -> bool:
        return self.ci_low <= value <= self.ci_high

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


# ---------------------------------------------------------------------------------------------- reading logs
def read_open_bandit(path: str | Path) -> LoggedBandit:
    """An Open Bandit Dataset CSV (e.g. ``bts/all/all.csv``): actions are the items, rewards the clicks."""
    frame = pd.read_csv(path, index_col=0)
    return open_bandit_log(frame, source=str(path))


def open_bandit_log(frame: pd.DataFrame, source: str = "log") -> LoggedBandit:
    missing = [c for c in OBD_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"not an Open Bandit log: no {missing} column(s)", source=source, field=missing[0])
    users = [c for c in frame.columns if c.startswith("user_feature_")]
    affinity = sorted((c for c in frame.columns if c.startswith("user-item_affinity_")),
                      key=lambda c: int(c.rsplit("_", 1)[1]))
    n_actions = max(int(frame["item_id"].max()) + 1, len(affinity))
    context = _one_hot(frame[users]) if users else None
    return LoggedBandit(actions=frame["item_id"].to_numpy(), rewards=frame["click"].to_numpy(),
                        propensities=frame["propensity_score"].to_numpy(), n_actions=n_actions,
                        positions=frame["position"].to_numpy(dtype=np.int64),
                        context=context, action_features=frame[affinity].to_numpy(np.float64) if affinity else None,
                        action_labels=[str(i) for i in range(n_actions)])


def _one_hot(frame: pd.DataFrame) -> sparse.csr_matrix:
    blocks = []
    for col in frame.columns:
        codes, uniques = pd.factorize(frame[col].astype(str))
        blocks.append(sparse.csr_matrix((np.ones(len(codes)), (np.arange(len(codes)), codes)),
                                        shape=(len(codes), len(uniques))))
    return sparse.hstack(blocks, format="csr")


def generic_log(frame: pd.DataFrame, source: str = "log") -> LoggedBandit:
    """A log with ``action`` (any labels), ``reward``, ``propensity``, optional ``position``; every other
    column is context (numbers as they are, text one-hot encoded)."""
    missing = [c for c in ("action", "reward", "propensity") if c not in frame.columns]
    if missing:
        raise DataError(f"a bandit log needs columns action, reward and propensity (or an Open Bandit log's "
                        f"{', '.join(OBD_COLUMNS)}); missing {missing}", source=source, field=missing[0])
    codes, labels = pd.factorize(frame["action"].astype(str), sort=True)
    rest = frame.drop(columns=[c for c in ("action", "reward", "propensity", "position", "timestamp", "user_id",
                                           "decision_id", "bandit_id") if c in frame.columns])
    numeric = rest.select_dtypes("number")
    text = rest.drop(columns=numeric.columns)
    blocks: list[Any] = []
    if len(numeric.columns):
        blocks.append(sparse.csr_matrix(numeric.fillna(0.0).to_numpy(np.float64)))
    if len(text.columns):
        blocks.append(_one_hot(text))
    return LoggedBandit(actions=codes, rewards=pd.to_numeric(frame["reward"]).to_numpy(),
                        propensities=pd.to_numeric(frame["propensity"]).to_numpy(), n_actions=len(labels),
                        positions=frame["position"].to_numpy(dtype=np.int64) if "position" in frame else None,
                        context=sparse.hstack(blocks, format="csr") if blocks else None,
                        action_labels=[str(v) for v in labels])


def read_log(path: str | Path) -> LoggedBandit:
    """Read a log file (CSV or Parquet): an Open Bandit log, or the generic ``action, reward, propensity``."""
    p = Path(path)
    if not p.is_file():
        raise DataError("no such log file", source=str(path))
    try:
        frame = pd.read_parquet(p) if p.suffix in (".parquet", ".pq") else pd.read_csv(p)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise DataError(f"cannot read the log: {exc}", source=str(path)) from None
    if frame.columns[0].startswith("Unnamed") or frame.columns[0] == "":
        frame = frame.drop(columns=frame.columns[0])
    if all(c in frame.columns for c in OBD_COLUMNS):
        return open_bandit_log(frame, str(path))
    return generic_log(frame, str(path))


# ---------------------------------------------------------------------------------------------- policies
def uniform_policy(log: LoggedBandit) -> np.ndarray:
    """``pi(a|x) = 1 / n_actions`` for every round: the uniform-random policy."""
    return np.full((log.rounds, log.n_actions), 1.0 / log.n_actions)


def policy_distribution(name: str, log: LoggedBandit) -> np.ndarray:
    """The action distribution of a named policy on each logged round."""
    if name == "uniform":
        return uniform_policy(log)
    raise ParameterError("ope", "policy", name, f"one of {', '.join(POLICIES)}")


# ---------------------------------------------------------------------------------------------- reward model
def _design(log: LoggedBandit, rows: np.ndarray, actions: np.ndarray) -> sparse.csr_matrix:
    """Features of (round, action) pairs: context, context x action (so the best action may depend on the
    context), action one-hot, position one-hot, the action's own feature."""
    n = rows.size
    blocks: list[Any] = []
    if log.context is not None:
        ctx = sparse.csr_matrix(log.context)[rows].tocoo()
        d = ctx.shape[1]
        blocks.append(ctx.tocsr())
        blocks.append(sparse.csr_matrix((ctx.data, (ctx.row, ctx.col + actions[ctx.row] * d)),
                                        shape=(n, d * log.n_actions)))
    blocks.append(sparse.csr_matrix((np.ones(n), (np.arange(n), actions)), shape=(n, log.n_actions)))
    if log.positions is not None:
        pos_codes, pos_uniques = np.unique(log.positions, return_inverse=True)
        blocks.append(sparse.csr_matrix((np.ones(n), (np.arange(n), pos_uniques[rows])), shape=(n, pos_codes.size)))
    if log.action_features is not None:
        blocks.append(sparse.csr_matrix(log.action_features[rows, actions][:, None]))
    return sparse.hstack(blocks, format="csr")


def reward_model_predictions(log: LoggedBandit, action_dist: np.ndarray, folds: int = 2, seed: int = 0,
                             c: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Cross-fitted ``q(x_i, a_i)`` and ``sum_a pi(a|x_i) q(x_i, a)`` from a logistic regression (binary
    rewards) or ridge regression (other rewards) of scikit-learn."""
    # lazy: scikit-learn takes most of a second to import; only the DR estimator needs it
    from sklearn.linear_model import LogisticRegression, Ridge

    check_int("ope", "folds", folds, 2)
    n, k = log.rounds, log.n_actions
    binary = bool(np.isin(log.rewards, (0.0, 1.0)).all())
    fold = np.random.default_rng(seed).permutation(n) % folds
    q_logged = np.empty(n)
    q_policy = np.empty(n)
    for f in range(folds):
        train, test = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
        x_train = _design(log, train, log.actions[train])
        y = log.rewards[train]
        model: Any
        if binary and 0 < y.sum() < y.size:
            model = LogisticRegression(C=c, max_iter=2000)
            model.fit(x_train, y.astype(int))

            def predict(x: sparse.csr_matrix, m: Any = model) -> np.ndarray:
                return np.asarray(m.predict_proba(x)[:, 1])
        else:
            model = Ridge(alpha=1.0 / c)
            model.fit(x_train, y)

            def predict(x: sparse.csr_matrix, m: Any = model) -> np.ndarray:
                return np.asarray(m.predict(x))
        q_logged[test] = predict(_design(log, test, log.actions[test]))
        # every action for every test round, in blocks to bound memory
        total = np.zeros(test.size)
        for a in range(k):
            weight = action_dist[test, a]
            if not weight.any():
                continue
            total += weight * predict(_design(log, test, np.full(test.size, a)))
        q_policy[test] = total
    return q_logged, q_policy


# ---------------------------------------------------------------------------------------------- estimators
def importance_weights(log: LoggedBandit, action_dist: np.ndarray) -> np.ndarray:
    if action_dist.shape != (log.rounds, log.n_actions):
        raise ParameterError("ope", "action_dist", action_dist.shape, f"an array of shape ({log.rounds}, "
                             f"{log.n_actions})")
    return cast("np.ndarray", action_dist[np.arange(log.rounds), log.actions] / log.propensities)


def _bootstrap(n: int, n_boot: int, rng: np.random.Generator, stat: Any) -> np.ndarray:
    out = np.empty(n_boot)
    for start in range(0, n_boot, BOOT_CHUNK):
        stop = min(n_boot, start + BOOT_CHUNK)
        idx = rng.integers(0, n, size=(stop - start, n), dtype=np.int32)
        out[start:stop] = stat(idx)
    return out


def evaluate_policy(log: LoggedBandit, action_dist: np.ndarray, estimators: Sequence[str] = ESTIMATORS,
                    n_boot: int = 1000, alpha: float = 0.05, seed: int = 42, folds: int = 2
                    ) -> dict[str, OPEEstimate]:
    """Estimate the evaluation policy's value with each estimator, with a percentile bootstrap interval."""
    unknown = [e for e in estimators if e not in ESTIMATORS]
    if unknown or not estimators:
        raise ParameterError("ope", "estimators", list(estimators), f"names from {', '.join(ESTIMATORS)}")
    check_int("ope", "n_boot", n_boot, 10)
    if not 0 < alpha < 1:
        raise ParameterError("ope", "alpha", alpha, "a number in (0, 1)")
    w = importance_weights(log, action_dist)
    r = log.rewards
    rng = np.random.default_rng(seed)
    lo_q, hi_q = 100 * alpha / 2, 100 * (1 - alpha / 2)
    out: dict[str, OPEEstimate] = {}
    for name in estimators:
        if name == "snipw":
            wr = w * r
            value = float(wr.sum() / w.sum())
            boots = _bootstrap(log.rounds, n_boot, rng, lambda idx, wr=wr: wr[idx].sum(axis=1) / w[idx].sum(axis=1))
        else:
            if name == "ipw":
                terms = w * r
            else:
                q_logged, q_policy = reward_model_predictions(log, action_dist, folds=folds, seed=seed)
                terms = q_policy + w * (r - q_logged)
            value = float(terms.mean())
            boots = _bootstrap(log.rounds, n_boot, rng, lambda idx, t=terms: t[idx].mean(axis=1))
        lo, hi = np.percentile(boots, [lo_q, hi_q])
        out[name] = OPEEstimate(value, float(lo), float(hi))
    return out


def wilson_interval(successes: float, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """The Wilson score interval of a proportion (the on-policy CTR's own uncertainty)."""
    if n <= 0:
        return math.nan, math.nan
    z = norm.ppf(1 - alpha / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half
