"""The delimited-text engine: exact line numbers and rejects on both of its paths."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from shopmind.data.loaders.delimited import _read_exact, read_delimited, read_split_lines, rejoin_split_rows
from shopmind.errors import DataError

BROKEN = "a,b,c\n1,2,3\n4,5\n6,7,8\n9,1,2,3\n10,11,12\n13,1"  # wrong counts on lines 3 and 5, cut-off line 7


def _both(path: Path, header: bool = True, names: list[str] | None = None):
    fast = read_delimited(path, header=header, names=names)
    exact = _read_exact(path, fast.columns, ",", "utf-8", header, True, "event")
    assert fast.frame.equals(exact.frame)
    assert fast.rejects == exact.rejects
    return fast


def test_wrong_field_count_and_truncated_last_line_are_rejected_with_line_numbers(write):
    t = _both(write("x.csv", BROKEN))
    assert t.frame["a"].tolist() == ["1", "6", "10"]
    assert t.frame["_row"].tolist() == [2, 4, 6]
    assert [(r.row, r.value) for r in t.rejects] == [(3, "4,5"), (5, "9,1,2,3"), (7, "13,1")]
    assert "wrong field count: expected 3 fields, found 2" in t.rejects[0].reason
    assert t.rejects[2].reason.startswith("truncated last line")
    assert all(r.field == "_row" and r.kind == "event" for r in t.rejects)


def test_blank_lines_keep_line_numbers_exact(write):
    t = _both(write("x.csv", "a,b,c\n1,2,3\n\n4,5\n6,,8\n\n\n"))
    assert t.frame["_row"].tolist() == [2, 5]
    assert t.frame["b"].isna().tolist() == [False, True]  # empty field -> missing
    assert [r.row for r in t.rejects] == [4]


def test_quoted_newline_is_one_row_numbered_by_its_first_line(write):
    t = _both(write("x.csv", 'a,b,c\n1,"two\nlines",3\n4,5,6\n'))
    assert t.frame["b"].tolist() == ["two\nlines", "5"]
    assert t.frame["_row"].tolist() == [2, 4]


def test_headerless_file_counts_from_line_one(write):
    t = _both(write("x.csv", "1,2,3\n4,5\n"), header=False, names=["a", "b", "c"])
    assert t.frame["_row"].tolist() == [1]
    assert t.rejects[0].row == 2


def test_gzip_is_transparent(write):
    t = read_delimited(write("x.csv.gz", BROKEN, gz=True))
    assert t.frame["_row"].tolist() == [2, 4, 6]
    assert [r.row for r in t.rejects] == [3, 5, 7]


def test_truncated_gzip_keeps_rows_read_and_rejects_the_rest(tmp_path):
    body = "a,b\n" + "".join(f"{i},{i}\n" for i in range(20000))
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(gzip.compress(body.encode())[:-400])
    t = read_delimited(path)
    assert 0 < len(t.frame) < 20000
    assert t.rejects[-1].row > t.frame["_row"].max()
    assert "gzip stream is truncated" in t.rejects[-1].reason


def test_gz_name_without_gzip_content_is_a_clear_error(write):
    with pytest.raises(DataError, match="not gzip data"):
        read_delimited(write("x.csv.gz", "a,b\n1,2\n"))


def test_undecodable_bytes_suggest_an_encoding(write):
    path = write("x.csv", "a,b\n1,caf\xe9\n", encoding="latin-1")
    with pytest.raises(DataError, match="latin-1") as err:
        read_delimited(path)
    assert err.value.source == str(path)
    assert read_delimited(path, encoding="latin-1").frame["b"].tolist() == ["café"]


def test_split_lines_on_a_multi_character_separator(write):
    t = read_split_lines(write("r.dat", "1::2::5\n1::3\n2::2::4"), separator="::", names=["u", "i", "r"])
    assert t.frame["_row"].tolist() == [1, 3]
    assert (t.rejects[0].row, t.rejects[0].value) == (2, "1::3")


def test_rejoin_rows_split_by_a_line_break_inside_a_field(write):
    path = write("items.tsv", "id\ttitle\tcat\nA\tplain\tx\nB\tbroken\ntitle\ty\nC\tshort\n")
    t = rejoin_split_rows(read_delimited(path, delimiter="\t", quote=False), "\t")
    assert t.frame["title"].tolist() == ["plain", "broken\ntitle"]
    assert t.frame["_row"].tolist() == [2, 3]
    assert [r.row for r in t.rejects] == [5]  # C cannot be completed: stays rejected
