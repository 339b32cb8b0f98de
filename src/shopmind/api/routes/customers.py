"""Customer understanding: profiles, segments and audiences (computed by `shopmind customers refresh`)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StrictInt
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from shopmind.api.deps import READ, get_service
from shopmind.api.errors import ApiError
from shopmind.api.routes.common import ERRORS, NOT_FOUND
from shopmind.customers.audience import AudienceError, select
from shopmind.customers.refresh import with_summary
from shopmind.pipeline.service import RecommendationService

router = APIRouter(tags=["customers"], responses=ERRORS, dependencies=READ)
Service = Annotated[RecommendationService, Depends(get_service)]
Id = Annotated[str, Path(min_length=1, max_length=256)]
#: Segment fields listed by ``GET /segments`` (the full document is at ``GET /segments/{id}``).
LISTED = ("segment_id", "kind", "name", "name_zh", "size", "share")


class AudienceIn(BaseModel):
    """An audience expression (see docs/customers.md for the language) and how many ids to return."""

    model_config = ConfigDict(extra="forbid")

    where: str = Field(min_length=1, max_length=2_000,
                       examples=["rfm in (at_risk, cannot_lose) and clv_12m > 100"])
    limit: StrictInt = Field(default=1_000, ge=0, le=100_000)


class AudienceOut(BaseModel):
    where: str
    count: int
    user_ids: list[str]


class SegmentUsersOut(BaseModel):
    segment_id: str
    size: int
    limit: int
    offset: int
    user_ids: list[str]


def _segment(service: RecommendationService, segment_id: str) -> dict[str, Any]:
    for seg in service.store.list_segments():
        if seg.get("segment_id") == segment_id:
            return seg
    raise ApiError(404, f"no segment {segment_id!r} (see GET /segments; run `shopmind customers refresh` first)",
                   field="segment_id")


@router.get("/users/{user_id}/profile", responses=NOT_FOUND)
async def profile(user_id: Id, service: Service) -> Response:
    """The user's profile: interests, price range, purchases, lifecycle stage, RFM, predicted value and churn
    risk, segments, categories likely to buy next, attributes, and a summary in English and Chinese."""
    # a primary-key read of one row: cheaper inline than a hop to the thread pool
    doc = service.store.get_profile(user_id)
    if doc is None:
        raise ApiError(404, f"no profile for user {user_id!r} (unknown user, or `shopmind customers refresh` has not "
                       "run since their first event)", field="user_id")
    body = json.dumps(with_summary(doc), ensure_ascii=False, separators=(",", ":"))
    return Response(body, media_type="application/json")


@router.get("/segments")
def segments(service: Service) -> list[dict[str, Any]]:
    """Every segment (RFM groups, k-means clusters, LDA topics) with its size."""
    return [{k: seg.get(k) for k in LISTED} for seg in service.store.list_segments()]


@router.get("/segments/{segment_id}", responses=NOT_FOUND)
def segment(segment_id: Id, service: Service) -> dict[str, Any]:
    """One segment: size, over-represented categories / brands / price bands (lift), RFM and stage mix,
    value, and its rule, top terms or silhouette."""
    return _segment(service, segment_id)


@router.get("/segments/{segment_id}/users", response_model=SegmentUsersOut, responses=NOT_FOUND)
def segment_users(segment_id: Id, service: Service,
                  limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
                  offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    """Members of a segment by user id, a page at a time."""
    seg = _segment(service, segment_id)
    users = service.store.segment_users(segment_id, limit, offset)
    return {"segment_id": segment_id, "size": int(seg.get("size") or 0), "limit": limit, "offset": offset,
            "user_ids": users}


@router.post("/audiences", response_model=AudienceOut)
async def audience(body: AudienceIn, service: Service) -> dict[str, Any]:
    """The users whose profile matches `where` (count and up to `limit` ids). An invalid expression is a 422
    naming the token and its position."""
    try:
        ids = await run_in_threadpool(lambda: select(service.store.profiles_frame(), body.where))
    except AudienceError as exc:
        raise ApiError(422, str(exc), field="where",
                       details={"token": exc.token, "position": exc.position}) from None
    return {"where": body.where, "count": len(ids), "user_ids": ids[:body.limit]}
