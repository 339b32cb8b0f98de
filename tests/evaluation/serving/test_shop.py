"""`shopmind bench-serve`: a tiny end-to-end run against a real server process (latency, real time,
ingestion with kill -9, retrieval), and the pieces it is made of."""

from __future__ import annotations

from shopmind.evaluation.serving import (
    bench_catalog,
    shop_events,
    synthetic_impressions,
)


def test_bench_shop_uses_the_demo_catalog_and_clustered_histories():
    items = bench_catalog(500, seed=1)
    events = shop_events(items, 40, 10, seed=1)
    assert items["item_id"].iloc[0] == "SKU00001" and {"title", "category", "brand", "price"} <= set(items.columns)
    assert len(items) == 500 and items["item_id"].is_unique
    assert len(events) == 400 and events["user_id"].nunique() == 40
    assert set(events["type"]) <= {"view", "add_to_cart", "purchase"}
    cats = events.merge(items, on="item_id").groupby("user_id")["category"].nunique()
    assert (cats <= 2).all()  # each shopper sticks to two categories


def test_synthetic_impressions_are_slates_whose_clicks_favour_own_categories_and_top_slots():
    items = bench_catalog(2000, seed=3)
    events = shop_events(items, 400, 10, seed=3)
    shown = synthetic_impressions(items, events, 300, seed=3)
    imp = shown[shown["type"] == "impression"]
    assert len(imp) == 3000 and imp["session_id"].nunique() == 300
    assert sorted({c["position"] for c in imp["context"]}) == list(range(1, 11))
    clicks = shown[shown["type"] == "click"]
    assert set(clicks["session_id"]) <= set(imp["session_id"])
    # every click follows an impression of that item in the same session
    first = imp.groupby(["session_id", "item_id"])["timestamp"].min()
    assert all(first[(s, i)] < t for s, i, t in clicks[["session_id", "item_id", "timestamp"]].itertuples(index=False))
    own = events.merge(items, on="item_id").groupby("user_id")["category"].agg(set)
    cat = dict(zip(items["item_id"], items["category"], strict=True))
    imp = imp.assign(mine=[cat[i] in own[u] for u, i in zip(imp["user_id"], imp["item_id"], strict=True)],
                     pos=[c["position"] for c in imp["context"]])
    clicked = set(zip(clicks["session_id"], clicks["item_id"], strict=True))
    imp["clicked"] = [(s, i) in clicked for s, i in zip(imp["session_id"], imp["item_id"], strict=True)]
    rate = imp.groupby("mine")["clicked"].mean()
    assert rate[True] > 3 * rate[False]
    assert imp[imp["pos"] <= 3]["clicked"].mean() > imp[imp["pos"] >= 8]["clicked"].mean()
