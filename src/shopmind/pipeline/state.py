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
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from shopmind.data.catalog import Catalog
from shopmind.data.signals import FUTURE_TOLERANCE_S, REWARD_TYPES, ItemSignals
from shopmind.errors import StoreError
from shopmind.pipeline.cooccurrence import CoOccurrence
from shopmind.pipeline.feedback import NegativeFeedback
from shopmind.pipeline.history import KINDS, SessionStore, UserHistory, kind_of
from shopmind.pipeline.online import InProcessState, OnlineState, SharedEvent
from shopmind.schema import NEGATIVE_TYPES, Event, EventType, is_negative
from shopmind.settings import PipelineSettings
from shopmind.storage.base import Store
from shopmind.storage.records import event_key, float_list, micros_list

logger = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Batches of up to this many events are claimed and published in one call to the shared state.
SHARED_BATCH = 64
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


def _event_keys(event_ids: list[object], users: list[str], item_ids: list[str], types: list[str],
                values: list[float | None], ts_us: list[int], sessions: list[object]) -> list[bytes]:
    return [event_key(e if isinstance(e, str) else None, u, i, t, v, us, s if isinstance(s, str) else None)
            for e, u, i, t, v, us, s in zip(event_ids, users, item_ids, types, values, ts_us, sessions, strict=True)]


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
    keys = _event_keys(event_ids, users, item_ids, types, values, ts_us, sessions)
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


def _by_user(ev: EventArrays) -> dict[str, list[tuple[int, str, int]]]:
    """Each user's positive events of ``ev`` (item code, type, time), in order: what a session records."""
    by_user: dict[str, list[tuple[int, str, int]]] = {}
    for pos in np.flatnonzero(ev.weights > 0):
        by_user.setdefault(str(ev.users[pos]), []).append(
            (int(ev.items[pos]), str(ev.types[pos]), int(ev.timestamps[pos])))
    return by_user


def counted_types(weights: Mapping[str, float]) -> list[str]:
    """Event types the serving state only needs counted per item (and their latest time, for the signals'
    clock): zero weight, not negative feedback, not a reward, not a purchase or cart add, not a rating (a low
    one is negative). At start-up the store counts these (:meth:`~shopmind.storage.base.EventLog.
    item_event_counts`) instead of sending every row - impressions are most of a shop's log."""
    special = NEGATIVE_TYPES | REWARD_TYPES | BUY_TYPES | {"rating"}
    names = {str(t) for t in EventType} | set(weights)
    return sorted(t for t in names if weights.get(t, 0.0) == 0.0 and t not in special)


def _chunk_types(chunk: pd.DataFrame, rating_threshold: float | None) -> np.ndarray:
    """A chunk's event types, ratings at or below ``rating_threshold`` as ``dislike`` (as :func:`event_arrays`)."""
    types: np.ndarray = chunk["type"].to_numpy(object)
    if rating_threshold is not None:
        low = (types == "rating") & (chunk["value"].to_numpy(np.float64) <= rating_threshold)
        if low.any():
            types = types.copy()
            types[low] = "dislike"
    return types


def chunk_keys(chunk: pd.DataFrame, rating_threshold: float | None) -> list[bytes]:
    """The idempotency keys of an ``event_chunks`` frame read with ``event_id``, ``session_id`` and
    ``dedupe_key``, as :func:`event_arrays` computes them: the stored key, except for a low rating without an
    event id, whose key the live path computes as a ``dislike`` (recomputed here)."""
    keys: list[bytes] = chunk["dedupe_key"].tolist()
    types = _chunk_types(chunk, rating_threshold)
    recompute = np.flatnonzero((types != chunk["type"].to_numpy(object)) & chunk["event_id"].isna().to_numpy())
    if len(recompute):
        part = chunk.iloc[recompute]
        values = part["value"].to_numpy(np.float64)
        fresh = _event_keys(part["event_id"].tolist(), [str(u) for u in part["user_id"].tolist()],
                            [str(i) for i in part["item_id"].tolist()], [str(t) for t in types[recompute].tolist()],
                            [None if v != v else float(v) for v in values.tolist()], part["ts_us"].tolist(),
                            part["session_id"].tolist())
        for pos, key in zip(recompute.tolist(), fresh, strict=True):
            keys[pos] = key
    return keys


def _codes(values: np.ndarray, index: dict[str, int]) -> np.ndarray:
    """Codes of ``values`` in ``index``, new values numbered in order of first appearance (across calls)."""
    local, uniques = pd.factorize(values)
    mapped = np.fromiter((index.setdefault(str(u), len(index)) for u in uniques), dtype=np.int64,
                         count=len(uniques))
    out: np.ndarray = mapped[local] if len(local) else np.empty(0, np.int64)
    return out


@dataclass(frozen=True)
class StateLoad:
    """What a start-up read: rows streamed, and events the store counted instead (:func:`counted_types`)."""

    streamed: int
    counted: int


class _StateBuilder:
    """Accumulates what :class:`LiveState` is built from, one ``event_chunks`` frame at a time, as compact
    arrays: positive events for the histories and the trending windows (only those still inside the largest
    window), basket codes for co-occurrence, negative feedback as it comes."""

    def __init__(self, catalog: Catalog, config: PipelineSettings) -> None:
        self.catalog, self.config = catalog, config
        self._signals = ItemSignals(config.event_weights, refresh_seconds=config.refresh_seconds)
        self.feedback = NegativeFeedback()
        self.rows = 0
        self._latest: int | None = None  # the latest event time seen, epoch seconds
        self._span = max(w.span for w in self._signals.windows.values())
        self._users: dict[str, int] = {}
        self._baskets: dict[str, int] = {}
        self._hist: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self._trend: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._viewed: list[tuple[np.ndarray, np.ndarray]] = []
        self._bought: list[tuple[np.ndarray, np.ndarray]] = []

    def _note_time(self, latest: int) -> None:
        self._latest = latest if self._latest is None else max(self._latest, latest)

    def add(self, chunk: pd.DataFrame) -> None:
        n = len(chunk)
        if not n:
            return
        self.rows += n
        config = self.config
        users = chunk["user_id"].to_numpy(object)
        items = self.catalog.ensure(chunk["item_id"].tolist()).astype(np.int64)
        types = _chunk_types(chunk, config.negative_rating_threshold)
        ts = chunk["ts_us"].to_numpy(np.int64) // 1_000_000
        type_codes, type_names = pd.factorize(types)
        weights = np.array([config.event_weights.get(str(t), 0.0) for t in type_names], np.float64)[type_codes]
        self._signals.add_counts(items, types)
        self._note_time(int(ts.max()))
        positive = weights > 0
        if positive.any():
            kind_code = {k: i for i, k in enumerate(KINDS)}
            kinds = np.array([kind_code[kind_of(str(t))] for t in type_names], np.int8)[type_codes]
            self._hist.append((_codes(users[positive], self._users), items[positive].astype(np.int32),
                               kinds[positive], ts[positive]))
            self._trend.append((items[positive].astype(np.int32), types[positive], ts[positive]))
        buy = np.isin(types, list(BUY_TYPES))
        if positive.any() or buy.any():
            sessions = chunk["session_id"].to_numpy(object)
            either = positive | buy
            baskets = np.array([f"s:{s}" if isinstance(s, str) and s else f"u:{u}"
                                for s, u in zip(sessions[either], users[either], strict=True)], dtype=object)
            codes = np.full(n, -1, np.int64)
            codes[either] = _codes(baskets, self._baskets)
            self._viewed.append((codes[positive], items[positive].astype(np.int32)))
            self._bought.append((codes[buy], items[buy].astype(np.int32)))
        negative = np.isin(types, list(NEGATIVE_TYPES))
        if negative.any():
            self.feedback.add(users[negative].tolist(), items[negative].tolist())
        self._prune()

    def _prune(self) -> None:
        """Drop buffered events already outside every trending window (the clock only moves forward)."""
        if self._latest is None or len(self._trend) < 16:
            return
        clock = min(self._latest, int(time.time()) + FUTURE_TOLERANCE_S)
        items, types, ts = (np.concatenate(c) for c in zip(*self._trend, strict=True))
        keep = ts > clock - self._span
        self._trend = [(items[keep], types[keep], ts[keep])]

    def signals(self, counts: pd.DataFrame | None) -> ItemSignals:
        """The item signals, with the per-item counts of the counted types (``item_event_counts``) added."""
        signals = self._signals
        if counts is not None and len(counts):
            items = self.catalog.ensure(counts["item_id"].tolist()).astype(np.int64)
            signals.add_counts(items, counts["type"].to_numpy(object), counts["count"].to_numpy(np.int64))
            self._note_time(int(counts["max_ts_us"].max()) // 1_000_000)
        if self._latest is not None:
            if self._trend:
                items, types, ts = (np.concatenate(c) for c in zip(*self._trend, strict=True))
            else:
                items, types, ts = np.empty(0, np.int32), np.empty(0, object), np.empty(0, np.int64)
            signals.add_trending(items, types, ts, self._latest)
        self._trend = []
        return signals

    def history(self) -> UserHistory:
        if not self._hist:
            return UserHistory.empty()
        codes, items, kinds, ts = (np.concatenate(c) for c in zip(*self._hist, strict=True))
        self._hist = []
        return UserHistory.from_codes(codes, list(self._users), items, kinds, ts, self.config.history_limit)

    def cooccurrence(self, n_items: int) -> tuple[CoOccurrence, CoOccurrence]:
        out = []
        for parts in (self._viewed, self._bought):
            if parts:
                baskets, items = (np.concatenate(c) for c in zip(*parts, strict=True))
                out.append(CoOccurrence.build(baskets, items, n_items))
            else:
                out.append(CoOccurrence.build(np.empty(0, np.int64), np.empty(0, np.int64), n_items))
        self._viewed, self._bought = [], []
        return out[0], out[1]


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
    def from_store(cls, store: Store, config: PipelineSettings, *, chunk_rows: int = 100_000) -> LiveState:
        """Read the catalog and stream the event log once, in chunks (see :meth:`_load_events`)."""
        t0 = time.perf_counter()
        state = cls(config)
        state.catalog.upsert_frame(store.items_frame())
        loaded = state._load_events(store, chunk_rows=chunk_rows)
        logger.info("serving state: %d items, %d events (%d streamed, %d counted by the store), %d users with "
                    "history in %.1fs", len(state.catalog), loaded.streamed + loaded.counted, loaded.streamed,
                    loaded.counted, len(state.history.users), time.perf_counter() - t0)
        return state

    def _load_events(self, store: Store, *, chunk_rows: int = 100_000) -> StateLoad:
        """Build signals, histories, co-occurrence, negative feedback and the event-id window from the stored
        events (over this state's catalog), equal to applying every stored event at once but never holding
        the log: the events are streamed as typed columns (:meth:`~shopmind.storage.base.EventLog.
        event_chunks`, no context), the events that only count (zero-weight types such as impressions:
        :func:`counted_types`) are counted per item by the store instead, and the event-id window reads the
        newest ``remembered_event_ids`` events."""
        config = self.config
        counted = counted_types(config.event_weights)
        build = _StateBuilder(self.catalog, config)
        for chunk in store.event_chunks(exclude_types=counted, chunk_rows=chunk_rows,
                                        extra_columns=("session_id",)):
            build.add(chunk)
        counts = store.item_event_counts(counted) if counted else None
        self.signals = build.signals(counts)
        self.history = build.history()
        self.viewed_together, self.bought_together = build.cooccurrence(len(self.catalog))
        self.feedback = build.feedback
        self.event_ids = EventIdWindow(config.remembered_event_ids)
        for tail in store.event_chunks(extra_columns=("event_id", "session_id", "dedupe_key"), chunk_rows=chunk_rows,
                                       last=config.remembered_event_ids):
            self.event_ids.admit(chunk_keys(tail, config.negative_rating_threshold))
        return StateLoad(build.rows, int(counts["count"].sum()) if counts is not None else 0)

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

    def apply_events(self, events: list[Event], *, replicated: bool = False) -> EventArrays:
        """Apply acknowledged, validated events: signals, sessions. Events whose idempotency key was seen
        recently are skipped. Returns the events that were applied.

        Events this worker acknowledged are also claimed in, and published to, the shared online state
        (:attr:`online`); ``replicated`` events came from another worker through it and are applied here only.
        """
        ev = event_arrays_from_models(events, self.catalog, self.config.event_weights,
                                      self.config.negative_rating_threshold)
        share = not replicated and self.online.shared
        if not share:
            with self._lock:
                return self._apply(ev, self.event_ids.admit(ev.keys))
        with self._lock:
            fresh = self.event_ids.admit(ev.keys)
        published = False
        if 0 < len(ev) <= SHARED_BATCH and fresh.all():
            # the common case, new events: claimed and published in one round trip (nothing is published
            # unless every one is claimed; the claimed ones are then published below, as in the other case)
            claimed = self.online.admit_and_publish(ev.keys, *self._shared(events, ev, fresh))
            published = claimed is None or bool(claimed.all())
        else:
            claimed = self.online.admit(ev.keys)
        if claimed is not None:
            fresh &= claimed
        with self._lock:
            ev = self._apply(ev, fresh)
        if not published and len(ev):
            self.online.publish_events(*self._shared(events, ev, fresh))
        return ev

    def _apply(self, ev: EventArrays, fresh: np.ndarray) -> EventArrays:
        """Apply the ``fresh`` events of ``ev`` to signals, negative feedback and sessions (under the lock);
        returns them."""
        ev = ev.take(np.flatnonzero(fresh))
        self.signals.add(ev.items, ev.types, ev.timestamps)
        self._record_negatives(ev)
        self.sessions.record_many(_by_user(ev))
        return ev

    def _shared(self, events: list[Event], ev: EventArrays, fresh: np.ndarray
                ) -> tuple[list[Event], dict[str, list[SharedEvent]]]:
        """What :meth:`OnlineState.publish_events` shares of the applied events ``ev``: the events (``fresh`` says
        which of ``events`` with an item they are), and each user's session rows."""
        kept = [e for e, ok in zip((e for e in events if e.item_id), fresh, strict=True) if ok]
        raw: dict[str, list[SharedEvent]] = {
            u: [(self.catalog.raw(i), t, ts) for i, t, ts in rows] for u, rows in _by_user(ev).items()}
        # negative feedback joins the shared session too: the next list on any worker leaves the item out
        for pos in np.flatnonzero(np.isin(ev.types, list(NEGATIVE_TYPES))):
            raw.setdefault(str(ev.users[pos]), []).append(
                (self.catalog.raw(int(ev.items[pos])), str(ev.types[pos]), int(ev.timestamps[pos])))
        return kept, raw
