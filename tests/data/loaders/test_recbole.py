"""MovieLens (100K, 1M, CSV releases) and RecBole atomic files."""

from __future__ import annotations

from pathlib import Path

from shopmind.data.loaders import read


def _recbole(write) -> Path:
    write("ml-100k/ml-100k.inter", "user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
                                   "196\t242\t3\t881250949\n186\t302\t3.5\t891717742\n")
    write("ml-100k/ml-100k.item",
          "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n"
          "242\tKolya\t1996\tComedy\n302\tL.A. Confidential\t1997\tCrime Film-Noir Mystery\n")
    path = write("ml-100k/ml-100k.user", "user_id:token\tage:token\tgender:token\n196\t49\tM\n")
    return path.parent


def test_recbole_directory_maps_known_columns(write):
    res = read(_recbole(write))
    assert res.format == "recbole"
    assert res.events["type"].tolist() == ["rating", "rating"]
    assert res.events["value"].tolist() == [3.0, 3.5]
    items = res.items.set_index("item_id")
    assert items.loc["302", "title"] == "L.A. Confidential"
    assert items.loc["302", "category"] == "Crime|Film-Noir|Mystery"
    assert items.loc["242", "attributes"] == {"release_year": "1996"}
    assert res.users.loc[0, "attributes"] == {"age": "49", "gender": "M"}
    assert res.events["_row"].tolist() == [2, 3]


def test_recbole_inter_file_brings_siblings_and_extra_columns_go_to_context(write):
    path = write("shop/shop.inter",
                 "user_id:token\titem_id:token\ttimestamp:float\tdevice:token\n1\ta\t5\tios\n")
    write("shop/shop.item", "item_id:token\ttitle:token_seq\tprice:float\tbrand:token\na\tMug\t9.5\tAcme\n")
    res = read(path)
    assert res.events.loc[0, "type"] == "click"  # no rating column: implicit feedback
    assert res.events.loc[0, "context"] == {"device": "ios"}
    assert res.items[["title", "price", "brand"]].values.tolist() == [["Mug", 9.5, "Acme"]]
    assert read(path, event_type="view").events.loc[0, "type"] == "view"
