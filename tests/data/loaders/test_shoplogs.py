"""RetailRocket, Taobao, REES46, sequence and pairs files."""

from __future__ import annotations

import pandas as pd

from shopmind.data.loaders import read


def test_retailrocket(write):
    res = read(write("events.csv", "timestamp,visitorid,event,itemid,transactionid\n"
                                   "1433221332117,257597,view,355908,\n"
                                   "1433224214164,992329,addtocart,248676,\n"
                                   "1433221999827,111016,transaction,7943,17495\n"))
    assert res.format == "retailrocket"
    ev = res.events
    assert ev["type"].tolist() == ["view", "add_to_cart", "purchase"]
    assert ev.loc[0, "timestamp"] == 1433221332.117
    assert ev["context"].tolist() == [None, None, {"transaction_id": "17495"}]
    assert ev["user_id"].tolist() == ["257597", "992329", "111016"]


def test_taobao_headerless_with_items_from_categories(write):
    res = read(write("UserBehavior.csv", "1,2268318,2520377,pv,1511544070\n"
                                         "1,2333346,2520771,cart,1511561733\n"
                                         "2,2268318,2520378,buy,1511572885\n3,5\n"))
    assert res.format == "taobao"
    assert res.events["type"].tolist() == ["view", "add_to_cart", "purchase"]
    assert res.events["timestamp"].tolist() == [1511544070, 1511561733, 1511572885]
    items = res.items.set_index("item_id")
    assert items.loc["2268318", "category"] == "2520378"  # the last value seen wins
    assert items.loc["2268318", "_row"] == 3
    assert [(r.row, r.value) for r in res.rejects] == [(4, "3,5")]


def test_rees46_events_sessions_and_items(write):
    header = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n"
    heater = "3900821,2053013552326770905,appliances.environment.water_heater,aqua"
    res = read(write("2019-Oct.csv.gz", header +
                     f"2019-10-01 00:00:00 UTC,view,{heater},33.20,554748717,9333dfbd\n"
                     "2019-10-01 00:00:05 UTC,cart,44600062,2103807459595387724,,shiseido,35.79,541312140,"
                     "72d7\n"
                     f"2019-10-01 00:01:00 UTC,purchase,{heater},31.00,554748717,9333dfbd\n", gz=True))
    assert res.format == "rees46"
    ev = res.events
    assert ev["type"].tolist() == ["view", "add_to_cart", "purchase"]
    assert ev.loc[0, "timestamp"] == "2019-10-01 00:00:00+00:00"
    assert ev["session_id"].tolist() == ["9333dfbd", "72d7", "9333dfbd"]
    assert pd.isna(ev.loc[0, "value"]) and ev.loc[2, "value"] == 31.0
    items = res.items.set_index("item_id")
    assert items.loc["3900821", "category"] == "appliances > environment > water_heater"
    assert items.loc["3900821", "price"] == 31.0 and items.loc["3900821", "brand"] == "aqua"
    assert pd.isna(items.loc["44600062", "category"])
    assert items.loc["44600062", "attributes"] == {"category_id": "2103807459595387724"}
