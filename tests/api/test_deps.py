"""API keys and scopes; health, readiness, metrics, docs and model versions over HTTP."""

from __future__ import annotations

READ, WRITE = {"X-API-Key": "reader-key"}, {"X-API-Key": "writer-key"}


EVENT = {"events": [{"user_id": "u", "item_id": "SKU00001", "type": "view"}]}


def test_scopes(client):
    assert client.get("/recommendations/u", headers=READ).status_code == 200
    assert client.get("/recommendations/u", headers={"Authorization": "Bearer reader-key"}).status_code == 200
    assert client.post("/events", headers=READ, json=EVENT).status_code == 403
    assert client.post("/events", headers=WRITE, json=EVENT).status_code == 200
    assert client.get("/recommendations/u", headers=WRITE).status_code == 200  # write implies read
    assert client.get("/recommendations/u").status_code == 401
    assert client.get("/models", headers=READ).status_code == 200
    assert client.post("/models/rollback", headers=READ).status_code == 403
    for open_path in ("/health", "/ready", "/metrics", "/docs", "/openapi.json"):
        assert client.get(open_path).status_code == 200, open_path


def test_no_keys_means_auth_disabled_with_a_warning(caplog, open_client):
    assert any("authentication is DISABLED" in r.getMessage() for r in caplog.get_records("setup"))
    assert open_client.post("/events", json=EVENT).status_code == 200
    assert open_client.get("/recommendations/u").status_code == 200
