"""Offers: eligibility by category prefix, brand and item; discounts; the validity window; redemption checked
against code, owner, window, minimum spend, eligibility, single use, budget and per-user cap, each refusal with
its reason."""

from __future__ import annotations

import pandas as pd
import pytest
from pydantic import ValidationError

from fixtures.campaigns import T0, campaign_doc, shop_items
from shopmind.errors import DataError
from shopmind.marketing.campaigns import create_campaign, stop_campaign
from shopmind.marketing.offers import Offer, basket_lines, redeem
from shopmind.storage import Store

ITEMS = pd.DataFrame(shop_items())
NOW = T0 + pd.Timedelta(days=1)


def test_eligibility_conditions_all_hold() -> None:
    assert Offer(kind="percent", value=10, categories=["Food > Tea"]).eligible_items(ITEMS) == \
        ["i00", "i03", "i06", "i09"]
    assert Offer(kind="percent", value=10, categories=["Food"]).eligible_items(ITEMS) == \
        [i for i in ITEMS["item_id"] if int(i[1:]) % 3 != 2]
    assert Offer(kind="percent", value=10, categories=["Food > Te"]).eligible_items(ITEMS) == []  # whole levels
    assert Offer(kind="amount", value=5, brands=["roastly"], items=["i01", "i02"]).eligible_items(ITEMS) == ["i01"]
    assert len(Offer(kind="amount", value=5).eligible_items(ITEMS)) == 12


def test_discounts_and_window() -> None:
    assert Offer(kind="percent", value=15, min_spend=30).discount(40.0) == 6.0
    assert Offer(kind="amount", value=25).discount(10.0) == 10.0  # never more than what it applies to
    o = Offer(kind="amount", value=5, valid_from=T0, valid_until=T0 + pd.Timedelta(days=2))
    assert o.window_reason(T0 - pd.Timedelta(seconds=1)) == "offer_not_started"
    assert o.window_reason(NOW) is None and o.window_reason(T0 + pd.Timedelta(days=2)) == "offer_expired"
    with pytest.raises(ValidationError, match="valid_until"):
        Offer(kind="amount", value=5, valid_from=T0, valid_until=T0)
    assert len({Offer(kind="amount", value=1).new_code() for _ in range(200)}) == 200


def _issue(store: Store, user: str, code: str) -> None:
    store.log_deliveries([{"delivery_id": f"d-{code}", "campaign_id": "tea-week", "user_id": user,
                           "variant": "treatment", "creative_id": "written", "coupon_code": code,
                           "propensity": 0.4, "timestamp": NOW}])


def _event(user: str, code: str, items: list[object], value: float | None = None) -> dict[str, object]:
    return {"user_id": user, "type": "coupon_redeem", "value": value, "timestamp": NOW + pd.Timedelta(hours=1),
            "context": {"code": code, "items": items, "order_id": f"o-{code}"}}


def test_redemption_checks_and_reasons(campaign_store: Store) -> None:
    create_campaign(campaign_store, campaign_doc(), now=T0)  # 20% off tea, min spend 15, budget 30, 1 per user
    for u, code in (("u01", "A"), ("u03", "B"), ("u05", "C"), ("u07", "D"), ("u09", "E")):
        _issue(campaign_store, u, code)
    items = campaign_store.items_frame()

    def verdict(user: str, code: str, basket: list[object], value: float | None = None) -> tuple[bool, str | None]:
        r = redeem(campaign_store, _event(user, code, basket, value), items)
        return r.accepted, r.reason

    assert verdict("u01", "ZZZ", ["i00"]) == (False, "unknown_code")
    assert verdict("u03", "A", ["i00"]) == (False, "wrong_user")
    assert verdict("u01", "A", ["i00"]) == (False, "min_spend")  # i00 costs 10 < 15
    assert verdict("u01", "A", ["i01", "i04"]) == (False, "no_eligible_item")  # coffee only
    ok = redeem(campaign_store, _event("u01", "A", [{"item_id": "i09", "quantity": 2}, "i01"]), items)
    assert ok.accepted and ok.eligible_spend == 110.0 and ok.discount == 22.0 and ok.spend == 125.0
    assert verdict("u01", "A", ["i09"]) == (False, "code_used")
    assert verdict("u03", "B", ["i09"]) == (False, "budget_spent")  # 22 + 0.2 x 55 > 30
    assert verdict("u05", "C", ["i00", "i01"]) == (True, None)  # 22 + 2 <= 30
    assert campaign_store.redemptions_frame("tea-week")["discount"].sum() == pytest.approx(24.0)
    stop_campaign(campaign_store, "tea-week", now=NOW)
    assert verdict("u07", "D", ["i03"]) == (False, "campaign_over")


def test_redemption_after_the_window_and_per_user_cap(campaign_store: Store) -> None:
    create_campaign(campaign_store, campaign_doc(offer={"kind": "amount", "value": 5, "per_user_cap": 1,
                                                        "valid_until": "2026-03-04T00:00:00Z"}), now=T0)
    _issue(campaign_store, "u01", "A")
    _issue(campaign_store, "u01", "A2")
    items = campaign_store.items_frame()
    assert redeem(campaign_store, _event("u01", "A", ["i01"]), items).accepted
    assert redeem(campaign_store, _event("u01", "A2", ["i01"]), items).reason == "user_cap"
    late = {**_event("u01", "A2", ["i01"]), "timestamp": pd.Timestamp("2026-03-05", tz="UTC")}
    assert redeem(campaign_store, late, items).reason == "offer_expired"


def test_bad_redemption_events_name_the_field() -> None:
    with pytest.raises(DataError) as err:
        redeem(None, {"user_id": "u1", "type": "coupon_redeem", "context": {}}, ITEMS)  # type: ignore[arg-type]
    assert err.value.field == "context.code"
    with pytest.raises(DataError) as err:
        basket_lines({"context": {"items": ["nope"]}}, ITEMS)
    assert err.value.field == "context.items[0].price"
    assert basket_lines({"item_id": "i03"}, ITEMS)[0].price == 25.0


def test_usable_coupons_are_the_delivered_unredeemed_ones_of_running_offers(campaign_store: Store) -> None:
    """The assistant's coupons tool: a delivered code until it is redeemed, its offer expires, the campaign
    stops; nothing for a shopper without deliveries."""
    from shopmind.marketing.campaigns import usable_coupons

    create_campaign(campaign_store, campaign_doc(), now=T0)  # 20% off tea, valid until 2026-03-20
    _issue(campaign_store, "u01", "A")
    _issue(campaign_store, "u03", "B")
    held = usable_coupons(campaign_store, "u01", now=NOW)
    assert held == [{"code": "A", "campaign_id": "tea-week", "offer": "20% off over 15.00 on Food > Tea",
                     "valid_until": "2026-03-20"}]
    assert usable_coupons(campaign_store, "u02", now=NOW) == []
    assert usable_coupons(campaign_store, "u01", now=pd.Timestamp("2026-03-21", tz="UTC")) == []  # expired
    assert usable_coupons(campaign_store, "u01", now=pd.Timestamp("2026-02-28", tz="UTC")) == []  # not started
    assert redeem(campaign_store, _event("u01", "A", ["i09"]), campaign_store.items_frame()).accepted
    assert usable_coupons(campaign_store, "u01", now=NOW + pd.Timedelta(hours=2)) == []  # used
    assert [c["code"] for c in usable_coupons(campaign_store, "u03", now=NOW)] == ["B"]
    stop_campaign(campaign_store, "tea-week", now=NOW)
    assert usable_coupons(campaign_store, "u03", now=NOW) == []
