"""Shared bandits: state survives restarts, two workers share sums, rewards count once, users are forgotten."""

from __future__ import annotations

import pytest

from shopmind.errors import DataError, UnknownIdError
from shopmind.marketing.state import SharedBandit, forget_users
from shopmind.storage import open_store


def test_two_workers_share_one_bandit_through_the_store(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    with open_store(url) as one, open_store(url) as two:
        a = SharedBandit.create(one, {"bandit_id": "hero", "arms": ["red", "blue", "green"],
                                      "policy": "epsilon_greedy", "params": {"epsilon": 0.2}}, seed=1)
        b = SharedBandit.load(two, "hero", seed=2)
        decisions = [a.choose(f"u{i}", {"segment": "new"}) for i in range(5)] + [b.choose(f"v{i}") for i in range(5)]
        assert all(0 < d.propensity <= 1 for d in decisions)
        for d in decisions:
            assert (a if d.user_id.startswith("u") else b).reward(d.decision_id, 1.0)
        assert a.reward(decisions[0].decision_id, 1.0) is False  # counted once
        a.refresh()
        b.refresh()
        assert a.policy.pulls.sum() == b.policy.pulls.sum() == 10
        log = one.decisions_frame("hero")
        assert len(log) == 10 and log["reward"].tolist() == [1.0] * 10
        assert log["context"].tolist()[0] == {"segment": "new"}
    with open_store(url) as again:  # a restart
        c = SharedBandit.load(again, "hero")
        assert c.policy.pulls.sum() == 10 and c.summary()["arms_state"][0]["arm"] == "red"
        assert forget_users(again, ["u0", "u1"]) == 2 and len(again.decisions_frame("hero")) == 8


def test_linucb_bandit_reads_its_features() -> None:
    with open_store("sqlite:///:memory:") as store:
        bandit = SharedBandit.create(store, {"bandit_id": "slot", "arms": ["grid", "carousel"], "policy": "linucb",
                                             "features": ["price_sensitivity", "new"]}, seed=0)
        d = bandit.choose("u1", {"price_sensitivity": 0.7, "new": 1})
        assert d.propensity == pytest.approx(0.5)  # a tie at the start, broken uniformly
        assert bandit.reward(d.decision_id, 1.0)
        again = SharedBandit.load(store, "slot")
        assert again.policy.b.sum() == pytest.approx(1 + 0.7 + 1)
        with pytest.raises(DataError, match="must be a number"):
            bandit.choose("u2", {"price_sensitivity": "high"})


@pytest.mark.parametrize(("doc", "field"), [
    ({"bandit_id": "x", "arms": ["a"]}, "arms"),
    ({"bandit_id": "x", "arms": ["a", "a"]}, "arms"),
    ({"bandit_id": "x", "arms": ["a", "b"], "colour": 1}, "colour"),
    ({"bandit_id": "x", "arms": ["a", "b"], "policy": "linucb"}, "features"),
    ({"bandit_id": "x", "arms": ["a", "b"], "policy": "softmax"}, "policy"),
])
def test_bad_bandits_name_the_field(doc: dict, field: str) -> None:
    with open_store("sqlite:///:memory:") as store, pytest.raises(DataError) as err:
        SharedBandit.create(store, doc)
    assert err.value.field == field


def test_unknown_and_duplicate_bandits() -> None:
    with open_store("sqlite:///:memory:") as store:
        with pytest.raises(UnknownIdError):
            SharedBandit.load(store, "nope")
        SharedBandit.create(store, {"bandit_id": "x", "arms": ["a", "b"]})
        with pytest.raises(DataError, match="already exists"):
            SharedBandit.create(store, {"bandit_id": "x", "arms": ["a", "b"]})
