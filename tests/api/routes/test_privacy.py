"""GET /users/{id}, GET /users/{id}/export, DELETE /users/{id} and POST /users/delete."""

from __future__ import annotations

from fastapi.testclient import TestClient

from fixtures.shop import TrainedShop
from shopmind.pipeline import RecommendationService

READ, WRITE = {"X-API-Key": "reader-key"}, {"X-API-Key": "writer-key"}


def _recs(client: TestClient, user: str) -> list[str]:
    r = client.get(f"/recommendations/{user}?n=10", headers=READ)
    assert r.status_code == 200
    return [i["item_id"] for i in r.json()["items"]]


def test_delete_user_erases_everywhere_and_answers_the_receipt(client: TestClient, service: RecommendationService,
                                                               trained_shop: TrainedShop) -> None:
    user = trained_shop.heavy_user()
    before = client.get(f"/users/{user}", headers=READ)
    assert before.status_code == 200 and before.json()["events"] > 0
    assert _recs(client, user) != _recs(client, "brand-new-shopper")
    r = client.delete(f"/users/{user}", headers=WRITE)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["user_id"] == user and body["deleted"]["events"] == before.json()["events"]
    assert body["models"] == [{"version": service.versions.active.version, "action": "exact",  # type: ignore[union-attr]
                               "artifact": None}]
    assert {"request_id", "requested_at", "completed_at"} <= set(body)
    assert client.get(f"/users/{user}", headers=READ).status_code == 404
    assert _recs(client, user) == _recs(client, "brand-new-shopper")
    assert client.delete(f"/users/{user}", headers=WRITE).status_code == 404  # nothing left to erase
    assert client.get(f"/users/{user}/export", headers=WRITE).status_code == 404


def test_privacy_routes_need_their_scopes(client: TestClient, trained_shop: TrainedShop) -> None:
    user = trained_shop.heavy_user()
    assert client.delete(f"/users/{user}", headers=READ).status_code == 403
    assert client.get(f"/users/{user}/export", headers=READ).status_code == 403  # personal data: write scope
    assert client.get(f"/users/{user}").status_code == 401


def test_export_returns_the_users_data(client: TestClient, trained_shop: TrainedShop) -> None:
    user = trained_shop.heavy_user()
    r = client.get(f"/users/{user}/export", headers=WRITE)
    assert r.status_code == 200
    doc = r.json()
    assert doc["user_id"] == user and doc["store"]["events"] and doc["models"][0]["history_items"]
    assert {e["user_id"] for e in doc["store"]["events"]} == {user}


def test_batch_delete_erases_each_user(client: TestClient, service: RecommendationService,
                                       trained_shop: TrainedShop) -> None:
    user = trained_shop.heavy_user()
    r = client.post("/users/delete", json={"user_ids": [user, "nobody-at-all"]}, headers=WRITE)
    assert r.status_code == 200 and r.json() == {"deleted": 1, "not_found": ["nobody-at-all"]}
    assert len(service.store.events_frame(user_ids=[user])) == 0
