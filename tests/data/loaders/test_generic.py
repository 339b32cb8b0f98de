"""CSV/TSV, JSON Lines and Parquet with and without a ColumnMapping."""

from __future__ import annotations

import pandas as pd
import pytest

from shopmind.data.loaders import ColumnMapping, read
from shopmind.errors import DataError, ParameterError
from shopmind.schema import EVENT_COLUMNS

A = '{"user_id": "a", "type": "view", "timestamp": 1}'


B = '{"user_id": "b", "type": "view", "timestamp": 2}'


def test_canonical_csv_needs_no_mapping(write):
    res = read(write("events.csv", "user_id,item_id,type,timestamp,value\n"
                                   "u1,i1,view,100,\nu2,i2,purchase,101,9.5\n"))
    ev = res.events
    assert res.format == "csv" and res.items is None
    assert list(ev.columns) == ["user_id", "item_id", "type", "value", "timestamp", "_source", "_row"]
    assert ev["_row"].tolist() == [2, 3]
    assert ev["_source"].astype(str).unique().tolist() == [res.source]
    assert pd.isna(ev.loc[0, "value"]) and ev.loc[1, "value"] == "9.5"  # raw text: the importer coerces


def test_mapping_renames_maps_types_converts_ms_and_collects_extras(write):
    path = write("log.csv", "ts;visitor;ev;item;device;page\n"
                            "1433221332117;7;view;10;mobile;\n1433221332999;7;addtocart;11;;home\n")
    m = ColumnMapping(user_id="visitor", item_id="item", type="ev", timestamp="ts", timestamp_unit="ms",
                      event_type_values={"addtocart": "add_to_cart"}, extra=["device", "page"])
    ev = read(path, mapping=m).events
    assert ev["type"].tolist() == ["view", "add_to_cart"]
    assert ev["timestamp"].tolist() == [1433221332.117, 1433221332.999]
    assert ev["context"].tolist() == [{"device": "mobile"}, {"page": "home"}]
    assert ev["user_id"].tolist() == ["7", "7"]


def test_constant_event_type_and_options_override_the_mapping(write):
    path = write("r.txt", "who|what|when|stars\n1|a|5|4.0\n")
    res = read(path, format="csv", mapping={"user_id": "who", "item_id": "what", "timestamp": "when",
                                            "value": "stars", "event_type": "rating"}, delimiter="|")
    assert res.events[["type", "value"]].values.tolist() == [["rating", "4.0"]]


def test_items_file_with_extra_star_goes_to_attributes(write):
    res = read(write("items.tsv", "sku\tname\tcolor\tsize\nA\tShirt\tred\tM\nB\tHat\t\tL\n"),
               mapping=ColumnMapping(kind="items", item_id="sku", title="name", extra="*"))
    assert res.format == "tsv"
    assert res.items["attributes"].tolist() == [{"color": "red", "size": "M"}, {"size": "L"}]
    assert res.items["title"].tolist() == ["Shirt", "Hat"]


def test_headerless_file_with_names(write):
    res = read(write("b.csv", "1,a,click,5\n2,b,click,6\n"), mapping=ColumnMapping(
        header=False, names=["user_id", "item_id", "type", "timestamp"]))
    assert res.events["_row"].tolist() == [1, 2]


def test_missing_required_column_names_file_and_found_columns(write):
    path = write("e.csv", "visitor,item\n1,2\n")
    with pytest.raises(DataError, match=r"needs column\(s\) \['user_id', 'type', 'timestamp'\]") as err:
        read(path, mapping=ColumnMapping(kind="events", item_id="item"))
    assert str(path) in str(err.value) and "visitor" in str(err.value)
    with pytest.raises(DataError, match="column 'nope', which the file does not have"):
        read(path, mapping=ColumnMapping(user_id="nope"))
    with pytest.raises(DataError, match="events, items or users"):
        read(path, format="csv")


def test_mapping_rejects_unknown_fields_and_fields_of_another_kind():
    with pytest.raises(ValueError, match="unknown canonical field"):
        ColumnMapping(columns={"userid": "u"})
    with pytest.raises(ValueError, match="did you mean 'user_id'"):
        ColumnMapping(userid="u")
    with pytest.raises(ValueError, match="do not belong to items"):
        ColumnMapping(kind="items", type="t")


def test_broken_csv_reads_good_rows_and_rejects_bad_ones(write):
    path = write("e.csv", "user_id,item_id,type,timestamp\nu1,i1,view,1\nu2,i2,view\nu3,i3,view,3\nu4,i4,vi")
    res = read(path)
    assert res.events["user_id"].tolist() == ["u1", "u3"]
    assert [(r.row, r.value) for r in res.rejects] == [(3, "u2,i2,view"), (5, "u4,i4,vi")]
    assert res.rejects[1].reason.startswith("truncated last line")


def test_jsonl_invalid_line_is_rejected_with_its_line_number(write):
    path = write("e.jsonl", '{"user_id": 1, "item_id": "a", "type": "view", "timestamp": 5}\n'
                            '\n{"user_id": 2, "item_id": "b", "type": "view", "timestamp": 6, "x": 1}\n'
                            '{"user_id": 3, "item_id": \n[1, 2]\n'
                            '{"user_id": 4, "item_id": "d", "type": "view", "timestamp": 8}\n'
                            '{"user_id": 5, "item_id": "e", "ty')
    res = read(path)
    assert res.format == "jsonl"
    assert res.events["user_id"].tolist() == ["1", "2", "4"]
    assert res.events["_row"].tolist() == [1, 3, 6]
    assert [r.row for r in res.rejects] == [4, 5, 7]
    assert res.rejects[0].reason.startswith("invalid JSON")
    assert res.rejects[0].value.startswith('{"user_id": 3')
    assert "found list" in res.rejects[1].reason
    assert res.rejects[2].reason.startswith("truncated last line")


def test_jsonl_gzip_with_dict_attributes_and_extras(write):
    path = write("items.jsonl.gz", '{"item_id": "A", "title": "T", "attributes": {"a": 1}, "color": "red"}\n',
                 gz=True)
    res = read(path, mapping=ColumnMapping(extra=["color"]))
    assert res.items["attributes"].tolist() == [{"a": 1, "color": "red"}]


def test_json_array_file(write):
    res = read(write("users.json", '[{"user_id": "u1"}, {"user_id": "u2", "created_at": "2024-01-01"}]'))
    assert res.users["user_id"].tolist() == ["u1", "u2"] and res.users["_row"].tolist() == [1, 2]


def test_parquet_with_numeric_ids(tmp_path):
    path = tmp_path / "ev.parquet"
    pd.DataFrame({"uid": [1, 2], "iid": [10, 20], "kind": ["pv", "buy"], "ts": [5, 6]}).to_parquet(path)
    res = read(path, mapping=ColumnMapping(user_id="uid", item_id="iid", type="kind", timestamp="ts",
                                           event_type_values={"pv": "view", "buy": "purchase"}))
    assert res.format == "parquet"
    ev = res.events
    assert ev["user_id"].tolist() == ["1", "2"] and ev["item_id"].tolist() == ["10", "20"]
    assert ev["type"].tolist() == ["view", "purchase"] and ev["_row"].tolist() == [1, 2]
    assert set(ev.columns) - {"_source", "_row"} <= set(EVENT_COLUMNS)


def test_mapping_is_refused_by_builtin_formats_and_unknown_options_are_named(write):
    path = write("u.data", "1\t2\t3\t4\n")
    with pytest.raises(ParameterError, match="mapping"):
        read(path, mapping=ColumnMapping(user_id="x"))
    with pytest.raises(ParameterError, match="'delimiter' parameter"):
        read(path, delimiter=",")


@pytest.mark.parametrize("text", [f"{A}\r\n{B}\r\n", f"{A}\n   \n{B}"], ids=["crlf", "whitespace-line"])
def test_jsonl_line_numbers_on_the_fast_path(write, text):
    res = read(write("e.jsonl", text))
    assert res.events["user_id"].tolist() == ["a", "b"]
    assert res.events["_row"].tolist() == [1, 3 if "   " in text else 2]
    assert res.rejects == []


def test_unknown_encoding_is_a_data_error(write):
    with pytest.raises(DataError, match="unknown encoding 'nope'"):
        read(write("e.csv", "user_id,type,timestamp\n"), encoding="nope")


def test_jsonl_iso_times_stay_text_and_int_ids_become_text(write):
    res = read(write("e.jsonl", '{"user_id": 7, "type": "view", "timestamp": "2024-05-01T10:00:00+02:00"}\n'
                                '{"user_id": null, "type": "view", '
                                '"timestamp": "2024-05-01T11:00:00+02:00"}\n'))
    assert res.events["timestamp"].tolist() == ["2024-05-01T10:00:00+02:00", "2024-05-01T11:00:00+02:00"]
    assert res.events["user_id"].iloc[0] == "7" and pd.isna(res.events["user_id"].iloc[1])
