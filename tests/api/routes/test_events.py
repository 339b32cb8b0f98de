"""Batch writes: items, users and events - per-row errors, idempotency, immediate effect."""

from __future__ import annotations

import numpy as np

READ, WRITE = {"X-API-Key": "reader-key"}, {"X-API-Key": "writer-key"}


def _recs(client, user, **params):
    response = client.get(f"/recommendations/{user}", headers=READ, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_events_are_idempotent_by_event_id(client):
    events = [{"event_id": f"e-{i}", "user_id": "api-u1", "item_id": "SKU00003", "type": "view"} for i in range(3)]
    first = client.post("/events", headers=WRITE, json={"events": events}).json()
    assert (first["inserted"], first["duplicates"], first["rejected"]) == (3, 0, 0)
    again = client.post("/events", headers=WRITE, json={"events": [*events, {**events[0], "event_id": "e-new"}]})
    assert again.status_code == 200
    assert (again.json()["inserted"], again.json()["duplicates"]) == (1, 3)


def test_partly_bad_batches_report_each_bad_row(client, service):
    events = [
        {"event_id": "ok-1", "user_id": "u", "item_id": "SKU00001", "type": "pv", "timestamp": 1767225600},
        {"event_id": "bad-1", "user_id": "u", "item_id": "SKU00001", "type": "view", "timestamp": "not a time"},
        {"event_id": "bad-2", "item_id": "SKU00001", "type": "view", "usr": "typo"},
    ]
    body = client.post("/events", headers=WRITE, json={"events": events}).json()
    assert (body["received"], body["inserted"], body["rejected"]) == (3, 1, 2)
    assert {(e["index"], e["field"]) for e in body["errors"]} == {(1, "events[1].timestamp"),
                                                                  (2, "events[2].user_id")}
    assert body["ignored_fields"] == ["usr"]
    assert len(service.store.quarantine_frame(body["import_id"])) == 2  # quarantined like a file import


def test_an_event_posted_through_the_api_changes_the_next_recommendation(client, service):
    co = service.state.viewed_together
    item = service.state.catalog.raw(int(np.argmax(np.diff(co.indptr))))
    before = [i["item_id"] for i in _recs(client, "api-visitor", n=6)["items"]]
    assert client.post("/events", headers=WRITE, json={"events": [
        {"user_id": "api-visitor", "item_id": item, "type": "view"}]}).status_code == 200
    after = _recs(client, "api-visitor", n=6)
    ids = [i["item_id"] for i in after["items"]]
    assert ids != before and item not in ids
    assert any(i["because_item_id"] == item and i["reason"].startswith("because you viewed") for i in after["items"])
