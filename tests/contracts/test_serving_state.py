"""The serving state streamed from the store equals the one built from the whole event frame (the way it was
built before: every event as a pandas row), on both backends."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shopmind.data.signals import ItemSignals
from shopmind.data.synth import generate_demo_shop
from shopmind.ingest import import_records
from shopmind.pipeline.cooccurrence import CoOccurrence
from shopmind.pipeline.feedback import NegativeFeedback
from shopmind.pipeline.history import UserHistory
from shopmind.pipeline.state import BUY_TYPES, EventIdWindow, LiveState, event_arrays
from shopmind.schema import NEGATIVE_TYPES
from shopmind.settings import PipelineSettings
from shopmind.storage import Store

CONFIG = PipelineSettings(remembered_event_ids=300)


def frame_state(store: Store, config: PipelineSettings) -> LiveState:
    """The state as ``LiveState.from_store`` built it before streaming: one ``events_frame()``, applied at once."""
    state = LiveState(config)
    state.catalog.upsert_frame(store.items_frame())
    ev = event_arrays(store.events_frame(), state.catalog, config.event_weights, config.negative_rating_threshold)
    state.signals = ItemSignals(config.event_weights, refresh_seconds=config.refresh_seconds)
    state.signals.add(ev.items, ev.types, ev.timestamps)
    state.event_ids = EventIdWindow(config.remembered_event_ids)
    state.event_ids.admit(ev.keys[-config.remembered_event_ids:])
    state.history = UserHistory.build(ev.users, ev.items, ev.types, ev.timestamps, ev.weights)
    codes = pd.factorize(pd.Series(ev.baskets, dtype=object))[0] if len(ev) else np.empty(0, np.int64)
    positive, buy = ev.weights > 0, np.isin(ev.types, list(BUY_TYPES))
    state.viewed_together = CoOccurrence.build(codes[positive], ev.items[positive], len(state.catalog))
    state.bought_together = CoOccurrence.build(codes[buy], ev.items[buy], len(state.catalog))
    state.feedback = NegativeFeedback()
    neg = np.flatnonzero(np.isin(ev.types, list(NEGATIVE_TYPES)))
    state.feedback.add(ev.users[neg].tolist(), ev.items[neg].tolist())
    return state


def padded(values: np.ndarray, n: int) -> list[float]:
    """Per-item values over the catalog (the arrays grow by whole blocks: past the catalog they are zeros)."""
    assert not values[n:].any()
    out = np.zeros(n)
    out[:min(len(values), n)] = values[:n]
    return out.tolist()


def assert_same_state(got: LiveState, want: LiveState) -> None:
    n = len(want.catalog)
    assert got.catalog.ids.raws(list(range(len(got.catalog)))) == want.catalog.ids.raws(list(range(n)))
    gs, ws = got.signals, want.signals
    for name in ("popularity", "impressions", "rewards"):
        assert padded(getattr(gs, name), n) == padded(getattr(ws, name), n), name
    assert gs.clock == ws.clock
    for key, window in ws.windows.items():
        assert padded(gs.windows[key].totals, n) == padded(window.totals, n), key
        assert gs.windows[key]._buckets == window._buckets, key
    gh, wh = got.history, want.history
    assert gh.users.raws(list(range(len(gh.users)))) == wh.users.raws(list(range(len(wh.users))))
    assert gh.indptr.tolist() == wh.indptr.tolist()
    assert gh.items.tolist() == wh.items.tolist() and gh.kinds.tolist() == wh.kinds.tolist()
    for g, w in ((got.viewed_together, want.viewed_together), (got.bought_together, want.bought_together)):
        assert g.indptr.tolist() == w.indptr.tolist()
        assert g.indices.tolist() == w.indices.tolist() and g.scores.tolist() == w.scores.tolist()
    assert got.feedback._hidden == want.feedback._hidden
    assert list(got.event_ids._keys) == list(want.event_ids._keys)


def demo_store(store: Store) -> None:
    shop = generate_demo_shop(n_users=400, n_items=60, days=10, seed=5, start="2026-05-25")
    for kind, frame in (("item", shop.items), ("user", shop.users), ("event", shop.events)):
        import_records(store, frame.to_dict("records"), kind)
    t = pd.Timestamp("2026-06-04 12:00", tz="UTC")
    item = shop.items["item_id"].iloc[0]
    store.append_events([  # the edges: a low rating (negative), no session, no event id, no item, hidden items
        {"user_id": "edge", "item_id": item, "type": "rating", "value": 1.0, "timestamp": t},
        {"user_id": "edge", "item_id": item, "type": "view", "timestamp": t},
        {"user_id": "edge", "item_id": None, "type": "search", "timestamp": t},
        {"user_id": "edge", "item_id": shop.items["item_id"].iloc[1], "type": "hide", "timestamp": t},
        {"user_id": "edge", "item_id": item, "type": "impression", "timestamp": t, "event_id": "imp-1"},
        *({"user_id": user, "item_id": shop.items["item_id"].iloc[k], "type": etype, "session_id": session,
           "timestamp": t + pd.Timedelta(minutes=k)}  # bought together: in a session, and by a user without one
          for user, session in (("edge", "s-edge"), ("edge2", None))
          for k, etype in ((2, "add_to_cart"), (3, "purchase"), (4, "purchase"))),
    ])


def test_streamed_state_equals_the_frame_build_on_the_demo_shop(store: Store) -> None:
    demo_store(store)
    events = store.counts()["events"]
    assert events > CONFIG.remembered_event_ids  # the event-id window is full
    want = frame_state(store, CONFIG)
    assert len(want.feedback) and len(want.bought_together.indices) and want.signals.impressions.sum() > 0
    assert_same_state(LiveState.from_store(store, CONFIG, chunk_rows=11), want)
    assert_same_state(LiveState.from_store(store, CONFIG), want)  # one chunk


def test_forget_users_rebuilds_by_the_streamed_path(store: Store) -> None:
    demo_store(store)
    state = LiveState.from_store(store, CONFIG, chunk_rows=11)
    gone = [state.history.users.raw(0), "edge"]
    for user in gone:
        store.erase_user(user)
    state.forget_users(store, gone)
    assert_same_state(state, frame_state(store, CONFIG))
    assert gone[0] not in state.history and "edge" not in state.feedback._hidden


def test_history_limit_keeps_each_users_most_recent_events(store: Store) -> None:
    demo_store(store)
    full = LiveState.from_store(store, CONFIG, chunk_rows=11).history
    limited = LiveState.from_store(store, CONFIG.model_copy(update={"history_limit": 3}), chunk_rows=11).history
    lengths = np.diff(full.indptr)
    assert lengths.max() > 3  # some users lose their older events
    assert np.diff(limited.indptr).tolist() == np.minimum(lengths, 3).tolist()
    for u in range(len(full.users)):
        user = full.users.raw(u)
        assert limited.seen(user).tolist() == full.seen(user)[-3:].tolist()
        recent = limited.recent(user, 3)  # distinct items of the last 3 events: the newest of the full history
        assert recent and recent == full.recent(user, 3)[:len(recent)]
