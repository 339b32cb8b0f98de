"""Noisy /trending and bought-together lists over a served shop: what they list, caching, and the ledger."""

from __future__ import annotations

import pandas as pd
import pytest

from shopmind.errors import UnknownIdError
from shopmind.privacy.dp import PrivacyBudgetError
from shopmind.privacy.published import PrivateLists
from shopmind.settings import DPSettings


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_trending_is_paid_once_per_release_and_refused_when_spent(service) -> None:
    clock = Clock()
    lists = PrivateLists(service, DPSettings(epsilon=1.0, budget=2.5, refresh_seconds=60), clock=clock)
    first = lists.trending("7d", n=5)
    assert 0 < len(first.items) <= 5 and {i.source for i in first.items} == {"trending"}
    assert first.extra["epsilon"] == 1.0 and first.extra["window"] == "7d"
    scores = [i.score for i in first.items]
    assert scores == sorted(scores, reverse=True)
    again = lists.trending("7d", n=3, offset=1)  # the same release: free, consistent with the first page
    assert [i.item_id for i in again.items] == [i.item_id for i in first.items][1:4]
    assert lists.ledger.status().queries == 1
    clock.now = 61.0
    lists.trending("7d")  # a fresh release after refresh_seconds
    assert lists.ledger.status().spent == 2.0
    clock.now = 122.0
    with pytest.raises(PrivacyBudgetError, match=r"is spent: 2 of 2\.5 used"):
        lists.trending("7d")
    assert service.store.privacy_spends()["query"].tolist() == ["trending:7d", "trending:7d"]


def test_bought_together_lists_co_buyers_of_the_item(service) -> None:
    items = service.store.items_frame()["item_id"].tolist()
    a, b, c = items[3], items[7], items[11]
    t = pd.Timestamp("2024-01-01", tz="UTC")
    service.store.append_events(
        [{"user_id": f"dp-{u}", "item_id": i, "type": "purchase", "timestamp": t} for u in range(6) for i in (a, b)]
        + [{"user_id": f"dp-{u}", "item_id": c, "type": "add_to_cart", "timestamp": t} for u in range(3)])
    lists = PrivateLists(service, DPSettings(epsilon=1e4, budget=1e5))  # huge epsilon: the noise is tiny
    rec = lists.bought_together(a, n=2)
    assert [i.item_id for i in rec.items] == [b, c]  # 6 co-buyers, then 3
    assert all(i.source == "bought_together" and i.because_item_id == a for i in rec.items)
    assert rec.items[0].reason.startswith("bought together with")
    with pytest.raises(UnknownIdError):
        lists.bought_together("NO-SUCH-ITEM")


def test_off_by_default(service) -> None:
    lists = PrivateLists(service, DPSettings())
    assert not lists.enabled
