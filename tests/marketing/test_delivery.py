"""Delivering a campaign: each reason for none (not started, not in audience, control, capped, budget spent,
over), the logged row with creative, variant and propensity, items restricted to the offer, generated and
per-segment creatives, the Thompson creative bandit, and the .eml rendering."""

from __future__ import annotations

from email import message_from_bytes, policy

import pandas as pd
import pytest

from fixtures.campaigns import T0, campaign_doc
from shopmind.marketing.campaigns import Campaign, create_campaign, stop_campaign
from shopmind.marketing.delivery import SEGMENT_CREATIVES, DeliveryContext, deliver, in_control, render_email
from shopmind.storage import Store

NOW = T0 + pd.Timedelta(days=1)
TEA = {"i00", "i03", "i06", "i09"}


def make(store: Store, **over: object) -> Campaign:
    return create_campaign(store, campaign_doc(**over), now=T0)


def members(campaign: Campaign, control: bool) -> list[str]:
    return [f"u{u:02d}" for u in range(1, 40, 2) if in_control(campaign, f"u{u:02d}") == control]


def test_delivery_logs_creative_variant_coupon_and_propensity(campaign_store: Store,
                                                              campaign_ctx: DeliveryContext) -> None:
    c = make(campaign_store)
    user = members(c, control=False)[0]
    d = deliver(campaign_store, c, user, campaign_ctx, now=NOW)
    assert d.delivered and d.reason is None and d.variant == "treatment"
    assert d.creative_id in ("personal", "written") and d.coupon is not None and d.coupon["code"].startswith("TEA-")
    assert d.items and {i["item_id"] for i in d.items} <= TEA  # recommender restricted to the eligible items
    row = campaign_store.deliveries_frame("tea-week").iloc[0]
    assert row["delivery_id"] == d.delivery_id and row["coupon_code"] == d.coupon["code"]
    assert row["creative_id"] == d.creative_id and row["variant"] == "treatment"
    assert row["propensity"] == pytest.approx(0.8 * 0.5) == d.propensity  # (1 - hold-out) x creative share
    assert row["item_ids"] == [i["item_id"] for i in d.items]


def test_reasons_for_no_delivery(campaign_store: Store, campaign_ctx: DeliveryContext) -> None:
    c = make(campaign_store)
    treated, held = members(c, control=False), members(c, control=True)
    assert held, "with a 20% hold-out over 20 users some are held out"
    assert deliver(campaign_store, c, "u02", campaign_ctx, now=NOW).reason == "not_in_audience"
    assert deliver(campaign_store, c, treated[0], campaign_ctx, now=T0 - pd.Timedelta(days=2)).reason == "not_started"
    assert deliver(campaign_store, c, treated[0], campaign_ctx, now=T0 + pd.Timedelta(days=30)).reason == \
        "campaign_over"
    ctl = deliver(campaign_store, c, held[0], campaign_ctx, now=NOW)
    assert ctl.reason == "control" and not ctl.delivered
    deliver(campaign_store, c, held[0], campaign_ctx, now=NOW)  # the hold-out row is logged once
    rows = campaign_store.deliveries_frame("tea-week", user_id=held[0])
    assert rows["variant"].tolist() == ["control"] and rows["propensity"].tolist() == [pytest.approx(0.2)]
    assert deliver(campaign_store, c, treated[0], campaign_ctx, now=NOW).delivered
    assert deliver(campaign_store, c, treated[0], campaign_ctx, now=NOW).reason == "capped"
    assert deliver(campaign_store, c, treated[0], campaign_ctx, now=NOW + pd.Timedelta(days=8)).delivered
    stopped = stop_campaign(campaign_store, "tea-week", now=NOW)
    assert deliver(campaign_store, stopped, treated[1], campaign_ctx, now=NOW).reason == "campaign_over"


def test_budget_spent_stops_coupons(campaign_store: Store, campaign_ctx: DeliveryContext) -> None:
    c = make(campaign_store)
    campaign_store.redeem_coupon({"code": "X", "campaign_id": "tea-week", "user_id": "u01", "discount": 30.0,
                                  "timestamp": NOW})
    user = members(c, control=False)[0]
    assert deliver(campaign_store, c, user, campaign_ctx, now=NOW).reason == "budget_spent"


def test_dry_run_logs_nothing_and_issues_no_code(campaign_store: Store, campaign_ctx: DeliveryContext) -> None:
    c = make(campaign_store)
    d = deliver(campaign_store, c, members(c, control=False)[0], campaign_ctx, now=NOW, log=False)
    assert d.delivered and d.coupon["code"] == "DRYRUN-TEA" and d.delivery_id is None  # type: ignore[index]
    assert campaign_store.deliveries_frame().empty


def test_written_and_generated_creatives(campaign_store: Store, campaign_ctx: DeliveryContext) -> None:
    c = make(campaign_store, control_share=0.0,
             creatives=[{"creative_id": "w", "subject": "Tea for you", "body": "Hello! {offer}. Code: {code}\n{items}",
                         "items": 2}])
    d = deliver(campaign_store, c, "u01", campaign_ctx, now=NOW)
    assert d.subject == "Tea for you" and d.coupon is not None
    assert d.text is not None and f"Code: {d.coupon['code']}" in d.text and "20% off over 15.00" in d.text
    assert d.items[0]["title"] in d.text and d.propensity == 1.0
    g = make(campaign_store, campaign_id="gen", control_share=0.0, offer=None,
             creatives=[{"creative_id": "g", "generate": "user", "items": 3}])
    out = deliver(campaign_store, g, "u03", campaign_ctx, now=NOW)
    assert out.generated is not None and out.generated["backend"] == "template"
    assert out.generated["check"].endswith("0 unsupported") and out.subject and out.text == out.generated["text"]


def test_segment_creatives_are_written_once_per_segment(campaign_store: Store, campaign_ctx: DeliveryContext) -> None:
    c = make(campaign_store, control_share=0.0, creatives=[{"creative_id": "seg", "generate": "segment", "items": 2}])
    a = deliver(campaign_store, c, "u01", campaign_ctx, now=NOW)
    b = deliver(campaign_store, c, "u05", campaign_ctx, now=NOW)
    assert a.text == b.text and [i["item_id"] for i in a.items] == [i["item_id"] for i in b.items]
    assert campaign_store.list_documents(SEGMENT_CREATIVES) == ["tea-week:seg:tea-lovers"]


def test_thompson_creatives_log_the_bandit_propensity(campaign_store: Store, campaign_ctx: DeliveryContext) -> None:
    c = make(campaign_store, creative_policy="thompson", control_share=0.0, frequency_cap={"max": 100})
    d = deliver(campaign_store, c, "u01", campaign_ctx, now=NOW)
    decision = campaign_store.get_decision(str(d.delivery_id))
    assert decision is not None and decision["arm"] == d.creative_id
    assert d.propensity == pytest.approx(decision["propensity"])
    # regression: a bandit re-created with the same seed for every delivery chose the same creative each time
    chosen = {deliver(campaign_store, c, "u03", campaign_ctx, now=NOW).creative_id for _ in range(20)}
    assert chosen == {"personal", "written"}


def test_render_email_has_text_and_html_parts(campaign_store: Store, campaign_ctx: DeliveryContext) -> None:
    c = make(campaign_store, control_share=0.0)
    d = deliver(campaign_store, c, "u01", campaign_ctx, now=NOW)
    raw = bytes(render_email(d, sender="shop@example.com"))
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg["Subject"] and msg["X-Shopmind-Campaign"] == "tea-week" and msg.is_multipart()
    parts = {p.get_content_type(): p.get_content() for p in msg.iter_parts()}  # type: ignore[attr-defined]
    assert set(parts) == {"text/plain", "text/html"}
    assert d.coupon["code"] in parts["text/plain"] and d.coupon["code"] in parts["text/html"]  # type: ignore[index]
