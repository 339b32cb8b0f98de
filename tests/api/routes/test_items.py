"""Batch writes: items, users and events - per-row errors, idempotency, immediate effect."""

from __future__ import annotations

READ, WRITE = {"X-API-Key": "reader-key"}, {"X-API-Key": "writer-key"}


def _recs(client, user, **params):
    response = client.get(f"/recommendations/{user}", headers=READ, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_item_upserts_and_deletes_take_effect_at_once(client, trained_shop):
    user = trained_shop.heavy_user()
    top = _recs(client, user, n=3)["items"][0]["item_id"]
    item = client.get(f"/items/{top}", headers=READ).json()
    assert item["item_id"] == top
    item["in_stock"] = False
    body = client.post("/items", headers=WRITE, json={"items": [item]}).json()
    assert body["updated"] == 1 and body["rejected"] == 0
    assert top not in [i["item_id"] for i in _recs(client, user, n=20)["items"]]

    new = {"item_id": "NEW-1", "title": "Brand new serum", "category": "Beauty > Skin Care > Serums",
           "brand": "Dewy Lab", "price": 99, "created_at": "2030-01-01T00:00:00Z"}
    assert client.post("/items", headers=WRITE, json={"items": [new]}).json()["inserted"] == 1
    fresh = _recs(client, "someone-new", n=10, filter="item:NEW-1")
    assert [(i["item_id"], i["source"], i["reason"]) for i in fresh["items"]] == [("NEW-1", "new", "new arrival")]

    deleted = client.post("/items/delete", headers=WRITE, json={"item_ids": ["NEW-1", "NEVER"]}).json()
    assert deleted == {"deleted": 1, "not_found": ["NEVER"]}
    assert _recs(client, "someone-new", n=10, filter="item:NEW-1")["items"] == []
    assert client.get("/items/NEW-1/similar", headers=READ).status_code == 404
    assert client.delete(f"/items/{top}", headers=WRITE).json()["deleted"] == 1


def test_users_upsert_and_delete(client):
    body = client.post("/users", headers=WRITE, json={"users": [{"user_id": "api-user", "attributes": {"tier": "gold"}},
                                                              {"user_id": ""}]}).json()
    assert (body["inserted"], body["rejected"]) == (1, 1) and body["errors"][0]["field"] == "users[1].user_id"
    receipt = client.delete("/users/api-user", headers=WRITE).json()  # the erasure receipt (see test_privacy.py)
    assert receipt["user_id"] == "api-user" and receipt["deleted"]["users"] == 1
    assert client.post("/users/delete", headers=WRITE, json={"user_ids": ["x"]}).json() == \
        {"deleted": 0, "not_found": ["x"]}
