"""Off-policy estimators on a hand-computed log, on a synthetic log with known truth, against scipy's bootstrap,
and the Open Bandit check on the real samples shipped in the obp wheel (fetched by shopmind.data.fetch, never
from ../shared)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from shopmind.data.fetch import fetch_open_bandit
from shopmind.errors import DataError, ParameterError, ShopmindError
from shopmind.experiments.ope import (
    LoggedBandit,
    evaluate_policy,
    generic_log,
    importance_weights,
    policy_distribution,
    read_log,
    uniform_policy,
    wilson_interval,
)


def test_ipw_and_snipw_by_hand() -> None:
    log = LoggedBandit(actions=[0, 1, 1, 0], rewards=[1, 0, 1, 0], propensities=[0.5, 0.25, 0.25, 0.5],
                       n_actions=2)
    pi = np.array([[0.2, 0.8]] * 4)
    w = importance_weights(log, pi)
    np.testing.assert_allclose(w, [0.4, 3.2, 3.2, 0.4])
    res = evaluate_policy(log, pi, estimators=("ipw", "snipw"), n_boot=50, seed=0)
    assert res["ipw"].value == pytest.approx((0.4 + 3.2) / 4)
    assert res["snipw"].value == pytest.approx((0.4 + 3.2) / (0.4 + 3.2 + 3.2 + 0.4))


def _synthetic(n: int, seed: int) -> tuple[LoggedBandit, float]:
    """Three actions, a binary context that changes which is best, a softmax logging policy that favours the
    best one; the uniform policy's true value is known in closed form."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, n)
    ctr = np.array([[0.02, 0.05, 0.10], [0.12, 0.04, 0.02]])
    logits = np.where(x[:, None] == 0, [0.0, 0.5, 1.5], [1.5, 0.5, 0.0])
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    a = (rng.random(n)[:, None] > p.cumsum(axis=1)).sum(axis=1)
    r = rng.random(n) < ctr[x, a]
    context = pd.get_dummies(pd.Series(x).astype(str)).to_numpy(np.float64)
    log = LoggedBandit(actions=a, rewards=r, propensities=p[np.arange(n), a], n_actions=3, context=context)
    return log, float(ctr.mean(axis=1).mean())  # contexts are equally likely


def test_estimators_cover_the_known_truth() -> None:
    log, truth = _synthetic(20_000, seed=4)
    res = evaluate_policy(log, uniform_policy(log), n_boot=300, seed=1)
    for name, est in res.items():
        assert est.contains(truth), (name, est, truth)
    # with rare rewards the Bernoulli noise dominates, so DR is about as wide as IPW (not much narrower)
    assert res["dr"].width < 1.2 * res["ipw"].width
    assert abs(log.observed_value - truth) > 0.01  # the logging policy's own CTR is far from the answer


def test_unbiased_over_repeated_logs() -> None:
    truth, values = None, []
    for seed in range(40):
        log, truth = _synthetic(3_000, seed=100 + seed)
        values.append(evaluate_policy(log, uniform_policy(log), estimators=("ipw",), n_boot=10)["ipw"].value)
    assert np.mean(values) == pytest.approx(truth, abs=2.5 * np.std(values) / np.sqrt(len(values)))


def test_percentile_bootstrap_agrees_with_scipy() -> None:
    log, _ = _synthetic(5_000, seed=8)
    pi = uniform_policy(log)
    ours = evaluate_policy(log, pi, estimators=("ipw",), n_boot=2000, seed=3)["ipw"]
    terms = importance_weights(log, pi) * log.rewards
    ref = sps.bootstrap((terms,), np.mean, n_resamples=2000, method="percentile", random_state=3).confidence_interval
    assert ours.ci_low == pytest.approx(ref.low, rel=0.06) and ours.ci_high == pytest.approx(ref.high, rel=0.06)


def test_generic_log_and_bad_input(tmp_path) -> None:
    frame = pd.DataFrame({"action": ["a", "b", "a", "c"], "reward": [1, 0, 0, 1], "propensity": [0.5, 0.25, 0.5, 0.25],
                          "segment": ["x", "y", "x", "x"], "age": [20, 30, 40, 50]})
    log = generic_log(frame)
    assert log.n_actions == 3 and log.action_labels == ["a", "b", "c"] and log.context.shape == (4, 3)
    path = tmp_path / "log.csv"
    frame.to_csv(path, index=False)
    assert read_log(path).rounds == 4
    with pytest.raises(DataError, match="propensit"):
        generic_log(frame.assign(propensity=[0.5, 0.0, 0.5, 0.25]))
    with pytest.raises(DataError, match="action, reward and propensity"):
        generic_log(frame.drop(columns="propensity"))
    with pytest.raises(ParameterError, match="policy"):
        policy_distribution("greedy", log)
    with pytest.raises(DataError, match="no such log"):
        read_log(tmp_path / "missing.csv")


def test_wilson_interval_matches_statsmodels() -> None:
    from statsmodels.stats.proportion import proportion_confint

    assert wilson_interval(38, 10_000) == pytest.approx(proportion_confint(38, 10_000, method="wilson"))


@pytest.fixture(scope="session")
def open_bandit(download_dir):
    """The real Open Bandit samples, taken from the obp wheel on PyPI (once, into pytest's cache)."""
    dest = download_dir("open-bandit")
    try:
        return fetch_open_bandit(dest)
    except ShopmindError as exc:
        pytest.skip(f"the obp wheel could not be downloaded: {exc}")


@pytest.mark.slow
def test_open_bandit_uniform_policy_from_the_thompson_log(open_bandit) -> None:
    bts = read_log(open_bandit / "bts" / "all" / "all.csv")
    random = read_log(open_bandit / "random" / "all" / "all.csv")
    assert (bts.rounds, bts.n_actions, int(bts.rewards.sum()), int(random.rewards.sum())) == (10_000, 80, 42, 38)
    res = evaluate_policy(bts, uniform_policy(bts), n_boot=500, seed=42)
    for name, est in res.items():
        assert est.contains(random.observed_value), (name, est, random.observed_value)
