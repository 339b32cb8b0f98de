"""Every error the API gives has the one shape {"error": {"code", "message", "field"?, "details"?}} -
one request per kind of error - and malformed traffic never produces a 500."""

from __future__ import annotations

from typing import Any

import pytest

READ, WRITE = {"X-API-Key": "reader-key"}, {"X-API-Key": "writer-key"}


def assert_error(response: Any, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    err = body["error"]
    assert set(err) <= {"code", "message", "field", "details"}
    assert err["code"] == code and isinstance(err["message"], str) and err["message"]
    if field is not None:
        assert err.get("field") == field, err
    return err


CASES = [
    # (method, path, request kwargs, status, code, field)
    ("post", "/events", {"headers": WRITE, "content": b'{"events": [', "_ctype": True}, 400, "malformed_json", None),
    ("get", "/recommendations/u1", {}, 401, "unauthorized", "X-API-Key"),
    ("get", "/recommendations/u1", {"headers": {"X-API-Key": "nope"}}, 401, "unauthorized", "X-API-Key"),
    ("post", "/events", {"headers": READ, "json": {"events": [{"user_id": "u"}]}}, 403, "forbidden", "X-API-Key"),
    ("get", "/items/NOPE/similar", {"headers": READ}, 404, "not_found", "item_id"),
    ("get", "/no/such/endpoint", {"headers": READ}, 404, "not_found", None),
    ("put", "/health", {}, 405, "method_not_allowed", None),
    ("post", "/events", {"headers": WRITE, "content": b"x" * (65 * 1024), "_ctype": True}, 413,
     "payload_too_large", None),
    ("post", "/events", {"headers": {**WRITE, "content-type": "text/plain"}, "content": b"events"}, 415,
     "unsupported_media_type", "body"),
    ("get", "/recommendations/u1", {"headers": READ, "params": {"n": "ten"}}, 422, "validation_error", "n"),
    ("post", "/events", {"headers": WRITE, "json": {"evnts": []}}, 422, "validation_error", "events"),
    ("post", "/events", {"headers": WRITE, "json": {"events": "not a list"}}, 422, "validation_error", "events"),
    ("post", "/events", {"headers": WRITE, "json": {"events": [{"user_id": "u", "item_id": "i", "type": "fly"}]}},
     422, "validation_error", "events[0].type"),
    ("post", "/items", {"headers": WRITE, "json": {"items": [{"item_id": "x", "price": "cheap"}]}}, 422,
     "validation_error", "items[0].price"),
    ("post", "/rerank", {"headers": READ, "json": {"item_ids": ["a"], "options": {"diversity": 3}}}, 422,
     "validation_error", "options.diversity"),
    ("get", "/recommendations/u1", {"headers": READ, "params": {"filter": "colour:red"}}, 422, "validation_error",
     "filter"),
    ("get", "/trending", {"headers": READ, "params": {"window": "1y"}}, 422, "validation_error", "window"),
    ("post", "/models/rollback", {"headers": WRITE}, 409, "conflict", None),
]


FUZZ = [
    ("post", "/events", {"json": {"events": [None, 1, "x", [], {}]}}),
    ("post", "/events", {"json": {"events": [{"user_id": {"a": 1}, "item_id": [1], "type": 3, "timestamp": "soon",
                                              "value": "lots", "context": "{not json"}]}}),
    ("post", "/events", {"json": [1, 2, 3]}),
    ("post", "/events", {"json": None}),
    ("post", "/events", {"content": b"\xff\xfe\x00", "headers": {"content-type": "application/json"}}),
    ("post", "/items", {"json": {"items": [{"item_id": "", "in_stock": "perhaps", "created_at": "yesterday"}]}}),
    ("post", "/items", {"json": {"items": [{"item_id": "a" * 300}]}}),
    ("post", "/users", {"json": {"users": [{"user_id": None, "attributes": 5}]}}),
    ("post", "/items/delete", {"json": {"item_ids": [1, None]}}),
    ("get", "/recommendations/u1", {"params": {"n": -1, "offset": "x", "diversity": "high"}}),
    ("get", "/recommendations/u1", {"params": {"pin": "NOPE@1"}}),
    ("get", "/recommendations/u1", {"params": {"pin": "SKU00001@x"}}),
    ("get", "/recommendations/u1", {"params": {"boost": "brand:Acme^x", "promote": "price:1..0"}}),
    ("get", "/recommendations/u1", {"params": {"min_price": 50, "max_price": 10}}),
    ("get", "/recommendations/u1", {"params": {"context": "no-colon", "attr": "=="}}),
    ("get", "/recommendations/" + "u" * 300, {}),
    ("post", "/recommendations/session", {"json": {"item_ids": "SKU00001"}}),
    ("post", "/recommendations", {"json": {"user_id": "u1", "options": {"filters": [{"brand": 5}], "pins": [{}]}}}),
    ("post", "/recommendations", {"json": {"user_id": "u1", "options": {"filters": [{}]}}}),
    ("post", "/rerank", {"json": {"item_ids": []}}),
    ("post", "/models/activate", {"json": {"version": "nope"}}),
    ("post", "/models/reload", {"json": {"name": "../../etc"}}),
    ("get", "/items/SKU00001/similar", {"params": {"n": 100000}}),
    ("delete", "/items/NOPE", {}),
    ("delete", "/users/NOPE", {}),
]


@pytest.mark.parametrize("method, path, kwargs, status, code, field", CASES,
                         ids=[f"{c[3]}-{c[4]}-{i}" for i, c in enumerate(CASES)])
def test_every_error_has_the_one_shape(client, method, path, kwargs, status, code, field):
    kwargs = dict(kwargs)
    if kwargs.pop("_ctype", False):
        kwargs["headers"] = {**kwargs["headers"], "content-type": "application/json"}
    assert_error(getattr(client, method)(path, **kwargs), status, code, field)


def test_a_streamed_body_over_the_limit_is_413(client):
    def chunks():
        for _ in range(20):
            yield b"x" * 8192

    response = client.post("/events", headers={**WRITE, "content-type": "application/json"}, content=chunks())
    assert_error(response, 413, "payload_too_large")


def test_an_internal_error_is_500_with_the_shape_and_no_internals(client, service, monkeypatch):
    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(service, "recommend", boom)
    err = assert_error(client.get("/recommendations/u1", headers=READ), 500, "internal_error")
    assert "secret" not in err["message"]


def test_missing_keys_are_named_per_row(client):
    response = client.post("/events", headers=WRITE, json={"events": [{"item_id": "SKU00001"}]})
    err = assert_error(response, 422, "validation_error", "events[0].user_id")
    fields = {d["field"] for d in err["details"]}
    assert {"events[0].user_id", "events[0].type"} <= fields


@pytest.mark.parametrize("method, path, kwargs", FUZZ, ids=[str(i) for i in range(len(FUZZ))])
def test_malformed_traffic_gets_a_4xx_never_a_500(client, method, path, kwargs):
    kwargs = dict(kwargs)
    kwargs["headers"] = {**WRITE, **kwargs.get("headers", {})}
    response = getattr(client, method)(path, **kwargs)
    assert 400 <= response.status_code < 500, response.text
    err = response.json()["error"]
    assert err["code"] and err["message"]
