"""/search over the test shop: results, facets, suggest, click, analytics, one error shape for bad input."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from shopmind.api import create_app
from shopmind.pipeline import RecommendationService
from shopmind.search.service import SearchService
from shopmind.settings import ApiSettings


@pytest.fixture()
def api(service: RecommendationService) -> Iterator[TestClient]:
    search = SearchService.open(service.store, service)
    settings = ApiSettings(keys="r:read,w:write")
    with TestClient(create_app(service, settings, search=search), raise_server_exceptions=False) as c:
        c.headers["X-API-Key"] = "w"
        yield c


def test_search_suggest_click_analytics(api: TestClient) -> None:
    r = api.get("/search", params={"q": "dress under 500", "limit": 3, "user_id": "U00001"})
    assert r.status_code == 200
    body = r.json()
    assert body["constraints"] == {"price_max": 500.0} and len(body["items"]) <= 3
    assert {"category", "brand", "price", "attributes"} <= set(body["facets"])
    item = body["items"][0]
    click = api.post("/search/click", json={"search_id": body["search_id"], "item_id": item["item_id"], "position": 0})
    assert click.status_code == 200
    assert api.get("/search/analytics").json()["clicks"] >= 1
    assert api.get("/search/suggest", params={"q": "dre"}).status_code == 200
    r = api.get("/search", params={"q": "", "attr.colour": "Black", "in_stock": "true", "sort": "price_desc"})
    assert r.status_code == 200


@pytest.mark.parametrize("params", [{"q": "x", "color": "red"}, {"q": "x", "price_min": "-5"},
                                    {"q": "x", "price_max": "abc"}, {"q": "a" * 10_001}, {"q": "x", "sort": "?"},
                                    {"q": "x", "limit": "1000"}, {"q": "x", "in_stock": "maybe"}])
def test_bad_input_is_a_422_in_the_one_error_shape(api: TestClient, params: dict[str, str]) -> None:
    r = api.get("/search", params=params)
    assert r.status_code == 422 and set(r.json()["error"]) >= {"code", "message", "field"}


@pytest.mark.parametrize("q", ['"', "*", "NEAR", "a OR b", "😀", "\x01\x02", "   "])
def test_hostile_queries_are_results(api: TestClient, q: str) -> None:
    assert api.get("/search", params={"q": q}).status_code == 200


def test_search_needs_a_key_and_an_index(service: RecommendationService) -> None:
    with TestClient(create_app(service, ApiSettings(keys="r:read")), raise_server_exceptions=False) as c:
        assert c.get("/search", params={"q": "x"}).status_code == 401
        assert c.get("/search", params={"q": "x"}, headers={"X-API-Key": "r"}).status_code == 503


def test_the_shops_synonyms_over_rest(api: TestClient) -> None:
    """A word the catalog does not use finds nothing; a one-way group makes it find what the target finds; a
    read key lists the groups but cannot change them; bad groups are a 422 naming the field."""
    word = "zqxjunkword"
    assert api.get("/search", params={"q": word}).json()["total"] == 0
    target = api.get("/search", params={"q": "dress", "limit": 5}).json()
    assert target["total"] > 0
    r = api.post("/search/synonyms", json={"words": [word], "to": ["dress"]})
    assert r.status_code == 200, r.text
    group = r.json()
    assert group["line"] == f"{word} => dress" and group["two_way"] is False
    found = api.get("/search", params={"q": word, "limit": 5}).json()
    assert found["total"] > 0
    assert {i["item_id"] for i in found["items"]} & {i["item_id"] for i in target["items"]}
    listed = api.get("/search/synonyms", headers={"X-API-Key": "r"}).json()
    assert listed["count"] == 1 and listed["groups"][0]["group_id"] == group["group_id"]
    assert api.post("/search/synonyms", json={"words": ["a", "b"]}, headers={"X-API-Key": "r"}).status_code == 403
    r = api.post("/search/synonyms", json={"words": ["lonely"]})
    assert r.status_code == 422 and r.json()["error"]["field"] == "words"
    r = api.post("/search/synonyms", json={"words": ["ok", "!!!"]})
    assert r.status_code == 422 and r.json()["error"]["field"] == "words[1]"
    assert api.post("/search/synonyms", json={"words": "dress, frock"}).status_code == 422
    r = api.delete(f"/search/synonyms/{group['group_id']}")
    assert r.status_code == 200 and r.json()["deleted"]["group_id"] == group["group_id"]
    assert api.get("/search", params={"q": word}).json()["total"] == 0
    r = api.delete(f"/search/synonyms/{group['group_id']}")
    assert r.status_code == 404 and r.json()["error"]["field"] == "group_id"
