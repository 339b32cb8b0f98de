"""The refresh job: full then incremental on a small shop, bad input, and what it stores."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from fixtures.customers import SHOP_END
from shopmind.customers.config import CustomerSettings
from shopmind.customers.refresh import explain_churn, load_models, refresh, with_summary
from shopmind.errors import ShopmindError, UnknownIdError
from shopmind.models import create
from shopmind.storage import load_interactions


def _no_nan(doc):
    json.dumps(doc, allow_nan=False)  # raises on NaN or infinity


def test_full_refresh_stores_profiles_segments_and_models(shop_store):
    report = refresh(shop_store, CustomerSettings(), full=True, as_of=SHOP_END)
    assert report.mode == "full" and report.users == 250 and report.segments >= 11 + 3 + 2
    assert set(report.steps) >= {"lifetime value", "churn model", "k-means segments", "LDA topics"}
    frame = shop_store.profiles_frame()
    assert len(frame) == 250
    for doc in frame["profile"]:
        _no_nan(doc)
    buyers = [d for d in frame["profile"] if d["purchases"]["orders"] > 0]
    assert buyers and all(d["rfm"]["group"] and d["value"]["p_alive"] is not None for d in buyers)
    assert all(d["churn"]["source"] == "model" and 0 <= d["churn"]["risk"] <= 1 for d in buyers)
    assert {d["stage"] for d in frame["profile"]} <= {"prospect", "new", "active", "reactivated", "at_risk",
                                                     "lapsed"}
    kinds = {s["kind"] for s in shop_store.list_segments()}
    assert kinds == {"rfm", "kmeans", "topic"}
    topic = next(s for s in shop_store.list_segments() if s["kind"] == "topic")
    assert topic["top_terms"] and topic["lift"]["category"]
    champions = shop_store.segment_users("rfm:champions", limit=1000)
    assert all("rfm:champions" in shop_store.get_profile(u)["segments"] for u in champions)
    models = load_models(shop_store)
    assert models is not None and models.churn is not None and models.kmeans is not None


def test_incremental_refresh_touches_only_users_with_new_events(shop_store):
    refresh(shop_store, CustomerSettings(), full=True, as_of=SHOP_END)
    before = shop_store.profiles_frame().set_index("user_id")["profile"]
    quiet = before.index[0]
    assert refresh(shop_store, CustomerSettings(), as_of=SHOP_END).users == 0  # nothing new
    when = SHOP_END - pd.Timedelta(hours=1)
    shop_store.append_events([
        {"user_id": "U00002", "item_id": "SKU00001", "type": "purchase", "value": 1, "timestamp": when},
        {"user_id": "newcomer", "item_id": "SKU00002", "type": "view", "timestamp": when},
    ])
    report = refresh(shop_store, CustomerSettings(), as_of=SHOP_END)
    assert report.mode == "incremental" and report.users == 2 and report.events_read == 2
    after = shop_store.profiles_frame().set_index("user_id")["profile"]
    assert after["U00002"]["purchases"]["orders"] == before["U00002"]["purchases"]["orders"] + 1
    assert after["U00002"]["purchases"]["recency_days"] == pytest.approx(1 / 24, abs=0.01)  # rounded to 2 decimals
    assert after["newcomer"]["stage"] == "prospect" and after[quiet] == before[quiet]
    assert any(s.startswith("kmeans:") for s in after["newcomer"]["segments"])


def test_bad_input_never_crashes_or_leaves_nan(shop_store):
    t = SHOP_END - pd.Timedelta(days=2)
    shop_store.upsert_items([{"item_id": "noprice", "title": "x", "category": "Misc"},
                             {"item_id": "dollar", "title": "y", "price": 5.0, "currency": "USD"}])
    shop_store.append_events([
        {"user_id": "odd", "item_id": "noprice", "type": "purchase", "timestamp": t},
        {"user_id": "odd", "item_id": "dollar", "type": "purchase", "timestamp": t - pd.Timedelta(days=3)},
        {"user_id": "odd", "item_id": "SKU00001", "type": "purchase", "timestamp": SHOP_END + pd.Timedelta(days=9)},
        {"user_id": "odd", "item_id": "SKU00001", "type": "purchase", "timestamp": t,
         "context": {"revenue": -20.0}},
        {"user_id": "odd", "item_id": "SKU00003", "type": "purchase", "timestamp": t,
         "context": {"revenue": 0.0}},
        {"user_id": "once", "item_id": "SKU00001", "type": "purchase", "timestamp": t},
    ])
    shop_store.upsert_users([{"user_id": "silent", "attributes": {"city": "Hangzhou"}}])
    report = refresh(shop_store, CustomerSettings(), full=True, as_of=SHOP_END)
    q = report.quality
    assert q["future_events"] == 1 and q["refunds"] == 1 and q["zero_amount"] >= 1
    assert q["unknown_amount"] >= 1 and q["unconverted_currency"] == 1
    odd, once, silent = (shop_store.get_profile(u) for u in ("odd", "once", "silent"))
    for doc in (odd, once, silent):
        _no_nan(doc)
        _no_nan(with_summary(doc))
    # no price and zero on one day (one order), USD three days before: nothing known to add to the spend
    assert odd["purchases"]["orders"] == 2 and odd["purchases"]["spend"] == 0.0
    assert once["purchases"]["orders"] == 1 and once["value"]["expected_purchases_12m"] is not None
    assert silent["stage"] == "prospect" and silent["attributes"] == {"city": "Hangzhou"}
    assert silent["rfm"] is None and silent["value"] is None and silent["churn"] is None


def test_short_history_falls_back_to_bgnbd_for_churn(shop_store):
    report = refresh(shop_store, CustomerSettings(churn_days=400), full=True, as_of=SHOP_END)
    assert any("churn model skipped" in n for n in report.notes)
    buyer = next(d for d in shop_store.profiles_frame()["profile"] if d["purchases"]["orders"])
    assert buyer["churn"]["source"] == "bgnbd"
    with pytest.raises(ShopmindError, match="no churn model"):
        explain_churn(shop_store, buyer["user_id"], CustomerSettings())


def test_explain_churn_and_next_categories(shop_store):
    data = load_interactions(shop_store)
    model = create("popular").fit(data)
    refresh(shop_store, CustomerSettings(), full=True, as_of=SHOP_END, recommender=model)
    buyers = [d for d in shop_store.profiles_frame()["profile"] if d["purchases"]["orders"]]
    risks = sorted(d["churn"]["risk"] for d in buyers)
    buyer = max(buyers, key=lambda d: abs(d["churn"]["risk"] - risks[len(risks) // 2]))  # the least typical
    assert buyer["next_categories"] and 0 < buyer["next_categories"][0]["score"] <= 1
    out = explain_churn(shop_store, buyer["user_id"], CustomerSettings())
    assert 0 <= out["risk"] <= 1 and isinstance(out["features"], list)  # a small shop's model may be flat there
    assert out["risk"] == pytest.approx(buyer["churn"]["risk"], abs=1e-4)
    with pytest.raises(UnknownIdError):
        explain_churn(shop_store, "nobody-at-all", CustomerSettings())


def test_summary_states_only_profile_facts(shop_store):
    refresh(shop_store, CustomerSettings(), full=True, as_of=SHOP_END)
    doc = next(d for d in shop_store.profiles_frame()["profile"] if d["purchases"]["orders"] > 1)
    s = with_summary(doc)["summary"]
    assert f"{doc['purchases']['orders']} orders" in s["en"] and f"下单{doc['purchases']['orders']}次" in s["zh"]
    assert doc["rfm"]["label"] in s["en"] and doc["rfm"]["label_zh"] in s["zh"]
