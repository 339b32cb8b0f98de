"""Bad input: each kind has one defined treatment, counted in the quality report, and never a NaN downstream."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from shopmind.customers.activity import item_tags, prepare_activity, transactions_activity
from shopmind.customers.config import CustomerSettings

NOW = pd.Timestamp("2024-06-01", tz="UTC")
ITEMS = pd.DataFrame({
    "item_id": ["cheap", "dear", "free", "usd", "noprice"],
    "category": ["Beauty > Skin Care > Serums", "Beauty > Skin Care > Creams", "Home > Bath", "Home > Bath", None],
    "brand": ["Dewy", "Dewy", "Potter", "Potter", None],
    "price": [10.0, 100.0, 0.0, 20.0, np.nan],
    "currency": ["CNY", "CNY", "CNY", "USD", None],
    "attributes": [{"colour": "Red"}, {"colour": "Blue"}, {}, {"colour": "Red"}, {}],
})


def ev(user, item, type="purchase", days_ago=1.0, value=None, context=None):
    return {"user_id": user, "item_id": item, "type": type, "value": value,
            "timestamp": NOW - pd.Timedelta(days=days_ago), "context": context or {}, "session_id": None}


def activity(rows, **settings):
    return prepare_activity(pd.DataFrame(rows), item_tags(ITEMS), CustomerSettings(**settings), NOW)


def test_amounts_from_revenue_or_price_times_quantity():
    a = activity([ev("u", "cheap", value=3), ev("u", "dear", context={"revenue": 90.0, "currency": "CNY"})])
    assert a.purchases["amount"].tolist() == [30.0, 90.0] and a.currency == "CNY"


def test_each_bad_input_has_its_treatment():
    a = activity([
        ev("u1", "noprice"),                                   # no price: a purchase of unknown amount
        ev("u1", "cheap", days_ago=-3),                         # three days in the future: ignored
        ev("u2", "free"),                                       # zero: counted, adds nothing
        ev("u2", "dear", context={"revenue": -100.0}),          # negative: a refund, not a purchase
        ev("u3", "usd"),                                        # another currency without a rate: unknown
        ev("u4", "cheap", type="view"),                         # no purchases at all
        ev("u1", "cheap", days_ago=2),
    ])
    q = a.quality
    assert q == {"future_events": 1, "unconverted_currency": 1, "purchases": 4, "refunds": 1, "unknown_amount": 2,
                 "zero_amount": 1}
    assert len(a.purchases) == 4 and not (a.purchases["amount"] < 0).any()
    assert (a.events["timestamp"] <= NOW).all()
    amounts = dict(zip(a.purchases["item_row"], a.purchases["amount"], strict=True))
    assert np.isnan(amounts[4]) and amounts[2] == 0.0 and np.isnan(amounts[3]) and amounts[0] == 10.0


def test_exchange_rates_convert_other_currencies():
    a = activity([ev("u3", "usd", value=2), ev("u3", "cheap")], exchange_rates={"USD": 7.0})
    assert a.purchases["amount"].tolist() == [280.0, 10.0] and a.quality["unconverted_currency"] == 0


def test_interest_weights_halve_every_half_life():
    a = activity([ev("u", "cheap", type="view", days_ago=0.0), ev("u", "dear", type="view", days_ago=30.0)],
                 half_life_days=30.0)
    w = a.events.set_index("item_row")["weight"]
    assert math.isclose(w.iloc[1] / w.iloc[0], 0.5, rel_tol=1e-9)


def test_item_tags_price_bands_and_attributes():
    tags = item_tags(ITEMS)
    assert tags.top.tolist() == ["Beauty", "Beauty", "Home", "Home", None]
    assert tags.price_band[0] == "budget" and tags.price_band[1] == "premium" and tags.price_band[4] is None
    assert sorted(tags.attributes["tag"].unique()) == ["colour=Blue", "colour=Red"]


def test_transactions_activity_drops_refunds():
    tx = pd.DataFrame({"customer_id": [1, 1, 2], "timestamp": pd.to_datetime(["1997-01-01", "1997-02-01",
                                                                              "1997-01-03"]),
                       "amount": [10.0, -5.0, 3.0]})
    a = transactions_activity(tx)
    assert len(a.purchases) == 2 and a.quality["refunds"] == 1 and a.purchases["user_id"].tolist() == ["1", "2"]
