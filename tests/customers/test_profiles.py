"""Per-user facts: purchases, price range, basket size, lifecycle stages and decayed interest tags."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopmind.customers.activity import item_tags, prepare_activity
from shopmind.customers.config import CustomerSettings
from shopmind.customers.profiles import interest_matrix, interest_tags, interest_weights, lifecycle, user_table

NOW = pd.Timestamp("2024-06-01", tz="UTC")
ITEMS = pd.DataFrame({"item_id": ["serum", "cream", "mug"],
                      "category": ["Beauty > Skin Care > Serums", "Beauty > Skin Care > Creams", "Home > Mugs"],
                      "brand": ["Dewy", "Dewy", "Potter"], "price": [100.0, 50.0, 10.0], "currency": "CNY",
                      "attributes": [{"size": "30 ml"}, {"size": "50 ml"}, {}]})


def ev(user, item, type, days_ago, session=None, value=None):
    return {"user_id": user, "item_id": item, "type": type, "value": value, "context": {},
            "timestamp": NOW - pd.Timedelta(days=days_ago), "session_id": session}


ROWS = [
    ev("fan", "serum", "purchase", 200, "s1"), ev("fan", "cream", "purchase", 10, "s2", 2),
    ev("fan", "mug", "purchase", 10, "s2"), ev("fan", "serum", "view", 1),
    ev("newbie", "mug", "purchase", 5, "s3"),
    ev("steady", "cream", "purchase", 100, "s4"), ev("steady", "cream", "purchase", 60, "s5"),
    ev("gone", "mug", "purchase", 150, "s6"),
    ev("browser", "serum", "view", 3), ev("browser", "mug", "view", 63),
]


@pytest.fixture(scope="module")
def table():
    a = prepare_activity(pd.DataFrame(ROWS), item_tags(ITEMS), CustomerSettings(), NOW)
    return a, user_table(a, CustomerSettings())


def test_purchases_orders_and_basket(table):
    _, t = table
    fan = t.loc["fan"]
    assert (fan["orders"], fan["purchase_days"], fan["items_bought"]) == (2, 2, 4.0)
    assert fan["monetary"] == 210.0 and fan["basket_size"] == 2.0 and fan["recency_days"] == 10.0
    assert (fan["price_low"], fan["price_high"]) == (30.0, 75.0)
    assert t.loc["browser", "orders"] == 0 and t.loc["browser", "monetary"] == 0.0
    # no purchase: the price range of what the user looked at
    assert t.loc["browser", "price_low"] > 10.0


def test_lifecycle_stages(table):
    _, t = table
    assert t["stage"].to_dict() == {"browser": "prospect", "fan": "reactivated", "gone": "lapsed",
                                    "newbie": "new", "steady": "at_risk"}
    s = CustomerSettings(active_days=70)
    assert lifecycle(t, s)["steady"] == "active"


def test_interest_tags_decay_and_normalise(table):
    a, _ = table
    users = pd.Index(["browser", "fan", "gone", "newbie", "nobody", "steady"])
    weights = interest_weights(a, users)
    top = interest_tags(weights, 5)
    browser = top["browser"]["category"]
    # a view 3 days ago outweighs one 63 days ago (half-life 30 days): serums lead
    assert list(browser) == ["Beauty > Skin Care > Serums", "Home > Mugs"]
    assert sum(browser.values()) == pytest.approx(1.0, abs=1e-3)
    assert list(top["fan"]["attribute"]) == ["size=50 ml", "size=30 ml"]  # the cream: 10 days ago
    assert set(top["fan"]) == {"category", "brand", "price_band", "attribute"} and "nobody" not in top
    assert list(interest_tags(weights, 1)["fan"]["category"]) == ["Beauty > Skin Care > Creams"]
    mat, vocab = interest_matrix(weights)
    assert mat.shape[0] == 6 and np.allclose(mat[[1, 4]].sum(axis=1), [2.0, 0.0])  # two blocks of 1
    again, _ = interest_matrix(weights, vocab=[vocab[1], "category:unknown"])
    assert again.shape == (6, 2) and (again[:, 1] == 0).all()
