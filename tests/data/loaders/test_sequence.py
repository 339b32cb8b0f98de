"""RetailRocket, Taobao, REES46, sequence and pairs files."""

from __future__ import annotations

from shopmind.data.loaders import read


def test_sequence_file_with_sibling_item_table(write):
    path = write("beauty/user_sequence.txt", "U1 A B C\nU2\tC A\nU3\n")
    write("beauty/items.tsv", "asin\tp5_id\ttitle\tcategories\nA\t1\tSoap &amp; Rose\tBeauty > Bath\n"
                              "B\t2\tLotion\tBeauty > Skin Care\n"
                              "C\t3\tBrush\tBeauty > Tools &amp; Accessories\n")
    res = read(path)
    assert res.format == "sequence"
    ev = res.events
    assert ev[["user_id", "item_id", "timestamp", "_row"]].values.tolist() == [
        ["U1", "A", 1, 1], ["U1", "B", 2, 1], ["U1", "C", 3, 1], ["U2", "C", 1, 2], ["U2", "A", 2, 2]]
    assert set(ev["type"]) == {"click"}
    assert [(r.row, r.value) for r in res.rejects] == [(3, "U3")]
    items = res.items.set_index("item_id")
    assert items.loc["A", "title"] == "Soap & Rose"
    assert items.loc["C", "category"] == "Beauty > Tools & Accessories"
    assert items.loc["A", "attributes"] == {"p5_id": "1"}


def test_sequence_item_table_by_option_and_key(write):
    path = write("seq.txt", "u1 1 2 3\n")
    table = write("catalog.tsv", "asin\tp5_id\ttitle\nX\t1\tOne\nY\t2\tTwo\n")
    res = read(path, items=table, item_key="p5_id", event_type="review")
    assert res.items["item_id"].tolist() == ["1", "2"] and res.events["type"].iloc[0] == "review"


def test_pairs_gzip_positions_per_user(write):
    res = read(write("ml-1m_sasrec.txt.gz", "1 10\n1 11\n2 10\n1 12\n2 13\n", gz=True))
    assert res.format == "pairs"
    ev = res.events
    assert ev[["user_id", "item_id", "timestamp"]].values.tolist() == [
        ["1", "10", 1], ["1", "11", 2], ["2", "10", 1], ["1", "12", 3], ["2", "13", 2]]
    assert ev["_row"].tolist() == [1, 2, 3, 4, 5]


def test_pairs_with_bad_lines(write):
    res = read(write("pairs.txt", "1\t10\n1\t11\n2\t10\t5\n2\t13\n"), format="sasrec")
    assert res.events["_row"].tolist() == [1, 2, 4]
    assert [(r.row, r.value) for r in res.rejects] == [(3, "2\t10\t5")]


def test_pairs_read_titles_and_genres_through_the_sasrec_item_map(write):
    path = write("ml1m/ml-1m_sasrec.txt.gz", "1 1\n1 2\n2 3\n", gz=True)
    write("ml1m/sas_to_original_items.txt", "1 1198\n2 3552\n3 999\n")
    write("ml1m/movies.dat", "1198::Raiders of the Lost Ark (1981)::Action|Adventure\n"
                             "3552::Caddyshack (1980)::Comedy\n".encode("latin-1"))
    res = read(path)
    items = res.items.set_index("item_id")
    assert items.loc["1", "title"] == "Raiders of the Lost Ark (1981)"
    assert items.loc["2", "category"] == "Comedy" and items.loc["2", "attributes"] == {"original_id": "3552"}
    # a mapped id with no movie is reported with its row and kept out of the catalog, never silently lost
    assert "3" not in items.index
    assert [(r.row, r.field, r.value, r.kind) for r in res.rejects] == [(3, "original_id", "999", "item")]
    assert "no movie '999' in movies.dat" in res.rejects[0].reason
    # without movies.dat the file reads as plain pairs
    alone = read(write("plain/ml-1m_sasrec.txt", "1 1\n"))
    assert alone.items is None or len(alone.items) == 0
