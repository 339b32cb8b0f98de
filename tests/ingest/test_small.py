"""The small-batch event path against the frame path: the same inputs accepted, the same values, the same
rejects (the small path declines every batch it is not sure of, and the frame path decides it)."""

from __future__ import annotations

import itertools
import math
import random
from typing import Any

import pandas as pd
import pytest

from shopmind.ingest import import_event_records, import_records, records_to_result, validate_frame
from shopmind.ingest.small import SMALL_BATCH, validate_small_events
from shopmind.ingest.validate import REQUIRED_COLUMNS
from shopmind.schema import EVENT_COLUMNS
from shopmind.storage import open_store
from shopmind.storage.records import encode_events

IDS: list[Any] = ["u1", " u1 ", "红茶", "x" * 256, "", "   ", None, 42, 4.0, "x" * 257, "a\x00b", True, float("nan")]
TYPES: list[Any] = ["view", "PV", " Add To Cart ", "buy", "teleport", "", None, 3, "view\x00"]
TIMES: list[Any] = [
    1714564800, 1714564800000, 1714564800123456, 1714564800.5, 0, -5, "1714564800", " 1714564800000 ", "0012",
    "2024-05-01T12:00:00+08:00", "2024-05-01T12:00:00Z", "2024-05-01 12:00:00", "2024-05-01",
    "2024-05-01T12:00:00.123456", "2024-05-01T12:00:00.5-05:30", "2024-02-30T00:00:00", "2024-05-01T24:00:00",
    "2024-05-01T12:00", "2024-05-01T12:00:00.1234567", "1714564800.5", "1.7e9", "not a time", "", "  ", None,
    float("nan"), float("inf"), 10**20, 2**60, "3000-01-01T00:00:00", "1600-01-01", "1700-01-01T00:30:00+01:00",
    "2199-12-31T23:30:00-01:00", True, "٢٠٢٤-05-01", "2024-05-01t12:00:00", "+05:00",
]
VALUES: list[Any] = [None, 1, 2.5, -1, 0.0, "3", " 4.5 ", "x", "", float("nan"), float("inf"), True, 2**60, [1]]
CONTEXTS: list[Any] = [None, {}, {"a": 1}, {"recommendation_id": "r1", "n": [1, 2]}, '{"a": 1}', "oops", "", [1], 5]
SESSIONS: list[Any] = [None, "s", " s ", " ", 5]


def _frame_path(rows: list[dict[str, Any]]) -> Any:
    """What the API's frame path validates (LiveWriter._import: missing required keys are per-row errors)."""
    frame = records_to_result(rows, "event", source="api").events
    for col in REQUIRED_COLUMNS["event"]:
        if col not in frame.columns:
            frame[col] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    return validate_frame(frame, "event", source="api")


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b) and type(a) is type(b)


def _check(rows: list[dict[str, Any]]) -> bool:
    """Compare both paths on ``rows``; True when the small path took the batch."""
    small = validate_small_events(rows, source="api")
    if small is None:
        return False
    v = _frame_path(rows)
    assert v.rejected_rows == 0 and not v.rejects, (rows, v.rejects)  # the small path never accepts a reject
    assert small.ignored_columns == v.ignored_columns
    assert len(small.rows) == len(v.frame)
    for got, want in zip(small.rows, v.frame.to_dict("records"), strict=True):
        assert list(got) == list(EVENT_COLUMNS)
        for col in EVENT_COLUMNS:
            if col == "timestamp":
                assert pd.Timestamp(got[col]) == want[col] and got[col].utcoffset().total_seconds() == 0, (rows, col)
            elif col == "value":
                assert type(got[col]) is float and _same_value(got[col], float(want[col])), (rows, col)
            else:
                assert _same_value(got[col], want[col]), (rows, col, got[col], want[col])
    # and the store encodes the small path's rows (plain records) as it encodes the validated frame
    assert list(encode_events(small.rows)) == list(encode_events(v.frame))
    return True


@pytest.mark.parametrize("field,pool", [("user_id", IDS), ("event_id", IDS), ("item_id", IDS), ("type", TYPES),
                                        ("timestamp", TIMES), ("value", VALUES), ("context", CONTEXTS),
                                        ("session_id", SESSIONS)])
def test_each_value_alone_is_taken_only_as_the_frame_path_takes_it(field, pool):
    base = {"user_id": "u1", "item_id": "i1", "type": "view", "timestamp": "2024-05-01T12:00:00+00:00"}
    taken = [_check([{**base, field: value}]) for value in pool]
    assert any(taken) and not all(taken)  # the pools hold both kinds
    assert _check([{k: v for k, v in base.items() if k != field}]) in (True, False)  # the key absent


def test_random_batches_agree():
    rng = random.Random(7)
    pools = {"user_id": IDS, "event_id": IDS, "item_id": IDS, "type": TYPES, "timestamp": TIMES, "value": VALUES,
             "context": CONTEXTS, "session_id": SESSIONS}
    taken = 0
    for _ in range(600):
        rows = []
        for _ in range(rng.choice([1, 1, 2, 3, 5])):
            row = {f: rng.choice(pool[:4] if rng.random() < 0.85 else pool) for f, pool in pools.items()
                   if rng.random() < (0.98 if f in ("user_id", "type", "timestamp") else 0.7)}
            if rng.random() < 0.1:
                row["usr"] = "typo"
            rows.append(row)
        taken += _check(rows)
    assert taken > 100


def test_declined_batches():
    ok = {"user_id": "u", "type": "view", "timestamp": 1714564800}
    assert validate_small_events([]) is None
    assert validate_small_events([ok] * (SMALL_BATCH + 1)) is None
    assert validate_small_events([ok], default_timezone="Asia/Shanghai") is None
    assert validate_small_events([ok, {**ok, "user_id": ""}]) is None  # one bad row: the frame path reports it
    assert validate_small_events([ok, ["not", "a", "dict"]]) is None
    assert validate_small_events([ok] * SMALL_BATCH) is not None


def test_ignored_columns_are_listed_in_first_seen_order():
    rows = [{"user_id": "u", "type": "view", "timestamp": 1, "zeta": 1, "_row": 9},
            {"user_id": "u", "type": "view", "timestamp": 2, "alpha": 2, "zeta": 3}]
    assert _check(rows)
    assert validate_small_events(rows).ignored_columns == ["zeta", "alpha"]


@pytest.mark.parametrize("batch", [
    [{"user_id": "u1", "item_id": "a", "type": "PV", "timestamp": "2024-05-01T20:00:00+08:00", "value": 2,
      "context": {"recommendation_id": "r"}, "session_id": " s1 ", "extra": True}],
    [{"event_id": f"e{i}", "user_id": f"u{i % 3}", "item_id": f"i{i}", "type": t, "timestamp": 1714564800 + i}
     for i, t in zip(range(6), itertools.cycle(["view", "add_to_cart", "purchase"]))],
    [{"user_id": "u1", "item_id": "a", "type": "view", "timestamp": 1714564800}] * 2,  # a duplicate in the batch
])
def test_imports_store_and_report_alike(batch):
    fast, slow = open_store("sqlite:///:memory:"), open_store("sqlite:///:memory:")
    a = import_event_records(fast, batch)
    b = import_records(slow, batch, "event")
    assert a is not None
    da, db = a.to_dict(), b.to_dict()
    for d in (da, db):
        d.pop("import_id"), d.pop("started_at"), d.pop("seconds")
    assert da == db
    pd.testing.assert_frame_equal(fast.events_frame(), slow.events_frame())
    assert [r["events"] for r in fast.list_imports()] == [r["events"] for r in slow.list_imports()]


def test_a_declined_batch_writes_nothing():
    store = open_store("sqlite:///:memory:")
    assert import_event_records(store, [{"user_id": "u", "type": "teleport", "timestamp": 1}]) is None
    assert len(store.events_frame()) == 0 and store.list_imports() == []
