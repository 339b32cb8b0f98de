"""Event ingestion: validated, quarantined, idempotent by `event_id`, applied live."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends

from shopmind.api.deps import WRITE, get_metrics, get_service
from shopmind.api.metrics import Metrics
from shopmind.api.routes.common import ERRORS, write_outcome
from shopmind.api.schemas import EventsBatch, WriteOut
from shopmind.errors import DataError
from shopmind.marketing.offers import redeem
from shopmind.pipeline.service import RecommendationService

router = APIRouter(tags=["events"], responses=ERRORS)


@router.post("/events", response_model=WriteOut, dependencies=WRITE)
def ingest_events(batch: EventsBatch, service: Annotated[RecommendationService, Depends(get_service)],
                  metrics: Annotated[Metrics, Depends(get_metrics)]) -> WriteOut:
    """Append events. When the response arrives the events are stored durably and already shape the
    user's next recommendation (seen items drop out, similar items move up) and the trending lists.

    `timestamp` defaults to now; a known `event_id` counts as a duplicate, so retries are safe. Echo a
    `recommendation_id` in `context` to attribute the event to a recommendation. Rows with bad fields are
    reported in `errors` (index, field, reason) and quarantined; if every row is bad the answer is 422.
    A `coupon_redeem` event (`context.code`, the basket in `context.items`) is also checked against its
    campaign's offer; `coupons` gives each one's verdict (accepted, or refused with the reason).
    """
    result = service.ingest_events(batch.events)
    metrics.events.inc(("inserted",), result.inserted)
    metrics.events.inc(("duplicate",), result.duplicates)
    metrics.events.inc(("rejected",), result.rejected)
    out = write_outcome(result, "events")
    redeems = [e for e in batch.events if str(e.get("type", "")).strip().lower() == "coupon_redeem"]
    if redeems:  # each redemption is checked against its offer's eligibility, budget and caps
        items = service.store.items_frame()
        out.coupons = [_redeem(service, e, items) for e in redeems]
    return out


def _redeem(service: RecommendationService, event: Mapping[str, Any], items: pd.DataFrame) -> dict[str, Any]:
    try:
        return redeem(service.store, event, items).as_dict()
    except DataError as exc:
        ctx = event.get("context")
        code = ctx.get("code") if isinstance(ctx, Mapping) else None
        return {"code": code, "accepted": False, "reason": f"invalid: {exc}", "field": exc.field}
