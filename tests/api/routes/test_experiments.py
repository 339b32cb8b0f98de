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


def test_recommendations_serve_the_variant_and_log_exposures(client: TestClient, service) -> None:
    version = service.model.version
    doc = {"experiment_id": "serve", "surface": "recommendations",
           "variants": [{"name": "control", "model_version": version},
                        {"name": "diverse", "model_version": version, "settings": {"diversity": 0.2}}]}
    assert client.post("/experiments", json=doc, headers=WRITE).status_code == 201
    clash = client.post("/experiments", json={**doc, "experiment_id": "second"}, headers=WRITE)
    assert clash.status_code == 422 and clash.json()["error"]["field"] == "traffic"  # one surface, exclusive
    bad = client.post("/experiments", json={**doc, "experiment_id": "b", "surface": "x", "variants": [
        {"name": "a"}, {"name": "b", "settings": {"colour": 1}}]}, headers=WRITE)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "variants[1].settings.colour"
    users = [str(u) for u in service.store.users_frame()["user_id"][:20]]
    recs = {u: client.get(f"/recommendations/{u}", params={"n": 5}, headers=READ).json() for u in users}
    exposures = service.store.exposures_frame("serve")
    assert sorted(exposures["user_id"]) == sorted(users)
    assert exposures.set_index("user_id")["recommendation_id"].to_dict() == \
        {u: r["recommendation_id"] for u, r in recs.items()}
    assert set(exposures["model_version"]) == {version} and set(exposures["variant"]) == {"control", "diverse"}
    u = users[0]
    item = recs[u]["items"][0]["item_id"]
    sent = client.post("/events", headers=WRITE, json={"events": [
        {"event_id": "c1", "user_id": u, "item_id": item, "type": "click",
         "context": {"recommendation_id": recs[u]["recommendation_id"]}}]})
    assert sent.status_code == 200
    counters = {r["model_version"]: r for r in client.get("/model-versions/counters", headers=READ).json()}
    assert counters[version]["recommendations"] >= 20 and counters[version]["click"] == 1
