"""The live state: an acknowledged event counts live exactly when the store took it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from shopmind.pipeline.state import LiveState


def test_live_counters_count_exactly_the_events_the_store_took(service):
    """Two impressions of one item to one shopper in the same second are two events (the store keeps both:
    their times differ by a microsecond); the live counters used to key events by whole seconds and
    counted one, so a restart (which counts the stored events) disagreed with the live server. Whether two
    events sent back to back fell into the same second depended on how fast the machine was."""
    item = service.state.catalog.raw(0)
    at = datetime(2026, 12, 1, 12, 0, 0, 500_000, tzinfo=UTC)
    rows = [{"user_id": "x", "item_id": item, "type": t, "timestamp": (at + timedelta(microseconds=us)).isoformat()}
            for t, us in (("impression", 0), ("impression", 1), ("click", 2))]

    def counts(state: LiveState) -> list[float]:
        imp, rew = state.signals.bandit_counts(np.array([0]))
        return [float(imp[0]), float(rew[0])]

    before = counts(service.state)
    assert service.ingest_events(rows).inserted == 3
    assert counts(service.state) == [before[0] + 2, before[1] + 1]
    retried = service.ingest_events(rows[1:])  # a retried batch: the store and the live counters skip it
    assert (retried.inserted, retried.duplicates) == (0, 2)
    assert counts(service.state) == [before[0] + 2, before[1] + 1]
    assert counts(LiveState.from_store(service.store, service.config)) == counts(service.state)
