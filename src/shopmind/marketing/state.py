"""Bandits that survive restarts and are shared by every worker: definitions, sums and decisions in the store.

A :class:`SharedBandit` keeps a policy in memory and the truth in the store. ``choose`` draws an arm from the
in-memory policy and logs the decision with its propensity and context; ``reward`` records the reward of a
logged decision exactly once and adds what it teaches (pulls, rewards, LinUCB's ``x x'`` and ``r x``) to the
stored sums in the same transaction; ``refresh`` reloads the sums, picking up other workers' rewards.

>>> from shopmind.storage import open_store
>>> store = open_store("sqlite:///:memory:")
>>> bandit = SharedBandit.create(store, {"bandit_id": "hero", "arms": ["red", "blue"], "policy": "thompson"})
>>> decision = bandit.choose("u1")
>>> bandit.reward(decision.decision_id, 1.0)
True
>>> SharedBandit.load(store, "hero").policy.pulls.sum()
np.float64(1.0)
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shopmind.errors import DataError, UnknownIdError
from shopmind.marketing.bandits import Delta, LinUCB, Policy, create_policy
from shopmind.storage import BanditStore


class BanditSpec(BaseModel):
    """A bandit over a campaign's creatives or a slot's layouts. ``features`` name the context values LinUCB
    reads (an intercept is added); the other policies ignore the context but still log it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bandit_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
    arms: list[str] = Field(min_length=2, max_length=200)
    policy: Literal["thompson", "epsilon_greedy", "ucb1", "linucb"] = "thompson"
    params: dict[str, float] = Field(default_factory=dict)
    features: list[str] = Field(default_factory=list, max_length=64)
    description: str = Field(default="", max_length=2_000)

    @model_validator(mode="after")
    def _check(self) -> BanditSpec:
        dup = next((a for i, a in enumerate(self.arms) if a in self.arms[:i] or not a), None)
        if dup is not None:
            raise ValueError(f"arms: {dup!r} is empty or occurs twice")
        if self.policy == "linucb" and not self.features:
            raise ValueError("features: LinUCB needs the names of the context features it reads")
        return self


@dataclass(frozen=True)
class Decision:
    decision_id: str
    bandit_id: str
    user_id: str
    arm: str
    propensity: float

    def as_dict(self) -> dict[str, Any]:
        return {"decision_id": self.decision_id, "bandit_id": self.bandit_id, "user_id": self.user_id,
                "arm": self.arm, "propensity": self.propensity}


def parse_bandit(doc: Mapping[str, Any]) -> BanditSpec:
    try:
        return BanditSpec.model_validate(dict(doc))
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first.get("loc", ())) or None
        msg = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        if loc is None and ": " in msg:
            loc = msg.split(": ", 1)[0]
        raise DataError(f"invalid bandit: {msg}", field=loc or "bandit") from None


class SharedBandit:
    def __init__(self, store: BanditStore, spec: BanditSpec, seed: int | None = None) -> None:
        self.store, self.spec = store, spec
        params: dict[str, Any] = dict(spec.params)
        if spec.policy == "linucb":
            params["dim"] = len(spec.features) + 1
        self.policy: Policy = create_policy(spec.policy, len(spec.arms), **params)
        self.index = {a: i for i, a in enumerate(spec.arms)}
        self.rng = np.random.default_rng(seed)
        self.refresh()

    @classmethod
    def create(cls, store: BanditStore, doc: Mapping[str, Any], seed: int | None = None) -> SharedBandit:
        spec = parse_bandit(doc)
        if store.get_bandit(spec.bandit_id) is not None:
            raise DataError(f"a bandit {spec.bandit_id!r} already exists", field="bandit_id")
        bandit = cls(store, spec, seed)  # parameters are checked before anything is stored
        store.put_bandit(spec.model_dump(mode="json"))
        return bandit

    @classmethod
    def load(cls, store: BanditStore, bandit_id: str, seed: int | None = None) -> SharedBandit:
        doc = store.get_bandit(str(bandit_id))
        if doc is None:
            raise UnknownIdError("bandit", bandit_id)
        return cls(store, BanditSpec.model_validate(doc), seed)

    def refresh(self) -> None:
        """Reload the shared sums from the store."""
        stats = self.store.bandit_stats(self.spec.bandit_id)
        self.policy.load({self.index[a]: row for a, row in stats.items() if a in self.index})

    def vector(self, context: Mapping[str, Any] | None) -> np.ndarray | None:
        if not isinstance(self.policy, LinUCB):
            return None
        ctx = context or {}
        values = [1.0]
        for f in self.spec.features:
            v = ctx.get(f, 0.0)
            try:
                values.append(float(v))
            except (TypeError, ValueError):
                raise DataError(f"context feature {f!r} must be a number, got {v!r}", field=f"context.{f}") from None
        return np.array(values)

    def choose(self, user_id: str, context: Mapping[str, Any] | None = None, now: datetime | None = None
               ) -> Decision:
        """Choose an arm for ``user_id`` and log the decision (with its propensity and context)."""
        arm, propensity = self.policy.select(self.rng, self.vector(context), propensity=True)
        decision = Decision(uuid.uuid4().hex, self.spec.bandit_id, str(user_id), self.spec.arms[arm],
                            float(min(max(propensity, 1e-6), 1.0)))
        self.store.log_decisions([{**decision.as_dict(), "context": dict(context) if context else None,
                                   "timestamp": pd.Timestamp(now or datetime.now(UTC))}])
        return decision

    def reward(self, decision_id: str, reward: float) -> bool:
        """Record the reward of a logged decision; False when unknown or already rewarded (counted once)."""
        row = self.store.get_decision(str(decision_id))
        if row is None or row["bandit_id"] != self.spec.bandit_id:
            return False
        arm = self.index.get(row["arm"])
        if arm is None:
            return False
        deltas: list[Delta] = self.policy.deltas(arm, float(reward), self.vector(row.get("context")))
        if not self.store.reward_decision(str(decision_id), float(reward),
                                          [(self.spec.arms[a], stat, v) for a, stat, v in deltas]):
            return False
        self.policy.apply(deltas)
        return True

    def summary(self) -> dict[str, Any]:
        p = self.policy
        return {**self.spec.model_dump(mode="json"),
                "arms_state": [{"arm": a, "pulls": float(p.pulls[i]), "rewards": float(p.rewards[i]),
                                "mean": float(p.means[i])} for i, a in enumerate(self.spec.arms)]}


def forget_users(store: BanditStore, user_ids: list[str]) -> int:
    """Remove the decisions logged for deleted users (the sums hold no user id and stay)."""
    return store.delete_user_decisions(user_ids)
