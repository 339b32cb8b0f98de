"""Personal recommendations, anonymous sessions and re-ranking of a given list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from starlette.responses import Response

from shopmind.api.deps import READ, get_metrics, get_service
from shopmind.api.metrics import Metrics
from shopmind.api.params import OPTION_PARAMETERS, list_options
from shopmind.api.routes.common import ERRORS, recommendation_out
from shopmind.api.schemas import RecommendationOut, RecommendIn, RerankIn, SessionIn
from shopmind.pipeline.rules import RerankOptions
from shopmind.pipeline.service import RecommendationService

router = APIRouter(tags=["recommendations"], responses=ERRORS, dependencies=READ)
Service = Annotated[RecommendationService, Depends(get_service)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]


@router.post("/recommendations/session", response_model=RecommendationOut)
async def recommend_for_session(body: SessionIn, service: Service, metrics: MetricsDep) -> Response:
    """Recommendations for an anonymous visitor from the items of the session (oldest first). Unknown
    item ids are ignored and listed in `unknown_item_ids`."""
    rec = service.recommend_for_session(body.item_ids, body.n, body.offset, body.options.to_options(True))
    return recommendation_out(rec, metrics)


@router.get("/recommendations/{user_id}", response_model=RecommendationOut,
            openapi_extra={"parameters": OPTION_PARAMETERS})
async def recommend(
    user_id: Annotated[str, Path(min_length=1, max_length=256)],
    service: Service,
    metrics: MetricsDep,
    options: Annotated[RerankOptions, Depends(list_options)],
    n: Annotated[int, Query(ge=1, le=200, description="How many items.")] = 10,
    offset: Annotated[int, Query(ge=0, le=10_000, description="Skip this many (pagination).")] = 0,
) -> Response:
    """Personal recommendations. A user the model does not know gets cold-start recommendations
    (`cold_start: true`: session, trending, new and popular items), never an error. Each item carries
    its `source` and a `reason`; echo `recommendation_id` in later events' `context` for attribution."""
    return recommendation_out(service.recommend(user_id, n, offset, options), metrics)


@router.post("/recommendations", response_model=RecommendationOut)
async def recommend_structured(body: RecommendIn, service: Service, metrics: MetricsDep) -> Response:
    """Personal recommendations with business rules given as structured JSON (same as the GET form)."""
    rec = service.recommend(body.user_id, body.n, body.offset, body.options.to_options(True))
    return recommendation_out(rec, metrics)


@router.post("/rerank", response_model=RecommendationOut)
async def rerank(body: RerankIn, service: Service, metrics: MetricsDep) -> Response:
    """Re-rank a given list: by the model's scores for `user_id` when the model knows the user, else by
    popularity; then filters, boosts, pins, promotion slots and diversity apply. Unknown ids are left out
    and listed in `unknown_item_ids`."""
    rec = service.rerank(body.item_ids, body.user_id, body.n, body.options.to_options(False))
    return recommendation_out(rec, metrics)
