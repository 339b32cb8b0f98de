"""The exploration pool: under-exposed items follow the impressions, within the pipeline's refresh window."""

from __future__ import annotations

import numpy as np

from shopmind.data.catalog import Catalog
from shopmind.data.signals import ItemSignals
from shopmind.pipeline.exploration import ExplorationPool


def _impressions(signals: ItemSignals, item: int, n: int) -> None:
    signals.add(np.full(n, item), np.array(["impression"] * n), np.full(n, 1_000_000))


def test_under_exposed_items_are_recomputed_once_the_refresh_window_has_passed():
    catalog = Catalog()
    catalog.upsert_records([{"item_id": f"i{i}"} for i in range(3)])
    signals = ItemSignals({"view": 1.0})
    now = [100.0]
    pool = ExplorationPool(min_impressions=2, refresh_seconds=5.0, clock=lambda: now[0])
    assert pool.under_exposed(catalog, signals).tolist() == [0, 1, 2]
    _impressions(signals, 0, 2)
    now[0] += 4.9
    assert pool.under_exposed(catalog, signals).tolist() == [0, 1, 2]  # at most refresh_seconds stale
    now[0] += 0.1
    assert pool.under_exposed(catalog, signals).tolist() == [1, 2]
    now[0] += 60.0
    catalog.delete(["i2"])  # a catalog change is seen at once
    assert pool.under_exposed(catalog, signals).tolist() == [1]


def test_the_service_pool_follows_the_impressions_at_once_with_refresh_seconds_0(service):
    """The service built its pool with a fixed 5 s window that ignored ``refresh_seconds`` and new impressions:
    an item shown ``min_impressions`` times stayed in the pool until 5 s had passed since the set was last
    computed - at once on a slow machine, not on a fast one."""
    assert service.config.refresh_seconds == 0
    catalog, signals = service.state.catalog, service.state.signals
    item = int(service.exploration.under_exposed(catalog, signals)[0])
    shown = int(signals.bandit_counts(np.array([item]))[0][0])
    service.ingest_events([{"event_id": f"imp-{n}", "user_id": "x", "item_id": catalog.raw(item),
                            "type": "impression", "timestamp": "2026-12-01T12:00:00Z"}
                           for n in range(service.config.min_impressions - shown)])
    assert item not in service.exploration.under_exposed(catalog, signals).tolist()
