"""/content/*: generation, check and audit over the trained test shop; jobs; cache invalidation on item
changes; scopes and the one error shape."""

from __future__ import annotations

import time

import pytest

from shopmind.content.audit import audit_lines

READ, WRITE = {"X-API-Key": "reader-key"}, {"X-API-Key": "writer-key"}


def _item(client, trained_shop, i: int = 0) -> dict:
    item_id = trained_shop.items.iloc[i]["item_id"]
    r = client.get(f"/items/{item_id}", headers=READ)
    assert r.status_code == 200
    return r.json()


def _wait(client, job_id: str) -> dict:
    for _ in range(600):  # bounded by count, not by the clock
        doc = client.get(f"/jobs/{job_id}", headers=READ).json()
        if doc["status"] in ("done", "failed"):
            return doc
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {doc}")


def test_description_is_the_cli_json_and_checks_out(client, trained_shop) -> None:
    item = _item(client, trained_shop)
    r = client.post("/content/description", json={"item_id": item["item_id"], "lang": "zh", "length": "long"},
                    headers=READ)
    assert r.status_code == 200, r.text
    docs = r.json()
    assert [d["content_type"] for d in docs] == ["product_description", "selling_points"]
    assert all(d["check"]["claims"] and all(c["supported"] for c in d["check"]["claims"]) for d in docs)
    assert docs[0]["item_ids"] == [item["item_id"]] and docs[0]["cache_hit"] is False
    again = client.post("/content/description", json={"item_id": item["item_id"], "lang": "zh", "length": "long",
                                                      "points": False}, headers=READ).json()
    assert len(again) == 1 and again[0]["cache_hit"] is True and again[0]["text"] == docs[0]["text"]


def test_headline_and_email_come_from_the_pipeline(client, trained_shop) -> None:
    user = trained_shop.heavy_user()
    recs = client.get(f"/recommendations/{user}", params={"n": 5}, headers=READ).json()
    r = client.post("/content/headline", json={"user_id": user, "k": 5}, headers=READ)
    assert r.status_code == 200, r.text
    out = r.json()[0]
    assert out["parts"]["slate_source"] == "pipeline" and out["user_id"] == user
    assert out["item_ids"] == [i["item_id"] for i in recs["items"]]  # the pipeline's slate, in its order
    assert out["parts"]["theme"] != "generic" and out["check"] is not None
    assert all(c["supported"] is not False for c in out["check"]["claims"]), out["check"]
    mail = client.post("/content/email", json={"user_id": user, "lang": "zh", "k": 3}, headers=READ).json()[0]
    assert mail["content_type"] == "email" and mail["parts"]["subject"] and mail["parts"]["preheader"]
    assert len(mail["item_ids"]) == 3
    push = client.post("/content/email", json={"user_id": user, "push": True}, headers=READ).json()[0]
    assert push["content_type"] == "push"


def test_ad_and_review_summary(client, trained_shop) -> None:
    item = _item(client, trained_shop, 2)
    ads = client.post("/content/ad", json={"item_id": item["item_id"], "variants": 3}, headers=READ).json()
    assert len({a["text"] for a in ads}) == 3 and {a["content_type"] for a in ads} == {"ad_copy"}
    assert all(a["segment"] is None and "audience" not in a["parts"] for a in ads)
    r = client.post("/content/review-summary", headers=READ, json={
        "item_id": item["item_id"], "reviews": [{"text": "Great quality, fast delivery.", "rating": 5},
                                                {"text": "The strap broke after a week.", "rating": 2}]})
    assert r.status_code == 200, r.text
    summary = r.json()[0]
    assert summary["content_type"] == "review_summary" and summary["parts"]["reviews"] == 2


def test_check_gives_verdicts_with_facts(client, trained_shop) -> None:
    item = _item(client, trained_shop, 1)
    wrong = item["price"] + 100
    r = client.post("/content/check", headers=READ,
                    json={"text": f"{item['brand']}, only ¥{wrong:.0f}.", "item_ids": [item["item_id"]]})
    assert r.status_code == 200, r.text
    doc = r.json()
    by_attr = {c["attribute"]: c for c in doc["claims"]}
    assert doc["ok"] is False and doc["item_ids"] == [item["item_id"]]
    assert all(set(c) == {"text", "attribute", "verdict", "fact", "reason"} for c in doc["claims"])
    assert by_attr["brand"]["verdict"] == "supported" and item["brand"] in by_attr["brand"]["fact"]
    assert by_attr["price"]["verdict"] == "contradicted" and by_attr["price"]["fact"] == f"Price: ¥{item['price']:,.0f}"


def test_audit_keeps_every_line_in_order(client, trained_shop) -> None:
    item = _item(client, trained_shop, 1)
    lines = [{"item_id": item["item_id"], "text": f"{item['brand']}, ¥{item['price']:.0f}."},
             {"item_id": "no-such-item", "text": "Anything."},
             {"item": {"item_id": "x1", "title": "Acme Steel Bottle", "brand": "Acme", "price": 20,
                       "currency": "CNY", "attributes": {"material": "Stainless Steel"}},
              "text": "An Acme bottle made of glass."},
             {"text": "No item named."}]
    r = client.post("/content/audit", json={"lines": lines}, headers=READ)
    assert r.status_code == 200, r.text
    res = r.json()["results"]
    assert [x["line"] for x in res] == [1, 2, 3, 4]
    assert res[0]["ok"] is True and "unknown item" in res[1]["error"] and "error" in res[3]
    assert res[2]["ok"] is False and any(c["attribute"] == "material" and c["verdict"] == "contradicted"
                                         for c in res[2]["claims"])
    summary = r.json()["summary"]
    assert summary["lines"] == 4 and summary["errors"] == 2 and summary["by_attribute"]["material"]["contradicted"]
    assert (summary["ok"], summary["flagged"]) == (1, 1)
    # the same per-line JSON as `shopmind content audit` (catalog plus inline items known to the checker)
    catalog = trained_shop.items.to_dict("records")
    by_id = {str(rec["item_id"]): rec for rec in catalog}
    cli = [x.model_dump(mode="json", exclude_none=True) for x in audit_lines(lines, by_id.get, catalog=catalog)]
    assert res == cli


def test_large_audits_and_async_requests_run_as_jobs(client, trained_shop) -> None:
    item = _item(client, trained_shop, 1)
    lines = [{"item_id": item["item_id"], "text": f"Only ¥{item['price'] + n:.0f}."} for n in range(101)]
    r = client.post("/content/audit", json={"lines": lines}, headers=READ)
    assert r.status_code == 202 and r.json()["url"] == f"/jobs/{r.json()['job_id']}"
    doc = _wait(client, r.json()["job_id"])
    assert doc["status"] == "done" and doc["progress"] == {"done": 101, "total": 101, "fraction": 1.0}
    results = doc["result"]["results"]
    assert len(results) == 101 and results[0]["ok"] is True and not results[1]["ok"]
    r = client.post("/content/headline", params={"async": "true"}, json={"user_id": trained_shop.heavy_user()},
                    headers=READ)
    assert r.status_code == 202
    doc = _wait(client, r.json()["job_id"])
    assert doc["status"] == "done" and doc["result"][0]["content_type"] == "reco_headline"
    missing = client.get("/jobs/nope", headers=READ)
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "job_id"


def test_an_item_change_invalidates_its_cached_copy(client, trained_shop) -> None:
    item = _item(client, trained_shop, 4)
    body = {"item_id": item["item_id"], "points": False, "length": "long"}
    first = client.post("/content/description", json=body, headers=READ).json()[0]
    assert client.post("/content/description", json=body, headers=READ).json()[0]["cache_hit"] is True
    changed = {k: v for k, v in item.items() if k in ("item_id", "title", "brand", "category", "price", "currency",
                                                      "attributes", "in_stock")}
    changed["price"] = item["price"] + 7
    r = client.post("/items", json={"items": [changed]}, headers=WRITE)
    assert r.status_code == 200 and r.json()["updated"] == 1, r.text
    after = client.post("/content/description", json=body, headers=READ).json()[0]
    assert after["cache_hit"] is False and f"¥{item['price'] + 7:,.0f}" in after["text"]
    assert after["text"] != first["text"]
    assert client.app.state.content.cache.invalidated >= 1


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/content/description", {"item_id": "x", "lang": "fr"}, "lang"),
    ("/content/description", {"item_id": "x", "tone": "angry"}, "tone"),
    ("/content/headline", {"user_id": "u", "k": 0}, "k"),
    ("/content/ad", {"item_id": "x", "variants": 21}, "variants"),
    ("/content/check", {"text": "x", "item_ids": []}, "item_ids"),
    ("/content/audit", {"lines": []}, "lines"),
    ("/content/description", {"item_id": "x", "extra": 1}, "extra"),
])
def test_bad_bodies_are_422_naming_the_field(client, path, body, field) -> None:
    r = client.post(path, json=body, headers=READ)
    assert r.status_code == 422 and field in r.json()["error"]["field"], r.text


def test_unknown_ids_are_404_and_scopes_apply(client) -> None:
    r = client.post("/content/description", json={"item_id": "no-such-item"}, headers=READ)
    assert r.status_code == 404 and r.json()["error"]["field"] == "item_id"
    r = client.post("/content/headline", json={"user_id": "no-such-user"}, headers=READ)
    assert r.status_code == 404
    assert client.post("/content/check", json={"text": "x", "item_ids": ["a"]}).status_code == 401


def test_the_routes_are_in_the_openapi_schema(client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for p in ("/content/description", "/content/headline", "/content/ad", "/content/email",
              "/content/review-summary", "/content/check", "/content/audit", "/jobs/{job_id}"):
        assert p in paths
    schema = client.get("/openapi.json").json()["components"]["schemas"]["DescriptionIn"]
    assert schema["additionalProperties"] is False and set(schema["required"]) == {"item_id"}


def _segment(service, n: int = 30) -> list[str]:
    """A segment of the users with the most events (put into the store as `customers refresh` would)."""
    counts = service.store.events_frame()["user_id"].value_counts()
    members = sorted(counts.index[:n].astype(str))
    service.store.put_segments([{"segment_id": "topic:7", "kind": "topic", "name": "Busy", "size": len(members)}])
    service.store.put_memberships({u: ["topic:7"] for u in members})
    return members


def test_ad_for_a_segment_is_the_cli_json_and_speaks_to_it(client, service) -> None:
    _segment(service)
    r = client.post("/content/ad", json={"segment": "topic:7", "variants": 3, "lang": "zh"}, headers=READ)
    assert r.status_code == 200, r.text
    ads = r.json()
    assert len(ads) == 3 and {a["content_type"] for a in ads} == {"ad_copy"}
    assert {a["segment"] for a in ads} == {"topic:7"}
    audience = ads[0]["parts"]["audience"]
    assert audience["segment_id"] == "topic:7" and audience["members"] == 30 and audience["categories"]
    assert [a["parts"]["featured_item"] for a in ads] == audience["featured_items"][:3]
    assert all(c["supported"] for a in ads for c in a["check"]["claims"])
    by_name = client.post("/content/ad", json={"segment": "busy", "variants": 1}, headers=READ)
    assert by_name.status_code == 200 and by_name.json()[0]["parts"]["audience"]["segment_id"] == "topic:7"


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"segment": "topic:99"}, 404, "segment"),
    ({}, 422, "item_id"),
    ({"item_id": "SKU00001", "segment": "topic:7"}, 422, "segment"),
])
def test_ad_for_a_segment_rejects_bad_input_naming_the_field(client, service, body, status, field) -> None:
    _segment(service, 5)
    r = client.post("/content/ad", json=body, headers=READ)
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["field"] == field, err
