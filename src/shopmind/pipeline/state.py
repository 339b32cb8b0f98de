"""The live state behind the pipeline, built once from the store and kept current by acknowledged events.

:class:`LiveState` holds the catalog index, item signals (popularity, trending, bandit counts), users'
stored histories, live sessions, the two co-occurrence tables and a window of recent event ids.
:meth:`LiveState.apply_events` is the one code path for events, used both when the state is built from
the store and for every batch the API acknowledges - so a live event counts exactly like a stored one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from shopmind.data.catalog import Catalog
from shopmind.data.signals import ItemSignals
from shopmind.errors import StoreError
from shopmind.pipeline.cooccurrence import CoOccurrence
from shopmind.pipeline.feedback import NegativeFeedback
from shopmind.pipeline.history import SessionStore, UserHistory
from shopmind.pipeline.online import InProcessState, OnlineState, SharedEvent
from shopmind.schema import NEGATIVE_TYPES, Event, is_negative
from shopmind.settings import PipelineSettings
from shopmind.storage.base import Store
from shopmind.storage.records import event_key, float_list, micros_list

logger = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Event types that make two items "bought together" when they share a basket.
BUY_TYPES = frozenset({"purchase", "add_to_cart"})


@dataclass
class EventArrays:
    """The columns of an event frame the live state uses (rows with an item only)."""

    users: np.ndarray
    items: np.ndarray  # catalog indices
    types: np.ndarray
    timestamps: np.ndarray  # epoch seconds
    weights: np.ndarray
    baskets: np.ndarray  # session id, else "u:" + user id
    keys: list[bytes]  # idempotency key: the store's (event id, else the content)
    recommendation_ids: list[object]

    def __len__(self) -> int:
        return len(self.items)

    def take(self, sel: np.ndarray) -> EventArrays:
        sel = np.asarray(sel, dtype=np.int64)
        return EventArrays(self.users[sel], self.items[sel], self.types[sel], self.timestamps[sel],
                           self.weights[sel], self.baskets[sel], [self.keys[i] for i in sel],
                           [self.recommendation_ids[i] for i in sel])


def _assemble(users: list[str], item_ids: list[str], types: list[str], ts_us: list[int], values: list[float | None],
              sessions: list[object], event_ids: list[object], contexts: list[object], catalog: Catalog,
              weights: dict[str, float], rating_threshold: float | None = None) -> EventArrays:
    items = catalog.ensure(item_ids) if item_ids else np.empty(0, np.int64)
    if rating_threshold is not None:  # a low rating is negative feedback, never a positive
        types = ["dislike" if t == "rating" and is_negative(t, v, rating_threshold) else t
                 for t, v in zip(types, values, strict=True)]
    baskets = [f"s:{s}" if isinstance(s, str) and s else f"u:{u}" for s, u in zip(sessions, users, strict=True)]
    # the store's identity of each event (its event_id, else its content to the microsecond): an event
    # counts live exactly when the store takes it
    keys = [event_key(e if isinstance(e, str) else None, u, i, t, v, us, s if isinstance(s, str) else None)
            for e, u, i, t, v, us, s in zip(event_ids, users, item_ids, types, values, ts_us, sessions, strict=True)]
    rec_ids = [c.get("recommendation_id") if isinstance(c, dict) else None for c in contexts]
    ts = np.array(ts_us, dtype=np.int64) // 1_000_000  # epoch seconds, rounded down
    return EventArrays(np.array(users, dtype=object), np.asarray(items, np.int64), np.array(types, dtype=object),
                       ts, np.array([weights.get(t, 0.0) for t in types], dtype=np.float64),
                       np.array(baskets, dtype=object), keys, rec_ids)


def event_arrays(frame: pd.DataFrame, catalog: Catalog, weights: dict[str, float],
                 rating_threshold: float | None = None) -> EventArrays:
    """Typed event rows (``EVENT_COLUMNS``, e.g. ``store.events_frame()``) as arrays over catalog indices;
    events without an item are dropped, unseen item ids join the catalog unlisted. Ratings at or below
    ``rating_threshold`` come back as ``dislike`` events."""
    ev = frame[frame["item_id"].notna()] if len(frame) else frame
    n = len(ev)

    def column(name: str) -> list[object]:
        return ev[name].to_numpy(object).tolist() if name in ev.columns else [None] * n

    ts_us = [t for t in micros_list(ev["timestamp"], "timestamp") if t is not None] if n else []
    if len(ts_us) != n:
        raise StoreError("stored events without a timestamp")
    values: list[float | None] = float_list(ev["value"], "value") if n and "value" in ev.columns else [None] * n
    return _assemble([str(u) for u in column("user_id")], [str(i) for i in column("item_id")],
                     [str(t) for t in column("type")], ts_us, values,
                     column("session_id"), column("event_id"), column("context"), catalog, weights,
                     rating_threshold)


def _micros(t: datetime) -> int:
    return ((t if t.tzinfo else t.replace(tzinfo=UTC)) - EPOCH) // timedelta(microseconds=1)


def event_arrays_from_models(events: list[Event], catalog: Catalog, weights: dict[str, float],
                             rating_threshold: float | None = None) -> EventArrays:
    """:func:`event_arrays` for validated :class:`~shopmind.schema.Event` objects (no pandas: the live path)."""
    ev = [e for e in events if e.item_id]
    return _assemble([e.user_id for e in ev], [str(e.item_id) for e in ev], [e.type for e in ev],
                     [_micros(e.timestamp) for e in ev], [e.value for e in ev],
                     [e.session_id for e in ev], [e.event_id for e in ev], [e.context for e in ev], catalog, weights,
                     rating_threshold)


class EventIdWindow:
    """The most recent ``capacity`` idempotency keys; :meth:`admit` says which are new."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._keys: OrderedDict[Hashable, None] = OrderedDict()

    def admit(self, keys: Iterable[Hashable]) -> np.ndarray:
        out = []
        for k in keys:
            new = k not in self._keys
            out.append(new)
            if new:
                self._keys[k] = None
        while len(self._keys) > self.capacity:
            self._keys.popitem(last=False)
        return np.array(out, dtype=bool)


class LiveState:
    """Catalog, signals, histories, sessions and co-occurrence (see the module docs)."""

    def __init__(self, config: PipelineSettings) -> None:
        self.config = config
        self.catalog = Catalog()
        self.signals = ItemSignals(config.event_weights, refresh_seconds=config.refresh_seconds)
        self.history = UserHistory.empty()
        self.sessions = SessionStore(max_users=config.max_sessions)
        self.viewed_together = CoOccurrence.empty()
        self.bought_together = CoOccurrence.empty()
        self.event_ids = EventIdWindow(config.remembered_event_ids)
        #: Items each user gave negative feedback on (dislike, hide, not_interested, low ratings).
        self.feedback = NegativeFeedback()
        #: What is shared with other serving processes (:mod:`shopmind.pipeline.online`); nothing by default.
        self.online: OnlineState = InProcessState()
        self._lock = threading.Lock()

    @classmethod
    def from_store(cls, store: Store, config: PipelineSettings) -> LiveState:
        """Read the catalog and every event once (DataFrame work happens here, never per request)."""
        t0 = time.perf_counter()
        state = cls(config)
        state.catalog.upsert_frame(store.items_frame())
        ev = state._load_events(store)
        logger.info("serving state: %d items, %d events, %d users with history in %.1fs", len(state.catalog),
                    len(ev), len(state.history.users), time.perf_counter() - t0)
        return state

    def _load_events(self, store: Store) -> EventArrays:
        """Build signals, histories, co-occurrence, negative feedback and the event-id window from every stored
        event (over this state's catalog)."""
        config = self.config
        ev = event_arrays(store.events_frame(), self.catalog, config.event_weights, config.negative_rating_threshold)
        self.signals = ItemSignals(config.event_weights, refresh_seconds=config.refresh_seconds)
        self.signals.add(ev.items, ev.types, ev.timestamps)
        self.event_ids = EventIdWindow(config.remembered_event_ids)
        self.event_ids.admit(ev.keys[-config.remembered_event_ids:])
        self.history = UserHistory.build(ev.users, ev.items, ev.types, ev.timestamps, ev.weights)
        self.rebuild_cooccurrence(ev)
        self.feedback = NegativeFeedback()
        self._record_negatives(ev)
        return ev

    def forget_users(self, store: Store, user_ids: list[str]) -> None:
        """After the store erased ``user_ids``: drop their live sessions and rebuild everything derived from
        the stored events, so their contribution to popularity, trending windows, exploration counts, viewed-
        and bought-together and the remembered event ids is gone exactly - the state equals one built from the
        store as it is now (live sessions of other users are kept)."""
        with self._lock:
            self.sessions.forget(user_ids)
            self.feedback.forget(user_ids)
            self._load_events(store)
        logger.info("serving state rebuilt without %d erased user(s)", len(user_ids))

    def _record_negatives(self, ev: EventArrays) -> None:
        neg = np.flatnonzero(np.isin(ev.types, list(NEGATIVE_TYPES)))
        if len(neg):
            self.feedback.add(ev.users[neg].tolist(), ev.items[neg].tolist())

    def hidden_items(self, user_id: str) -> np.ndarray:
        """Catalog indices ``user_id`` gave negative feedback on (with their near-duplicates if configured);
        with a shared online state, also those given on another worker whose log entry is not applied here
        yet (read with the user's shared session)."""
        hidden = self.feedback.hidden(str(user_id), self.catalog, self.config.hide_near_duplicates)
        shared = self.sessions.shared_hidden(str(user_id))
        if shared is None or not len(shared):
            return hidden
        return np.union1d(hidden, shared)

    def rebuild_cooccurrence(self, ev: EventArrays) -> None:
        codes = pd.factorize(pd.Series(ev.baskets, dtype=object))[0] if len(ev) else np.empty(0, np.int64)
        positive = ev.weights > 0
        buy = np.isin(ev.types, list(BUY_TYPES))
        self.viewed_together = CoOccurrence.build(codes[positive], ev.items[positive], len(self.catalog))
        self.bought_together = CoOccurrence.build(codes[buy], ev.items[buy], len(self.catalog))

    def apply_events(self, events: list[Event], *, replicated: bool = False) -> EventArrays:
        """Apply acknowledged, validated events: signals, sessions. Events whose idempotency key was seen
        recently are skipped. Returns the events that were applied.

        Events this worker acknowledged are also claimed in, and published to, the shared online state
        (:attr:`online`); ``replicated`` events came from another worker through it and are applied here only.
        """
        ev = event_arrays_from_models(events, self.catalog, self.config.event_weights,
                                      self.config.negative_rating_threshold)
        shared = None if replicated or not self.online.shared else self.online.admit(ev.keys)
        with self._lock:
            fresh = self.event_ids.admit(ev.keys)
            if shared is not None:
                fresh &= shared
            ev = ev.take(np.flatnonzero(fresh))
            self.signals.add(ev.items, ev.types, ev.timestamps)
            self._record_negatives(ev)
            by_user: dict[str, list[tuple[int, str, int]]] = {}
            for pos in np.flatnonzero(ev.weights > 0):
                by_user.setdefault(str(ev.users[pos]), []).append(
                    (int(ev.items[pos]), str(ev.types[pos]), int(ev.timestamps[pos])))
            self.sessions.record_many(by_user)
        if not replicated and self.online.shared and len(ev):
            kept = [e for e, ok in zip((e for e in events if e.item_id), fresh, strict=True) if ok]
            raw: dict[str, list[SharedEvent]] = {
                u: [(self.catalog.raw(i), t, ts) for i, t, ts in rows] for u, rows in by_user.items()}
            # negative feedback joins the shared session too: the next list on any worker leaves the item out
            for pos in np.flatnonzero(np.isin(ev.types, list(NEGATIVE_TYPES))):
                raw.setdefault(str(ev.users[pos]), []).append(
                    (self.catalog.raw(int(ev.items[pos])), str(ev.types[pos]), int(ev.timestamps[pos])))
            self.online.publish_events(kept, raw)
        return ev
