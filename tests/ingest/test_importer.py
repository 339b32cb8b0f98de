"""Importing canonical frames: bad rows are quarantined with row/field/reason, re-imports add nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest

from shopmind.data.loaders.base import ReadResult, Reject
from shopmind.errors import DataError, ParameterError
from shopmind.ingest import ImportReport, import_read_result, import_records
from shopmind.ingest.coerce import BAD_DICT, BAD_TIME, MISSING, NOT_A_NUMBER, UNKNOWN_TYPE
from shopmind.storage import Store, load_interactions, open_store

UTC_NOON = pd.Timestamp("2024-05-01 12:00:00", tz="UTC")
EPOCH_NOON = 1714564800  # 2024-05-01T12:00:00Z


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(f"sqlite:///{tmp_path / 'shop.db'}") as s:
        yield s


def frame(rows: list[dict], source: str) -> pd.DataFrame:
    """A canonical frame as a reader makes it: raw values plus _source and _row (header is row 1)."""
    df = pd.DataFrame(rows)
    df["_source"] = source
    df["_row"] = range(2, len(rows) + 2)
    return df


def messy_result() -> ReadResult:
    def e(eid: str, user: str, item: str, etype: str, value: object, ts: object) -> dict:
        return {"event_id": eid, "user_id": user, "item_id": item, "type": etype, "value": value,
                "timestamp": ts}

    events = frame([
        e("e1", "u1", "a", "pv", None, "2024-05-01T20:00:00+08:00"),  # row 2: ok
        e("e2", "", "a", "view", None, EPOCH_NOON),                    # row 3: no user
        e("e3", "u2", "b", "view", None, "yesterday-ish"),             # row 4: bad date
        e("e4", "u2", "b", "teleport", None, EPOCH_NOON),              # row 5: unknown type
        e("e5", "u2", "b", "rating", "five", EPOCH_NOON),              # row 6: value not a number
        e("e6", "u3", "b", "buy", "19.90", None),                      # row 7: no time
        e("e7", "u3", "a", "Add To Cart", 2, EPOCH_NOON * 1000),       # row 8: ok (epoch ms)
    ], "events.csv")
    items = frame([
        {"item_id": "a", "title": "龙井绿茶", "price": "12.5", "in_stock": "yes",
         "attributes": '{"产地": "杭州"}'},
        {"item_id": "b", "title": "Mug", "price": -3, "in_stock": "no", "attributes": None},  # negative
        {"item_id": "c", "title": "Pot", "price": "abc", "in_stock": "maybe", "attributes": "[1, 2]"},
        {"item_id": 7.0, "title": "Lid", "price": None, "in_stock": None, "attributes": {"size": "S"}},
    ], "items.csv")
    truncated = Reject("events.csv", 9, "_line", '{"user_id": "u9", "ite', "truncated last line")
    return ReadResult("export.zip", events=events, items=items, rejects=[truncated], format="csv")


def test_broken_rows_are_reported_and_quarantined(store: Store) -> None:
    report = import_read_result(store, messy_result())
    ev, it = report.events, report.items
    assert (ev.read, ev.accepted, ev.rejected, ev.inserted) == (8, 2, 6, 2)  # 7 rows + 1 truncated line
    assert (it.read, it.accepted, it.rejected, it.inserted) == (4, 2, 2, 2)
    assert report.rejected == 8

    q = store.quarantine_frame(report.import_id)
    found = set(zip(q["source"], q["row"], q["field"], q["reason"], strict=True))
    assert found == {
        ("events.csv", 3, "user_id", MISSING),
        ("events.csv", 4, "timestamp", BAD_TIME),
        ("events.csv", 5, "type", UNKNOWN_TYPE),
        ("events.csv", 6, "value", NOT_A_NUMBER),
        ("events.csv", 7, "timestamp", MISSING),
        ("events.csv", 9, "_line", "truncated last line"),
        ("items.csv", 3, "price", "must be >= 0"),
        ("items.csv", 4, "price", NOT_A_NUMBER),
        ("items.csv", 4, "in_stock", "expected yes/no, true/false or 1/0"),
        ("items.csv", 4, "attributes", BAD_DICT),
    }
    assert q.loc[q["field"] == "type", "value"].tolist() == ["teleport"]
    assert q.loc[q["field"] == "timestamp", "value"].tolist() == ["yesterday-ish", None]
    assert q.loc[q["field"] == "user_id", "value"].tolist() == [""]
    assert "view, click" in UNKNOWN_TYPE  # the reason names the allowed values

    groups = {(g.kind, g.field, g.reason): g for g in report.reject_groups}
    example = {"source": "items.csv", "row": 4, "value": "abc"}
    assert groups[("item", "price", NOT_A_NUMBER)].examples == [example]
    assert groups[("event", "_line", "truncated last line")].count == 1

    stored = store.events_frame()
    assert stored["event_id"].tolist() == ["e1", "e7"]
    assert stored["type"].tolist() == ["view", "add_to_cart"]
    assert stored["timestamp"].tolist() == [UTC_NOON, UTC_NOON]
    assert store.items_frame()["item_id"].tolist() == ["a", "7"]
    a = store.get_item("a")
    assert a is not None and a["price"] == 12.5 and a["in_stock"] is True
    assert a["attributes"] == {"产地": "杭州"}
    assert store.get_item("7")["in_stock"] is True  # type: ignore[index]  # missing -> default

    logged = store.list_imports()
    assert [r["import_id"] for r in logged] == [report.import_id]
    assert ImportReport.from_dict(logged[0]) == report


def test_missing_values_are_quarantined_as_none(store: Store) -> None:
    nan_user = frame([{"user_id": float("nan"), "type": "view", "timestamp": EPOCH_NOON}], "nan.csv")
    report = import_read_result(store, ReadResult("nan.csv", events=nan_user))
    assert store.quarantine_frame(report.import_id)["value"].tolist() == [None]  # not "nan"


def test_second_import_adds_nothing(store: Store) -> None:
    first = import_read_result(store, messy_result())
    events_before, items_before = store.events_frame(), store.items_frame()
    second = import_read_result(store, messy_result())
    assert second.import_id != first.import_id
    assert (second.events.inserted, second.events.duplicates) == (0, first.events.accepted)
    assert (second.items.inserted, second.items.updated, second.items.unchanged) == (0, 0, 2)
    assert second.inserted == 0 and second.rejected == first.rejected
    pd.testing.assert_frame_equal(store.events_frame(), events_before)
    pd.testing.assert_frame_equal(store.items_frame(), items_before)
    assert len(store.quarantine_frame(second.import_id)) == len(store.quarantine_frame(first.import_id))


def test_changed_item_counts_as_updated(store: Store) -> None:
    import_records(store, [{"item_id": "a", "price": 1}, {"item_id": "b", "price": 2}], "item")
    report = import_records(store, [{"item_id": "a", "price": 1}, {"item_id": "b", "price": 3},
                                    {"item_id": "b", "price": 4}], "item")
    it = report.items
    assert (it.inserted, it.updated, it.unchanged, it.duplicates) == (0, 1, 1, 1)
    assert store.get_item("b")["price"] == 4.0  # type: ignore[index]


@pytest.mark.parametrize(("raw", "tz", "expected"), [
    ("2024-05-01T20:00:00+08:00", "UTC", "2024-05-01 12:00:00"),
    ("2024-05-01T20:00:00+0800", "America/New_York", "2024-05-01 12:00:00"),
    ("2024-05-01T12:00:00Z", "Asia/Shanghai", "2024-05-01 12:00:00"),
    ("2024-05-01T07:00:00-05:00", "UTC", "2024-05-01 12:00:00"),
    ("2024-05-01 20:00:00", "Asia/Shanghai", "2024-05-01 12:00:00"),  # naive: default zone
    ("2024-05-01 12:00:00", "UTC", "2024-05-01 12:00:00"),
    ("2024-05-01", "Asia/Shanghai", "2024-04-30 16:00:00"),
    ("2024-05-01T20:00:00.250+08:00", "UTC", "2024-05-01 12:00:00.250"),
])
def test_time_zones_convert_to_utc(store: Store, raw: str, tz: str, expected: str) -> None:
    report = import_records(store, [{"user_id": "u", "item_id": "a", "type": "view", "timestamp": raw}],
                            default_timezone=tz)
    assert report.events.inserted == 1, report.summary()
    assert store.events_frame()["timestamp"][0] == pd.Timestamp(expected, tz="UTC")


def test_mixed_offsets_in_one_column(store: Store) -> None:
    times = ["2024-05-01T20:00:00+08:00", "2024-05-01T14:00:00+02:00", "2024-05-01T12:00:00Z",
             "2024-05-01T05:00:00-07:00", "2024-05-01 14:00:00"]
    import_read_result(store, ReadResult("t.csv", events=frame(
        [{"user_id": f"u{i}", "item_id": "a", "type": "view", "timestamp": t} for i, t in enumerate(times)],
        "t.csv")), default_timezone="Europe/Berlin")  # CEST = UTC+2 in May
    assert set(store.events_frame()["timestamp"]) == {UTC_NOON}


def test_python_datetimes_from_records(store: Store) -> None:
    shanghai = timezone(timedelta(hours=8))
    view = {"item_id": "a", "type": "view"}
    import_records(store, [
        {"user_id": "u1", **view, "timestamp": datetime(2024, 5, 1, 20, tzinfo=shanghai)},
        {"user_id": "u2", **view, "timestamp": datetime(2024, 5, 1, 20)},  # naive: default zone
    ], default_timezone="Asia/Shanghai")
    assert store.events_frame()["timestamp"].tolist() == [UTC_NOON, UTC_NOON]


@pytest.mark.parametrize("raw", [EPOCH_NOON, EPOCH_NOON * 1000, float(EPOCH_NOON), str(EPOCH_NOON),
                                 str(EPOCH_NOON * 1000), f"{EPOCH_NOON}.0"])
def test_epoch_seconds_and_milliseconds_are_detected(store: Store, raw: object) -> None:
    import_records(store, [{"user_id": "u", "item_id": "a", "type": "view", "timestamp": raw}])
    assert store.events_frame()["timestamp"][0] == UTC_NOON


def test_epoch_units_mixed_in_one_column_keep_sub_second_precision(store: Store) -> None:
    import_records(store, [
        {"user_id": "u", "item_id": "a", "type": "view", "timestamp": EPOCH_NOON * 1000 + 250},
        {"user_id": "u", "item_id": "b", "type": "view", "timestamp": EPOCH_NOON + 0.5},
    ])
    assert store.events_frame()["timestamp"].tolist() == [UTC_NOON + pd.Timedelta(milliseconds=250),
                                                         UTC_NOON + pd.Timedelta(milliseconds=500)]


def test_numeric_ids_become_text_without_dot_zero(store: Store) -> None:
    events = pd.DataFrame({"user_id": [42.0, 43.0], "item_id": [7, 8], "type": ["view", "view"],
                           "timestamp": [EPOCH_NOON, EPOCH_NOON], "session_id": [1.0, None]})
    import_read_result(store, ReadResult("n.csv", events=events))
    stored = store.events_frame()
    assert stored["user_id"].tolist() == ["42", "43"] and stored["item_id"].tolist() == ["7", "8"]
    assert stored["session_id"].tolist() == ["1", None]


def test_in_stock_spellings(store: Store) -> None:
    spellings = ["yes", "No", "TRUE", "false", "1", "0", 1, 0, True, False, "y", "n", None]
    report = import_records(store, [{"item_id": f"i{k}", "in_stock": v} for k, v in enumerate(spellings)],
                            "item")
    assert report.items.rejected == 0
    assert store.items_frame()["in_stock"].tolist() == [True, False, True, False, True, False, True, False,
                                                         True, False, True, False, True]


def test_missing_required_column_fails_before_writing(store: Store) -> None:
    events = frame([{"user_id": "u1", "item_id": "a", "timestamp": EPOCH_NOON}], "e.csv")  # no "type"
    items = frame([{"item_id": "a"}], "i.csv")
    with pytest.raises(DataError, match="'type'"):
        import_read_result(store, ReadResult("x", events=events, items=items))
    assert store.counts() == {"items": 0, "users": 0, "events": 0, "rejects": 0, "imports": 0}


def test_bad_arguments(store: Store) -> None:
    with pytest.raises(ParameterError, match="default_timezone"):
        import_records(store, [], default_timezone="Mars/Olympus")
    with pytest.raises(DataError, match="row 2"):
        import_records(store, [{"user_id": "u"}, ["not", "a", "dict"]])  # type: ignore[list-item]
    with pytest.raises(DataError, match="kind"):
        import_records(store, [], kind="order")


def test_users_and_unknown_columns(store: Store) -> None:
    record = {"user_id": "u1", "attributes": {"tier": "gold"}, "created_at": "2023-01-02", "shoe_size": 44}
    report = import_records(store, [record], "user")
    assert report.users.inserted == 1 and report.ignored_columns == {"user": ["shoe_size"]}
    user = store.get_user("u1")
    assert user is not None and user["created_at"] == pd.Timestamp("2023-01-02", tz="UTC")
    assert "ignored user columns: shoe_size" in report.summary()


def test_summary_and_training_view(store: Store) -> None:
    report = import_read_result(store, messy_result())
    text = report.summary()
    assert report.import_id in text and "events: 8 read, 2 accepted" in text
    assert "event.timestamp: not a date/time" in text
    inter = load_interactions(store)
    assert len(inter) == 2 and inter.n_items == 2  # items "a" and "7"; events cite "a" twice
