"""Delivering a campaign to one user: the creative (and coupon) or the reason for none; every delivery logged.

:func:`deliver` decides in this order, and the first reason that applies is the answer:

1. ``not_started`` / ``campaign_over``: outside the schedule, or stopped;
2. ``not_in_audience``: the user does not match the campaign's audience;
3. ``control``: the user is in the randomised hold-out (a salted SHA-256 of the user id, stable across workers
   and restarts); the first time, a ``control`` row is logged (the report's comparison group);
4. ``capped``: the user already had ``frequency_cap.max`` deliveries in the last ``per_days`` days;
5. ``offer_expired`` / ``budget_spent``: the offer's window is over, or its budget is granted out.

Otherwise a creative is chosen (by weight, or by the campaign's Thompson-sampling bandit), its items come from the
active recommender restricted to the offer's eligible items, its text is the marketer's (placeholders filled) or
written by the content service (grounded and compliance-checked; once per user or once per segment), a fresh
single-use coupon code is issued, and the delivery is logged with its campaign, creative, variant, coupon,
recommendation id, model version and propensity (the probability of this variant and creative).

``log=False`` is a dry run: nothing is logged, no code is issued (``DRYRUN-...``), caps are still read.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from html import escape
from typing import Any

import pandas as pd

from shopmind.content import ContentService, GeneratedText, GroundingChecker
from shopmind.experiments.assignment import unit_hash
from shopmind.marketing.campaigns import Campaign, Creative, in_audience
from shopmind.marketing.state import SharedBandit
from shopmind.pipeline.rules import RerankOptions, Rule
from shopmind.pipeline.service import RecommendationService
from shopmind.storage import Store

#: Collection of the store's documents that keeps per-segment creatives (written once, reused).
SEGMENT_CREATIVES = "campaign_creatives"
#: Every reason a user gets nothing.
REASONS = ("not_started", "campaign_over", "not_in_audience", "control", "capped", "offer_expired",
           "budget_spent", "no_items")


@dataclass(frozen=True)
class Picked:
    """Items for a creative and the recommendation they came from."""

    item_ids: list[str]
    recommendation_id: str | None = None
    model_version: str | None = None


#: ``(user_id, n, eligible item ids or None for any) -> Picked``.
ItemPicker = Callable[[str, int, Sequence[str] | None], Picked]


def service_picker(service: RecommendationService) -> ItemPicker:
    """Items from the active recommender (the pipeline), filtered to the eligible ones."""

    def pick(user_id: str, n: int, eligible: Sequence[str] | None) -> Picked:
        filters = (Rule(item_ids=tuple(eligible)),) if eligible is not None else ()
        rec = service.recommend(user_id, n, 0, RerankOptions(filters=filters, explore=0))
        return Picked([i.item_id for i in rec.items], rec.recommendation_id, rec.model_version)

    return pick


@dataclass
class Delivery:
    """What :func:`deliver` answers."""

    campaign_id: str
    user_id: str
    delivered: bool
    reason: str | None = None
    delivery_id: str | None = None
    variant: str | None = None
    creative_id: str | None = None
    channel: str | None = None
    propensity: float | None = None
    subject: str | None = None
    headline: str | None = None
    text: str | None = None
    items: list[dict[str, Any]] = field(default_factory=list)
    coupon: dict[str, Any] | None = None
    recommendation_id: str | None = None
    model_version: str | None = None
    generated: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DeliveryContext:
    """What delivering needs besides the store: the catalog, the item picker and the content service."""

    items: pd.DataFrame
    picker: ItemPicker
    content: ContentService
    seed: int | None = None
    _by_id: dict[str, dict[str, Any]] | None = None
    _bandits: dict[str, SharedBandit] = field(default_factory=dict)

    def bandit(self, store: Store, bandit_id: str) -> SharedBandit:
        """The campaign's creative bandit: one per context (its random stream goes on from call to call), its
        sums reloaded from the store each time (other workers' rewards included)."""
        bandit = self._bandits.get(bandit_id)
        if bandit is None:
            bandit = self._bandits[bandit_id] = SharedBandit.load(store, bandit_id, seed=self.seed)
        else:
            bandit.refresh()
        return bandit

    def item(self, item_id: str) -> dict[str, Any] | None:
        if self._by_id is None:
            self._by_id = {str(r["item_id"]): r for r in self.items.to_dict("records")}
        return self._by_id.get(str(item_id))


def context_for(service: RecommendationService, seed: int | None = None, now: datetime | None = None
                ) -> DeliveryContext:
    """A delivery context over a running service: its store's catalog, its recommender, a content service whose
    grounding checker knows the whole catalog."""
    items = service.store.items_frame()
    content = ContentService(checker=GroundingChecker.from_items(items), now=now)
    return DeliveryContext(items, service_picker(service), content, seed)


def in_control(campaign: Campaign, user_id: str) -> bool:
    """Whether the user is in the campaign's hold-out (deterministic)."""
    return unit_hash(f"{campaign.campaign_id}:control:{user_id}") < campaign.control_share


def _split_creative(campaign: Campaign, user_id: str) -> tuple[str, float]:
    shares = campaign.creative_shares()
    u, edge = unit_hash(f"{campaign.campaign_id}:creative:{user_id}"), 0.0
    for cid, share in shares.items():
        edge += share
        if u < edge:
            return cid, share
    last = campaign.creatives[-1].creative_id
    return last, shares[last]


def _reason(store: Store, campaign: Campaign, user_id: str, now: datetime) -> str | None:
    if not campaign.started(now):
        return "not_started"
    if campaign.over(now):
        return "campaign_over"
    if not in_audience(store, campaign.audience, user_id):
        return "not_in_audience"
    if in_control(campaign, user_id):
        return "control"
    mine = store.deliveries_frame(campaign.campaign_id, user_id=user_id)
    mine = mine[mine["variant"] != "control"]
    since = pd.Timestamp(now) - pd.Timedelta(days=campaign.frequency_cap.per_days)
    if int((mine["timestamp"] > since).sum()) >= campaign.frequency_cap.max:
        return "capped"
    offer = campaign.offer
    if offer is not None:
        if offer.window_reason(now) == "offer_expired":
            return "offer_expired"
        if offer.budget is not None:
            spent = float(store.redemptions_frame(campaign.campaign_id)["discount"].sum())
            if spent >= offer.budget - 1e-9:
                return "budget_spent"
    return None


def _history(store: Store, ctx: DeliveryContext, user_id: str, limit: int = 10) -> list[tuple[dict[str, Any], str]]:
    events = store.events_frame(user_ids=[user_id])
    events = events[events["item_id"].notna() & events["type"].isin(("view", "click", "add_to_cart", "purchase",
                                                                       "favorite"))]
    out = []
    for row in events.iloc[::-1].head(limit * 3).itertuples():
        item = ctx.item(str(row.item_id))
        if item is not None:
            out.append((item, str(row.type)))
        if len(out) >= limit:
            break
    return out


def _generate(store: Store, campaign: Campaign, creative: Creative, ctx: DeliveryContext, user_id: str,
              slate: list[dict[str, Any]]) -> GeneratedText:
    history = _history(store, ctx, user_id) if creative.generate == "user" else None
    user = ctx.content.user(history, user_id=user_id) if history else None
    seed = 0 if ctx.seed is None else ctx.seed
    lang: Any = creative.lang
    if campaign.channel == "email":
        return ctx.content.email(user, slate, lang=lang, tone=creative.tone, seed=seed)
    if campaign.channel == "push":
        return ctx.content.push(user, slate, lang=lang, tone=creative.tone, seed=seed)
    return ctx.content.headline(user, slate, lang=lang, tone=creative.tone, seed=seed)


def _segment_key(store: Store, campaign: Campaign, creative: Creative, user_id: str) -> str:
    profile = store.get_profile(user_id) or {}
    segment = next(iter(profile.get("segments") or []), "all")
    return f"{campaign.campaign_id}:{creative.creative_id}:{segment}"


def _fill(template: str | None, values: Mapping[str, str]) -> str | None:
    if template is None:
        return None
    out = template
    for k, v in values.items():
        out = out.replace("{" + k + "}", v)
    return out


def deliver(store: Store, campaign: Campaign, user_id: str, ctx: DeliveryContext, *, now: datetime | None = None,
            log: bool = True) -> Delivery:
    """The creative (and coupon) for ``user_id``, or the reason for none (see the module docstring)."""
    now = now or datetime.now(UTC)
    user_id = str(user_id)
    cid = campaign.campaign_id
    reason = _reason(store, campaign, user_id, now)
    if reason is not None:
        if reason == "control" and log and store.deliveries_frame(cid, user_id=user_id).empty:
            store.log_deliveries([{"delivery_id": uuid.uuid4().hex, "campaign_id": cid, "user_id": user_id,
                                   "variant": "control", "channel": campaign.channel,
                                   "propensity": max(campaign.control_share, 1e-6), "timestamp": pd.Timestamp(now)}])
        return Delivery(cid, user_id, False, reason, variant="control" if reason == "control" else None)
    decision_id = None
    if campaign.creative_policy == "thompson":
        bandit = ctx.bandit(store, campaign.bandit_id)
        if log:
            decision = bandit.choose(user_id, now=now)
            creative_id, share, decision_id = decision.arm, decision.propensity, decision.decision_id
        else:
            arm, share = bandit.policy.select(bandit.rng, None, propensity=True)
            creative_id = bandit.spec.arms[arm]
    else:
        creative_id, share = _split_creative(campaign, user_id)
    creative = campaign.creative(creative_id)
    offer = campaign.offer
    eligible = offer.eligible_items(ctx.items) if offer is not None else None
    cached = None
    key = _segment_key(store, campaign, creative, user_id) if creative.generate == "segment" else None
    if key is not None:
        cached = store.get_document(SEGMENT_CREATIVES, key)
    if cached is not None:
        picked = Picked(list(cached["item_ids"]), None, cached.get("model_version"))
    elif creative.items > 0:
        picked = ctx.picker(user_id, creative.items, eligible)
    else:
        picked = Picked([])
    if creative.items > 0 and not picked.item_ids:
        return Delivery(cid, user_id, False, "no_items")
    slate = [it for it in (ctx.item(i) for i in picked.item_ids) if it is not None]
    code = None
    if offer is not None:
        code = offer.new_code() if log else f"DRYRUN-{offer.code_prefix}"
    values = {"code": code or "", "offer": offer.describe() if offer else "", "user_id": user_id,
              "items": "\n".join(f"- {it.get('title') or it['item_id']}" for it in slate)}
    subject, headline, text, generated = (_fill(creative.subject, values), _fill(creative.headline, values),
                                          _fill(creative.body, values), None)
    if creative.generate != "none" and slate:
        if cached is not None:
            generated = cached["generated"]
        else:
            out = _generate(store, campaign, creative, ctx, user_id, slate)
            generated = {"text": out.text, "subject": out.parts.get("subject"), "backend": out.backend,
                         "prompt_version": out.prompt_version, "fallback": out.fallback,
                         "check": out.check.summary() if out.check is not None else None,
                         "compliance_violations": len(out.compliance)}
            if key is not None and log:
                store.put_documents(SEGMENT_CREATIVES, {key: {"item_ids": picked.item_ids, "generated": generated,
                                                              "model_version": picked.model_version}})
        subject = subject or generated.get("subject")
        headline = headline or (generated["text"] if campaign.channel == "onsite" else None)
        text = generated["text"] if text is None else f"{generated['text']}\n\n{text}"
    propensity = max((1.0 - campaign.control_share) * float(share), 1e-6)
    coupon = None
    if offer is not None and code is not None:
        coupon = {"code": code, "kind": offer.kind, "value": offer.value, "min_spend": offer.min_spend,
                  "description": offer.describe(),
                  "valid_until": offer.valid_until.isoformat() if offer.valid_until else None}
    delivery_id = decision_id or uuid.uuid4().hex
    if log:
        store.log_deliveries([{"delivery_id": delivery_id, "campaign_id": cid, "user_id": user_id,
                               "variant": "treatment", "creative_id": creative_id, "channel": campaign.channel,
                               "coupon_code": code, "recommendation_id": picked.recommendation_id,
                               "model_version": picked.model_version, "item_ids": picked.item_ids,
                               "propensity": min(propensity, 1.0), "timestamp": pd.Timestamp(now)}])
    items_out = [{"item_id": str(it["item_id"]), "title": it.get("title"), "price": it.get("price"),
                  "currency": it.get("currency")} for it in slate]
    return Delivery(cid, user_id, True, None, delivery_id if log else None, "treatment", creative_id,
                    campaign.channel, min(propensity, 1.0), subject, headline, text, items_out, coupon,
                    picked.recommendation_id, picked.model_version, generated)


# ---------------------------------------------------------------------------------------------- e-mail
def render_email(delivery: Delivery, *, sender: str = "shop@example.com", recipient: str | None = None
                 ) -> EmailMessage:
    """A delivered creative as an e-mail with a plain-text and an HTML part (stdlib :mod:`email`)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = recipient or f"{delivery.user_id}@customers.invalid"
    msg["Subject"] = delivery.subject or delivery.headline or "Picked for you"
    msg["X-Shopmind-Campaign"] = delivery.campaign_id
    msg["X-Shopmind-Creative"] = delivery.creative_id or ""
    if delivery.delivery_id:
        msg["X-Shopmind-Delivery"] = delivery.delivery_id
    lines = [delivery.text or delivery.headline or ""]
    if delivery.items:
        lines += ["", *(f"* {it['title'] or it['item_id']}" + (f" - {it['price']:.2f}" if isinstance(
            it.get("price"), int | float) else "") for it in delivery.items)]
    if delivery.coupon:
        lines += ["", f"Your code: {delivery.coupon['code']} ({delivery.coupon['description']})"]
    msg.set_content("\n".join(lines))
    body = "".join(f"<p>{escape(p)}</p>" for p in (delivery.text or delivery.headline or "").split("\n") if p)
    rows = "".join(f"<li>{escape(str(it['title'] or it['item_id']))}</li>" for it in delivery.items)
    coupon = (f"<p><strong>Your code: {escape(delivery.coupon['code'])}</strong> "
              f"({escape(delivery.coupon['description'])})</p>" if delivery.coupon else "")
    msg.add_alternative(f"<!doctype html><html><body>{body}<ul>{rows}</ul>{coupon}</body></html>", subtype="html")
    return msg
