"""Column rules: vectorised validation mirrors the pydantic models of shopmind.schema."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopmind.errors import DataError
from shopmind.ingest import validate_frame
from shopmind.ingest.coerce import coerce_number, coerce_text, epoch_to_micros
from shopmind.schema import EVENT_COLUMNS, ITEM_COLUMNS, Event, Item, User


def _reasons(v) -> set[tuple[int, str, str]]:  # type: ignore[no-untyped-def]
    return {(r.row, r.field, r.reason) for r in v.rejects}


def test_good_rows_satisfy_the_pydantic_models() -> None:
    items = pd.DataFrame({
        "item_id": [" a ", "b", 3], "title": ["Tea", None, "  "], "price": ["4.5", 0, None],
        "currency": ["EUR", None, "CNY"], "attributes": ['{"k": 1}', None, {"x": [1]}],
        "created_at": ["2024-01-01T10:00:00+01:00", None, 1704103200], "in_stock": ["no", None, 1],
    })
    v = validate_frame(items, "item")
    assert v.rejects == [] and list(v.frame.columns) == list(ITEM_COLUMNS)
    for row in v.frame.to_dict("records"):
        clean = {k: (None if isinstance(x, float) and np.isnan(x) else x) for k, x in row.items()}
        clean["created_at"] = None if pd.isna(row["created_at"]) else row["created_at"].to_pydatetime()
        assert Item(**clean).model_dump() == clean
    assert v.frame["item_id"].tolist() == ["a", "b", "3"] and v.frame["title"].tolist() == ["Tea", None, None]

    events = pd.DataFrame({"user_id": ["u1"], "item_id": [None], "type": ["SEARCH"], "value": [-1.5],
                           "timestamp": ["2024-05-01T12:00:00Z"], "context": ['{"query": "tea"}']})
    ev = validate_frame(events, "event")
    assert ev.rejects == [] and list(ev.frame.columns) == list(EVENT_COLUMNS)
    row = ev.frame.to_dict("records")[0]
    row["timestamp"] = row["timestamp"].to_pydatetime()
    assert Event(**row).type == "search" and row["value"] == -1.5  # events may carry negative values
    users = validate_frame(pd.DataFrame({"user_id": ["u1"], "attributes": [{"seg": "vip"}]}), "user")
    assert User(**users.frame.to_dict("records")[0]).attributes == {"seg": "vip"}


def test_length_limits_mirror_the_models() -> None:
    items = pd.DataFrame({"item_id": ["x" * 256, "y" * 257, "   "], "currency": ["EUR", "EURO-DOLLAR", None]})
    v = validate_frame(items, "item")
    assert _reasons(v) == {(2, "item_id", "longer than 256 characters"),
                           (2, "currency", "longer than 8 characters"),
                           (3, "item_id", "required field is missing or empty")}
    assert v.rejected_rows == 2 and v.frame["item_id"].tolist() == ["x" * 256]
    for bad in ({"item_id": "y" * 257}, {"item_id": "z", "currency": "EURO-DOLLAR"}):
        with pytest.raises(ValueError):
            Item(**bad)


def test_row_numbers_default_to_positions() -> None:
    v = validate_frame(pd.DataFrame({"user_id": ["u", None], "type": ["view", "view"],
                                     "timestamp": [1, 1]}), "event", source="api")
    assert [(r.source, r.row, r.field) for r in v.rejects] == [("api", 2, "user_id")]


def test_one_row_failing_on_several_fields_counts_once() -> None:
    v = validate_frame(pd.DataFrame({"user_id": [None], "type": ["nope"], "timestamp": ["never"]}), "event")
    assert len(v.rejects) == 3 and v.rejected_rows == 1 and v.frame.empty
    assert [r.field for r in v.rejects] == ["user_id", "type", "timestamp"]  # canonical column order


def test_missing_required_column_is_a_data_error() -> None:
    with pytest.raises(DataError, match="'item_id'"):
        validate_frame(pd.DataFrame({"title": ["x"]}), "item", source="items.csv")
    assert validate_frame(pd.DataFrame(), "event").frame.empty  # an empty frame is fine


def test_numbers() -> None:
    c = coerce_number(pd.Series(["1e3", " 2 ", "inf", "", None, "1,5"]))
    assert c.values.tolist()[:2] == [1000.0, 2.0] and np.isnan(c.values.tolist()[2])
    assert [(m.tolist(), r) for m, r in c.problems] == [
        ([False, False, False, False, False, True], "not a number"),
        ([False, False, True, False, False, False], "not a finite number")]


def test_text_from_floats_and_ints() -> None:
    assert coerce_text(pd.Series([1.0, 2.5, np.nan])).values.tolist() == ["1", "2.5", None]
    assert coerce_text(pd.Series([10, 20], dtype="int64")).values.tolist() == ["10", "20"]
    assert coerce_text(pd.Series([10, None], dtype="Int64")).values.tolist() == ["10", None]


def test_epoch_unit_boundaries() -> None:
    noon_us = 1714564800 * 10**6
    raw = np.array([1714564800, 1714564800 * 10**3, 1714564800 * 10**6, 1714564800 * 10**9], dtype=np.int64)
    assert epoch_to_micros(raw).tolist() == [noon_us] * 4
