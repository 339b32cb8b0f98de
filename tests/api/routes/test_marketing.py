"""/bandits: create, choose (propensity logged), reward exactly once, show."""

from __future__ import annotations

READ, WRITE = {"X-API-Key": "reader-key"}, {"X-API-Key": "writer-key"}


def test_bandit_round_trip(client) -> None:
    r = client.post("/bandits", json={"bandit_id": "hero", "arms": ["red", "blue"]}, headers=WRITE)
    assert r.status_code == 201
    bad = client.post("/bandits", json={"bandit_id": "x", "arms": ["red"]}, headers=WRITE)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "arms"
    d = client.post("/bandits/hero/choose", json={"user_id": "u1"}, headers=WRITE).json()
    assert d["arm"] in ("red", "blue") and 0 < d["propensity"] <= 1
    first = client.post("/bandits/hero/reward", json={"decision_id": d["decision_id"], "reward": 1}, headers=WRITE)
    again = client.post("/bandits/hero/reward", json={"decision_id": d["decision_id"], "reward": 1}, headers=WRITE)
    assert first.json()["counted"] is True and again.json()["counted"] is False
    assert client.post("/bandits/hero/reward", json={"decision_id": "nope", "reward": 1},
                       headers=WRITE).status_code == 404
    shown = client.get("/bandits/hero", headers=READ).json()
    assert sum(a["pulls"] for a in shown["arms_state"]) == 1
    assert client.get("/bandits/nope", headers=READ).status_code == 404
