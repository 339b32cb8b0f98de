"""API keys and scopes; health, readiness, metrics, docs and model versions over HTTP."""

from __future__ import annotations

import json
import threading
import time

READ, WRITE = {"X-API-Key": "reader-key"}, {"X-API-Key": "writer-key"}


EVENT = {"events": [{"user_id": "u", "item_id": "SKU00001", "type": "view"}]}


def _wait(client, job_id, timeout=120.0):
    t0 = time.time()
    while time.time() - t0 < timeout:
        job = client.get(f"/models/retrain/{job_id}", headers=WRITE).json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError("retrain did not finish")


def test_health_ready_metrics(client, trained_shop):
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready").json()
    assert ready["status"] == "ready" and ready["model"]["model"] == "itemknn" and ready["store"]["items"] == 150
    client.get(f"/recommendations/{trained_shop.heavy_user()}", headers=READ)
    client.post("/events", headers=WRITE, json=EVENT)
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    assert 'shopmind_http_requests_total{method="GET",route="/recommendations/{user_id}",status="200"} 1' in text
    assert 'shopmind_http_request_duration_seconds_bucket{route="/recommendations/{user_id}",le="+Inf"} 1' in text
    assert 'shopmind_events_total{result="inserted"} 1' in text
    assert "shopmind_recommended_items_total{source=" in text and "shopmind_model_info{" in text


def test_model_versions_swap_reload_and_rollback(client, trained_shop, models_dir):
    first = client.get("/models", headers=READ).json()
    assert len(first) == 1 and first[0]["active"]
    trained_shop.model.save(models_dir / "itemknn-v2")
    reloaded = client.post("/models/reload", headers=WRITE, json={"name": "itemknn-v2"})
    assert reloaded.status_code == 200 and reloaded.json()["source"].endswith("itemknn-v2")
    new_version = reloaded.json()["version"]
    body = client.get("/recommendations/u", headers=READ).json()
    assert body["model_version"] == new_version
    back = client.post("/models/rollback", headers=WRITE).json()
    assert back["active"] is True  # the answer describes the version now serving
    assert back["version"] == first[0]["version"]
    assert client.get("/recommendations/u", headers=READ).json()["model_version"] == first[0]["version"]
    assert client.post("/models/activate", headers=WRITE, json={"version": new_version}).status_code == 200
    missing = client.post("/models/reload", headers=WRITE, json={"name": "nothing-here"})
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "name"


def test_retrain_swaps_in_a_new_version_without_failing_requests(client, service, trained_shop, models_dir):
    user = trained_shop.heavy_user()
    before = [m["version"] for m in client.get("/models", headers=WRITE).json()]
    statuses: list[int] = []
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            statuses.append(client.get(f"/recommendations/{user}", headers=WRITE).status_code)

    t = threading.Thread(target=hammer)
    t.start()
    try:
        r = client.post("/models/retrain", json={"model": "ease", "params": {"l2": 50.0}}, headers=WRITE)
        assert r.status_code == 202, r.text
        job = _wait(client, r.json()["job_id"])
    finally:
        stop.set()
        t.join()
    assert job["state"] == "done", job
    assert job["interactions"] > 0 and job["seconds"] >= 0
    assert (models_dir / job["artifact"].split("/")[-1] / "meta.json").exists()
    models = client.get("/models", headers=WRITE).json()
    active = [m for m in models if m["active"]]
    assert active[0]["version"] == job["version"] and active[0]["model"] == "ease"
    assert job["version"] not in before
    assert statuses and set(statuses) == {200}
    assert client.get("/models/retrain", headers=WRITE).json()[0]["job_id"] == job["job_id"]
    # the previous version is one rollback away
    assert client.post("/models/rollback", headers=WRITE).json()["version"] == before[-1]


def test_retrain_errors_use_the_error_shape(client):
    r = client.post("/models/retrain", json={"model": "nosuch"}, headers=WRITE)
    assert r.status_code == 422 and r.json()["error"]["field"] == "model"
    assert "nosuch" in r.json()["error"]["message"]
    r = client.post("/models/retrain", json={"model": "ease", "params": {"l2": -1}}, headers=WRITE)
    assert r.status_code == 422 and "l2" in r.json()["error"]["message"]
    r = client.get("/models/retrain/unknown", headers=WRITE)
    assert r.status_code == 404 and r.json()["error"]["field"] == "job_id"
    assert client.post("/models/retrain", json={"model": "ease"}).status_code == 401


def test_only_one_retrain_at_a_time(client, service):
    from shopmind.pipeline.retrain import Retrainer, RetrainJob

    service.retrainer = Retrainer(service)
    service.retrainer._running = RetrainJob("busy", "als", {}, state="running")  # a retrain in flight
    second = client.post("/models/retrain", json={"model": "als"}, headers=WRITE)
    assert second.status_code == 409 and "already running" in second.json()["error"]["message"]
    service.retrainer._running = None
    r = client.post("/models/retrain", json={"model": "als", "params": {"epochs": 5}}, headers=WRITE)
    assert r.status_code == 202 and _wait(client, r.json()["job_id"])["state"] == "done"


def test_a_failing_retrain_is_reported_and_keeps_serving(client, service, trained_shop, monkeypatch):
    import shopmind.pipeline.retrain as retrain

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(retrain, "load_interactions", broken)
    active = [m["version"] for m in client.get("/models", headers=WRITE).json() if m["active"]]
    r = client.post("/models/retrain", json={"model": "ease"}, headers=WRITE)
    job = _wait(client, r.json()["job_id"])
    assert job["state"] == "failed" and "disk on fire" in job["error"]
    assert [m["version"] for m in client.get("/models", headers=WRITE).json() if m["active"]] == active
    assert client.get(f"/recommendations/{trained_shop.heavy_user()}", headers=WRITE).status_code == 200


def test_a_damaged_artifact_is_refused_and_the_active_version_keeps_serving(client, trained_shop, models_dir):
    path = trained_shop.model.save(models_dir / "broken")
    state = path / "state.pkl"
    state.write_bytes(state.read_bytes()[:-10])
    active = client.get("/ready").json()["model"]["version"]
    res = client.post("/models/reload", headers=WRITE, json={"name": "broken"})
    assert res.status_code == 422
    message = res.json()["error"]["message"]
    assert str(state) in message and "truncated" in message
    assert client.get("/ready").json()["model"]["version"] == active
    assert client.get("/recommendations/u1", headers=WRITE).status_code == 200
    assert not (models_dir / "ACTIVE.json").exists()  # nothing recorded for the next start either
    good = trained_shop.model.save(models_dir / "good")
    assert client.post("/models/reload", headers=WRITE, json={"name": "good"}).status_code == 200
    assert json.loads((models_dir / "ACTIVE.json").read_text())["artifact"] == str(good.resolve())
