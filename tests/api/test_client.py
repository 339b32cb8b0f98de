"""The Python client against the app (through TestClient) and against a live uvicorn server."""

from __future__ import annotations

import pytest

from shopmind.api.client import ShopmindAPIError, ShopmindClient


@pytest.fixture()
def sm(client) -> ShopmindClient:
    return ShopmindClient(api_key="writer-key", http=client)


def test_client_mirrors_the_endpoints(sm, trained_shop):
    user = trained_shop.heavy_user()
    assert sm.health() == {"status": "ok"} and sm.ready()["status"] == "ready"
    written = sm.insert_events([{"event_id": "c-1", "user_id": user, "item_id": "SKU00004", "type": "view"}])
    assert written["inserted"] == 1
    rec = sm.recommend(user, n=5, filters="category:Beauty", diversity=0.8, explore=0, context={"page": "home"})
    assert rec["items"] and all(i["category"].startswith("Beauty") for i in rec["items"])
    seen = set(trained_shop.data.items.raws(trained_shop.data.history(trained_shop.data.users.index(user))))
    unseen = next(i for i in trained_shop.items.item_id if i not in seen)
    assert sm.recommend(user, n=3, pins=[f"{unseen}@0"])["items"][0]["item_id"] == unseen
    assert len(sm.recommend_session(["SKU00004"], n=3)["items"]) == 3
    assert sm.rerank(["SKU00001", "SKU00002", "SKU00003"], user_id=user, n=2)["items"]
    assert sm.similar("SKU00004", n=3)["items"] and "items" in sm.bought_together("SKU00004", n=3)
    assert sm.trending("7d", n=3)["window"] == "7d"
    assert sm.upsert_items([{"item_id": "CLIENT-1", "title": "x"}])["inserted"] == 1
    assert sm.get_item("CLIENT-1")["title"] == "x"
    assert sm.delete_items(["CLIENT-1"])["deleted"] == 1
    assert sm.upsert_users([{"user_id": "client-user"}])["inserted"] == 1
    assert sm.delete_users(["client-user"])["deleted"] == 1
    assert len(sm.models()) == 1 and "shopmind_http_requests_total" in sm.metrics()


def test_client_raises_the_api_error(sm, client):
    with pytest.raises(ShopmindAPIError) as e:
        sm.similar("NO-SUCH-ITEM")
    assert (e.value.status, e.value.code, e.value.field) == (404, "not_found", "item_id")
    with pytest.raises(ShopmindAPIError) as e:
        ShopmindClient(api_key="reader-key", http=client).insert_events([{"user_id": "u", "type": "view"}])
    assert e.value.status == 403
