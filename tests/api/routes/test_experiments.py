"""/experiments over a tiny trained shop: create (bad documents are 422 naming the field), assign with exposure
logging, results, stop; scopes."""

from __future__ import annotations

from fastapi.testclient import TestClient

READ, WRITE = {"X-API-Key": "reader-key"}, {"X-API-Key": "writer-key"}

SPEC = {"experiment_id": "hero", "surface": "home", "variants": [{"name": "control"}, {"name": "new"}]}


def test_experiment_lifecycle(client: TestClient) -> None:
    assert client.post("/experiments", json=SPEC, headers=READ).status_code == 403
    r = client.post("/experiments", json=SPEC, headers=WRITE)
    assert r.status_code == 201 and r.json()["buckets"] == [0, 10000]
    bad = client.post("/experiments", json={**SPEC, "experiment_id": "other", "colour": "red"}, headers=WRITE)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "colour"
    clash = client.post("/experiments", json={**SPEC, "experiment_id": "other"}, headers=WRITE)
    assert clash.status_code == 422 and clash.json()["error"]["field"] == "traffic"
    missing = client.post("/experiments", json={**SPEC, "experiment_id": "m", "surface": "pdp",
                                                "variants": [{"name": "a"}, {"name": "b", "model_version": "nope"}]},
                          headers=WRITE)
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "variants[1].model_version"
    users = [f"u{i}" for i in range(40)]
    a = client.post("/experiments/hero/assign", json={"user_ids": users, "log": True, "recommendation_id": "r1"},
                    headers=WRITE).json()
    assert {x["variant"] for x in a["assignments"]} == {"control", "new"}
    assert all(x["propensity"] == 0.5 for x in a["assignments"])
    res = client.get("/experiments/hero/results", headers=READ)
    assert res.status_code == 200
    body = res.json()
    assert body["users"] == 40 and body["srm"]["mismatch"] is False and len(body["variants"]) == 2
    assert client.get("/experiments/nope/results", headers=READ).json()["error"]["field"] == "experiment_id"
    assert client.post("/experiments/hero/stop", headers=WRITE).json()["status"] == "stopped"
    assert [e["experiment_id"] for e in client.get("/experiments", headers=READ).json()] == ["hero"]
