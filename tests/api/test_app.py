"""API keys and scopes; health, readiness, metrics, docs and model versions over HTTP."""

from __future__ import annotations


def test_openapi_documents_the_endpoints_and_error_shape(client):
    spec = client.get("/openapi.json").json()
    paths = set(spec["paths"])
    assert {"/recommendations/{user_id}", "/recommendations/session", "/rerank", "/items/{item_id}/similar",
            "/items/{item_id}/bought-together", "/trending", "/events", "/items", "/users", "/health", "/ready",
            "/metrics", "/models", "/models/rollback"} <= paths
    assert "ErrorOut" in spec["components"]["schemas"]
