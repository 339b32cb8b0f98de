"""Row encoding shared by the SQL stores: the JSON text of contexts and event batches encoded ahead."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest

from shopmind.storage.records import (
    _JSON,
    copy_bytes,
    copy_text_lines,
    encode_event_batch,
    encode_events,
    encode_user_batch,
    json_text,
    plain_event_columns,
    sorted_keys,
)

CONTEXTS = [
    {"device": "desktop", "page": "category", "position": 1},
    {"z": {"y": [1, 2, {"q": None}]}, "a": True, "b": False},
    {"u": "红色 连衣裙 é 😀", "t": (1, 2), "s": "quote \" and \\ backslash\n"},
    {"n": float("nan")}, {"i": float("inf"), "j": -float("inf")},
    {"big": 2**70, "neg": -(2**63) - 1, "ok": 2**63 - 1},
    {"np_float": np.float64(1.5), "np_int": np.int64(3), "np_bool": np.bool_(True)},
    {"when": dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "day": dt.date(2026, 1, 2)},
    {1: "int key", 2: "another"},
    {"f": [0.1, 1e16, -0.0, 1e-7, 123456789.125, 5e-324, 1.7976931348623157e308]},
    {"set": {1}, "nested": {"deeper": {"deepest": [[], {}, ""]}}},
]


@pytest.mark.parametrize("value", CONTEXTS, ids=range(len(CONTEXTS)))
def test_json_text_is_the_standard_encoders_text(value: dict) -> None:
    fast, standard = json_text(value), _JSON.encode(value)
    # the same text, except that a float may be spelled differently (orjson: 1e-7 and 1e16; json: 1e-07, 1e+16)
    assert json.loads(fast) == json.loads(standard) or _nan_equal(json.loads(fast), json.loads(standard))
    if not any(isinstance(v, float) for v in _leaves(value)):
        assert fast == standard


def test_json_text_refuses_nothing_the_standard_encoder_takes() -> None:
    class Odd:
        def __str__(self) -> str:
            return "odd"

    assert json_text({"x": Odd()}) == '{"x":"odd"}'
    with pytest.raises(TypeError):  # keys the standard encoder cannot sort: the same error as before
        json_text({1: "a", "b": 2})


def test_encode_event_batch_numbers_rows_and_flags_repeated_keys() -> None:
    t = pd.Timestamp("2026-06-01", tz="UTC")
    events = pd.DataFrame([{"user_id": "u1", "item_id": "a", "type": "view", "timestamp": t, "event_id": "e1"},
                           {"user_id": "u2", "item_id": "b", "type": "view", "timestamp": t},
                           {"user_id": "u1", "item_id": "c", "type": "buy", "timestamp": t, "event_id": "e1"}])
    batch = encode_event_batch(events)
    assert len(batch) == 3 and [r[0] for r in batch.rows] == [0, 1, 2] and batch.repeated
    plain = [row for chunk in encode_events(events) for row in chunk]
    assert [r[1:] for r in batch.rows] == plain
    assert not encode_event_batch(events.iloc[:2]).repeated


def _leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list | tuple):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def _nan_equal(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_nan_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_nan_equal(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def test_copy_text_lines_escape_what_copy_would_read_otherwise() -> None:
    rows = [(b"\x00" * 15 + b"\x01", "e\t1", "u\\1", None, "view", None, 0, "s\n1", '{"a":"b\\\\c"}'),
            (b"\xff" * 16, None, "u2", "i2", "buy", 2.5, 1_782_864_000_000_001, None, None)]
    first, second = copy_text_lines([list(c) for c in zip(*rows, strict=True)])
    assert first.split("\t") == ["\\\\x" + "00" * 15 + "01", "e\\t1", "u\\\\1", "\\N", "view", "\\N",
                                 "1970-01-01T00:00:00.000000", "s\\n1", '{"a":"b\\\\\\\\c"}']
    assert second.split("\t")[5:7] == ["2.5", "2026-07-01T00:00:00.000001"]
    assert copy_bytes([first, second]).count(b"\n") == 2 and copy_bytes([]) == b""


def test_sorted_keys_sorts_bytes_like_sorted() -> None:
    rng = np.random.default_rng(0)
    keys = [rng.bytes(16) for _ in range(2000)] + [b"\x00" * 16, b"\xff" * 16, b"\x00" * 15 + b"\x01"]
    assert sorted_keys(keys) == sorted(keys)
    assert sorted_keys([b"short", b"a"]) == [b"a", b"short"]  # not all 16 bytes: plain sorted


def test_encode_user_batch_makes_the_staging_copy_text() -> None:
    users = pd.DataFrame({"user_id": ["u1", "u\t2", "u1"],
                          "attributes": [{"city": "Nanjing"}, {"note": "a\\b\nc"}, {"city": "南京"}],
                          "created_at": [pd.Timestamp("2026-06-01", tz="UTC"), pd.NaT,
                                         pd.Timestamp("2026-06-02", tz="UTC")]})
    batch = encode_user_batch(users)
    assert batch.collapsed == 1 and [r[0] for r in batch.rows] == ["u\t2", "u1"]  # the last u1 kept
    lines = batch.copy_data.decode().splitlines()
    assert lines[0].split("\t")[:4] == ["0", "u\\t2", '{"note":"a\\\\\\\\b\\\\nc"}', "\\N"]
    assert lines[1].split("\t")[:4] == ["1", "u1", '{"city":"南京"}', str(1_780_358_400_000_000)]
    assert lines[1].split("\t")[4] == "\\\\x" + batch.rows[1][3].hex()


def _frame_columns(records: list[dict]) -> list[list]:
    """encode_event_columns through its frame path (the records as a DataFrame, as pandas would build it)."""
    keys = dict.fromkeys(k for r in records for k in r)
    frame = pd.DataFrame({k: pd.Series([r.get(k) for r in records], dtype=object) for k in keys})
    return [list(c) for c in zip(*(row for chunk in encode_events(frame) for row in chunk), strict=True)]


PLAIN_TIMES = [dt.datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=dt.UTC),
               dt.datetime(2024, 5, 1, 20, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))),
               dt.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
               dt.datetime(1700, 1, 1, tzinfo=dt.UTC), dt.datetime(2199, 12, 31, 23, 59, tzinfo=dt.UTC), None]


@pytest.mark.parametrize("ts", PLAIN_TIMES)
def test_plain_event_records_encode_as_the_frame_path(ts) -> None:
    for value, context in itertools.product([None, 0, 3, -2**53, 2.5, float("nan"), float("inf")],
                                            [None, {}, {"b": 1, "a": "红"}, {"n": None}]):
        records = [{"event_id": None, "user_id": "u1", "item_id": "i1", "type": "view", "value": value,
                    "timestamp": ts, "session_id": None, "context": context},
                   {"event_id": "e1", "user_id": "u2", "type": "purchase", "timestamp": PLAIN_TIMES[0],
                    "session_id": "s", "extra": object()}]
        plain = plain_event_columns(records)
        assert plain is not None
        assert plain == _frame_columns(records)
        assert list(encode_events(records)) == [list(zip(*plain, strict=True))]


@pytest.mark.parametrize("odd", [
    {"timestamp": pd.Timestamp("2024-05-01", tz="UTC")},        # a Timestamp (may hold nanoseconds)
    {"timestamp": dt.datetime(2024, 5, 1)},                      # naive
    {"timestamp": dt.datetime(2300, 1, 1, tzinfo=dt.UTC)},       # beyond the compared bounds
    {"timestamp": "2024-05-01"}, {"value": "3"}, {"value": True}, {"value": 2**60}, {"user_id": 42},
    {"context": '{"a": 1}'}, {"item_id": np.str_("i")},
])
def test_other_event_records_take_the_frame_path(odd) -> None:
    record = {"user_id": "u1", "item_id": "i1", "type": "view", "timestamp": PLAIN_TIMES[0], **odd}
    assert plain_event_columns([record]) is None
    assert plain_event_columns(pd.DataFrame([record])) is None
    assert plain_event_columns([{k: v for k, v in record.items() if k != "type"}]) is None
