"""API keys and scopes; health, readiness, metrics, docs and model versions over HTTP."""

from __future__ import annotations


def test_openapi_documents_the_endpoints_and_error_shape(client):
    spec = client.get("/openapi.json").json()
    paths = set(spec["paths"])
    assert {"/recommendations/{user_id}", "/recommendations/session", "/rerank", "/items/{item_id}/similar",
            "/items/{item_id}/bought-together", "/trending", "/events", "/items", "/users", "/health", "/ready",
            "/metrics", "/models", "/models/rollback"} <= paths
    assert "ErrorOut" in spec["components"]["schemas"]


# ---------------------------------------------------------------------------------------------- keys and limits
def _stored_key(store, scope: str, rate_limit: float | None = None) -> str:
    from shopmind.api.keys import hash_key, new_key  # lazy: only these tests make stored keys

    key_id, key = new_key()
    store.put_api_key({"key_id": key_id, "key_hash": hash_key(key), "scopes": [scope], "rate_limit": rate_limit})
    return key


def test_keys_created_in_the_store_are_accepted_next_to_configured_ones(service):
    from fastapi.testclient import TestClient  # lazy: as the conftest's clients

    from shopmind.api import create_app  # lazy: as above
    from shopmind.settings import ApiSettings  # lazy: as above

    reader, writer = _stored_key(service.store, "read"), _stored_key(service.store, "write")
    with TestClient(create_app(service, ApiSettings(keys="cfg-key:read")), raise_server_exceptions=False) as c:
        assert c.get("/trending").status_code == 401  # auth is on
        assert c.get("/trending", headers={"X-API-Key": "cfg-key"}).status_code == 200
        assert c.get("/trending", headers={"X-API-Key": reader}).status_code == 200
        assert c.get("/trending", headers={"Authorization": f"Bearer {writer}"}).status_code == 200
        ev = {"events": [{"user_id": "u1", "item_id": "x", "type": "view"}]}
        res = c.post("/events", json=ev, headers={"X-API-Key": reader})
        assert res.status_code == 403 and "'write' scope" in res.json()["error"]["message"]
        assert c.post("/events", json=ev, headers={"X-API-Key": writer}).status_code in (200, 422)
        assert c.get("/trending", headers={"X-API-Key": reader + "x"}).status_code == 401


def test_stored_keys_alone_turn_authentication_on(service):
    from fastapi.testclient import TestClient  # lazy: as the conftest's clients

    from shopmind.api import create_app  # lazy: as above

    key = _stored_key(service.store, "admin")
    with TestClient(create_app(service), raise_server_exceptions=False) as c:
        assert c.get("/trending").status_code == 401
        assert c.get("/trending", headers={"X-API-Key": key}).status_code == 200


def test_a_key_over_its_rate_limit_gets_429_with_retry_after(service):
    from fastapi.testclient import TestClient  # lazy: as the conftest's clients

    from shopmind.api import create_app  # lazy: as above
    from shopmind.settings import ApiSettings  # lazy: as above

    slow = _stored_key(service.store, "read", rate_limit=0.001)  # bursts of 1, then one per 1,000 s
    settings = ApiSettings(keys="fast:read", rate_limit=1000.0, rate_burst=5)
    with TestClient(create_app(service, settings), raise_server_exceptions=False) as c:
        assert c.get("/trending", headers={"X-API-Key": slow}).status_code == 200
        res = c.get("/trending", headers={"X-API-Key": slow})
        assert res.status_code == 429 and res.json()["error"]["code"] == "rate_limited"
        assert 990 <= int(res.headers["Retry-After"]) <= 1000
        codes = [c.get("/trending", headers={"X-API-Key": "fast"}).status_code for _ in range(5)]
        assert codes == [200] * 5  # other keys keep their own budget
        assert c.get("/recommendations/u1", headers={"X-API-Key": slow}).status_code == 429  # the hot path too
        assert c.get("/health").status_code == 200  # health checks are never limited


def test_405_names_every_allowed_method(client):
    res = client.put("/items/abc", headers={"X-API-Key": "writer-key"})
    assert res.status_code == 405
    assert set(res.headers["Allow"].split(", ")) >= {"GET", "DELETE"}
    assert "DELETE" in res.json()["error"]["message"]
    res = client.delete("/models/retrain")
    assert res.status_code == 405 and {"GET", "POST"} <= set(res.headers["Allow"].split(", "))
