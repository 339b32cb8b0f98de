"""The campaign loop's end: simulated responses with a known lift, and the report - funnel, budget, and the
treatment - control comparison, whose statistics are checked against scipy on the same per-user data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fixtures.campaigns import T0, campaign_doc
from shopmind.marketing.campaigns import create_campaign, get_campaign
from shopmind.marketing.delivery import DeliveryContext, deliver
from shopmind.marketing.report import campaign_report, simulate_responses
from shopmind.storage import Store

NOW = T0 + pd.Timedelta(days=1)
USERS = [f"s{k:04d}" for k in range(600)]


@pytest.fixture()
def sent(campaign_store: Store, campaign_ctx: DeliveryContext) -> Store:
    c = create_campaign(campaign_store, campaign_doc(
        audience={"user_ids": USERS}, control_share=0.3,
        creatives=[{"creative_id": "w", "subject": "Tea", "body": "{offer}: {code}", "items": 2}],
        offer={"kind": "amount", "value": 3, "categories": ["Food > Tea"], "budget": 45, "per_user_cap": 1}), now=T0)
    for u in USERS:
        deliver(campaign_store, c, u, campaign_ctx, now=NOW)
    return campaign_store


def test_simulated_responses_and_the_funnel(sent: Store) -> None:
    campaign = get_campaign(sent, "tea-week")
    res = simulate_responses(sent, campaign, base_rate=0.1, lift=0.15, redeem_share=1.0, seed=1)
    assert res["users"] == 600 and res["purchases"] > 0 and res["events_inserted"] == res["purchases"] + \
        res["redeem_events"]
    assert res["redemptions"]["accepted"] == 15 and res["redemptions"]["budget_spent"] > 0  # 15 x 3 = 45
    rep = campaign_report(sent, campaign)
    f = rep["funnel"]
    assert f["deliveries"] + f["control_users"] == 600 and f["coupons_issued"] == f["deliveries"]
    assert f["redemptions"] == 15 and f["discount_granted"] == 45.0 and f["budget_left"] == 0.0
    assert rep["incremental"]["conversion_lift"] > 0.05  # the true lift is 0.15


def test_report_statistics_match_scipy(sent: Store) -> None:
    campaign = get_campaign(sent, "tea-week")
    simulate_responses(sent, campaign, base_rate=0.1, lift=0.05, seed=2)
    rep = campaign_report(sent, campaign)["analysis"]
    deliveries = sent.deliveries_frame("tea-week")
    buyers = set(sent.events_frame().query("type == 'purchase' and event_id.str.startswith('sim-')",
                                           engine="python")["user_id"])
    variant = deliveries.groupby("user_id")["variant"].first()
    conv = variant.index.isin(list(buyers)).astype(float)
    t, c = conv[variant.to_numpy() == "treatment"], conv[variant.to_numpy() == "control"]
    fixed = next(x for x in rep["comparisons"] if x["metric"] == "conversion")["fixed"]
    assert fixed["value"] == pytest.approx(t.mean() - c.mean())
    assert fixed["p_value"] == pytest.approx(stats.ttest_ind(t, c, equal_var=False).pvalue, rel=1e-6)
    chi = stats.chisquare([len(c), len(t)], f_exp=np.array([0.3, 0.7]) * (len(c) + len(t)))
    assert rep["srm"]["p_value"] == pytest.approx(chi.pvalue, rel=1e-6)


def test_settle_rewards_unredeemed_thompson_decisions_with_zero(campaign_store: Store,
                                                                campaign_ctx: DeliveryContext) -> None:
    c = create_campaign(campaign_store, campaign_doc(audience={"user_ids": USERS[:30]}, control_share=0.0,
                                                     creative_policy="thompson"), now=T0)
    for u in USERS[:30]:
        deliver(campaign_store, c, u, campaign_ctx, now=NOW)
    res = simulate_responses(campaign_store, c, base_rate=0.2, lift=0.2, redeem_share=1.0, seed=0)
    arms = campaign_report(campaign_store, c)["bandit"]
    assert res["settled"] == 30 - res["redemptions"].get("accepted", 0)
    assert sum(a["pulls"] for a in arms) == 30 and sum(a["rewards"] for a in arms) == res["redemptions"]["accepted"]
