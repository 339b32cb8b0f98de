"""Profiles, segments and audiences over HTTP: one error shape, API-key scopes."""

from __future__ import annotations

from shopmind.customers.config import CustomerSettings
from shopmind.customers.refresh import refresh

READ = {"X-API-Key": "reader-key"}


def _refreshed(client, service):
    refresh(service.store, CustomerSettings(), full=True)
    return client


def test_profile_and_errors(client, service, trained_shop):
    assert client.get("/users/U00001/profile", headers=READ).status_code == 404  # before any refresh
    _refreshed(client, service)
    user = trained_shop.heavy_user()
    r = client.get(f"/users/{user}/profile", headers=READ)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["user_id"] == user and doc["summary"]["en"] and doc["summary"]["zh"]
    assert doc["attributes"] and "interests" in doc
    missing = client.get("/users/nobody/profile", headers=READ)
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "user_id"
    assert client.get(f"/users/{user}/profile").status_code == 401


def test_segments_members_and_paging(client, service):
    _refreshed(client, service)
    segs = client.get("/segments", headers=READ).json()
    ids = [s["segment_id"] for s in segs]
    assert "rfm:champions" in ids and any(i.startswith("kmeans:") for i in ids)
    assert set(segs[0]) == {"segment_id", "kind", "name", "name_zh", "size", "share"}
    big = max(segs, key=lambda s: s["size"])
    one = client.get(f"/segments/{big['segment_id']}", headers=READ).json()
    assert one["size"] == big["size"] and "lift" in one and "rfm_mix" in one
    page1 = client.get(f"/segments/{big['segment_id']}/users", headers=READ, params={"limit": 2}).json()
    page2 = client.get(f"/segments/{big['segment_id']}/users", headers=READ,
                       params={"limit": 2, "offset": 2}).json()
    assert len(page1["user_ids"]) == 2 and page1["size"] == big["size"] and page1["user_ids"] != page2["user_ids"]
    r = client.get("/segments/nope:1", headers=READ)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = client.get(f"/segments/{big['segment_id']}/users", headers=READ, params={"limit": 0})
    assert r.status_code == 422 and r.json()["error"]["field"] == "limit"


def test_audiences_and_rejected_expressions(client, service):
    _refreshed(client, service)
    r = client.post("/audiences", headers=READ, json={"where": "stage in (active, new) or orders > 1", "limit": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] >= len(body["user_ids"]) and len(body["user_ids"]) <= 3
    r = client.post("/audiences", headers=READ, json={"where": "clv_12m > 100 and colour = red"})
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["field"] == "where" and err["details"] == {"token": "colour", "position": 19}
    assert "unknown field 'colour'" in err["message"]
    assert client.post("/audiences", headers=READ, json={"where": ""}).status_code == 422
