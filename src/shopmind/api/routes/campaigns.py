"""Campaigns: create, list, get, stop; deliver to a user (creative and coupon, or the reason for none); redeem a
coupon; the report."""

from __future__ import annotations

import math
from typing import Annotated, Any, cast

import pandas as pd
from fastapi import APIRouter, Body, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from shopmind.api.deps import READ, WRITE, get_service
from shopmind.api.routes.common import ERRORS, NOT_FOUND
from shopmind.marketing.campaigns import create_campaign, get_campaign, list_campaigns, stop_campaign
from shopmind.marketing.delivery import DeliveryContext, context_for, deliver
from shopmind.marketing.offers import redeem
from shopmind.marketing.report import campaign_report
from shopmind.pipeline.service import RecommendationService

router = APIRouter(tags=["campaigns"], responses=ERRORS)
Service = Annotated[RecommendationService, Depends(get_service)]
CampaignId = Annotated[str, Path(min_length=1, max_length=64)]


class RedeemIn(BaseModel):
    """A `coupon_redeem` event: the code, who redeems it, the basket (item ids or `{item_id, quantity, price}`),
    the order total."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=64)
    user_id: str = Field(min_length=1, max_length=256)
    items: list[str | dict[str, str | float | int]] = Field(min_length=1, max_length=500)
    value: float | None = Field(default=None, ge=0)
    order_id: str | None = Field(default=None, max_length=256)
    event_id: str | None = Field(default=None, max_length=256)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _context(request: Request, service: RecommendationService) -> DeliveryContext:
    """One delivery context per app (catalog, recommender, content service), rebuilt when the catalog changes."""
    items_count = service.store.counts()["items"]
    ctx: DeliveryContext | None = getattr(request.app.state, "campaign_context", None)
    if ctx is None or len(ctx.items) != items_count:
        ctx = context_for(service)
        request.app.state.campaign_context = ctx
    return ctx


@router.post("/campaigns", dependencies=WRITE, status_code=201)
def create(service: Service, doc: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    """Create a campaign (same document as `shopmind campaigns create`). An unknown field, a bad value, an empty
    audience, a negative budget, an offer no item is eligible for, or an id in use is a 422 naming the field."""
    return create_campaign(service.store, doc).to_doc()


@router.get("/campaigns", dependencies=READ)
def list_all(service: Service) -> list[dict[str, Any]]:
    """Every campaign, oldest first."""
    return [c.to_doc() for c in list_campaigns(service.store)]


@router.get("/campaigns/{campaign_id}", dependencies=READ, responses=NOT_FOUND)
def get_one(campaign_id: CampaignId, service: Service) -> dict[str, Any]:
    return get_campaign(service.store, campaign_id).to_doc()


@router.post("/campaigns/{campaign_id}/stop", dependencies=WRITE, responses=NOT_FOUND)
def stop(campaign_id: CampaignId, service: Service) -> dict[str, Any]:
    """Stop the campaign: no more deliveries and its coupons are refused; its logs stay."""
    return stop_campaign(service.store, campaign_id).to_doc()


@router.get("/campaigns/{campaign_id}/deliver", dependencies=WRITE, responses=NOT_FOUND)
def deliver_to(campaign_id: CampaignId, request: Request, service: Service,
               user_id: Annotated[str, Query(min_length=1, max_length=256)],
               dry_run: Annotated[bool, Query(description="Log nothing and issue no code.")] = False
               ) -> dict[str, Any]:
    """The creative (and coupon) for a user, or `delivered: false` with the `reason` (`not_in_audience`,
    `control`, `capped`, `budget_spent`, `campaign_over`, `not_started`, `offer_expired`, `no_items`). Every
    delivery (and the first hold-out decision) is logged with campaign, creative, variant and propensity."""
    campaign = get_campaign(service.store, campaign_id)
    return deliver(service.store, campaign, user_id, _context(request, service), log=not dry_run).as_dict()


@router.post("/coupons/redeem", dependencies=WRITE)
def redeem_coupon(body: RedeemIn, service: Service) -> dict[str, Any]:
    """Record a `coupon_redeem` event and check it: code known and the user's, campaign running, offer valid,
    minimum spend, an eligible item in the basket, code unused, budget and per-user cap. A refusal answers
    `accepted: false` with the `reason`; it is never silently accepted."""
    now = pd.Timestamp.now(tz="UTC")
    event = {"event_id": body.event_id or f"redeem-{body.code}-{body.order_id or now.value}",
             "user_id": body.user_id, "item_id": None, "type": "coupon_redeem", "value": body.value,
             "timestamp": now, "context": {"code": body.code, "order_id": body.order_id, "items": body.items}}
    result = redeem(service.store, event, service.store.items_frame())
    service.ingest_events([event])
    return result.as_dict()


@router.get("/campaigns/{campaign_id}/report", dependencies=READ, responses=NOT_FOUND)
async def report(campaign_id: CampaignId, service: Service) -> dict[str, Any]:
    """The funnel (deliveries, hold-out, coupons, redemptions, budget) and the incremental effect against the
    hold-out (Welch, CUPED, always-valid sequential test, SRM check)."""

    def work() -> dict[str, Any]:
        return cast("dict[str, Any]", _finite(campaign_report(service.store, get_campaign(service.store,
                                                                                         campaign_id))))

    return await run_in_threadpool(work)
