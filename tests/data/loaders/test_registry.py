"""detect_format: file names, first lines and directories; and the errors when it cannot tell."""

from __future__ import annotations

import pytest

from shopmind.data.loaders import FORMATS, detect_format, get_format, read
from shopmind.errors import DataError

CASES = [
    ("u.data", "1\t2\t3\t4\n", "movielens-100k"),
    ("u1.base", "1\t2\t3\t4\n", "movielens-100k"),
    ("u.item", "1|Toy Story (1995)|01-Jan-1995||http://us.imdb.com/M/x|0|0\n", "movielens-100k"),
    ("ratings.dat", "1::2::3::4\n", "movielens-1m"),
    ("x.inter", "user_id:token\titem_id:token\n1\t2\n", "recbole"),
    ("events.csv", "timestamp,visitorid,event,itemid,transactionid\n1,2,view,3,\n", "retailrocket"),
    ("oct.csv", "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,"
                "user_session\n", "rees46"),
    ("ub.csv", "1,2268318,2520377,pv,1511544070\n1,2333346,2520771,buy,1511561733\n", "taobao"),
    ("ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n", "movielens-csv"),
    ("mine.csv", "user_id,item_id,type,timestamp\n", "csv"),
    ("mine.tsv", "item_id\ttitle\n", "tsv"),
    ("export.txt", "user_id;item_id;type;timestamp\n", "csv"),
    ("r.json", '{"reviewerID": "A", "asin": "B", "overall": 5.0}\n', "amazon-2014"),
    ("meta.json", "{'asin': 'B', 'title': 'T'}\n", "amazon-2014"),
    ("r.jsonl", '{"user_id": "A", "parent_asin": "B", "rating": 5.0, "timestamp": 1}\n', "amazon-2023"),
    ("m.jsonl", '{"parent_asin": "B", "main_category": "Beauty", "title": "T"}\n', "amazon-2023"),
    ("e.jsonl", '{"user_id": "A", "item_id": "B"}\n', "jsonl"),
    ("noext", '{"user_id": "A", "item_id": "B"}\n', "jsonl"),
    ("seq.txt", "u1 a b c\nu2 b\n", "sequence"),
    ("sasrec.txt", "1 1\n1 2\n2 5\n", "pairs"),
    ("data.parquet", "", "parquet"),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_detect_file(write, name, text, expected):
    assert detect_format(write(name, text)) == expected


def test_detect_gzip_by_the_plain_name_and_content(write):
    assert detect_format(write("ml-1m.txt.gz", "1 1\n1 2\n", gz=True)) == "pairs"
    rr = write("events.csv.gz", "timestamp,visitorid,event,itemid,transactionid\n", gz=True)
    assert detect_format(rr) == "retailrocket"


def test_detect_directories(write):
    assert detect_format(write("a/u.data", "1\t2\t3\t4\n").parent) == "movielens-100k"
    assert detect_format(write("b/ml.inter", "user_id:token\n").parent) == "recbole"
    assert detect_format(write("c/movies.dat", "1::T::Drama\n").parent) == "movielens-1m"
    assert detect_format(write("d/user_sequence.txt", "u a b\n").parent) == "sequence"
    amazon = write("e/reviews.json", '{"reviewerID": "A", "asin": "B"}\n')
    assert detect_format(amazon.parent) == "amazon-2014"
    only = write("f/only.csv", "user_id,item_id,type,timestamp\nu,i,view,1\n")
    assert detect_format(only.parent) == "csv"
    assert read(only.parent).events["_source"].iloc[0] == str(only)


def test_unknown_things_say_what_is_supported(write, tmp_path):
    with pytest.raises(DataError, match="pass format= one of: csv, tsv, jsonl") as err:
        detect_format(write("blob.bin", "hello\nworld\n"))
    assert "blob.bin" in str(err.value)
    write("g/a.bin", "x\n")
    write("g/b.bin", "y\n")
    with pytest.raises(DataError, match="cannot tell the format of this directory"):
        detect_format(tmp_path / "g")
    with pytest.raises(DataError, match="unknown format 'xml'; supported formats: csv"):
        read(write("x.csv", "user_id\n"), format="xml")
    with pytest.raises(DataError, match="no such file"):
        read(tmp_path / "missing.csv")
    with pytest.raises(DataError, match="empty"):
        detect_format(write("empty.txt", ""))


def test_every_format_has_a_unique_name_and_aliases_resolve():
    assert get_format("ML-100K").name == "movielens-100k"
    assert get_format("sasrec").name == "pairs" and get_format("json").name == "jsonl"
    assert len(FORMATS) == 15
    assert all(f.summary for f in FORMATS.values())
