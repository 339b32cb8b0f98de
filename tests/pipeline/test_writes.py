"""Writes through the serving layer: a file's rows imported and applied live (the console's import)."""

from __future__ import annotations

import pandas as pd

from shopmind.data.loaders.base import ReadResult, Reject


def test_a_files_rows_are_stored_quarantined_by_file_row_and_applied_live(service):
    now = pd.Timestamp.now(tz="UTC").isoformat()
    items = pd.DataFrame({"item_id": ["new-tea"], "title": ["Fresh Tea"], "price": ["4.5"],
                          "_source": "shop.csv", "_row": [2]})
    events = pd.DataFrame({"user_id": ["w1", "w2", "w3", None], "item_id": ["new-tea"] * 4,
                           "type": ["purchase", "purchase", "teleport", "view"], "timestamp": [now] * 4,
                           "_source": "events.csv", "_row": [2, 3, 4, 5]})
    unparsed = Reject("events.csv", 6, "_row", "w5,new-tea", "wrong number of fields", kind="event")
    report = service.import_result(ReadResult("upload", format="csv", items=items, events=events,
                                              rejects=[unparsed]))
    assert report.items.inserted == 1 and report.events.inserted == 2 and report.events.rejected == 3
    quarantine = service.store.quarantine_frame(report.import_id)
    assert sorted(quarantine["row"].tolist()) == [4, 5, 6]  # the file's rows, not positions in a batch
    assert service.state.catalog.is_known("new-tea")
    assert service.trending("1h", n=1).items[0].item_id == "new-tea"  # the events count live at once


def test_a_files_items_reach_the_item_listeners(service):
    """The copy cache and the search index learn of items imported from a file, as of API upserts."""
    seen: list[tuple[str, list[str]]] = []
    service.writer.item_listeners.append(lambda change, payload: seen.append((change, list(payload["item_id"]))))
    items = pd.DataFrame({"item_id": ["tea-2"], "title": ["Green Tea"], "price": ["5"], "_source": "shop.csv",
                          "_row": [2]})
    service.import_result(ReadResult("upload", format="csv", items=items))
    assert seen == [("upsert", ["tea-2"])]
