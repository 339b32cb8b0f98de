"""API keys and scopes; health, readiness, metrics, docs and model versions over HTTP."""

from __future__ import annotations

import pytest

from shopmind.api import parse_api_keys
from shopmind.errors import ParameterError

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


def test_key_parsing():
    assert parse_api_keys("a:read, b:write,c:read+write") == {
        "a": frozenset({"read"}), "b": frozenset({"read", "write"}), "c": frozenset({"read", "write"})}
    assert parse_api_keys("") == {} and parse_api_keys(None) == {}
    with pytest.raises(ParameterError, match="KEY:SCOPE"):
        parse_api_keys("a:admin")


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


def test_openapi_documents_the_endpoints_and_error_shape(client):
    spec = client.get("/openapi.json").json()
    paths = set(spec["paths"])
    assert {"/recommendations/{user_id}", "/recommendations/session", "/rerank", "/items/{item_id}/similar",
            "/items/{item_id}/bought-together", "/trending", "/events", "/items", "/users", "/health", "/ready",
            "/metrics", "/models", "/models/rollback"} <= paths
    assert "ErrorOut" in spec["components"]["schemas"]


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
    assert back["version"] == first[0]["version"]
    assert client.get("/recommendations/u", headers=READ).json()["model_version"] == first[0]["version"]
    assert client.post("/models/activate", headers=WRITE, json={"version": new_version}).status_code == 200
    missing = client.post("/models/reload", headers=WRITE, json={"name": "nothing-here"})
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "name"
