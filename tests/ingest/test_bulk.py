"""Bulk loads: the demo shop streamed chunk by chunk into a store, with its timings."""

from __future__ import annotations

from pathlib import Path

from shopmind.ingest.bulk import load_demo_shop
from shopmind.storage import load_interactions, open_store


def test_demo_shop_streams_into_the_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    seen: list[int] = []
    report = load_demo_shop(url, n_users=50, n_items=40, days=7, seed=2, chunk_users=20, active_share=0.6,
                            on_chunk=lambda chunk, rep: seen.append(rep.events))
    with open_store(url) as store:
        counts = store.counts()
        inter = load_interactions(store)
    assert counts["users"] == report.users == 50 and counts["items"] == report.items == 40
    assert counts["events"] == report.events > 0 and report.duplicates == 0
    assert report.chunks == 3 and len(seen) == 3 and seen[-1] == report.events
    assert report.events_per_second > 0 and report.event_write_seconds <= report.write_seconds
    assert inter.n_users == 50 and inter.n_items == 40
    doc = report.as_dict()
    assert doc["events_per_second"] > 0 and len(doc["per_chunk"]) == 3
    again = load_demo_shop(url, n_users=50, n_items=40, days=7, seed=2, chunk_users=20, active_share=0.6)
    assert again.events == 0 and again.duplicates == report.events  # the same shop again adds nothing
