"""Request limits end to end: an over-long body is refused from its declared length before it is read (no
stall), a streamed one when it passes the limit, an over-long batch is 422 naming the field."""

from __future__ import annotations

import socket

from fastapi.testclient import TestClient

from shopmind.api import create_app
from shopmind.api.schemas import MAX_BATCH
from shopmind.api.server import ThreadedServer
from shopmind.settings import ApiSettings


def test_declared_oversize_body_is_413_before_the_body_is_sent(service):
    app = create_app(service, ApiSettings(max_body_bytes=1024))
    with ThreadedServer(app) as server, socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        # headers only: a server that waited for the 100 MB body would time out here instead of answering
        sock.sendall(b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 104857600\r\n\r\n")
        head = sock.recv(65536).decode("latin-1")
    assert head.startswith("HTTP/1.1 413"), head
    assert "payload_too_large" in head and "1,024 bytes" in head


def test_batches_longer_than_the_limit_are_422_naming_the_field(service):
    with TestClient(create_app(service, ApiSettings()), raise_server_exceptions=False) as client:
        events = [{"user_id": "u", "item_id": "i", "type": "view"}] * (MAX_BATCH + 1)
        res = client.post("/events", json={"events": events})
        assert res.status_code == 422 and res.json()["error"]["field"] == "events"
        res = client.post("/items/delete", json={"item_ids": ["x"] * (MAX_BATCH + 1)})
        assert res.status_code == 422 and res.json()["error"]["field"] == "item_ids"
        res = client.post("/events", json={"events": []})
        assert res.status_code == 422 and res.json()["error"]["field"] == "events"


def test_one_layer_counts_requests_by_route_template_and_413s(service):
    app = create_app(service, ApiSettings(max_body_bytes=1024))
    metrics = app.state.metrics
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/recommendations/nobody", params={"n": 3}).status_code == 200
        assert client.post("/events", content=b"x" * 2048, headers={"Content-Type": "application/json"}
                           ).status_code == 413
    assert metrics.requests.value(("GET", "/recommendations/{user_id}", "200")) == 1
    assert metrics.requests.value(("POST", "unmatched", "413")) == 1
