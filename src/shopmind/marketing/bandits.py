"""Bandit policies over a campaign's creatives or a slot's layouts, and their simulation.

Every policy chooses an arm and says with what probability it chose it (the propensity, logged with each
decision so that other policies can be evaluated off-policy later), and learns from rewards through sums
(pulls, rewards; LinUCB's ``A = I + sum x x'`` and ``b = sum r x``). Sums add up, so several workers can share
one bandit through the store: each adds its rewards to the stored sums atomically and reloads them
(:mod:`shopmind.marketing.state`).

- :class:`ThompsonSampling`: Beta-Bernoulli posterior sampling (Thompson 1933; Chapelle & Li 2011); its
  propensity is estimated by Monte Carlo over the posterior (as the Open Bandit Dataset's was);
- :class:`EpsilonGreedy`: the best mean with probability ``1 - epsilon``, a uniform arm otherwise;
- :class:`UCB1`: mean plus ``sqrt(2 ln t / n)`` (Auer, Cesa-Bianchi & Fischer 2002); deterministic;
- :class:`LinUCB`: disjoint linear UCB on context features (Li, Chu, Langford & Schapire 2010); deterministic.

Deterministic policies log propensity 1 (ties broken uniformly: 1/ties): their logs cannot evaluate other
policies off-policy - use Thompson sampling or epsilon-greedy where that matters.

>>> import numpy as np
>>> policy = ThompsonSampling(3)
>>> rng = np.random.default_rng(0)
>>> arm, propensity = policy.select(rng)
>>> policy.update(arm, 1.0)
>>> 0 <= arm < 3 and 0 < propensity <= 1
True
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, cast

import numpy as np

from shopmind.errors import ParameterError, check_float, check_int

#: One change to a policy's sums: ``(arm index, stat name, delta)``.
Delta = tuple[int, str, float]
PROPENSITY_DRAWS = 2000


class Policy:
    """A bandit policy over ``n_arms`` arms (see the module docstring)."""

    name: ClassVar[str] = "policy"
    contextual: ClassVar[bool] = False

    def __init__(self, n_arms: int) -> None:
        check_int(type(self).__name__, "n_arms", n_arms, 2)
        self.n_arms = n_arms
        self.pulls = np.zeros(n_arms)
        self.rewards = np.zeros(n_arms)

    # ------------------------------------------------------------------ learning through sums
    def deltas(self, arm: int, reward: float, context: np.ndarray | None = None) -> list[Delta]:
        """What a reward adds to the sums."""
        return [(arm, "pulls", 1.0), (arm, "reward", float(reward))]

    def apply(self, deltas: Sequence[Delta]) -> None:
        """Add sums (from this process or, through the store, from others)."""
        for arm, stat, value in deltas:
            if stat == "pulls":
                self.pulls[arm] += value
            elif stat == "reward":
                self.rewards[arm] += value

    def update(self, arm: int, reward: float, context: np.ndarray | None = None) -> None:
        self.apply(self.deltas(arm, reward, context))

    def load(self, stats: Mapping[int, Mapping[str, float]]) -> None:
        """Replace the sums with stored ones (``arm index -> stat -> value``)."""
        self.reset()
        self.apply([(arm, stat, value) for arm, row in stats.items() for stat, value in row.items()])

    def reset(self) -> None:
        self.pulls[:] = 0
        self.rewards[:] = 0

    @property
    def means(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.pulls > 0, self.rewards / np.maximum(self.pulls, 1), 0.0)

    # ------------------------------------------------------------------ choosing
    def select(self, rng: np.random.Generator, context: np.ndarray | None = None, propensity: bool = True
               ) -> tuple[int, float]:
        """The chosen arm and its propensity (``nan`` when ``propensity=False`` and it is not free)."""
        raise NotImplementedError

    def params(self) -> dict[str, Any]:
        return {}


def _argmax_ties(values: np.ndarray, rng: np.random.Generator) -> tuple[int, int]:
    """The index of the maximum (ties broken uniformly) and the number of tied arms."""
    best = np.flatnonzero(values >= values.max() - 1e-12)
    if best.size == 1:
        return int(best[0]), 1
    return int(rng.choice(best)), int(best.size)


class ThompsonSampling(Policy):
    """Beta-Bernoulli Thompson sampling with a ``Beta(prior_alpha, prior_beta)`` prior per arm."""

    name = "thompson"

    def __init__(self, n_arms: int, prior_alpha: float = 1.0, prior_beta: float = 1.0) -> None:
        super().__init__(n_arms)
        check_float("ThompsonSampling", "prior_alpha", prior_alpha, 0.0, low_open=True)
        check_float("ThompsonSampling", "prior_beta", prior_beta, 0.0, low_open=True)
        self.prior_alpha, self.prior_beta = prior_alpha, prior_beta

    def posterior(self) -> tuple[np.ndarray, np.ndarray]:
        a = self.prior_alpha + self.rewards
        return a, self.prior_beta + np.maximum(self.pulls - self.rewards, 0.0)

    def select(self, rng: np.random.Generator, context: np.ndarray | None = None, propensity: bool = True
               ) -> tuple[int, float]:
        a, b = self.posterior()
        arm = int(np.argmax(rng.beta(a, b)))
        return arm, self.propensity(arm, rng) if propensity else math.nan

    def propensity(self, arm: int, rng: np.random.Generator, draws: int = PROPENSITY_DRAWS) -> float:
        """P(arm has the largest posterior draw), by Monte Carlo (at least 1/draws, never 0)."""
        a, b = self.posterior()
        wins = np.argmax(rng.beta(a, b, size=(draws, self.n_arms)), axis=1) == arm
        return max(float(wins.mean()), 1.0 / draws)

    def params(self) -> dict[str, Any]:
        return {"prior_alpha": self.prior_alpha, "prior_beta": self.prior_beta}


class EpsilonGreedy(Policy):
    """The arm with the best mean reward (untried arms first) with probability ``1 - epsilon``; otherwise a
    uniformly random arm."""

    name = "epsilon_greedy"

    def __init__(self, n_arms: int, epsilon: float = 0.1) -> None:
        super().__init__(n_arms)
        check_float("EpsilonGreedy", "epsilon", epsilon, 0.0, 1.0)
        self.epsilon = epsilon

    def select(self, rng: np.random.Generator, context: np.ndarray | None = None, propensity: bool = True
               ) -> tuple[int, float]:
        greedy_values = np.where(self.pulls > 0, self.means, np.inf)
        greedy, ties = _argmax_ties(greedy_values, rng)
        explore = rng.random() < self.epsilon
        arm = int(rng.integers(self.n_arms)) if explore else greedy
        share = self.epsilon / self.n_arms
        # a greedy arm among ``ties`` tied ones is chosen with (1 - epsilon) / ties, plus the exploration share
        is_greedy = greedy_values[arm] >= greedy_values.max() - 1e-12
        return arm, share + ((1 - self.epsilon) / ties if is_greedy else 0.0)

    def params(self) -> dict[str, Any]:
        return {"epsilon": self.epsilon}


class UCB1(Policy):
    """Each arm once, then the best ``mean + sqrt(2 ln t / pulls)``."""

    name = "ucb1"

    def select(self, rng: np.random.Generator, context: np.ndarray | None = None, propensity: bool = True
               ) -> tuple[int, float]:
        if (self.pulls == 0).any():
            arm, ties = _argmax_ties((self.pulls == 0).astype(float), rng)
            return arm, 1.0 / ties
        t = self.pulls.sum()
        arm, ties = _argmax_ties(self.means + np.sqrt(2 * math.log(t) / self.pulls), rng)
        return arm, 1.0 / ties


class LinUCB(Policy):
    """Disjoint LinUCB: per arm a ridge regression of the reward on the context (``A = I + sum x x'``,
    ``b = sum r x``), choosing the largest ``theta' x + alpha sqrt(x' A^-1 x)``. ``A^-1`` is kept up to date by
    Sherman-Morrison, so a round costs O(arms x d^2)."""

    name = "linucb"
    contextual = True

    def __init__(self, n_arms: int, dim: int, alpha: float = 1.0) -> None:
        super().__init__(n_arms)
        check_int("LinUCB", "dim", dim, 1)
        check_float("LinUCB", "alpha", alpha, 0.0)
        self.dim, self.alpha = dim, alpha
        self.reset()

    def reset(self) -> None:
        super().reset()
        self.a_inv = np.repeat(np.eye(self.dim)[None], self.n_arms, axis=0)
        self.a = np.repeat(np.eye(self.dim)[None], self.n_arms, axis=0)
        self.b = np.zeros((self.n_arms, self.dim))

    def _context(self, context: np.ndarray | None) -> np.ndarray:
        if context is None:
            raise ParameterError("LinUCB", "context", None, f"a vector of {self.dim} features")
        x = np.asarray(context, dtype=np.float64).ravel()
        if x.size != self.dim:
            raise ParameterError("LinUCB", "context", f"{x.size} features", f"{self.dim} features")
        return x

    def deltas(self, arm: int, reward: float, context: np.ndarray | None = None) -> list[Delta]:
        x = self._context(context)
        out = super().deltas(arm, reward, context)
        outer = np.outer(x, x)
        out += [(arm, f"A{i}_{j}", float(outer[i, j])) for i in range(self.dim) for j in range(self.dim)
                if outer[i, j] != 0.0]
        out += [(arm, f"b{i}", float(reward * x[i])) for i in range(self.dim) if reward * x[i] != 0.0]
        return out

    def update(self, arm: int, reward: float, context: np.ndarray | None = None) -> None:
        x = self._context(context)
        self.pulls[arm] += 1
        self.rewards[arm] += reward
        ax = self.a_inv[arm] @ x
        self.a_inv[arm] -= np.outer(ax, ax) / (1.0 + x @ ax)
        self.a[arm] += np.outer(x, x)
        self.b[arm] += reward * x

    def apply(self, deltas: Sequence[Delta]) -> None:
        touched = set()
        for arm, stat, value in deltas:
            if stat in ("pulls", "reward"):
                super().apply([(arm, stat, value)])
            elif stat.startswith("A"):
                i, j = (int(v) for v in stat[1:].split("_"))
                self.a[arm, i, j] += value
                touched.add(arm)
            elif stat.startswith("b"):
                self.b[arm, int(stat[1:])] += value
        for arm in touched:
            self.a_inv[arm] = np.linalg.inv(self.a[arm])

    def select(self, rng: np.random.Generator, context: np.ndarray | None = None, propensity: bool = True
               ) -> tuple[int, float]:
        x = self._context(context)
        theta = np.einsum("kij,kj->ki", self.a_inv, self.b)
        width = np.sqrt(np.maximum(np.einsum("i,kij,j->k", x, self.a_inv, x), 0.0))
        arm, ties = _argmax_ties(theta @ x + self.alpha * width, rng)
        return arm, 1.0 / ties

    def params(self) -> dict[str, Any]:
        return {"dim": self.dim, "alpha": self.alpha}


#: Policy name -> class.
POLICIES: dict[str, type[Policy]] = {p.name: p for p in (ThompsonSampling, EpsilonGreedy, UCB1, LinUCB)}


def create_policy(name: str, n_arms: int, **params: Any) -> Policy:
    if name not in POLICIES:
        raise ParameterError("bandit", "policy", name, f"one of {', '.join(POLICIES)}")
    try:
        return POLICIES[name](n_arms, **params)
    except TypeError as exc:
        raise ParameterError("bandit", "params", params, f"parameters of {name} ({exc})") from None


# ---------------------------------------------------------------------------------------------- environments
@dataclass
class Environment:
    """A simulated slot: ``click_rates(context)`` gives every arm's true click probability for a context,
    ``contexts(rng, n)`` draws the users' feature vectors (a constant 1 when the environment has none)."""

    name: str
    n_arms: int
    dim: int
    click_rates: Callable[[np.ndarray], np.ndarray]
    contexts: Callable[[np.random.Generator, int], np.ndarray]
    description: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def creatives_environment(rates: Sequence[float] = (0.08, 0.05, 0.04, 0.03, 0.02), name: str = "creatives"
                          ) -> Environment:
    """Non-contextual: creatives with fixed click rates (default: five creatives, one clearly better, 8%, then
    5% down to 2%; ``close-creatives`` is the harder 5% down to 1%)."""
    r = np.asarray(rates, dtype=np.float64)
    return Environment(name, r.size, 1, lambda x: np.broadcast_to(r, (x.shape[0], r.size)),
                       lambda rng, n: np.ones((n, 1)),
                       f"{r.size} creatives with click rates {', '.join(f'{v:.1%}' for v in r)}",
                       {"click_rates": r.tolist()})


def segments_environment() -> Environment:
    """Contextual: four shopper segments (one-hot, plus an intercept and a price-sensitivity score) and five
    layouts; each segment has a different best layout, so a policy that ignores the context is stuck with
    the best layout *on average* while LinUCB learns the best one per segment."""
    # logit of the click rate: base per layout + per-segment preference + price sensitivity x discount layouts
    base = np.array([-3.2, -3.4, -3.3, -3.5, -3.1])
    seg = np.array([[0.9, -0.3, 0.0, -0.2, 0.1],
                    [-0.4, 1.1, 0.0, 0.2, -0.1],
                    [0.0, -0.2, 1.0, -0.1, 0.0],
                    [-0.2, 0.0, -0.3, 1.2, 0.1]])
    sens = np.array([0.0, 0.0, 0.3, 0.0, -0.3])
    shares = np.array([0.4, 0.3, 0.2, 0.1])

    def contexts(rng: np.random.Generator, n: int) -> np.ndarray:
        s = rng.choice(4, size=n, p=shares)
        x = np.zeros((n, 6))
        x[:, 0] = 1.0
        x[np.arange(n), 1 + s] = 1.0
        x[:, 5] = rng.normal(0.0, 1.0, n)
        return x

    def click_rates(x: np.ndarray) -> np.ndarray:
        logit = base[None, :] + x[:, 1:5] @ seg + x[:, 5:6] * sens[None, :]
        return cast("np.ndarray", 1.0 / (1.0 + np.exp(-logit)))

    return Environment("segments", 5, 6, click_rates, contexts,
                       "5 layouts x 4 shopper segments (40/30/20/10%) + price sensitivity; each segment has its own "
                       "best layout", {"segment_shares": shares.tolist()})


ENVIRONMENTS: dict[str, Callable[[], Environment]] = {
    "creatives": creatives_environment,
    "close-creatives": lambda: creatives_environment((0.05, 0.04, 0.03, 0.02, 0.01), "close-creatives"),
    "segments": segments_environment,
}


@dataclass
class SimulationRun:
    environment: str
    rounds: int
    regret: dict[str, float]
    clicks: dict[str, int]
    #: cumulative regret at the checkpoints (for the plot)
    curves: dict[str, list[float]]
    checkpoints: list[int]
    seconds: dict[str, float]

    def summary(self) -> dict[str, Any]:
        """What ``shopmind bandit simulate --json`` prints."""
        return {"regret": self.regret, "rounds": self.rounds, "environment": self.environment}


def default_policies(env: Environment) -> dict[str, Policy]:
    return {"thompson": ThompsonSampling(env.n_arms), "epsilon_greedy": EpsilonGreedy(env.n_arms, 0.1),
            "ucb1": UCB1(env.n_arms), "linucb": LinUCB(env.n_arms, env.dim, alpha=1.0)}


def simulate(env: Environment, rounds: int = 100_000, seed: int = 42, policies: Mapping[str, Policy] | None = None,
             points: int = 200) -> SimulationRun:
    """Run each policy for ``rounds`` rounds on the same users (same contexts and the same click coin for each
    arm), and measure cumulative (pseudo-)regret: the best arm's click rate for that user minus the chosen
    arm's."""
    check_int("simulate", "rounds", rounds, 1)
    pols = dict(policies) if policies is not None else default_policies(env)
    rng = np.random.default_rng(seed)
    x = env.contexts(rng, rounds)
    rates = env.click_rates(x)
    coins = rng.random(rounds)  # a click happens when coin < rate of the shown arm: common random numbers
    best = rates.max(axis=1)
    checkpoints = sorted({max(1, round(rounds * (i + 1) / points)) for i in range(points)})
    out = SimulationRun(env.name, rounds, {}, {}, {}, checkpoints, {})
    for name, policy in pols.items():
        t0 = time.perf_counter()
        prng = np.random.default_rng([seed, sum(map(ord, name))])
        chosen = np.empty(rounds, dtype=np.int64)
        for t in range(rounds):
            ctx = x[t] if policy.contextual else None
            arm, _ = policy.select(prng, ctx, propensity=False)
            reward = 1.0 if coins[t] < rates[t, arm] else 0.0
            policy.update(arm, reward, ctx)
            chosen[t] = arm
        regret = np.cumsum(best - rates[np.arange(rounds), chosen])
        out.regret[name] = float(regret[-1])
        out.clicks[name] = int((coins < rates[np.arange(rounds), chosen]).sum())
        out.curves[name] = [float(regret[c - 1]) for c in checkpoints]
        out.seconds[name] = time.perf_counter() - t0
    return out
