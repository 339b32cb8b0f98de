"""The read endpoints: recommendations with rules in query parameters, sessions, re-ranking, similar
items, bought together and trending."""

from __future__ import annotations

import numpy as np

READ, WRITE = {"X-API-Key": "reader-key"}, {"X-API-Key": "writer-key"}


def _get(client, path, **params):
    response = client.get(path, headers=READ, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_recommendations_carry_source_reason_and_id(client, trained_shop):
    body = _get(client, f"/recommendations/{trained_shop.heavy_user()}", n=5)
    assert len(body["items"]) == 5 and len(body["recommendation_id"]) == 32 and body["cold_start"] is False
    for item in body["items"]:
        assert {"item_id", "score", "source", "reason", "position"} <= set(item) and item["reason"]
    assert body["model_version"].startswith("itemknn")


def test_unknown_user_is_cold_start_not_an_error(client):
    body = _get(client, "/recommendations/nobody-at-all", n=4)
    assert body["cold_start"] is True and len(body["items"]) == 4


def test_rules_in_query_parameters_are_visible(client, trained_shop):
    user = trained_shop.heavy_user()
    items = trained_shop.items.set_index("item_id")
    pinned = trained_shop.showable_items(user)[-1]
    brand = trained_shop.items.brand.value_counts().index[0]
    body = _get(client, f"/recommendations/{user}", n=10, pin=f"{pinned}@1", promote=f"brand:{brand}",
                promote_share=0.2, explore=1, max_per_category=2, category_level=1)
    sources = [i["source"] for i in body["items"]]
    assert body["items"][1]["item_id"] == pinned and sources[1] == "pinned"
    assert sources.count("promoted") == 2 and sources.count("exploration") == 1
    promoted = [i["item_id"] for i in body["items"] if i["source"] == "promoted"]
    assert set(items.loc[promoted, "brand"]) == {brand}
    organic = [i for i in body["items"] if i["source"] not in ("pinned", "promoted", "exploration")]
    roots = [i["category"].split(" > ")[0] for i in organic]
    assert max(roots.count(r) for r in roots) <= 2

    filtered = _get(client, f"/recommendations/{user}", n=10, category="Beauty", max_price=500)
    assert filtered["items"] and all(i["category"].startswith("Beauty") for i in filtered["items"])
    excluded = [i["item_id"] for i in filtered["items"][:2]]
    again = _get(client, f"/recommendations/{user}", n=10, category="Beauty", max_price=500,
                 exclude=",".join(excluded))
    assert not set(excluded) & {i["item_id"] for i in again["items"]}


def test_context_item_anchors_the_list(client, service):
    item = service.state.catalog.raw(int(np.argmax(np.diff(service.state.viewed_together.indptr))))
    body = _get(client, "/recommendations/anon-7", n=5, context=f"item_id:{item}")
    assert any(i["because_item_id"] == item for i in body["items"])
    assert item not in [i["item_id"] for i in body["items"]]


def test_structured_post_session_and_rerank(client, trained_shop):
    user = trained_shop.heavy_user()
    body = client.post("/recommendations", headers=READ, json={
        "user_id": user, "n": 5, "options": {"filters": ["category:Beauty", {"max_price": 1000}],
                                             "boosts": [{"brand": "Dewy Lab", "weight": 1.0}]}}).json()
    assert body["items"] and all(i["category"].startswith("Beauty") for i in body["items"])

    session = client.post("/recommendations/session", headers=READ,
                          json={"item_ids": ["SKU00001", "SKU00002", "nope"], "n": 4}).json()
    assert len(session["items"]) == 4 and session["unknown_item_ids"] == ["nope"]
    assert not {"SKU00001", "SKU00002"} & {i["item_id"] for i in session["items"]}

    given = list(trained_shop.items.item_id[:8])
    reranked = client.post("/rerank", headers=READ, json={"item_ids": [*given, "zzz"], "user_id": user, "n": 4,
                                                          "options": {"pins": [{"item_id": given[-1]}]}}).json()
    assert reranked["items"][0]["item_id"] == given[-1] and reranked["unknown_item_ids"] == ["zzz"]
    assert {i["item_id"] for i in reranked["items"]} <= set(given)


def test_similar_bought_together_and_trending(client, service):
    item = "SKU00010"
    similar = _get(client, f"/items/{item}/similar", n=5)
    assert similar["items"] and item not in [i["item_id"] for i in similar["items"]]
    together = _get(client, f"/items/{item}/bought-together", n=5)
    assert all(i["reason"].split(" with ")[0] in ("bought together", "viewed together") for i in together["items"])
    missing = client.get("/items/NO-SUCH/bought-together", headers=READ)
    assert missing.status_code == 404 and missing.json()["error"]["details"] == {"id": "NO-SUCH"}

    hot = "SKU00099"
    client.post("/events", headers=WRITE, json={"events": [
        {"user_id": f"t{i}", "item_id": hot, "type": "purchase"} for i in range(6)]})
    trending = _get(client, "/trending", window="1h", n=3)
    assert trending["window"] == "1h" and trending["items"][0]["item_id"] == hot
    assert trending["items"][0]["source"] == "trending"


def test_the_hand_written_json_is_what_the_response_model_writes(service, trained_shop):
    import json

    from shopmind.api.routes.common import recommendation_json
    from shopmind.api.schemas import RecommendationOut
    from shopmind.pipeline.results import Recommendation, RecommendedItem

    recs = [service.recommend(trained_shop.heavy_user(), n=5), service.recommend_for_session(["SKU00001", "x"]),
            service.trending("24h", n=3),
            Recommendation("r" * 32, [RecommendedItem("é\"\\/\u2028", float("nan"), "model", "ü 新", 0)], None,
                           None, True, {"unknown_item_ids": []})]
    for rec in recs:
        assert recommendation_json(rec) == RecommendationOut.of(rec).model_dump_json().encode()
        assert json.loads(recommendation_json(rec))["items"] is not None


def test_get_parameters_are_validated_and_documented(client, trained_shop):
    for params, field in (({"n": 0}, "n"), ({"n": 201}, "n"), ({"n": "ten"}, "n"), ({"offset": -1}, "offset"),
                          ({"offset": 10_001}, "offset"), ({"long_tail": 2}, "long_tail"),
                          ({"long_tail": "most"}, "long_tail"), ({"n": ""}, "n"), ({"diversity": ""}, "diversity"),
                          ({"filter_seen": ""}, "filter_seen")):
        response = client.get("/recommendations/u1", headers=READ, params=params)
        assert response.status_code == 422 and response.json()["error"]["field"] == field, params
    response = client.get("/recommendations/" + "u" * 257, headers=READ)
    assert response.status_code == 422 and response.json()["error"]["field"] == "user_id"
    assert client.get("/recommendations/" + "u" * 256, headers=READ).status_code == 200
    body = _get(client, f"/recommendations/{trained_shop.heavy_user()}", n=3, offset=2)
    assert [i["position"] for i in body["items"]] == [2, 3, 4]
    spec = client.get("/openapi.json").json()["paths"]["/recommendations/{user_id}"]["get"]
    params = {p["name"]: p for p in spec["parameters"]}
    assert {"user_id", "n", "offset", "filter", "diversity", "long_tail"} <= set(params)
    assert params["user_id"]["in"] == "path" and params["n"]["schema"]["maximum"] == 200
    assert "RecommendationOut" in str(spec["responses"]["200"])


def test_json_options_take_their_schema_types_strictly(client, trained_shop):
    user = trained_shop.heavy_user()
    for options, field in (({"filter_seen": 0}, "filter_seen"), ({"long_tail": False}, "long_tail"),
                           ({"diversity": "0.5"}, "diversity"), ({"explore": 1.5}, "explore")):
        r = client.post("/recommendations", headers=READ, json={"user_id": user, "options": options})
        assert r.status_code == 422 and field in r.json()["error"]["field"], (options, r.json())
    ok = client.post("/recommendations", headers=READ, json={"user_id": user, "n": 4,
                                                            "options": {"long_tail": 1, "diversity": 1}})
    assert ok.status_code == 200 and len(ok.json()["items"]) == 4  # an integer is a fine number


def test_the_hot_route_answers_other_methods_as_the_routers_do(client):
    # GET is served ahead of the routers; any other method falls through to them (405 naming the methods)
    assert client.get("/recommendations/session", headers=READ).status_code == 200  # a user named "session"
    for method in ("HEAD", "PUT", "DELETE"):
        res = client.request(method, "/recommendations/u1", headers=READ)
        assert res.status_code == 405 and res.headers["allow"].startswith("GET"), (method, res.headers)
    res = client.put("/recommendations/session", headers=READ)
    assert res.status_code == 405 and "POST" in res.headers["allow"]
    assert client.get("/recommendations/u1", params={"n": 0}, headers=READ).json()["error"]["field"] == "n"
    assert client.get("/recommendations/u1").status_code == 401
    assert "/recommendations/{user_id}" in client.get("/openapi.json").json()["paths"]


def test_tiny_scores_are_written_as_the_stdlib_encoder_writes_them():
    import json

    from shopmind.api.routes.common import recommendation_json
    from shopmind.pipeline.results import Recommendation, RecommendedItem

    for score in (5e-06, -1.4e-05, 0.0, 0.25, 1e16, float("inf")):
        rec = Recommendation("r" * 32, [RecommendedItem("i", score, "model", "x", 0, None, "t", "c")], "u")
        body = {"recommendation_id": rec.recommendation_id, "user_id": "u", "model_version": None,
                "cold_start": False, "items": [{"item_id": "i", "score": score if score != float("inf") else None,
                                                "source": "model", "reason": "x", "position": 0,
                                                "because_item_id": None, "title": "t", "category": "c"}],
                "unknown_item_ids": None, "window": None}
        assert recommendation_json(rec) == json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
