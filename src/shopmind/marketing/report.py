"""What a campaign did: the funnel (audience, deliveries, hold-out, coupons, redemptions, budget) and the
incremental effect measured against the randomised hold-out, with the experiment statistics (Welch, CUPED,
always-valid mSPRT, the SRM check) of :mod:`shopmind.experiments.analysis` run over the delivery log.

Also :func:`simulate_responses`, a dry run of the loop's last step: shoppers who got the campaign respond with a
known incremental effect, buying (and redeeming their coupon through :func:`~shopmind.marketing.offers.redeem`,
so budget and eligibility are enforced as in production), so the report can be checked against the truth.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from shopmind.errors import check_float
from shopmind.experiments.analysis import analyze
from shopmind.marketing.campaigns import Campaign
from shopmind.marketing.offers import redeem
from shopmind.marketing.state import SharedBandit
from shopmind.storage import Store


def _exposures(campaign: Campaign, deliveries: pd.DataFrame) -> pd.DataFrame:
    """The delivery log as an exposure log (one row per delivery, variant control or treatment)."""
    return pd.DataFrame({"experiment_id": campaign.campaign_id, "variant": deliveries["variant"],
                         "user_id": deliveries["user_id"], "recommendation_id": deliveries["recommendation_id"],
                         "model_version": deliveries["model_version"], "propensity": deliveries["propensity"],
                         "timestamp": deliveries["timestamp"]})


def campaign_report(store: Store, campaign: Campaign) -> dict[str, Any]:
    """The funnel and the treatment - control comparison (see the module docstring)."""
    cid = campaign.campaign_id
    deliveries = store.deliveries_frame(cid)
    redemptions = store.redemptions_frame(cid)
    treated = deliveries[deliveries["variant"] != "control"]
    coupons = int(treated["coupon_code"].notna().sum())
    spent = float(redemptions["discount"].sum())
    budget = campaign.offer.budget if campaign.offer is not None else None
    funnel = {"audience_size": campaign.audience_size, "users_reached": int(treated["user_id"].nunique()),
              "deliveries": len(treated), "control_users": int(deliveries.loc[deliveries["variant"] == "control",
                                                                                "user_id"].nunique()),
              "coupons_issued": coupons, "redemptions": len(redemptions),
              "redemption_rate": len(redemptions) / coupons if coupons else None,
              "discount_granted": round(spent, 2), "budget": budget,
              "budget_left": round(budget - spent, 2) if budget is not None else None,
              "revenue_redeemed_orders": round(float(redemptions["spend"].sum()), 2),
              "by_creative": {str(k): int(v) for k, v in treated["creative_id"].value_counts().items()}}
    out: dict[str, Any] = {"campaign_id": cid, "status": campaign.status, "objective": campaign.objective,
                           "channel": campaign.channel, "funnel": funnel}
    if deliveries.empty:
        return {**out, "analysis": None, "incremental": None}
    items = store.items_frame()
    events = store.events_frame(user_ids=deliveries["user_id"].unique().tolist())
    rep = analyze(campaign.as_experiment(), _exposures(campaign, deliveries), events, items if len(items) else None)
    conv = {v.variant: v for v in rep.variants}
    n_t = conv["treatment"].users
    lift = conv["treatment"].conversion - conv["control"].conversion if conv["control"].users else None
    incremental = None
    if lift is not None and np.isfinite(lift):
        buyers = lift * n_t
        incremental = {"conversion_lift": lift, "incremental_buyers": buyers,
                       "incremental_buyers_per_coupon": buyers / coupons if coupons else None,
                       "discount_per_incremental_buyer": spent / buyers if buyers > 0 else None}
    if campaign.creative_policy == "thompson" and store.get_bandit(campaign.bandit_id) is not None:
        out["bandit"] = SharedBandit.load(store, campaign.bandit_id).summary()["arms_state"]
    return {**out, "analysis": rep.as_dict(), "incremental": incremental}


def settle(store: Store, campaign: Campaign, before: pd.Timestamp | None = None) -> int:
    """Reward 0 to the creative bandit's decisions still without a reward (no redemption) whose delivery is
    older than ``before`` (default: now - the campaign's attribution window): a coupon not used in time taught
    the bandit that its creative did not convert. Returns how many decisions were settled."""
    if campaign.creative_policy != "thompson" or store.get_bandit(campaign.bandit_id) is None:
        return 0
    cutoff = before if before is not None else pd.Timestamp.now(tz="UTC") - pd.Timedelta(
        hours=campaign.attribution_hours)
    decisions = store.decisions_frame(campaign.bandit_id)
    open_ = decisions[decisions["reward"].isna() & (decisions["timestamp"] < cutoff)]
    bandit = SharedBandit.load(store, campaign.bandit_id)
    return sum(bandit.reward(str(d), 0.0) for d in open_["decision_id"])


def simulate_responses(store: Store, campaign: Campaign, *, base_rate: float = 0.05, lift: float = 0.03,
                       redeem_share: float = 0.9, seed: int = 0) -> dict[str, Any]:
    """Simulated purchases after the campaign's deliveries, with a known effect.

    Each reached or held-out user buys with probability ``base_rate`` (held out) or ``base_rate + lift``
    (treated), some time in the 72 hours after the first delivery: a delivered item when there is one, else a
    random eligible item. A treated buyer redeems the coupon with probability ``redeem_share`` through
    :func:`~shopmind.marketing.offers.redeem` (refusals counted by reason). Returns what was written and the
    true lift."""
    check_float("simulate_responses", "base_rate", base_rate, 0.0, 1.0)
    check_float("simulate_responses", "lift", lift, -base_rate, 1.0 - base_rate)
    check_float("simulate_responses", "redeem_share", redeem_share, 0.0, 1.0)
    rng = np.random.default_rng(seed)
    cid = campaign.campaign_id
    deliveries = store.deliveries_frame(cid)
    first = deliveries.sort_values("seq").groupby("user_id", sort=True).first().reset_index()
    items = store.items_frame()
    price = dict(zip(items["item_id"].astype(str), pd.to_numeric(items["price"], errors="coerce"), strict=True))
    pool = campaign.offer.eligible_items(items) if campaign.offer is not None else items["item_id"].astype(str).tolist()
    events: list[dict[str, Any]] = []
    redeem_events: list[dict[str, Any]] = []
    for row in first.itertuples():
        treated = row.variant != "control"
        if rng.random() >= base_rate + (lift if treated else 0.0):
            continue
        delivered = list(row.item_ids or [])
        item = str(delivered[int(rng.integers(len(delivered)))] if delivered else pool[int(rng.integers(len(pool)))])
        t = pd.Timestamp(row.timestamp) + timedelta(hours=float(rng.uniform(1, 72)))
        p = float(price.get(item, np.nan))
        value = p if np.isfinite(p) else 0.0
        qty = 1 if campaign.offer is None or value >= campaign.offer.min_spend or value <= 0 else int(
            np.ceil(campaign.offer.min_spend / value))
        ctx: dict[str, Any] = {"revenue": round(value * qty, 2), "campaign_id": cid}
        if row.recommendation_id:
            ctx["recommendation_id"] = row.recommendation_id
        events.append({"event_id": f"sim-{cid}-{row.user_id}-purchase", "user_id": str(row.user_id),
                       "item_id": item, "type": "purchase", "value": float(qty), "timestamp": t, "context": ctx})
        if treated and row.coupon_code and rng.random() < redeem_share:
            redeem_events.append({"event_id": f"sim-{cid}-{row.user_id}-redeem", "user_id": str(row.user_id),
                                  "item_id": item, "type": "coupon_redeem", "value": round(value * qty, 2),
                                  "timestamp": t, "context": {"code": row.coupon_code, "order_id": f"sim-{row.user_id}",
                                                              "items": [{"item_id": item, "quantity": qty}]}})
    counts = store.append_events(events + redeem_events)
    verdicts: Counter[str] = Counter()
    for ev in redeem_events:
        verdicts[redeem(store, ev, items).reason or "accepted"] += 1
    # the simulated responses are all in: a coupon not redeemed is the creative's failure
    settled = settle(store, campaign, before=pd.Timestamp.max.tz_localize("UTC"))
    return {"campaign_id": cid, "users": len(first), "purchases": len(events), "redeem_events": len(redeem_events),
            "events_inserted": counts.inserted, "redemptions": dict(verdicts), "settled": settled, "true_lift": lift,
            "base_rate": base_rate}
