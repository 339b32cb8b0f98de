"""What the pipeline returns: items with score, source and a human reason, under a recommendation id.

Reasons are short and specific: ``because you viewed "X"`` (or bought / added to your cart), ``popular in
Beauty``, ``popular with Beauty shoppers like you`` (the user's segment),
``trending``, ``new arrival``, ``promoted``, ``exploration``, ``pinned``; on the item endpoints
``similar to "X"``, ``bought together with "X"`` and ``viewed together with "X"``.

The recommendation id is a fresh UUID; events that echo it in ``context.recommendation_id`` are
attributed to the recommendation (see :class:`AttributionLog`).
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Any

from shopmind.data.catalog import Catalog
from shopmind.pipeline.candidates import SOURCES
from shopmind.pipeline.online import InProcessState, OnlineState
from shopmind.pipeline.rerank import Placed

_VERBS = {"view": "viewed", "add_to_cart": "added to your cart", "purchase": "bought"}


@dataclass(frozen=True)
class RecommendedItem:
    """One recommended item."""

    item_id: str
    score: float
    source: str
    reason: str
    position: int
    because_item_id: str | None = None
    title: str | None = None
    category: str | None = None


@dataclass(frozen=True)
class Recommendation:
    """A ranked list with the id later events can echo for attribution."""

    recommendation_id: str
    items: list[RecommendedItem]
    user_id: str | None = None
    model_version: str | None = None
    cold_start: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def reason_for(slot: Placed, catalog: Catalog, anchor_kinds: dict[int, str], mode: str = "user") -> str:
    """The explanation of one slot. ``mode`` is ``"user"`` (personal lists), ``"item"`` (similar items)
    or ``"together"`` (bought together)."""
    source = SOURCES[slot.source]
    if source in ("pinned", "promoted", "exploration"):
        return source
    if slot.anchor >= 0 and source in ("model", "similar", "bought_together"):
        label = f'"{catalog.label(slot.anchor)}"'
        if source == "bought_together":
            return f"bought together with {label}"
        if mode == "together":
            return f"viewed together with {label}"
        if mode == "item":
            return f"similar to {label}"
        return f"because you {_VERBS.get(anchor_kinds.get(slot.anchor, 'view'), 'viewed')} {label}"
    if source == "segment":
        root = catalog.root_label(slot.item)
        return f"popular with {root} shoppers like you" if root else "popular with shoppers like you"
    if source == "popular" or (source == "similar" and slot.anchor < 0):
        root = catalog.root_label(slot.item)
        return f"popular in {root}" if root else "popular"
    if source == "trending":
        return "trending"
    if source == "new":
        return "new arrival"
    return "recommended for you"


def build_items(slots: list[Placed], catalog: Catalog, anchor_kinds: dict[int, str], offset: int = 0,
                mode: str = "user") -> list[RecommendedItem]:
    """Response items for placed slots (positions start at ``offset``)."""
    return [RecommendedItem(
        item_id=catalog.raw(s.item), score=round(float(s.score), 6), source=SOURCES[s.source],
        reason=reason_for(s, catalog, anchor_kinds, mode), position=offset + pos,
        because_item_id=catalog.raw(s.anchor) if s.anchor >= 0 and SOURCES[s.source] in
        ("model", "similar", "bought_together") else None,
        title=catalog.titles[s.item], category=catalog.category_text[s.item],
    ) for pos, s in enumerate(slots)]


def new_recommendation_id() -> str:
    return uuid.uuid4().hex


class AttributionLog:
    """Recent recommendations (id -> user and the source of each item), to attribute later events."""

    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self._recent: OrderedDict[str, dict[str, str]] = OrderedDict()
        self._lock = threading.Lock()
        #: (source, event type) -> events attributed to a recommendation of that source.
        self.attributed: Counter[tuple[str, str]] = Counter()
        #: Where recommendations served by other workers are looked up (nothing shared by default).
        self.shared: OnlineState = InProcessState()

    def remember(self, rec: Recommendation) -> None:
        with self._lock:
            self._recent[rec.recommendation_id] = {i.item_id: i.source for i in rec.items}
            if len(self._recent) > self.capacity:
                self._recent.popitem(last=False)
        if self.shared.shared:
            self.shared.remember(rec)

    def attribute(self, recommendation_id: object, item_id: object, event_type: str) -> str | None:
        """Count an event echoing ``recommendation_id``; returns the source it is attributed to."""
        items = self._recent.get(str(recommendation_id))
        if items is None and self.shared.shared:  # served by another worker
            items = self.shared.recommendation(str(recommendation_id))
            if items is not None:
                with self._lock:
                    self._recent[str(recommendation_id)] = items
        if items is None:
            return None
        source = items.get(str(item_id))
        if source is not None:
            with self._lock:
                self.attributed[(source, event_type)] += 1
        return source
