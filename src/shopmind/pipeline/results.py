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
from shopmind.errors import StoreError
from shopmind.pipeline.candidates import SOURCES
from shopmind.pipeline.online import InProcessState, OnlineState
from shopmind.pipeline.rerank import Placed
from shopmind.storage import BanditStore

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


#: The key under which the production counters by model version are kept in the store's additive sums
#: (``BanditStore.add_bandit_stats``: ``model version -> stat -> count``).
VERSION_COUNTERS = "counters:model_versions"


class AttributionLog:
    """Recent recommendations (id -> user and the source of each item), to attribute later events.

    Also the production counters by model version: lists served and events attributed to them (``by_version``,
    ``(version, stat) -> count``, stat ``recommendations`` or an event type). They are kept in the store as
    additive sums: :meth:`load` reads them at start, :meth:`flush` adds what was counted since (called with each
    event batch), so they survive restarts and add up across workers."""

    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self._recent: OrderedDict[str, dict[str, str]] = OrderedDict()
        self._version_of: dict[str, str] = {}
        self._lock = threading.Lock()
        #: (source, event type) -> events attributed to a recommendation of that source.
        self.attributed: Counter[tuple[str, str]] = Counter()
        #: (model version, stat) -> count, as stored plus what is not flushed yet.
        self.by_version: Counter[tuple[str, str]] = Counter()
        self._pending: Counter[tuple[str, str]] = Counter()
        #: Where recommendations served by other workers are looked up (nothing shared by default).
        self.shared: OnlineState = InProcessState()

    def remember(self, rec: Recommendation) -> None:
        with self._lock:
            self._recent[rec.recommendation_id] = {i.item_id: i.source for i in rec.items}
            if rec.model_version:
                self._version_of[rec.recommendation_id] = rec.model_version
                key = (rec.model_version, "recommendations")
                self.by_version[key] += 1
                self._pending[key] += 1
            if len(self._recent) > self.capacity:
                old, _ = self._recent.popitem(last=False)
                self._version_of.pop(old, None)
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
                version = self._version_of.get(str(recommendation_id))
                if version is not None:
                    self.by_version[(version, event_type)] += 1
                    self._pending[(version, event_type)] += 1
        return source

    def load(self, store: BanditStore) -> None:
        """Read the stored counters by model version (a store without them starts at zero)."""
        stats = store.bandit_stats(VERSION_COUNTERS)
        with self._lock:
            self.by_version = Counter({(v, s): n for v, row in stats.items() for s, n in row.items()})
            self.by_version.update(self._pending)

    def flush(self, store: BanditStore) -> None:
        """Add the counts since the last flush to the store's sums (one transaction)."""
        with self._lock:
            pending, self._pending = self._pending, Counter()
        if pending:
            try:
                store.add_bandit_stats(VERSION_COUNTERS, [(v, s, float(n)) for (v, s), n in pending.items()])
            except StoreError:
                with self._lock:  # kept for the next flush
                    self._pending.update(pending)
                raise

    def version_counters(self) -> list[dict[str, Any]]:
        """One row per model version: lists served, clicks, purchases and the other attributed events."""
        rows: dict[str, dict[str, Any]] = {}
        with self._lock:
            for (version, stat), n in sorted(self.by_version.items()):
                rows.setdefault(version, {"model_version": version, "recommendations": 0})[stat] = int(n)
        for row in rows.values():
            served = row.get("recommendations", 0)
            row["ctr"] = row.get("click", 0) / served if served else None
        return list(rows.values())
