"""The store contract: every backend must pass every test here (see conftest.py for the backends)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shopmind.data.loaders.base import Reject
from shopmind.errors import StoreError
from shopmind.schema import EVENT_COLUMNS, ITEM_COLUMNS, USER_COLUMNS
from shopmind.storage import (
    PERSONAL_DATA_KINDS,
    REJECT_COLUMNS,
    AppendCounts,
    Store,
    UpsertCounts,
    load_interactions,
    load_sequences,
    open_store,
)
from shopmind.storage.records import event_key

T0 = pd.Timestamp("2024-05-01 12:00:00", tz="UTC")


def ev(user: str, item: str | None, t: pd.Timestamp = T0, type: str = "view", **extra: object) -> dict:
    return {"user_id": user, "item_id": item, "type": type, "timestamp": t, **extra}


# ---------------------------------------------------------------------------------------------- basics
def test_is_a_store_and_starts_empty(store: Store) -> None:
    assert isinstance(store, Store)
    assert store.counts() == {"items": 0, "users": 0, "events": 0, "rejects": 0, "imports": 0}
    assert list(store.items_frame().columns) == list(ITEM_COLUMNS)
    assert list(store.users_frame().columns) == list(USER_COLUMNS)
    assert list(store.events_frame().columns) == [*EVENT_COLUMNS, "seq"]
    assert list(store.quarantine_frame().columns) == list(REJECT_COLUMNS)
    assert store.append_events([]) == AppendCounts(0, 0)
    assert store.get_item("nope") is None and store.get_user("nope") is None


def test_closed_store_raises_store_error(store_url: str) -> None:
    s = open_store(store_url)
    s.close()
    with pytest.raises(StoreError, match="closed"):
        s.counts()
    s.close()  # closing twice is harmless


def test_reopen_keeps_data(store_url: str) -> None:
    with open_store(store_url) as s:
        s.append_events([ev("u1", "i1")])
        s.upsert_items([{"item_id": "i1"}])
    with open_store(store_url) as s:
        assert s.counts()["events"] == 1 and s.counts()["items"] == 1


# ---------------------------------------------------------------------------------------------- items/users
def test_item_upsert_insert_update_unchanged(store: Store) -> None:
    first = [{"item_id": "a", "title": "Tea", "price": 4.5, "attributes": {"size": "L"}, "in_stock": True},
             {"item_id": "b", "title": "Mug"}]
    assert store.upsert_items(first) == UpsertCounts(inserted=2)
    again = [{"item_id": "a", "title": "Tea", "price": 4.5, "attributes": {"size": "L"}, "in_stock": True},
             {"item_id": "b", "title": "Big mug", "in_stock": False},
             {"item_id": "c"}]
    assert store.upsert_items(again) == UpsertCounts(inserted=1, updated=1, unchanged=1)
    b = store.get_item("b")
    assert b is not None and b["title"] == "Big mug" and b["in_stock"] is False
    a = store.get_item("a")
    assert a == {"item_id": "a", "title": "Tea", "description": None, "category": None, "brand": None,
                 "price": 4.5, "currency": None, "attributes": {"size": "L"}, "image": None,
                 "created_at": None, "in_stock": True}
    frame = store.items_frame()
    assert frame["item_id"].tolist() == ["a", "b", "c"]  # first-stored order survives updates
    assert frame["attributes"].tolist() == [{"size": "L"}, {}, {}]
    assert np.isnan(frame.loc[2, "price"]) and frame.loc[2, "title"] is None


def test_repeated_id_in_one_batch_last_wins(store: Store) -> None:
    counts = store.upsert_items([{"item_id": "a", "title": "old"}, {"item_id": "a", "title": "new"}])
    assert counts == UpsertCounts(inserted=1, collapsed=1)
    assert store.get_item("a")["title"] == "new"  # type: ignore[index]


def test_users_upsert_get_delete(store: Store) -> None:
    born = pd.Timestamp("2023-01-02 03:04:05", tz="UTC")
    assert store.upsert_users([{"user_id": "u1", "attributes": {"tier": "gold"}, "created_at": born},
                               {"user_id": "u2"}]) == UpsertCounts(inserted=2)
    assert store.upsert_users([{"user_id": "u1", "attributes": {"tier": "gold"}, "created_at": born}]
                              ) == UpsertCounts(unchanged=1)
    u1 = store.get_user("u1")
    assert u1 is not None and u1["attributes"] == {"tier": "gold"} and u1["created_at"] == born
    assert store.delete_users(["u2", "ghost"]) == 1
    assert store.users_frame()["user_id"].tolist() == ["u1"]


def test_delete_items_keeps_their_events(store: Store) -> None:
    store.upsert_items([{"item_id": "a"}, {"item_id": "b"}])
    store.append_events([ev("u1", "a")])
    assert store.delete_items(["a"]) == 1
    assert store.get_item("a") is None
    assert store.counts()["items"] == 1 and store.counts()["events"] == 1


# ---------------------------------------------------------------------------------------------- events
def test_dedupe_by_event_id(store: Store) -> None:
    assert store.append_events([ev("u1", "a", event_id="e1")]) == AppendCounts(1, 0)
    # same id, different content: still the same event
    assert store.append_events([ev("u2", "b", event_id="e1"), ev("u1", "a", event_id="e2")]
                               ) == AppendCounts(1, 1)
    assert store.events_frame()["event_id"].tolist() == ["e1", "e2"]


def test_dedupe_by_content_hash(store: Store) -> None:
    batch = [ev("u1", "a"), ev("u1", "a"),  # identical, no id: one event
             ev("u1", "a", value=2.0), ev("u1", "a", session_id="s1"), ev("u1", "a", type="click"),
             ev("u1", None, type="search"), ev("u1", "a", T0 + pd.Timedelta(microseconds=1))]
    assert store.append_events(batch) == AppendCounts(inserted=6, duplicates=1)
    # the context is not part of the identity of an event
    assert store.append_events([ev("u1", "a", context={"page": "home"})]) == AppendCounts(0, 1)


def test_reappending_a_batch_adds_nothing(store: Store) -> None:
    batch = pd.DataFrame([ev(f"u{i % 3}", f"i{i % 5}", T0 + pd.Timedelta(seconds=i), value=float(i))
                          for i in range(40)])
    assert store.append_events(batch) == AppendCounts(40, 0)
    before = store.events_frame()
    assert store.append_events(batch) == AppendCounts(0, 40)
    pd.testing.assert_frame_equal(store.events_frame(), before)


def test_arrival_order_is_kept_for_equal_and_decreasing_times(store: Store) -> None:
    items = ["z", "a", "m", "b"]
    store.append_events([ev("u1", it) for it in items])  # all at T0
    store.append_events([ev("u1", "late", T0 - pd.Timedelta(days=1)), ev("u1", "c")])
    frame = store.events_frame()
    assert frame["item_id"].tolist() == [*items, "late", "c"]
    assert frame["seq"].is_monotonic_increasing and frame["seq"].is_unique


def test_timestamps_are_utc_and_exact(store: Store) -> None:
    shanghai = timezone(timedelta(hours=8))
    store.append_events([
        ev("u1", "a", pd.Timestamp("2024-05-01 20:00:00.123456+08:00")),
        ev("u1", "b", datetime(2024, 5, 1, 20, 0, tzinfo=shanghai)),
        ev("u1", "c", pd.Timestamp("2024-05-01 12:00:00")),  # naive: taken as UTC
    ])
    ts = store.events_frame()["timestamp"]
    assert str(ts.dtype) == "datetime64[us, UTC]"
    assert ts.tolist() == [pd.Timestamp("2024-05-01 12:00:00.123456", tz="UTC"), T0, T0]


def test_event_values_and_context_round_trip(store: Store) -> None:
    store.append_events([ev("u1", "a", type="rating", value=4.5, session_id="s9",
                            context={"device": "mobile", "pos": 3})])
    row = store.events_frame().iloc[0]
    assert (row["type"], row["value"], row["session_id"]) == ("rating", 4.5, "s9")
    assert row["context"] == {"device": "mobile", "pos": 3}


def test_unicode_round_trip(store: Store) -> None:
    title, attrs = "龙井绿茶 250克 🍵\ttab\nnew line \\N back\\slash", {"产地": "杭州", "等级": "特级"}
    store.upsert_items([{"item_id": "茶-1", "title": title, "category": "食品 > 茶", "attributes": attrs}])
    store.append_events([ev("用户甲", "茶-1", context={"搜索": "绿茶"})])
    item = store.get_item("茶-1")
    assert item is not None and item["title"] == title and item["attributes"] == attrs
    row = store.events_frame().iloc[0]
    assert row["user_id"] == "用户甲" and row["context"] == {"搜索": "绿茶"}


def test_event_counts_by_type_and_bucket(store: Store) -> None:
    assert list(store.event_counts().columns) == ["start", "type", "count"] and store.event_counts().empty
    day = pd.Timedelta(days=1)
    store.append_events([ev("u1", "a"), ev("u2", "a"), ev("u1", "b", type="purchase"),
                         ev("u1", "a", T0 + day), ev("u3", "c", T0 - 400 * day, type="purchase")])
    counts = store.event_counts()
    midnight = T0.floor("D")
    assert counts.to_dict("records") == [
        {"start": midnight - 400 * day, "type": "purchase", "count": 1},
        {"start": midnight, "type": "purchase", "count": 1},
        {"start": midnight, "type": "view", "count": 2},
        {"start": midnight + day, "type": "view", "count": 1},
    ]
    hourly = store.event_counts(bucket_seconds=3600)
    assert hourly["start"].iloc[1] == T0.floor("h") and int(hourly["count"].sum()) == 5
    with pytest.raises(StoreError, match="bucket_seconds"):
        store.event_counts(bucket_seconds=0)


def test_batches_larger_than_a_chunk(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from shopmind.storage import records

    monkeypatch.setattr(records, "CHUNK_ROWS", 7)
    batch = [ev(f"u{i % 4}", f"i{i}", T0) for i in range(30)]
    assert store.append_events(batch + batch[:10]) == AppendCounts(30, 10)  # duplicates across chunks
    assert store.events_frame()["item_id"].tolist() == [f"i{i}" for i in range(30)]


# ---------------------------------------------------------------------------------------------- atomicity
def test_bad_event_batch_stores_nothing(store: Store) -> None:
    store.append_events([ev("u0", "a")])
    bad = [ev("u1", "a", T0 + pd.Timedelta(seconds=i)) for i in range(100)]
    bad[57]["user_id"] = None  # violates NOT NULL
    with pytest.raises(StoreError, match="nothing was written"):
        store.append_events(bad)
    assert store.counts()["events"] == 1
    # the store is still usable, and the good part can be appended after fixing the row
    del bad[57]
    assert store.append_events(bad) == AppendCounts(99, 0)


def test_bad_item_batch_stores_nothing(store: Store) -> None:
    store.upsert_items([{"item_id": "a", "title": "kept"}])
    with pytest.raises(StoreError):
        store.upsert_items([{"item_id": "a", "title": "changed"}, {"item_id": "b", "price": -1.0}])
    assert store.get_item("a")["title"] == "kept"  # type: ignore[index]
    assert store.get_item("b") is None


def test_missing_required_column_is_a_store_error(store: Store) -> None:
    with pytest.raises(StoreError, match="timestamp"):
        store.append_events([{"user_id": "u1", "item_id": "a", "type": "view"}])
    with pytest.raises(StoreError, match="epoch numbers"):
        store.append_events([{"user_id": "u1", "item_id": "a", "type": "view", "timestamp": 1714564800}])
    assert store.counts()["events"] == 0


# ---------------------------------------------------------------------------------------------- import log
def test_quarantine_round_trip_and_filter(store: Store) -> None:
    n = store.add_rejects("imp-1", [
        Reject("events.csv", 7, "timestamp", "yesterday", "unparseable date"),
        Reject("items.csv", 3, "price", -2.5, "must be >= 0", kind="item"),
    ])
    assert n == 2
    store.add_rejects("imp-2", [{"source": "x.jsonl", "row": 9, "kind": "event", "field": "_line",
                                 "value": "{\"user", "reason": "invalid JSON"}])
    one = store.quarantine_frame("imp-1")
    assert one.to_dict("records") == [
        {"import_id": "imp-1", "source": "events.csv", "row": 7, "kind": "event", "field": "timestamp",
         "value": "yesterday", "reason": "unparseable date"},
        {"import_id": "imp-1", "source": "items.csv", "row": 3, "kind": "item", "field": "price",
         "value": "-2.5", "reason": "must be >= 0"},
    ]
    assert len(store.quarantine_frame()) == 3
    assert store.quarantine_frame("imp-2")["value"].tolist() == ['{"user']
    assert store.quarantine_frame("nope").empty


def test_import_log(store: Store) -> None:
    store.record_import({"import_id": "a", "source": "f.csv", "events": {"inserted": 3}})
    store.record_import({"import_id": "b", "source": "g.csv"})
    store.record_import({"import_id": "a", "source": "f.csv", "events": {"inserted": 4}})  # replaces
    logs = store.list_imports()
    assert [r["import_id"] for r in logs] == ["a", "b"] and logs[0]["events"] == {"inserted": 4}
    store.record_import({"import_id": "c", "source": "h.csv"})
    assert [r["import_id"] for r in store.list_imports(limit=2)] == ["b", "c"]
    assert store.list_imports(limit=0) == []
    with pytest.raises(StoreError, match="import_id"):
        store.record_import({"source": "no id"})


# ---------------------------------------------------------------------------------------------- training view
def test_load_interactions_keeps_whole_catalog(store: Store) -> None:
    store.upsert_items([{"item_id": i, "title": i.upper()} for i in ("a", "b", "c", "unsold")])
    store.upsert_users([{"user_id": "quiet"}])
    store.append_events([ev("u1", "a"), ev("u1", "b", type="purchase"), ev("u2", "a"), ev("u2", "b"),
                         ev("u3", "a"), ev("u3", "c"), ev("u3", None, type="search")])
    inter = load_interactions(store)
    assert len(inter) == 6 and "unsold" in inter.items and "quiet" in inter.users
    assert inter.item_meta is not None
    assert inter.item_meta.loc[inter.items.index("unsold"), "title"] == "UNSOLD"
    core = load_interactions(store, k_core=2)  # c (1 event) goes, then u3 (left with 1)
    assert len(core) == 4 and core.items == inter.items
    assert sorted(core.users.raws(np.unique(core.user))) == ["u1", "u2"]
    assert load_sequences(store) == {"u1": ["a", "b"], "u2": ["a", "b"], "u3": ["a", "c"]}


# ---------------------------------------------------------------------------------------------- embeddings
def test_embedding_cache_round_trip_replace_and_isolation_by_model(store: Store, store_url: str) -> None:
    a, b = np.arange(4, dtype=np.float32), np.ones(4, dtype=np.float32)
    assert store.get_embeddings("enc", ["k1", "k2"]) == {}
    assert store.put_embeddings("enc", {"k1": a, "k2": b}) == 2
    got = store.get_embeddings("enc", ["k1", "k2", "k3", "k1"])
    assert set(got) == {"k1", "k2"} and got["k1"].dtype == np.float32
    np.testing.assert_array_equal(got["k1"], a)
    assert store.get_embeddings("other", ["k1"]) == {}  # keyed by model too
    store.put_embeddings("enc", {"k1": b})  # replaced, not duplicated
    np.testing.assert_array_equal(store.get_embeddings("enc", ["k1"])["k1"], b)
    keys = [f"x{i}" for i in range(2000)]  # more keys than one SQL statement takes
    store.put_embeddings("enc", {k: np.full(2, i, np.float32) for i, k in enumerate(keys)})
    many = store.get_embeddings("enc", keys)
    assert len(many) == 2000 and many["x1999"][0] == 1999
    store.close()
    with open_store(store_url) as again:
        np.testing.assert_array_equal(again.get_embeddings("enc", ["k2"])["k2"], b)


# ---------------------------------------------------------------------------------------------- experiments
def test_experiment_documents_round_trip_replace_and_order(store: Store, store_url: str) -> None:
    assert store.get_experiment("e1") is None and store.list_experiments() == []
    doc = {"experiment_id": "e1", "surface": "home", "variants": [{"name": "control", "weight": 0.5}],
           "buckets": [0, 5000], "status": "running", "名前": "首页"}
    store.put_experiment(doc)
    store.put_experiment({"experiment_id": "e0", "surface": "pdp"})
    assert store.get_experiment("e1") == doc
    store.put_experiment({**doc, "status": "stopped"})  # replaced, keeps its place
    assert [d["experiment_id"] for d in store.list_experiments()] == ["e1", "e0"]
    assert store.get_experiment("e1")["status"] == "stopped"  # type: ignore[index]
    with pytest.raises(StoreError, match="experiment_id"):
        store.put_experiment({"surface": "home"})
    with pytest.raises(StoreError, match="not JSON"):
        store.put_experiment({"experiment_id": "bad", "traffic": float("nan")})
    store.close()
    with open_store(store_url) as again:
        assert again.get_experiment("e1")["status"] == "stopped"  # type: ignore[index]


def test_exposure_log_append_filter_and_forget_users(store: Store) -> None:
    from shopmind.storage import EXPOSURE_COLUMNS

    rows = [{"experiment_id": "e1", "variant": "a" if i % 2 else "b", "user_id": f"u{i % 3}",
             "recommendation_id": f"r{i}" if i < 3 else None, "model_version": "v7", "propensity": 0.5,
             "timestamp": T0 + pd.Timedelta(minutes=i)} for i in range(6)]
    assert store.log_exposures(rows) == 6
    assert store.log_exposures([{"experiment_id": "e2", "variant": "a", "user_id": "u0", "timestamp": T0}]) == 1
    assert store.log_exposures([]) == 0
    frame = store.exposures_frame("e1")
    assert list(frame.columns) == [*EXPOSURE_COLUMNS, "seq"] and len(frame) == 6
    assert frame["recommendation_id"].tolist() == ["r0", "r1", "r2", None, None, None]
    assert frame["propensity"].tolist() == [0.5] * 6 and frame["seq"].is_monotonic_increasing
    assert str(frame["timestamp"].dtype) == "datetime64[us, UTC]" and frame["timestamp"].iloc[5] == T0 + pd.Timedelta(
        minutes=5)
    everything = store.exposures_frame()
    assert len(everything) == 7 and np.isnan(everything["propensity"].iloc[6])
    with pytest.raises(StoreError):  # a propensity must be a probability; nothing of the batch is kept
        store.log_exposures([{**rows[0], "propensity": 0.5}, {**rows[0], "propensity": 1.5}])
    with pytest.raises(StoreError, match="variant"):
        store.log_exposures([{"experiment_id": "e1", "user_id": "u1", "timestamp": T0}])
    assert len(store.exposures_frame()) == 7
    assert store.delete_user_exposures(["u0", "ghost"]) == 3
    assert sorted(set(store.exposures_frame()["user_id"])) == ["u1", "u2"]


# ---------------------------------------------------------------------------------------------- bandits
def test_bandit_documents_and_additive_stats(store: Store, store_url: str) -> None:
    store.put_bandit({"bandit_id": "b1", "policy": "thompson", "arms": ["a", "b"]})
    assert store.get_bandit("b1") == {"bandit_id": "b1", "policy": "thompson", "arms": ["a", "b"]}
    assert [d["bandit_id"] for d in store.list_bandits()] == ["b1"]
    assert store.bandit_stats("b1") == {}
    store.add_bandit_stats("b1", [("a", "pulls", 1), ("a", "reward", 1.0), ("b", "pulls", 1)])
    store.add_bandit_stats("b1", [("a", "pulls", 1), ("a", "pulls", 2.5)])  # equal keys in one batch add up
    store.add_bandit_stats("b2", [("a", "pulls", 100)])  # another bandit is separate
    assert store.bandit_stats("b1") == {"a": {"pulls": 4.5, "reward": 1.0}, "b": {"pulls": 1.0}}
    with pytest.raises(StoreError, match="finite"):
        store.add_bandit_stats("b1", [("a", "pulls", 1.0), ("b", "pulls", float("inf"))])
    assert store.bandit_stats("b1")["a"]["pulls"] == 4.5  # nothing of the bad batch was added
    store.close()
    with open_store(store_url) as again:
        assert again.bandit_stats("b1")["b"] == {"pulls": 1.0}


def test_bandit_stats_from_two_connections_add_up(store_url: str) -> None:
    """Two workers (two open stores) adding to the same sums: no update is lost."""
    with open_store(store_url) as one, open_store(store_url) as two:
        for _ in range(5):
            one.add_bandit_stats("b", [("x", "pulls", 1.0)])
            two.add_bandit_stats("b", [("x", "pulls", 1.0), ("x", "reward", 0.5)])
        assert one.bandit_stats("b") == {"x": {"pulls": 10.0, "reward": 2.5}}


def test_decision_log_rewards_count_once(store: Store) -> None:
    from shopmind.storage import DECISION_COLUMNS

    decisions = [{"decision_id": f"d{i}", "bandit_id": "b1", "user_id": f"u{i % 2}", "arm": "a" if i else "b",
                  "propensity": 0.25 + 0.25 * i, "context": {"segment": "new", "x": [1.0, 0.5]} if i == 1 else None,
                  "timestamp": T0 + pd.Timedelta(seconds=i)} for i in range(3)]
    assert store.log_decisions(decisions) == 3
    with pytest.raises(StoreError):  # a decision id is unique
        store.log_decisions([{**decisions[0], "decision_id": "d9"}, decisions[0]])
    with pytest.raises(StoreError, match="propensity"):
        store.log_decisions([{**decisions[0], "decision_id": "d8", "propensity": 0.0}])
    frame = store.decisions_frame("b1")
    assert list(frame.columns) == [*DECISION_COLUMNS, "seq"] and frame["decision_id"].tolist() == ["d0", "d1", "d2"]
    assert frame["context"].tolist()[1] == {"segment": "new", "x": [1.0, 0.5]} and np.isnan(frame["reward"]).all()
    assert store.reward_decision("d1", 1.0, [("a", "reward", 1.0)]) is True
    assert store.reward_decision("d1", 1.0, [("a", "reward", 1.0)]) is False  # a retry changes nothing
    assert store.reward_decision("nope", 1.0, [("a", "reward", 1.0)]) is False
    assert store.bandit_stats("b1") == {"a": {"reward": 1.0}}
    d1 = store.get_decision("d1")
    assert d1 is not None and d1["reward"] == 1.0 and d1["propensity"] == 0.5 and d1["arm"] == "a"
    assert d1["timestamp"] == T0 + pd.Timedelta(seconds=1)
    assert store.get_decision("d0")["reward"] is None  # type: ignore[index]
    assert store.get_decision("nope") is None
    assert store.delete_user_decisions(["u0"]) == 2
    assert store.decisions_frame()["decision_id"].tolist() == ["d1"]

# ---------------------------------------------------------------------------------------------- campaigns
def test_campaign_documents_and_delivery_log(store: Store, store_url: str) -> None:
    from shopmind.storage import DELIVERY_COLUMNS  # lazy: keeps this section's additions in one place

    store.put_campaign({"campaign_id": "c1", "channel": "email", "status": "running"})
    store.put_campaign({"campaign_id": "c1", "channel": "email", "status": "stopped"})  # replaced
    assert store.get_campaign("c1") == {"campaign_id": "c1", "channel": "email", "status": "stopped"}
    assert [c["campaign_id"] for c in store.list_campaigns()] == ["c1"] and store.get_campaign("x") is None
    rows = [{"delivery_id": f"d{i}", "campaign_id": "c1", "user_id": f"u{i % 2}",
             "variant": "control" if i == 2 else "treatment", "creative_id": None if i == 2 else "hero",
             "channel": "email", "coupon_code": None if i == 2 else f"C1-{i}", "recommendation_id": f"r{i}",
             "model_version": "als-1", "item_ids": [] if i == 2 else ["i1", f"i{i}"],
             "propensity": 0.2 if i == 2 else 0.8, "timestamp": T0 + pd.Timedelta(seconds=i)} for i in range(3)]
    assert store.log_deliveries(rows) == 3
    with pytest.raises(StoreError):  # a coupon code is unique; nothing of the batch is written
        store.log_deliveries([{**rows[0], "delivery_id": "d8", "coupon_code": "C1-new"},
                              {**rows[0], "delivery_id": "d9"}])
    with pytest.raises(StoreError):
        store.log_deliveries([{**rows[0], "delivery_id": "d7", "coupon_code": None, "propensity": 0.0}])
    frame = store.deliveries_frame("c1")
    assert list(frame.columns) == [*DELIVERY_COLUMNS, "seq"] and frame["delivery_id"].tolist() == ["d0", "d1", "d2"]
    assert frame["item_ids"].tolist() == [["i1", "i0"], ["i1", "i1"], []]
    assert store.deliveries_frame("c1", user_id="u0")["delivery_id"].tolist() == ["d0", "d2"]
    assert store.deliveries_frame("other").empty
    d1 = store.coupon_delivery("C1-1")
    assert d1 is not None and d1["user_id"] == "u1" and d1["propensity"] == 0.8
    assert d1["timestamp"] == T0 + pd.Timedelta(seconds=1) and store.coupon_delivery("nope") is None
    with open_store(store_url) as again:
        assert again.deliveries_frame()["delivery_id"].tolist() == ["d0", "d1", "d2"]


def test_redemptions_are_checked_against_code_budget_and_user_cap(store: Store) -> None:
    def red(code: str, user: str, discount: float) -> dict:
        return {"code": code, "campaign_id": "c1", "user_id": user, "order_id": f"o-{code}", "spend": 50.0,
                "discount": discount, "timestamp": T0}

    assert store.redeem_coupon(red("A", "u1", 6.0), budget=10.0, per_user_cap=1) is None
    assert store.redeem_coupon(red("A", "u2", 1.0), budget=10.0, per_user_cap=1) == "code_used"
    assert store.redeem_coupon(red("B", "u1", 1.0), budget=10.0, per_user_cap=1) == "user_cap"
    assert store.redeem_coupon(red("C", "u2", 5.0), budget=10.0, per_user_cap=1) == "budget_spent"  # 6 + 5 > 10
    assert store.redeem_coupon(red("C", "u2", 4.0), budget=10.0, per_user_cap=1) is None  # exactly the budget
    assert store.redeem_coupon({**red("D", "u3", 1.0), "campaign_id": "c2"}, budget=1.0) is None  # own budget
    frame = store.redemptions_frame("c1")
    assert frame["code"].tolist() == ["A", "C"] and frame["discount"].sum() == 10.0
    with pytest.raises(StoreError):
        store.redeem_coupon(red("E", "u4", -1.0))
    store.log_deliveries([{"delivery_id": "d1", "campaign_id": "c1", "user_id": "u1", "variant": "treatment",
                           "propensity": 1.0, "timestamp": T0}])
    assert store.delete_user_deliveries(["u1"]) == 2  # the delivery and the redemption
    assert store.redemptions_frame()["code"].tolist() == ["C", "D"] and store.deliveries_frame().empty


# ---------------------------------------------------------------------------------------------- event filters
def test_events_frame_after_seq_and_of_users(store: Store) -> None:
    store.append_events([ev(f"u{i % 3}", f"i{i}", T0 + pd.Timedelta(seconds=i)) for i in range(9)])
    seqs = store.events_frame()["seq"].tolist()
    later = store.events_frame(after_seq=seqs[4])
    assert later["item_id"].tolist() == ["i5", "i6", "i7", "i8"]
    mine = store.events_frame(user_ids=["u1", "nobody"])
    assert mine["item_id"].tolist() == ["i1", "i4", "i7"] and mine["seq"].is_monotonic_increasing
    both = store.events_frame(after_seq=seqs[4], user_ids=iter(["u1", "u2"]))
    assert both["item_id"].tolist() == ["i5", "i7", "i8"]
    assert store.events_frame(user_ids=[]).empty
    assert list(both.columns) == [*EVENT_COLUMNS, "seq"]


def test_events_frame_of_types(store: Store) -> None:
    kinds = ["view", "search", "click"]
    store.append_events([ev(f"u{i % 2}", f"i{i}", T0 + pd.Timedelta(seconds=i), kinds[i % 3]) for i in range(9)])
    found = store.events_frame(types=("search", "click"))
    assert found["item_id"].tolist() == ["i1", "i2", "i4", "i5", "i7", "i8"] and found["seq"].is_monotonic_increasing
    assert store.events_frame(types=["click"], user_ids=["u0"])["item_id"].tolist() == ["i2", "i8"]
    seqs = store.events_frame()["seq"].tolist()
    assert store.events_frame(types=iter(["view"]), after_seq=seqs[3])["item_id"].tolist() == ["i6"]
    assert store.events_frame(types=[]).empty and store.events_frame(types=["purchase"]).empty
    assert list(found.columns) == [*EVENT_COLUMNS, "seq"]


# ---------------------------------------------------------------------------------------------- customers
def test_profiles_round_trip_replace_and_frame(store: Store, store_url: str) -> None:
    assert store.get_profile("u1") is None
    doc = {"stage": "active", "rfm": {"r": 5, "group": "champions"}, "clv_12m": 12.5, "tags": ["护肤", "Skin"],
           "missing": None}
    assert store.put_profiles({"u1": doc, "u2": {"stage": "new"}}) == 2
    assert store.get_profile("u1") == doc
    store.put_profiles({"u2": {"stage": "lapsed"}})  # replaced, not duplicated
    frame = store.profiles_frame()
    assert frame["user_id"].tolist() == ["u1", "u2"] and frame["profile"].tolist()[1] == {"stage": "lapsed"}
    assert str(frame["updated_at"].dtype) == "datetime64[us, UTC]"
    with pytest.raises(StoreError, match="not JSON"):
        store.put_profiles({"u3": {"clv": float("nan")}})
    assert store.get_profile("u3") is None
    store.close()
    with open_store(store_url) as again:
        assert again.get_profile("u1") == doc


def test_segments_catalog_and_members(store: Store) -> None:
    segs = [{"segment_id": "rfm:champions", "kind": "rfm", "size": 2}, {"segment_id": "kmeans:0", "size": 1}]
    assert store.put_segments(segs) == 2
    assert store.list_segments() == segs
    assert store.put_memberships({"u2": ["rfm:champions", "kmeans:0"], "u1": ["rfm:champions"], "u3": []}) == 3
    assert store.segment_users("rfm:champions") == ["u1", "u2"]
    assert store.segment_users("rfm:champions", limit=1, offset=1) == ["u2"]
    store.put_memberships({"u2": ["kmeans:0"]})  # u2 leaves champions
    assert store.segment_users("rfm:champions") == ["u1"]
    store.put_segments([{"segment_id": "kmeans:0"}])  # champions gone: its members go too
    assert store.segment_users("rfm:champions") == [] and store.segment_users("kmeans:0") == ["u2"]
    with pytest.raises(StoreError, match="segment_id"):
        store.put_segments([{"name": "no id"}])
    with pytest.raises(StoreError, match="twice"):
        store.put_segments([{"segment_id": "a"}, {"segment_id": "a"}])
    assert [s["segment_id"] for s in store.list_segments()] == ["kmeans:0"]


def test_customer_state_blobs(store: Store) -> None:
    assert store.get_customer_state("model") is None
    store.put_customer_state("model", b"\x00\x01abc")
    store.put_customer_state("model", b"\x02")
    assert store.get_customer_state("model") == b"\x02"


# ---------------------------------------------------------------------------------------------- documents
def test_documents_put_get_list_delete(store: Store, store_url: str) -> None:
    assert store.get_document("faq", "a") is None and store.list_documents("faq") == []
    assert store.put_documents("faq", {"a": {"q": "运费?", "n": 1}, "b": {"q": "Returns?"}}) == 2
    assert store.put_documents("faq", {"a": {"q": "Shipping?"}}) == 1
    assert store.get_document("faq", "a") == {"q": "Shipping?"}
    assert store.list_documents("faq") == ["a", "b"] and store.list_documents("sessions") == []
    assert store.delete_documents("faq", ["b", "zzz"]) == 1
    with open_store(store_url) as again:
        assert again.list_documents("faq") == ["a"]
    assert store.delete_documents("faq") == 1 and store.list_documents("faq") == []


# ---------------------------------------------------------------------------------------------- one user's data
def _personal_fixture(store: Store) -> None:
    store.upsert_users([{"user_id": "u1", "attributes": {"tier": "gold"}}, {"user_id": "u2"}])
    store.append_events([ev("u1", "i1", context={"page": "home"}), ev("u1", "i2", T0 + timedelta(minutes=1)),
                         ev("u2", "i1")])
    # row 3 of the file had a bad type and the user id u1 as a rejected value; row 4 belongs to u2
    store.add_rejects("imp-1", [Reject("f.csv", 3, "user_id", "u1", "unknown user"),
                                Reject("f.csv", 3, "type", "teleport", "unknown event type"),
                                Reject("f.csv", 4, "type", "fly", "unknown event type")])
    store.log_exposures([{"experiment_id": "e1", "variant": "a", "user_id": "u1", "timestamp": T0},
                         {"experiment_id": "e1", "variant": "b", "user_id": "u2", "timestamp": T0}])
    store.log_decisions([{"decision_id": "d1", "bandit_id": "b1", "user_id": "u1", "arm": "x", "propensity": 0.5,
                          "timestamp": T0}])
    store.put_profiles({"u1": {"stage": "new"}, "u2": {"stage": "loyal"}})
    store.put_segments([{"segment_id": "s1"}])
    store.put_memberships({"u1": ["s1"], "u2": ["s1"]})
    store.log_deliveries([{"delivery_id": f"d-{u}", "campaign_id": "c1", "user_id": u, "variant": "treatment",
                           "creative_id": "hero", "channel": "email", "coupon_code": f"C-{u}",
                           "recommendation_id": None, "model_version": None, "item_ids": ["i1"], "propensity": 0.5,
                           "timestamp": T0} for u in ("u1", "u2")])
    assert store.redeem_coupon({"code": "C-u1", "campaign_id": "c1", "user_id": "u1", "order_id": "o1",
                                "spend": 50.0, "discount": 5.0, "timestamp": T0}) is None


def test_user_data_returns_every_row_naming_the_user(store: Store) -> None:
    _personal_fixture(store)
    data = store.user_data("u1")
    assert set(data) == set(PERSONAL_DATA_KINDS)
    assert data["users"] == [{"user_id": "u1", "attributes": {"tier": "gold"}, "created_at": None}]
    assert [e["item_id"] for e in data["events"]] == ["i1", "i2"]
    assert data["events"][0]["context"] == {"page": "home"}
    assert data["events"][0]["timestamp"] == "2024-05-01T12:00:00+00:00"
    assert sorted(r["field"] for r in data["quarantine_rows"]) == ["type", "user_id"]  # the whole file row
    assert [x["variant"] for x in data["exposures"]] == ["a"]
    assert [d["decision_id"] for d in data["decisions"]] == ["d1"]
    assert data["profiles"][0]["profile"] == {"stage": "new"}
    assert data["segment_memberships"] == [{"segment_id": "s1", "user_id": "u1"}]
    assert [d["delivery_id"] for d in data["deliveries"]] == ["d-u1"] and data["deliveries"][0]["item_ids"] == ["i1"]
    assert [r["code"] for r in data["redemptions"]] == ["C-u1"]
    json.dumps(data)  # JSON-able as it is
    assert all(rows == [] for rows in store.user_data("nobody").values())


def test_erase_user_deletes_only_that_user_in_one_go(store: Store) -> None:
    _personal_fixture(store)
    deleted = store.erase_user("u1")
    assert deleted == {"users": 1, "events": 2, "quarantine_rows": 2, "exposures": 1, "decisions": 1,
                       "profiles": 1, "segment_memberships": 1, "deliveries": 1, "redemptions": 1}
    assert all(rows == [] for rows in store.user_data("u1").values())
    assert store.get_user("u1") is None and store.get_profile("u1") is None
    assert store.events_frame()["user_id"].tolist() == ["u2"]
    assert store.quarantine_frame()["value"].tolist() == ["fly"]
    assert store.exposures_frame()["user_id"].tolist() == ["u2"]
    assert store.segment_users("s1") == ["u2"]
    assert store.deliveries_frame()["user_id"].tolist() == ["u2"] and store.redemptions_frame().empty
    assert store.erase_user("u1") == dict.fromkeys(PERSONAL_DATA_KINDS, 0)  # a second erasure finds nothing
# ---------------------------------------------------------------------------------------------- privacy ledger
def test_privacy_ledger_refuses_past_the_budget_and_persists(store: Store, store_url: str) -> None:
    assert store.privacy_spends().empty
    assert store.spend_privacy("2026-12-06", "trending:24h", 0.5, 1.0)
    assert store.spend_privacy("2026-12-06", "together:sku-1", 0.3, 1.0)
    assert not store.spend_privacy("2026-12-06", "trending:24h", 0.5, 1.0)  # 0.8 + 0.5 > 1: refused
    assert store.spend_privacy("2026-12-06", "trending:1h", 0.2, 1.0)  # exactly the rest fits (0.5 + 0.3 + 0.2)
    assert store.spend_privacy("2026-12-07", "trending:24h", 1.0, 1.0)  # a new period has its own budget
    day = store.privacy_spends("2026-12-06")
    assert list(day.columns) == ["period", "query", "epsilon", "timestamp", "seq"]
    assert day["query"].tolist() == ["trending:24h", "together:sku-1", "trending:1h"]
    assert day["epsilon"].tolist() == pytest.approx([0.5, 0.3, 0.2])
    assert str(day["timestamp"].dtype) == "datetime64[us, UTC]" or str(day["timestamp"].dtype).endswith("UTC]")
    store.close()
    with open_store(store_url) as again:
        assert len(again.privacy_spends()) == 4
        assert not again.spend_privacy("2026-12-07", "x", 0.01, 1.0)


def test_privacy_ledger_two_connections_never_overspend(store_url: str) -> None:
    with open_store(store_url) as one, open_store(store_url) as two:
        granted = [s.spend_privacy("p", "q", 0.3, 1.0) for _ in range(3) for s in (one, two)]
        assert sum(granted) == 3
        assert one.privacy_spends("p")["epsilon"].sum() == pytest.approx(0.9)


# ---------------------------------------------------------------------------------------------- API keys
def test_api_keys_stored_hashed_listed_and_revoked(store: Store) -> None:
    assert store.find_api_key("h1") is None and store.list_api_keys() == []
    store.put_api_key({"key_id": "k1", "key_hash": "h1", "scopes": ["read", "write"], "name": "shop",
                       "rate_limit": 5})
    store.put_api_key({"key_id": "k2", "key_hash": "h2", "scopes": ["admin"]})
    found = store.find_api_key("h1")
    assert found is not None
    assert (found["key_id"], found["scopes"], found["name"], found["rate_limit"]) == ("k1", ["read", "write"],
                                                                                     "shop", 5.0)
    assert found["revoked_at"] is None and found["created_at"].startswith("20")
    listed = store.list_api_keys()
    assert [k["key_id"] for k in listed] == ["k1", "k2"] and all("key_hash" not in k for k in listed)
    assert store.revoke_api_key("k1") is True
    assert store.revoke_api_key("k1") is False and store.revoke_api_key("nope") is False
    assert store.find_api_key("h1")["revoked_at"] is not None
    assert store.find_api_key("h2")["revoked_at"] is None


def test_api_key_duplicates_and_bad_rows_are_refused(store: Store) -> None:
    store.put_api_key({"key_id": "k1", "key_hash": "h1", "scopes": ["read"]})
    with pytest.raises(StoreError):
        store.put_api_key({"key_id": "k2", "key_hash": "h1", "scopes": ["read"]})
    with pytest.raises(StoreError):
        store.put_api_key({"key_id": "k1", "key_hash": "h9", "scopes": ["read"]})
    with pytest.raises(StoreError, match="scopes"):
        store.put_api_key({"key_id": "k3", "key_hash": "h3", "scopes": []})
    assert [k["key_id"] for k in store.list_api_keys()] == ["k1"]


# ---------------------------------------------------------------------------------------------- streaming reads
def test_event_chunks_stream_in_arrival_order_and_filter_types(store: Store) -> None:
    store.append_events([ev("u1", "a", T0 + pd.Timedelta(hours=1)), ev("u2", "b", type="impression"),
                         ev("u1", None, type="search"), ev("u3", "c", type="rating", value=4.0),
                         ev("u2", "a", T0 - pd.Timedelta(days=40), type="purchase")])
    chunks = list(store.event_chunks(chunk_rows=2))
    assert [len(c) for c in chunks] == [2, 2]  # the search names no item
    assert all(list(c.columns) == ["seq", "user_id", "item_id", "type", "value", "ts_us"] for c in chunks)
    whole = pd.concat(chunks, ignore_index=True)
    assert whole["seq"].is_monotonic_increasing
    assert whole["type"].tolist() == ["view", "impression", "rating", "purchase"]
    assert whole["ts_us"].tolist()[-1] == (T0 - pd.Timedelta(days=40)).value // 1000
    assert np.isnan(whole["value"].iloc[0]) and whole["value"].iloc[2] == 4.0
    kept = pd.concat(store.event_chunks(exclude_types=["impression", "rating"]), ignore_index=True)
    assert kept["type"].tolist() == ["view", "purchase"]
    with pytest.raises(StoreError, match="chunk_rows"):
        next(iter(store.event_chunks(chunk_rows=0)))


def test_event_chunks_extra_columns_the_last_events_and_item_counts(store: Store) -> None:
    sec = pd.Timedelta(seconds=1)
    store.append_events([ev("u1", "a", session_id="s1"), ev("u2", "b", T0 + sec, type="impression"),
                         ev("u1", None, type="search"), ev("u3", "b", T0 + 2 * sec, type="impression", event_id="e9"),
                         ev("u2", "a", T0 + 3 * sec, type="purchase", session_id="s2")])
    whole = pd.concat(store.event_chunks(extra_columns=["session_id", "event_id"]), ignore_index=True)
    assert list(whole.columns)[6:] == ["event_id", "session_id"]  # always in EVENT_CHUNK_EXTRA_COLUMNS order
    assert whole["session_id"].tolist() == ["s1", None, None, "s2"]
    assert whole["event_id"].tolist()[2] == "e9"
    last = list(store.event_chunks(last=3, chunk_rows=2, extra_columns=["event_id"]))
    assert [len(c) for c in last] == [2, 1]
    assert pd.concat(last)["item_id"].tolist() == ["b", "b", "a"]  # the newest three, oldest first
    assert pd.concat(store.event_chunks(last=1, exclude_types=["purchase"]))["user_id"].tolist() == ["u3"]
    assert list(store.event_chunks(last=0)) == []
    keys = pd.concat(store.event_chunks(extra_columns=["dedupe_key"]))["dedupe_key"].tolist()
    assert keys[0] == event_key(None, "u1", "a", "view", None, T0.value // 1000, "s1")  # the stored identity
    assert keys[2] == event_key("e9", None, None, None, None, None, None) and len(set(keys)) == 4
    with pytest.raises(StoreError, match=r"extra_columns.*context"):
        next(iter(store.event_chunks(extra_columns=["context"])))
    with pytest.raises(StoreError, match="last"):
        next(iter(store.event_chunks(last=-1)))
    counts = store.item_event_counts(["impression", "view"])
    assert list(counts.columns) == ["item_id", "type", "count", "max_ts_us"]
    assert counts.values.tolist() == [["a", "view", 1, T0.value // 1000],
                                      ["b", "impression", 2, (T0 + pd.Timedelta(seconds=2)).value // 1000]]
    assert store.item_event_counts([]).empty and store.item_event_counts(["dislike"]).empty


def test_streamed_training_view_equals_the_frame_build(store: Store) -> None:
    from shopmind.data.interactions import Interactions
    from shopmind.errors import DataError

    store.upsert_items([{"item_id": i} for i in ("x", "a", "b", "c")])
    store.upsert_users([{"user_id": u} for u in ("dormant", "u2")])
    store.append_events([ev("u1", "b"), ev("u1", "a"), ev("u2", "c", type="impression"),
                         ev("u2", "a", T0 - pd.Timedelta(seconds=1), type="purchase"),
                         ev("u3", "c", type="rating", value=2.0), ev("u3", "b", type="rating", value=5.0),
                         ev("u1", "c", T0 + pd.Timedelta(milliseconds=300), type="add_to_cart")])
    for opts in ({}, {"drop_zero_weight": False}, {"rating_threshold": 3.0}, {"event_weights": {"view": 0.0}}):
        streamed = load_interactions(store, **opts)  # type: ignore[arg-type]
        built = Interactions.from_frame(store.events_frame(), item_meta=store.items_frame(),
                                        user_meta=store.users_frame(), name="store", **opts)  # type: ignore[arg-type]
        assert streamed.users == built.users and streamed.items == built.items, opts
        for col in ("user", "item", "weight", "timestamp", "value", "event_type"):
            np.testing.assert_array_equal(getattr(streamed, col), getattr(built, col), err_msg=f"{col} {opts}")
        assert streamed.item.dtype == np.int32 and streamed.weight.dtype == np.float32
    assert store.user_ids() == ["dormant", "u2"]
    meta = load_interactions(store).user_meta
    assert meta is not None and list(meta.columns) == ["user_id"]
    full = load_interactions(store, user_attributes=True).user_meta
    assert full is not None and "attributes" in full.columns
    store.append_events([ev("u1", "a", type="wishlist_poke")])
    with pytest.raises(DataError, match="wishlist_poke"):
        load_interactions(store)


def test_erasing_a_user_lets_the_same_event_be_stored_again(store: Store) -> None:
    event = ev("u1", "a", event_id="e1")
    assert store.append_events([event]) == AppendCounts(1, 0)
    store.erase_user("u1")
    assert store.append_events([event]) == AppendCounts(1, 0)


# ---------------------------------------------------------------------------------------------- PostgreSQL partitions
def _partition_of_each_event(url: str) -> dict[str | None, str]:
    import psycopg

    from shopmind.storage.postgres import split_url

    conninfo, schema = split_url(url)
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(f'SELECT event_id, tableoid::regclass::text FROM "{schema}".events').fetchall()
    return {e: t.split(".")[-1] for e, t in rows}


def test_postgres_events_land_in_monthly_partitions_created_on_demand(postgres_url: str) -> None:
    from shopmind.storage.postgres import PostgresStore

    may_end = pd.Timestamp("2024-06-01", tz="UTC") - pd.Timedelta(microseconds=1)
    with PostgresStore(postgres_url) as store:
        assert store.event_partitions() == []
        store.append_events([ev("u1", "a", may_end, event_id="may"), ev("u1", "b", T0, event_id="may-noon"),
                             ev("u2", "a", pd.Timestamp("2024-07-15", tz="UTC"), event_id="july")])
        assert [name for name, _ in store.event_partitions()] == ["events_p2024_05", "events_p2024_07"]
        assert "FROM ('2024-05-01 00:00:00+00') TO ('2024-06-01 00:00:00+00')" in store.event_partitions()[0][1]
        # a month with no partition yet gets one, from another connection too
        with PostgresStore(postgres_url) as other:
            assert other.append_events([ev("u3", "c", pd.Timestamp("2024-06-01", tz="UTC"), event_id="june"),
                                        ev("u3", "c", pd.Timestamp("2023-12-31 23:30", tz="UTC"),
                                           event_id="december")]) == AppendCounts(2, 0)
        assert store.append_events([ev("u4", "d", pd.Timestamp("2024-06-20", tz="UTC"))]) == AppendCounts(1, 0)
        assert [name for name, _ in store.event_partitions()] == [
            "events_p2023_12", "events_p2024_05", "events_p2024_06", "events_p2024_07"]
        # one event per event_id across months, and arrival order across partitions
        assert store.append_events([ev("u9", "z", pd.Timestamp("2025-01-01", tz="UTC"), event_id="may")]) \
            == AppendCounts(0, 1)
        assert store.events_frame()["event_id"].tolist()[:5] == ["may", "may-noon", "july", "june", "december"]
    assert _partition_of_each_event(postgres_url) == {
        "may": "events_p2024_05", "may-noon": "events_p2024_05", "july": "events_p2024_07",
        "june": "events_p2024_06", "december": "events_p2023_12", None: "events_p2024_06"}


def test_postgres_event_indexes_serve_the_queries(postgres_url: str) -> None:
    import psycopg

    from shopmind.storage.postgres import PostgresStore, split_url

    with open_store(postgres_url) as store:
        store.append_events([ev("u1", "a")])
    conninfo, schema = split_url(postgres_url)
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = %s "
                            "AND tablename IN ('events', 'event_keys')", (schema,)).fetchall()
        kind = conn.execute("SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                            "WHERE n.nspname = %s AND c.relname = 'events'", (schema,)).fetchone()
    defs = {name: d for _, name, d in rows}
    with PostgresStore(postgres_url) as store:
        store.analyze()  # the planner's statistics after a bulk load: runs, changes nothing
        assert store.counts()["events"] == 1
    assert kind == ("p",)
    assert "(seq, ts)" in defs["events_pkey"]
    assert "(user_id, ts)" in defs["events_user_ts"] and "(item_id)" in defs["events_item"]
    assert "USING brin (ts)" in defs["events_ts_brin"] and "(dedupe_key)" in defs["event_keys_pkey"]


_OLD_EVENTS = """
CREATE TABLE events (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, dedupe_key bytea NOT NULL UNIQUE, event_id text,
    user_id text NOT NULL CHECK (user_id <> ''), item_id text, type text NOT NULL CHECK (type <> ''),
    value double precision, ts timestamptz NOT NULL, session_id text, context jsonb
);
"""


def test_postgres_store_from_before_partitioning_is_migrated_on_open(postgres_url: str) -> None:
    import psycopg

    from shopmind.storage import records as rec
    from shopmind.storage.postgres import PostgresStore, split_url

    conninfo, schema = split_url(postgres_url)
    old = [ev("u1", "a", T0, event_id="e1"), ev("u2", "b", T0 - pd.Timedelta(days=60), type="purchase"),
           ev("u1", "c", T0 + pd.Timedelta(days=45), context={"page": "home"})]
    rows = [r for chunk in rec.encode_events(old) for r in chunk]
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'SET search_path TO "{schema}"')
        conn.execute(_OLD_EVENTS)
        conn.execute("INSERT INTO events (dedupe_key, event_id, user_id, item_id, type, ts) "
                     "VALUES ('\\x00', 'gone', 'u0', 'x', 'view', now())")
        conn.execute("DELETE FROM events")  # seq 1 is used and gone: the migration must not reuse it
        for r in rows:
            conn.execute("INSERT INTO events (dedupe_key, event_id, user_id, item_id, type, value, ts, session_id, "
                         "context) VALUES (%s, %s, %s, %s, %s, %s, timestamptz 'epoch' + %s * interval "
                         "'1 microsecond', %s, %s::jsonb)", r)
    with PostgresStore(postgres_url) as store:
        frame = store.events_frame()
        assert frame["seq"].tolist() == [2, 3, 4]
        assert frame["event_id"].tolist()[0] == "e1" and frame["context"].tolist()[2] == {"page": "home"}
        assert [n for n, _ in store.event_partitions()] == ["events_p2024_03", "events_p2024_05", "events_p2024_06"]
        assert store.append_events(old) == AppendCounts(0, 3)  # the dedupe keys came along
        assert store.append_events([ev("u5", "e")]) == AppendCounts(1, 0)
        assert store.events_frame()["seq"].tolist()[-1] == 5
    with PostgresStore(postgres_url) as store:  # opening again migrates nothing
        assert store.counts()["events"] == 4


def test_postgres_bulk_load_builds_the_indexes_at_the_end_and_keeps_the_dedupe(postgres_url: str) -> None:
    import psycopg

    from shopmind.storage.postgres import PostgresStore, split_url

    conninfo, schema = split_url(postgres_url)

    def indexes() -> set[str]:
        with psycopg.connect(conninfo) as conn:
            rows = conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = %s AND tablename = 'events'",
                                (schema,)).fetchall()
        return {r[0] for r in rows}

    with PostgresStore(postgres_url) as store:
        with store.bulk_load():
            assert indexes() == {"events_pkey"}
            assert store.append_events([ev("u1", "a", event_id="e1"), ev("u2", "b")]) == AppendCounts(2, 0)
            assert store.append_events([ev("u1", "a", event_id="e1")]) == AppendCounts(0, 1)
        assert indexes() == {"events_pkey", "events_user_ts", "events_item", "events_ts_brin"}
        assert store.events_frame(user_ids=["u2"])["item_id"].tolist() == ["b"]
    with psycopg.connect(conninfo) as conn:  # ids compare bytes, not through the locale (see _EVENTS_SCHEMA)
        collations = conn.execute("SELECT column_name, collation_name FROM information_schema.columns WHERE "
                                  "table_schema = %s AND table_name = 'events' AND column_name IN "
                                  "('user_id', 'item_id')", (schema,)).fetchall()
        assert dict(collations) == {"user_id": "C", "item_id": "C"}
        conn.execute("SET enable_seqscan = off")  # two rows: the planner would scan them otherwise
        plan = conn.execute(f'EXPLAIN SELECT * FROM "{schema}".events WHERE user_id = ANY(%s)', (["u2"],))
        assert "user_id_ts_idx" in " ".join(r[0] for r in plan.fetchall())  # a parameter still uses the index


def test_postgres_bulk_appends_store_what_ordinary_appends_store(postgres_url: str, second_postgres_url: str
                                                                 ) -> None:
    """Inside bulk_load() appends take the locked anti-join path; the events, their order and the counts are
    those of the lock-free claim: repeats inside a batch, keys stored by an earlier batch, encoded batches."""
    from contextlib import nullcontext

    from shopmind.storage.postgres import PostgresStore
    from shopmind.storage.records import encode_event_batch

    later = T0 + pd.Timedelta(seconds=1)
    batches = [
        [ev("u1", "a", event_id="e1"), ev("u2", "b"), ev("u1", "x", event_id="e1", type="buy"),
         ev("u3", "c", later, context={"page": "home", "pos": 2})],
        [ev("u2", "b"), ev("u4", "d", event_id="e9"), ev("u4", "d", event_id="e9"), ev("u5", "e", later)],
        [ev("u6", "f", later, value=2.5),  # text COPY's special characters, no item, unicode, a float
         ev("u\\6\tx", None, later, type="search", session_id="s\\1\n2\r", value=1e-7,
            context={"q": "a\tb\\c\n红 😀", "n": None})],
    ]
    results = []
    for url, bulk in ((postgres_url, False), (second_postgres_url, True)):
        with PostgresStore(url) as store:
            with store.bulk_load() if bulk else nullcontext():
                counts = [store.append_events(b) for b in batches]
                counts.append(store.append_encoded_events(encode_event_batch(batches[1] + [ev("u7", "g")])))
                counts.append(store.append_encoded_events(encode_event_batch([  # straight through COPY text
                    ev("u8", "h"), ev("u9\t\\", None, later, type="search", session_id="x\\y\r", value=-0.5,
                                      context={"k": "v\n\\ \t 红", "z": [1.5, None]})])))
                counts.append(store.append_encoded_events(encode_event_batch([  # a key repeated, none stored
                    ev("u10", "i", event_id="e20"), ev("u10", "j", event_id="e20"), ev("u11", "k")])))
            results.append((counts, store.events_frame()))
    (plain_counts, plain), (bulk_counts, bulk_frame) = results
    assert plain_counts == bulk_counts == [AppendCounts(3, 1), AppendCounts(2, 2), AppendCounts(2, 0),
                                           AppendCounts(1, 4), AppendCounts(2, 0), AppendCounts(2, 1)]
    pd.testing.assert_frame_equal(plain, bulk_frame)
    assert plain["event_id"].tolist()[0] == "e1" and plain["item_id"].tolist()[0] == "a"  # the first e1 kept
    assert plain["seq"].tolist() == list(range(1, 13))
    assert bulk_frame["user_id"].tolist()[-3] == "u9\t\\" and bulk_frame["session_id"].tolist()[-3] == "x\\y\r"
    assert bulk_frame["context"].tolist()[-3] == {"k": "v\n\\ \t 红", "z": [1.5, None]}
    assert bulk_frame["item_id"].tolist()[-2:] == ["i", "k"]  # the first e20 kept
    assert bulk_frame["context"].tolist()[6] == {"q": "a\tb\\c\n红 😀", "n": None}


def test_postgres_bulk_user_upserts_count_and_store_what_ordinary_upserts_do(postgres_url: str,
                                                                             second_postgres_url: str) -> None:
    """Inside bulk_load() a batch of new users is inserted plainly; a batch with a stored id falls back to the
    upsert: the counts and the stored users are the same as outside it, encoded batches too."""
    from contextlib import nullcontext

    from shopmind.storage.postgres import PostgresStore
    from shopmind.storage.records import encode_user_batch

    first = [{"user_id": "u1", "attributes": {"tier": "gold"}}, {"user_id": "u2"},
             {"user_id": "u1", "attributes": {"tier": "silver"}}]  # u1 twice: the last kept, one collapsed
    again = [{"user_id": "u1", "attributes": {"tier": "silver"}}, {"user_id": "u2", "attributes": {"a": 1}},
             {"user_id": "u3"}]
    results = []
    for url, bulk in ((postgres_url, False), (second_postgres_url, True)):
        with PostgresStore(url) as store:
            with store.bulk_load() if bulk else nullcontext():
                counts = [store.upsert_users(first), store.upsert_users(again),
                          store.upsert_encoded_users(encode_user_batch([{"user_id": "u4"}, {"user_id": "u5"}])),
                          store.upsert_encoded_users(encode_user_batch([{"user_id": "u5"}, {"user_id": "u6"}]))]
            results.append((counts, store.users_frame()))
    (plain_counts, plain), (bulk_counts, bulk_users) = results
    assert plain_counts == bulk_counts == [UpsertCounts(inserted=2, collapsed=1),
                                           UpsertCounts(inserted=1, updated=1, unchanged=1),
                                           UpsertCounts(inserted=2), UpsertCounts(inserted=1, unchanged=1)]
    pd.testing.assert_frame_equal(plain, bulk_users)
    assert bulk_users["user_id"].tolist() == ["u2", "u1", "u3", "u4", "u5", "u6"]  # u1 where it came last


def test_postgres_pipelined_demo_load_matches_a_serial_one(postgres_url: str, tmp_path: Path) -> None:
    """The demo shop generated into PostgreSQL (generation and encoding overlapping the inserts on a writer
    thread) stores the same events in the same order as the serial load into SQLite."""
    from shopmind.ingest.bulk import load_demo_shop

    shape = {"n_users": 60, "n_items": 40, "days": 7, "seed": 3, "chunk_users": 20, "active_share": 0.7}
    seen: list[int] = []
    report = load_demo_shop(postgres_url, on_chunk=lambda chunk, rep: seen.append(rep.events), **shape)
    serial = load_demo_shop(f"sqlite:///{tmp_path / 'serial.db'}", **shape)
    assert report.pipelined and not serial.pipelined
    assert report.chunks == serial.chunks == 3 and seen[-1] == report.events == serial.events > 0
    assert report.events_per_second > 0 and report.chunks_seconds >= report.event_write_seconds > 0
    with open_store(postgres_url) as pg, open_store(f"sqlite:///{tmp_path / 'serial.db'}") as lite:
        cols = ["seq", "event_id", "user_id", "item_id", "type", "timestamp"]
        pd.testing.assert_frame_equal(pg.events_frame()[cols], lite.events_frame()[cols])
        assert pg.counts()["users"] == lite.counts()["users"] == 60
        pd.testing.assert_frame_equal(pg.users_frame(), lite.users_frame())  # users went in as COPY text
    again = load_demo_shop(postgres_url, **shape)
    assert again.events == 0 and again.duplicates == report.events


# ---------------------------------------------------------------------------------------------- shared state
def test_question_log_version_stamps_and_shop_synonyms(store: Store) -> None:
    """What the FAQ's question log, the version stamps and the shop's synonyms keep, on every backend; a NUL in a
    shopper's question (PostgreSQL's jsonb refuses it) does not stop the question from being kept."""
    from shopmind.assist.faq import FaqAnswer  # lazy: the assist and search layers sit above the stores
    from shopmind.assist.questions import QuestionLog
    from shopmind.search.shop_synonyms import ShopSynonyms
    from shopmind.storage.stamps import read_stamp, stamp

    log = QuestionLog(store)
    qid = log.record(FaqAnswer("运费\x00多少？", "ship", "Free.", "How much is shipping?", 1.5, False, "zh"))
    assert log.get(qid)["question"] == "运费多少？" and log.feedback(qid, False)["helpful"] is False
    assert [q["question_id"] for q in log] == [qid]
    assert [k for k, _ in store.read_documents("assist_questions")] == [qid]
    assert store.read_documents("nothing here") == []
    assert read_stamp(store, "faq") is None
    first = stamp(store, "faq")
    assert read_stamp(store, "faq") == first != stamp(store, "faq")
    shop = ShopSynonyms(store)
    group = shop.add(["沙发", "sofa"])
    assert [g.line() for g in shop.groups()] == ["沙发, sofa"] and shop.version() is not None
    shop.delete(group.group_id)
    assert shop.groups() == []
