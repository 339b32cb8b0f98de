"""/campaigns over the tiny trained shop: create (bad documents are 422 naming the field), list, get, deliver
(creative and coupon from the trained model, restricted to the offer's items, or the reason for none), redeem
(accepted once, then refused with a reason; also as a `coupon_redeem` event on /events), report, stop; scopes;
deleting a user removes their deliveries."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from fixtures.shop import TrainedShop

READ, WRITE = {"X-API-Key": "reader-key"}, {"X-API-Key": "writer-key"}


def spec(shop: TrainedShop, **over: Any) -> dict[str, Any]:
    users = sorted(shop.data.users.raws(range(shop.data.n_users)))[:60]
    doc = {"campaign_id": "spring", "audience": {"user_ids": users}, "channel": "onsite", "control_share": 0.25,
           "creatives": [{"creative_id": "hero", "headline": "Picked for you: {offer}", "items": 3}],
           "offer": {"kind": "percent", "value": 10, "items": shop.items["item_id"].tolist()[:40],
                     "budget": 1000}}
    doc.update(over)
    return doc


def test_campaign_lifecycle(client: TestClient, trained_shop: TrainedShop) -> None:
    doc = spec(trained_shop)
    assert client.post("/campaigns", json=doc, headers=READ).status_code == 403
    r = client.post("/campaigns", json=doc, headers=WRITE)
    assert r.status_code == 201 and r.json()["audience_size"] == 60 and r.json()["status"] == "running"
    for bad, field in (({"colour": 1}, "colour"), ({"offer": {**doc["offer"], "budget": -5}}, "offer.budget"),
                       ({"offer": {**doc["offer"], "items": ["no-such-item"]}}, "offer.items"),
                       ({"audience": {"user_ids": []}}, "audience.user_ids"), ({}, "campaign_id")):
        answer = client.post("/campaigns", json={**doc, **bad, "campaign_id": "x" if bad else "spring"},
                             headers=WRITE)
        assert answer.status_code == 422 and answer.json()["error"]["field"] == field, (bad, answer.json())
    assert [c["campaign_id"] for c in client.get("/campaigns", headers=READ).json()] == ["spring"]
    assert client.get("/campaigns/spring", headers=READ).json()["offer"]["value"] == 10
    assert client.get("/campaigns/nope", headers=READ).status_code == 404

    eligible = set(doc["offer"]["items"])
    outcomes: dict[str, list[dict[str, Any]]] = {}
    for user in doc["audience"]["user_ids"]:
        d = client.get("/campaigns/spring/deliver", params={"user_id": user}, headers=WRITE).json()
        outcomes.setdefault(d["reason"] or "delivered", []).append(d)
    assert set(outcomes) == {"delivered", "control"} and len(outcomes["control"]) < 30
    got = outcomes["delivered"][0]
    assert got["headline"] == "Picked for you: 10% off" and got["model_version"] and got["recommendation_id"]
    assert {i["item_id"] for i in got["items"]} <= eligible and got["coupon"]["code"].startswith("SM-")
    again = client.get("/campaigns/spring/deliver", params={"user_id": got["user_id"]}, headers=WRITE).json()
    assert again["reason"] == "capped"
    outsider = client.get("/campaigns/spring/deliver", params={"user_id": "nobody"}, headers=WRITE).json()
    assert outsider == {**outsider, "delivered": False, "reason": "not_in_audience"}

    code, user, item = got["coupon"]["code"], got["user_id"], got["items"][0]["item_id"]
    ok = client.post("/coupons/redeem", json={"code": code, "user_id": user, "items": [item]}, headers=WRITE).json()
    assert ok["accepted"] is True and ok["discount"] > 0
    twice = client.post("/events", headers=WRITE, json={"events": [
        {"event_id": "r2", "user_id": user, "type": "coupon_redeem", "item_id": item, "context": {"code": code}}]})
    assert twice.status_code == 200 and twice.json()["coupons"][0] == {**twice.json()["coupons"][0],
                                                                        "accepted": False, "reason": "code_used"}
    report = client.get("/campaigns/spring/report", headers=READ).json()
    assert report["funnel"]["redemptions"] == 1 and report["funnel"]["deliveries"] == len(outcomes["delivered"])
    assert report["analysis"]["srm"]["mismatch"] is False

    assert client.delete(f"/users/{user}", headers=WRITE).status_code == 200  # a deleted user's rows go
    after = client.get("/campaigns/spring/report", headers=READ).json()["funnel"]
    assert after["deliveries"] == len(outcomes["delivered"]) - 1 and after["redemptions"] == 0
    assert client.post("/campaigns/spring/stop", headers=WRITE).json()["status"] == "stopped"
    over = client.get("/campaigns/spring/deliver", params={"user_id": user}, headers=WRITE).json()
    assert over["reason"] == "campaign_over"
