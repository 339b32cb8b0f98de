"""The DP routes and the noisy /trending and bought-together lists: 429 once the period's budget is spent."""

from __future__ import annotations

from shopmind.privacy.published import PrivateLists
from shopmind.settings import DPSettings

READ = {"X-API-Key": "reader-key"}


def test_budget_without_dp_configured_is_503(client) -> None:
    r = client.get("/dp/budget", headers=READ)
    assert r.status_code == 503 and r.json()["error"]["code"] == "unavailable"


def test_noisy_trending_spends_the_budget_then_answers_429(client, service) -> None:
    client.app.state.dp = PrivateLists(service, DPSettings(epsilon=1.0, budget=2.0, refresh_seconds=0))
    for _ in range(2):
        r = client.get("/trending", headers=READ, params={"window": "7d", "n": 5})
        assert r.status_code == 200, r.text
        assert {i["source"] for i in r.json()["items"]} <= {"trending"}
    budget = client.get("/dp/budget", headers=READ).json()
    assert (budget["enabled"], budget["epsilon"], budget["spent"], budget["remaining"], budget["queries"]) == \
        (True, 1.0, 2.0, 0.0, 2)
    r = client.get("/trending", headers=READ, params={"window": "7d"})
    assert r.status_code == 429
    body = r.json()["error"]
    assert body["code"] == "privacy_budget_spent" and body["field"] == "epsilon" and "renews at" in body["message"]
    assert int(r.headers["Retry-After"]) >= 1
    ledger = client.get("/dp/ledger", headers=READ).json()
    assert [e["query"] for e in ledger] == ["trending:7d", "trending:7d"]
    assert client.get("/dp/ledger", headers=READ, params={"period": "1999-01-01"}).json() == []


def test_noisy_bought_together_and_exact_lists_when_off(client, service) -> None:
    item = service.store.events_frame().query("type == 'purchase'")["item_id"].value_counts().index[0]
    exact = client.get(f"/items/{item}/bought-together", headers=READ)
    assert exact.status_code == 200
    client.app.state.dp = PrivateLists(service, DPSettings(epsilon=2.0, budget=2.0))
    r = client.get(f"/items/{item}/bought-together", headers=READ, params={"n": 3})
    assert r.status_code == 200 and all(i["source"] == "bought_together" for i in r.json()["items"])
    assert client.get(f"/items/{item}/bought-together", headers=READ).status_code == 200  # cached: free
    assert client.get("/items/NOPE/bought-together", headers=READ).status_code == 404
    other = service.store.events_frame().query("type == 'purchase'")["item_id"].value_counts().index[1]
    assert client.get(f"/items/{other}/bought-together", headers=READ).status_code == 429  # a new release


def test_budget_needs_a_key(client, service) -> None:
    client.app.state.dp = PrivateLists(service, DPSettings())
    assert client.get("/dp/budget").status_code == 401
    assert client.get("/dp/budget", headers=READ).json()["enabled"] is False


def test_segment_sizes_need_write_and_spend_the_budget(client, service) -> None:
    write = {"X-API-Key": "writer-key"}
    client.app.state.dp = PrivateLists(service, DPSettings(epsilon=1.0, budget=1001.0))
    assert client.post("/dp/segments", headers=READ, json={}).status_code == 403
    assert client.post("/dp/segments", headers=write, json={}).status_code == 409  # no segments yet
    service.store.put_segments([{"segment_id": "vip"}, {"segment_id": "new"}])
    service.store.put_memberships({f"u{i}": ["vip"] if i < 30 else ["vip", "new"] for i in range(80)})
    r = client.post("/dp/segments", headers=write, json={"epsilon": 1000, "max_segments": 2})
    assert r.status_code == 200, r.text
    sizes = {s["segment_id"]: s["size"] for s in r.json()["segments"]}
    assert abs(sizes["vip"] - 80) <= 2 and abs(sizes["new"] - 50) <= 2
    assert r.json()["budget"]["spent"] == 1000.0 and r.json()["scale"] == 0.002
    assert client.post("/dp/segments", headers=write, json={}).status_code == 200  # the server's epsilon 1
    assert client.post("/dp/segments", headers=write, json={}).status_code == 429
    assert client.post("/dp/segments", headers=write, json={"epsilon": -1}).status_code == 422
