"""The synthetic demo shop: deterministic, schema-valid, funnel-consistent, and useful for evaluation."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from shopmind.data import Interactions
from shopmind.data.synth import DemoShop, generate_demo_shop
from shopmind.errors import ParameterError
from shopmind.evaluation.protocol import evaluate
from shopmind.models import create
from shopmind.schema import EVENT_COLUMNS, ITEM_COLUMNS, USER_COLUMNS, Event, EventType, Item, User
from shopmind.training.splits import leave_one_out

SMALL = {"n_users": 150, "n_items": 120, "days": 21, "seed": 7}


START = pd.Timestamp("2026-06-01", tz="UTC")


CJK = re.compile(r"[\u4e00-\u9fff]")


FUNNEL_TYPES = {"impression", "view", "click", "favorite", "add_to_cart", "purchase", "search", "rating"}


@pytest.fixture(scope="module")
def small() -> DemoShop:
    return generate_demo_shop(**SMALL)


@pytest.fixture(scope="module")
def medium() -> DemoShop:
    """Big enough for stable rates and model comparisons (about a quarter of a second to generate)."""
    return generate_demo_shop(n_users=1000, n_items=300, days=60, seed=11)


# ---------------------------------------------------------------------- evaluation is meaningful
def _ndcg(shop: DemoShop, events: pd.DataFrame) -> dict[str, float]:
    data = Interactions.from_frame(events, item_meta=shop.items)
    split = leave_one_out(data)
    history = split.train_valid()
    return {name: evaluate(create(name).fit(history), history, split.test, ks=(10,)).metrics["ndcg@10"]
            for name in ("popular", "itemknn")}


# ---------------------------------------------------------------------- determinism and sizes
def test_same_seed_gives_identical_frames(small: DemoShop) -> None:
    again = generate_demo_shop(**SMALL)
    pd.testing.assert_frame_equal(small.items, again.items)
    pd.testing.assert_frame_equal(small.users, again.users)
    pd.testing.assert_frame_equal(small.events, again.events)
    np.testing.assert_array_equal(small.truth.leaf_pref, again.truth.leaf_pref)


def test_different_seed_differs(small: DemoShop) -> None:
    other = generate_demo_shop(**{**SMALL, "seed": 8})
    assert not small.items["title"].equals(other.items["title"])
    assert not small.events["item_id"].equals(other.events["item_id"])


def test_items_only_gives_the_same_catalog_and_no_events(small: DemoShop) -> None:
    only = generate_demo_shop(**SMALL, items_only=True)
    pd.testing.assert_frame_equal(only.items, small.items)
    assert list(only.events.columns) == list(EVENT_COLUMNS) and only.events.empty
    assert list(only.users.columns) == list(USER_COLUMNS) and only.users.empty


def test_scale_multiplies_both_sizes() -> None:
    shop = generate_demo_shop(n_users=100, n_items=80, days=7, scale=0.5, items_only=True)
    assert len(shop.items) == 40
    shop = generate_demo_shop(n_users=40, n_items=30, days=7, scale=1.5)
    assert (len(shop.users), len(shop.items)) == (60, 45)


@pytest.mark.parametrize(("param", "value"), [("n_users", 0), ("n_items", -1), ("days", 0), ("seed", -1),
                                             ("scale", 0.0), ("start", "not a date")])
def test_bad_parameters_say_what_is_expected(param: str, value: object) -> None:
    with pytest.raises(ParameterError, match=param):
        generate_demo_shop(**{**SMALL, param: value})  # type: ignore[arg-type]


# ---------------------------------------------------------------------- schema
def test_item_frame_has_canonical_columns_and_sane_values(small: DemoShop) -> None:
    items = small.items
    assert list(items.columns) == list(ITEM_COLUMNS)
    assert items["item_id"].is_unique and items["item_id"].str.fullmatch(r"SKU\d{5}").all()
    assert (items["price"] > 0).all() and np.allclose(items["price"], items["price"].round(2))
    assert (items["currency"] == "CNY").all()
    assert items["category"].str.count(" > ").eq(2).all()
    assert (items["image"] == "img/" + items["item_id"] + ".jpg").all()
    assert items["in_stock"].dtype == bool
    assert isinstance(items["created_at"].dtype, pd.DatetimeTZDtype)
    for row in items.itertuples(index=False):
        a = row.attributes
        assert CJK.search(a["title_zh"]) and CJK.search(a["description_zh"]) and CJK.search(a["category_zh"])
        assert row.title.startswith(row.brand) and a["title_zh"].startswith(a["brand_zh"])
        assert 1 <= len(re.findall(r"\.(?:\s|$)", row.description)) <= 3
        assert {"origin", "origin_zh", "features", "features_zh", "product_type"} <= set(a)
        Item(**row._asdict() | {"created_at": row.created_at.to_pydatetime()}).model_dump()


def test_descriptions_only_state_the_items_own_facts(small: DemoShop) -> None:
    for row in small.items.itertuples():
        a = row.attributes
        assert f"from {row.brand}" in row.description
        for key in ("colour", "shade", "flavour", "scent", "roast"):
            if f"{key.capitalize()}:" in row.description:
                assert f"{key.capitalize()}: {a[key]};" in row.description
        if "Made in" in row.description or "Origin:" in row.description:
            assert a["origin"] in row.description and a["origin_zh"] in a["description_zh"]
        assert all(f.lower() in row.description.lower() for f in a["features"])


def test_large_catalog_is_quick_and_spread_over_the_taxonomy() -> None:
    items = generate_demo_shop(n_items=20_000, items_only=True, seed=1).items
    tops = items["category"].str.split(" > ").str[0]
    assert tops.nunique() == 7 and 38 <= items["category"].nunique() <= 46
    assert 55 <= items["brand"].nunique() <= 65
    assert 0.015 < 1 - items["in_stock"].mean() < 0.05
    new = items["created_at"] >= START
    assert 0.05 < new.mean() < 0.3  # new arrivals during the period
    assert items["item_id"].iloc[-1] == "SKU20000"


def test_user_frame(small: DemoShop) -> None:
    users = small.users
    assert list(users.columns) == list(USER_COLUMNS)
    assert users["user_id"].is_unique and users["user_id"].str.fullmatch(r"U\d{5}").all()
    attrs = pd.DataFrame(users["attributes"].tolist())
    assert set(attrs["language"]) == {"zh", "en"}
    assert {"city", "age_band", "gender"} <= set(attrs.columns)
    for row in users.head(20).itertuples():
        User(user_id=row.user_id, attributes=row.attributes, created_at=row.created_at.to_pydatetime())


def test_event_frame(small: DemoShop) -> None:
    ev = small.events
    assert list(ev.columns) == list(EVENT_COLUMNS)
    assert ev["event_id"].is_unique and ev["event_id"].str.fullmatch(r"E\d{7}").all()
    assert set(ev["type"]) <= FUNNEL_TYPES and set(ev["type"]) <= {e.value for e in EventType}
    ts = ev["timestamp"]
    assert isinstance(ts.dtype, pd.DatetimeTZDtype) and ts.is_monotonic_increasing
    assert ts.min() >= START and ts.max() < START + pd.Timedelta(days=SMALL["days"])
    assert set(ev["user_id"]) <= set(small.users["user_id"])
    assert set(ev["item_id"].dropna()) <= set(small.items["item_id"])
    assert ev["session_id"].notna().all()
    ctx = ev["context"]
    assert ctx.map(lambda c: c["device"] in {"mobile", "desktop", "app"}).all()
    assert ctx.map(lambda c: c["page"] in {"home", "search", "category", "product", "cart"}).all()
    search = ev["type"] == "search"
    assert search.any() and ev.loc[search, "item_id"].isna().all()
    assert ctx[search].map(lambda c: bool(c.get("query"))).all()
    assert ev.loc[~search, "item_id"].notna().all()
    imp = ev["type"] == "impression"
    assert ctx[imp].map(lambda c: "recommendation_id" in c).mean() > 0.1
    buy = ev[ev["type"] == "purchase"]
    assert (buy["value"] >= 1).all()
    price = buy["item_id"].map(small.items.set_index("item_id")["price"])
    assert np.allclose(buy["context"].map(lambda c: c["revenue"]), buy["value"] * price)
    rating = ev.loc[ev["type"] == "rating", "value"]
    assert rating.between(1, 5).all() and (rating == rating.round()).all()
    # nothing happens to an item before it is listed, or by a shopper before sign-up
    listed = ev["item_id"].map(small.items.set_index("item_id")["created_at"])
    assert (listed[~search] <= ts[~search]).all()
    joined = ev["user_id"].map(small.users.set_index("user_id")["created_at"])
    assert (joined <= ts).all()
    for row in ev.sample(200, random_state=0).itertuples(index=False):
        rec = {k: (None if not isinstance(v, dict) and pd.isna(v) else v) for k, v in row._asdict().items()}
        Event(**rec | {"timestamp": row.timestamp.to_pydatetime()})


# ---------------------------------------------------------------------- behaviour
def test_every_purchase_is_preceded_by_a_view_or_click_of_the_item(medium: DemoShop) -> None:
    ev = medium.events.reset_index(drop=True)
    looked = ev[ev["type"].isin(["view", "click"])].groupby(["user_id", "item_id"]).apply(
        lambda g: g.index.min(), include_groups=False)
    for etype in ("purchase", "add_to_cart"):
        acts = ev[ev["type"] == etype]
        first = pd.Series(list(zip(acts["user_id"], acts["item_id"], strict=True))).map(looked.to_dict())
        assert first.notna().all(), f"{etype} without a prior view/click"
        assert (first.to_numpy() < acts.index.to_numpy()).all()
    # within a session, an item's click comes after its view
    s = ev[ev["type"].isin(["view", "click"])]
    firsts = s.groupby(["session_id", "item_id", "type"]).apply(lambda g: g.index.min(), include_groups=False)
    firsts = firsts.unstack("type").dropna()
    assert (firsts["view"] < firsts["click"]).all()


def test_funnel_rates_are_realistic(medium: DemoShop) -> None:
    n = medium.events["type"].value_counts()
    assert 0.01 < n["click"] / n["impression"] < 0.10  # CTR of a few %
    assert 0.08 < n["add_to_cart"] / n["view"] < 0.30
    assert 0.25 < n["purchase"] / n["add_to_cart"] < 0.75
    assert n["search"] > 0 and n["rating"] > 0 and n["favorite"] > 0


def test_activity_is_heavy_tailed_with_cold_users(medium: DemoShop) -> None:
    ev = medium.events
    sessions = ev.groupby("user_id")["session_id"].nunique()
    assert (sessions <= 2).mean() > 0.2
    assert ev.groupby("user_id").size().max() > 100


def test_sessions_are_coherent_and_consumables_are_rebought(medium: DemoShop) -> None:
    ev = medium.events
    leaf = ev["item_id"].map(medium.items.set_index("item_id")["category"])
    views = ev.assign(leaf=leaf)[ev["type"] == "view"]
    multi = views.groupby("session_id").filter(lambda g: len(g) >= 2)
    share_top_leaf = multi.groupby("session_id")["leaf"].agg(lambda s: s.value_counts().iloc[0] / len(s))
    assert share_top_leaf.mean() > 0.6
    buys = ev[ev["type"] == "purchase"]
    assert buys.duplicated(["user_id", "item_id"]).sum() > 0


def test_truth_describes_drifting_tastes(medium: DemoShop) -> None:
    truth = medium.truth
    n_users, n_leaves = truth.leaf_pref.shape
    assert n_users == len(medium.users) and n_leaves == len(truth.leaves)
    np.testing.assert_allclose(truth.leaf_pref.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(truth.leaf_pref_after.sum(axis=1), 1.0, rtol=1e-6)
    drifting = truth.drift_at.notna()
    assert 0.25 < drifting.mean() < 0.55
    assert (truth.drift_at[drifting] >= START).all()
    frame = truth.users_frame()
    assert list(frame["user_id"]) == list(medium.users["user_id"])
    assert truth.preferred_categories("U00001", k=2)[0] in truth.leaves
    # the events show the drift: a drifting shopper's new interest gains share after the switch
    ev = medium.events[medium.events["type"].isin(["view", "click"])]
    top = ev["item_id"].map(medium.items.set_index("item_id")["category"]).str.split(" > ").str[0]
    per_user = frame.set_index("user_id")
    new = ev["user_id"].map(per_user["new_interest"])
    after = ev["timestamp"] > ev["user_id"].map(per_user["drift_at"])
    hit = (top == new)[new.notna()]
    assert hit[after[new.notna()]].mean() > 3 * hit[~after[new.notna()]].mean()


def test_itemknn_beats_popular_under_leave_one_out(medium: DemoShop) -> None:
    raw = _ndcg(medium, medium.events)
    assert raw["itemknn"] > raw["popular"] > 0
    # most raw last events re-touch an item already in the history (a cart's purchase, a rating), which
    # full ranking with the history masked counts as a miss; on first touches the gap is wide
    positive = medium.events[~medium.events["type"].isin(["impression", "search"])]
    first = _ndcg(medium, positive.drop_duplicates(["user_id", "item_id"]))
    assert first["itemknn"] > 2 * first["popular"] > 0.02
