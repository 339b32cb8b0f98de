"""Background retraining over the API: a new version trained from the store, swapped in with no failed
request, listed and rolled back; bad requests answered with the one error shape."""

from __future__ import annotations

import threading
import time

from tests.api.conftest import WRITE


def _wait(client, job_id, timeout=120.0):
    t0 = time.time()
    while time.time() - t0 < timeout:
        job = client.get(f"/models/retrain/{job_id}", headers=WRITE).json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError("retrain did not finish")


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
    r = client.post("/models/retrain", json={"model": "als", "params": {"iterations": 5}}, headers=WRITE)
    assert r.status_code == 202 and _wait(client, r.json()["job_id"])["state"] == "done"


def test_a_failing_retrain_is_reported_and_keeps_serving(client, service, trained_shop, monkeypatch):
    import shopmind.storage as storage

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(storage, "load_interactions", broken)
    active = [m["version"] for m in client.get("/models", headers=WRITE).json() if m["active"]]
    r = client.post("/models/retrain", json={"model": "ease"}, headers=WRITE)
    job = _wait(client, r.json()["job_id"])
    assert job["state"] == "failed" and "disk on fire" in job["error"]
    assert [m["version"] for m in client.get("/models", headers=WRITE).json() if m["active"]] == active
    assert client.get(f"/recommendations/{trained_shop.heavy_user()}", headers=WRITE).status_code == 200
