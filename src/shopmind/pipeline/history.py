"""What each user did: the stored history (built once from the store) plus a live in-memory session layer.

:class:`UserHistory` is compact (CSR-style numpy arrays over catalog indices, chronological per user) and
immutable; :class:`SessionStore` holds what users did since the server started, updated the moment an
event is acknowledged. :meth:`SessionStore.context` merges both into what a request needs: the items to
exclude (seen, purchased) and the most recent items to recommend around ("because you viewed X").

Only events with a positive weight count as *seen* (impressions, searches and cart removals do not).

>>> sessions = SessionStore(max_users=10)
>>> sessions.record("u1", [(3, "view", 100), (5, "purchase", 120)])
>>> ctx = sessions.context("u1", UserHistory.empty(), recent=5)
>>> ctx.anchors, sorted(ctx.seen.tolist()), ctx.purchased.tolist()
([(5, 'purchase'), (3, 'view')], [3, 5], [5])
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import cast

import numpy as np

from shopmind.data.ids import IdMapping

#: Event kinds kept per history entry (by code).
KINDS = ("view", "add_to_cart", "purchase")


def kind_of(event_type: str) -> str:
    """How an event shows up in explanations: bought, added to cart, or (everything else) viewed."""
    return event_type if event_type in ("purchase", "add_to_cart") else "view"


@dataclass(frozen=True)
class UserContext:
    """What a request knows about one user: items to exclude and recent anchors (newest first)."""

    seen: np.ndarray
    purchased: np.ndarray
    anchors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def has_activity(self) -> bool:
        return bool(len(self.seen) or self.anchors)


class UserHistory:
    """Stored positive events per user (catalog indices, chronological), immutable."""

    def __init__(self, users: IdMapping, indptr: np.ndarray, items: np.ndarray, kinds: np.ndarray) -> None:
        self.users, self.indptr, self.items, self.kinds = users, indptr, items, kinds

    @classmethod
    def empty(cls) -> UserHistory:
        return cls(IdMapping(kind="user"), np.zeros(1, np.int64), np.empty(0, np.int32), np.empty(0, np.int8))

    @classmethod
    def build(cls, user_ids: np.ndarray, items: np.ndarray, types: np.ndarray, timestamps: np.ndarray,
              weights: np.ndarray, limit: int | None = None) -> UserHistory:
        """From parallel event arrays in arrival order (only positive ``weights`` are kept)."""
        keep = np.asarray(weights) > 0
        user_ids, items = np.asarray(user_ids, dtype=object)[keep], np.asarray(items, dtype=np.int64)[keep]
        types, timestamps = np.asarray(types, dtype=object)[keep], np.asarray(timestamps, dtype=np.int64)[keep]
        codes, uniques = _factorize(user_ids)
        kind_code = {k: i for i, k in enumerate(KINDS)}
        kinds = np.array([kind_code[kind_of(str(t))] for t in types], dtype=np.int8)
        return cls.from_codes(codes, uniques, items, kinds, timestamps, limit)

    @classmethod
    def from_codes(cls, codes: np.ndarray, users: list[str], items: np.ndarray, kinds: np.ndarray,
                   timestamps: np.ndarray, limit: int | None = None) -> UserHistory:
        """From positive events in arrival order as user codes (indices into ``users``, numbered in order of
        first appearance), catalog indices, kind codes (indices into :data:`KINDS`) and epoch seconds. With
        ``limit``, only each user's ``limit`` most recent events are kept."""
        codes = np.asarray(codes, dtype=np.int64)
        order = np.lexsort((np.asarray(timestamps, dtype=np.int64), codes))  # by user, then time; ties: arrival
        counts = np.bincount(codes, minlength=len(users))
        if limit is not None:
            ends = np.cumsum(counts)
            sorted_codes = codes[order]
            order = order[np.arange(len(order)) >= ends[sorted_codes] - limit]  # the last ``limit`` of each user
            counts = np.minimum(counts, limit)
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return cls(IdMapping(users, kind="user"), indptr, np.asarray(items)[order].astype(np.int32),
                   np.asarray(kinds, dtype=np.int8)[order])

    def _row(self, user_id: str) -> slice:
        u = self.users.get(user_id, -1)
        if u < 0:
            return slice(0, 0)
        return slice(int(self.indptr[u]), int(self.indptr[u + 1]))

    def __contains__(self, user_id: object) -> bool:
        return str(user_id) in self.users

    def seen(self, user_id: str) -> np.ndarray:
        return self.items[self._row(user_id)]

    def purchased(self, user_id: str) -> np.ndarray:
        row = self._row(user_id)
        return cast("np.ndarray", self.items[row][self.kinds[row] == KINDS.index("purchase")])

    def recent(self, user_id: str, k: int) -> list[tuple[int, str]]:
        """Up to ``k`` distinct most recent items with their kind, newest first."""
        row = self._row(user_id)
        out: list[tuple[int, str]] = []
        taken: set[int] = set()
        items, kinds = self.items[row], self.kinds[row]
        for pos in range(len(items) - 1, -1, -1):
            item = int(items[pos])
            if item not in taken:
                taken.add(item)
                out.append((item, KINDS[int(kinds[pos])]))
                if len(out) >= k:
                    break
        return out


def _factorize(values: np.ndarray) -> tuple[np.ndarray, list[str]]:
    index: dict[str, int] = {}
    codes = np.fromiter((index.setdefault(str(v), len(index)) for v in values), dtype=np.int64, count=len(values))
    return codes, list(index)


class _LiveSession:
    __slots__ = ("events", "order", "purchased", "recent", "seen")

    def __init__(self, max_recent: int) -> None:
        self.recent: deque[tuple[int, str, int]] = deque(maxlen=max_recent)
        self.seen: set[int] = set()
        self.purchased: set[int] = set()
        #: distinct items in the order of their latest event (oldest first), and events recorded
        self.order: OrderedDict[int, None] = OrderedDict()
        self.events = 0


class SessionStore:
    """Per-user events since the server started (LRU-bounded to ``max_users`` users)."""

    def __init__(self, max_users: int = 200_000, max_recent: int = 50) -> None:
        self.max_users = max_users
        self.max_recent = max_recent
        self._sessions: OrderedDict[str, _LiveSession] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._sessions)

    def record(self, user_id: str, events: Iterable[tuple[int, str, int]]) -> None:
        """Add ``(catalog index, event type, epoch seconds)`` events of positive weight for one user."""
        with self._lock:
            s = self._sessions.get(user_id)
            if s is None:
                s = self._sessions[user_id] = _LiveSession(self.max_recent)
                if len(self._sessions) > self.max_users:
                    self._sessions.popitem(last=False)
            else:
                self._sessions.move_to_end(user_id)
            for item, etype, ts in events:
                kind = kind_of(etype)
                s.recent.append((item, kind, ts))
                s.seen.add(item)
                s.order[item] = None
                s.order.move_to_end(item)
                s.events += 1
                if kind == "purchase":
                    s.purchased.add(item)

    def record_many(self, by_user: Mapping[str, list[tuple[int, str, int]]]) -> None:
        for user_id, events in by_user.items():
            self.record(user_id, events)

    def forget(self, user_ids: Iterable[str]) -> None:
        with self._lock:
            for u in user_ids:
                self._sessions.pop(str(u), None)

    def shared_hidden(self, user_id: str) -> np.ndarray | None:
        """Catalog indices ``user_id`` gave negative feedback on that only a shared state knows (None here:
        nothing is shared; see :class:`shopmind.pipeline.online.SharedSessions`)."""
        return None

    def live_items(self, user_id: str) -> tuple[np.ndarray, int]:
        """The distinct items of ``user_id``'s live session in the order of their latest event (oldest
        first), and how many events the session has recorded (a version for caches); empty and 0 for a
        user with no live events."""
        s = self._sessions.get(user_id)
        if s is None:
            return np.empty(0, np.int64), 0
        with self._lock:
            return np.fromiter(s.order, dtype=np.int64, count=len(s.order)), s.events

    def context(self, user_id: str, history: UserHistory, recent: int = 5) -> UserContext:
        """Live session merged over the stored history: exclusions and up to ``recent`` anchors."""
        s = self._sessions.get(user_id)
        seen, purchased = history.seen(user_id), history.purchased(user_id)
        anchors: list[tuple[int, str]] = []
        taken: set[int] = set()
        if s is not None:
            with self._lock:
                live = list(s.recent)
                live_seen, live_bought = list(s.seen), list(s.purchased)
            seen = np.concatenate([seen, np.array(live_seen, dtype=seen.dtype)])
            purchased = np.concatenate([purchased, np.array(live_bought, dtype=purchased.dtype)])
            for item, kind, _ts in reversed(live):
                if item not in taken and len(anchors) < recent:
                    taken.add(item)
                    anchors.append((item, kind))
        if len(anchors) < recent:
            for item, kind in history.recent(user_id, recent):
                if item not in taken and len(anchors) < recent:
                    taken.add(item)
                    anchors.append((item, kind))
        return UserContext(seen=seen.astype(np.int64), purchased=purchased.astype(np.int64), anchors=anchors)
