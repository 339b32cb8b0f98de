"""Bandit policies: propensities, learning, sums that add up across workers, and short simulations."""

from __future__ import annotations

import numpy as np
import pytest

from shopmind.errors import ParameterError
from shopmind.marketing.bandits import (
    ENVIRONMENTS,
    UCB1,
    EpsilonGreedy,
    LinUCB,
    ThompsonSampling,
    create_policy,
    creatives_environment,
    simulate,
)


def test_epsilon_greedy_propensities_sum_to_one() -> None:
    pol = EpsilonGreedy(4, epsilon=0.2)
    for arm, reward in [(0, 1), (1, 0), (2, 0), (3, 0)]:
        pol.update(arm, reward)
    rng = np.random.default_rng(0)
    seen = {}
    for _ in range(4000):
        arm, p = pol.select(rng)
        seen[arm] = p
    assert seen[0] == pytest.approx(0.8 + 0.05) and seen[1] == pytest.approx(0.05)
    assert sum(seen.values()) == pytest.approx(1.0)


def test_thompson_propensity_matches_its_choice_frequency() -> None:
    pol = ThompsonSampling(3)
    pol.apply([(0, "pulls", 50), (0, "reward", 10), (1, "pulls", 50), (1, "reward", 8), (2, "pulls", 5)])
    rng = np.random.default_rng(1)
    picks = np.bincount([pol.select(rng, propensity=False)[0] for _ in range(6000)], minlength=3) / 6000
    for arm in range(3):
        assert pol.propensity(arm, rng, draws=20_000) == pytest.approx(picks[arm], abs=0.02)


def test_ucb1_plays_each_arm_first_and_linucb_needs_its_context() -> None:
    pol = UCB1(3)
    rng = np.random.default_rng(0)
    first = []
    for _ in range(3):
        arm, p = pol.select(rng)
        first.append(arm)
        pol.update(arm, 0.0)
    assert sorted(first) == [0, 1, 2]
    lin = LinUCB(2, dim=3)
    with pytest.raises(ParameterError, match="context"):
        lin.select(rng, None)
    with pytest.raises(ParameterError, match="3 features"):
        lin.select(rng, np.ones(2))


def test_linucb_sums_rebuild_the_same_model() -> None:
    rng = np.random.default_rng(3)
    online, rebuilt = LinUCB(3, dim=4), LinUCB(3, dim=4)
    deltas = []
    for _ in range(200):
        x = rng.normal(size=4)
        arm, _ = online.select(rng, x)
        reward = float(rng.random() < 0.3)
        deltas += online.deltas(arm, reward, x)
        online.update(arm, reward, x)
    rebuilt.apply(deltas)
    np.testing.assert_allclose(rebuilt.a_inv, online.a_inv, atol=1e-8)
    np.testing.assert_allclose(rebuilt.b, online.b)
    x = rng.normal(size=4)
    assert rebuilt.select(np.random.default_rng(0), x)[0] == online.select(np.random.default_rng(0), x)[0]


def test_short_simulations_rank_the_policies() -> None:
    run = simulate(creatives_environment(), rounds=6000, seed=7)
    assert set(run.summary()) == {"regret", "rounds", "environment"}
    assert set(run.regret) == {"thompson", "epsilon_greedy", "ucb1", "linucb"}
    assert run.regret["thompson"] < run.regret["epsilon_greedy"]
    assert run.curves["thompson"][-1] == pytest.approx(run.regret["thompson"])
    seg = simulate(ENVIRONMENTS["segments"](), rounds=6000, seed=7)
    assert seg.regret["linucb"] < min(seg.regret[n] for n in ("thompson", "epsilon_greedy", "ucb1"))


def test_unknown_policy_or_parameter() -> None:
    with pytest.raises(ParameterError, match="policy"):
        create_policy("softmax", 3)
    with pytest.raises(ParameterError, match="params"):
        create_policy("thompson", 3, temperature=2)
