"""Item-centred lists: similar items, bought together, trending."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from shopmind.api.deps import READ, get_metrics, get_service
from shopmind.api.metrics import Metrics
from shopmind.api.params import OPTION_PARAMETERS, list_options
from shopmind.api.routes.common import ERRORS, NOT_FOUND, recommendation_out
from shopmind.api.routes.dp import BUDGET_SPENT, budget_spent, private_lists
from shopmind.api.schemas import RecommendationOut
from shopmind.data.signals import WINDOWS
from shopmind.pipeline.rules import RerankOptions
from shopmind.pipeline.service import RecommendationService
from shopmind.privacy.dp import PrivacyBudgetError

router = APIRouter(tags=["items"], responses=ERRORS, dependencies=READ)
Service = Annotated[RecommendationService, Depends(get_service)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
ItemId = Annotated[str, Path(min_length=1, max_length=256)]
#: The option parameters ``/trending`` honours (filter rules only).
TRENDING_PARAMS = ("filter", "category", "brand", "min_price", "max_price", "attr")
N = Annotated[int, Query(ge=1, le=200, description="How many items.")]


@router.get("/items/{item_id}/similar", response_model=RecommendationOut, responses=NOT_FOUND,
            openapi_extra={"parameters": OPTION_PARAMETERS})
async def similar(item_id: ItemId, service: Service, metrics: MetricsDep,
                  options: Annotated[RerankOptions, Depends(list_options)], n: N = 10) -> Response:
    """Items similar to `item_id` (the model's item similarity and co-views, then popular items of the
    same category). 404 when the item is unknown."""
    return recommendation_out(service.similar_items(item_id, n, options), metrics)


@router.get("/items/{item_id}/bought-together", response_model=RecommendationOut,
            responses={**NOT_FOUND, **BUDGET_SPENT}, openapi_extra={"parameters": OPTION_PARAMETERS})
async def bought_together(item_id: ItemId, service: Service, metrics: MetricsDep, request: Request,
                    options: Annotated[RerankOptions, Depends(list_options)], n: N = 10) -> Response:
    """Items bought or carted in the same sessions as `item_id` (co-viewed items fill in). 404 when the
    item is unknown. With differential privacy on (`SHOPMIND_DP_EPSILON`): items bought by the same users,
    ranked by noisy counts; 429 once the period's epsilon budget is spent."""
    dp = private_lists(request)
    if dp is not None:
        try:
            # a fresh release reads the store: off the event loop
            return recommendation_out(await run_in_threadpool(dp.bought_together, item_id, n), metrics)
        except PrivacyBudgetError as exc:
            raise budget_spent(exc) from None
    return recommendation_out(service.bought_together(item_id, n, options), metrics)


@router.get("/trending", response_model=RecommendationOut, responses=BUDGET_SPENT,
            openapi_extra={"parameters": [p for p in OPTION_PARAMETERS if p["name"] in TRENDING_PARAMS]})
async def trending(service: Service, metrics: MetricsDep, request: Request,
                   options: Annotated[RerankOptions, Depends(list_options)],
                   window: Annotated[str, Query(description=f"One of {', '.join(WINDOWS)}.")] = "24h",
                   n: N = 10, offset: Annotated[int, Query(ge=0, le=10_000)] = 0) -> Response:
    """The items with the most weighted events in the window (updated live as events arrive); filter
    rules apply. With differential privacy on (`SHOPMIND_DP_EPSILON`): ranked by noisy, per-user bounded
    counts, each fresh release paid from the epsilon budget; 429 once the period's budget is spent."""
    dp = private_lists(request)
    if dp is not None:
        try:
            rec = await run_in_threadpool(dp.trending, window, n, offset, options.filters)
            return recommendation_out(rec, metrics)
        except PrivacyBudgetError as exc:
            raise budget_spent(exc) from None
    return recommendation_out(service.trending(window, n, offset, options.filters), metrics)
