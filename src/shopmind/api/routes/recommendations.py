"""Personal recommendations, anonymous sessions and re-ranking of a given list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

from shopmind.api.deps import READ, authorize_async, get_metrics, get_service
from shopmind.api.metrics import Metrics
from shopmind.api.params import (
    OPTION_PARAMETERS,
    PAGE_PARAMETERS,
    id_parameter,
    options_from_query,
    page_from_query,
    path_id,
)
from shopmind.api.routes.common import ERRORS, recommendation_out
from shopmind.api.schemas import RecommendationOut, RecommendIn, RerankIn, SessionIn
from shopmind.errors import ShopmindError
from shopmind.experiments.serving import ExperimentRouter
from shopmind.pipeline.results import Recommendation
from shopmind.pipeline.rules import RerankOptions
from shopmind.pipeline.service import RecommendationService

router = APIRouter(tags=["recommendations"], responses=ERRORS)
Service = Annotated[RecommendationService, Depends(get_service)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]


@router.post("/recommendations/session", response_model=RecommendationOut, dependencies=READ)
async def recommend_for_session(body: SessionIn, service: Service, metrics: MetricsDep) -> Response:
    """Recommendations for an anonymous visitor from the items of the session (oldest first). Unknown
    item ids are ignored and listed in `unknown_item_ids`."""
    rec = service.recommend_for_session(body.item_ids, body.n, body.offset, body.options.to_options(True))
    return recommendation_out(rec, metrics)


@router.get("/recommendations/{user_id}", response_model=RecommendationOut, openapi_extra={"parameters": [
    id_parameter("user_id", "The shopper."), *PAGE_PARAMETERS, *OPTION_PARAMETERS]})
async def recommend(request: Request) -> Response:
    """Personal recommendations. A user the model does not know gets cold-start recommendations
    (`cold_start: true`: session, trending, new and popular items), never an error. Each item carries
    its `source` and a `reason`; echo `recommendation_id` in later events' `context` for attribution."""
    # The hot path: the key and every parameter are checked here rather than by FastAPI's dependency
    # injection and per-parameter validation (which cost more than the rest of the HTTP layer); the
    # errors are the same 401 / 403 and 422s naming the parameter.
    await authorize_async(request, "read")
    user_id = path_id(request.path_params, "user_id")
    n, offset = page_from_query(request.query_params)
    options = options_from_query(request.query_params)
    state = request.app.state
    return recommendation_out(await _in_experiment(request, state.service, user_id, n, offset, options),
                              state.metrics)


class HotRoute(Route):
    """``GET /recommendations/{user_id}`` as a plain Starlette route: the endpoint called with the request,
    its response sent, exceptions to the app's handlers as from any route - without FastAPI's per-request
    handler (dependency solving, body reading, two exit stacks) and the included routers' matching, a fair
    part of the HTTP layer's cost on the busiest endpoint. It matches only that method (any other method
    falls through to the routers, so a 405 names the same allowed methods as before) and sets the scope's
    ``route`` (the metrics' route template). The router's route stays, for the OpenAPI document."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope["method"] != "GET":
            return Match.NONE, {}
        match, child = super().matches(scope)
        if match is Match.FULL:
            child["route"] = self
            return match, child
        return Match.NONE, {}


def hot_route() -> HotRoute:
    """The route the app puts ahead of its routers (:class:`HotRoute`)."""
    route = HotRoute("/recommendations/{user_id}", recommend, methods=["GET"], include_in_schema=False)
    route.methods = {"GET"}  # not HEAD, which a Starlette route adds: as the router's route
    return route


@router.post("/recommendations", response_model=RecommendationOut, dependencies=READ)
async def recommend_structured(body: RecommendIn, request: Request, service: Service, metrics: MetricsDep
                               ) -> Response:
    """Personal recommendations with business rules given as structured JSON (same as the GET form)."""
    rec = await _in_experiment(request, service, body.user_id, body.n, body.offset, body.options.to_options(True))
    return recommendation_out(rec, metrics)


async def _in_experiment(request: Request, service: RecommendationService, user_id: str, n: int, offset: int,
                         options: RerankOptions) -> Recommendation:
    """The list for ``user_id``; a user enrolled in a running experiment on the `recommendations` surface gets
    the variant's model version and pipeline settings, and the list is logged as an exposure.

    With several workers the user's shared session is read first, awaited: the worker serves other requests
    while Redis answers, instead of blocking its event loop for the round trip."""
    await service.prefetch_session(user_id)
    try:
        return _list_in_experiment(request, service, user_id, n, offset, options)
    finally:
        service.drop_prefetch()


def _list_in_experiment(request: Request, service: RecommendationService, user_id: str, n: int, offset: int,
                        options: RerankOptions) -> Recommendation:
    router: ExperimentRouter | None = getattr(request.app.state, "experiment_router", None)
    if router is None:
        router = request.app.state.experiment_router = ExperimentRouter(service.store)
    hit = router.assignment(user_id)
    if hit is None:
        return service.recommend(user_id, n, offset, options)
    variant_options = router.options(hit, options)
    version = hit.spec.model_version
    try:
        rec = service.recommend(user_id, n, offset, variant_options, version=version)
    except ShopmindError:  # the variant's version is no longer loaded: the active one serves (and is logged)
        rec = service.recommend(user_id, n, offset, variant_options)
    router.log(hit, user_id, rec)
    return rec


@router.post("/rerank", response_model=RecommendationOut, dependencies=READ)
async def rerank(body: RerankIn, service: Service, metrics: MetricsDep) -> Response:
    """Re-rank a given list: by the model's scores for `user_id` when the model knows the user, else by
    popularity; then filters, boosts, pins, promotion slots and diversity apply. Unknown ids are left out
    and listed in `unknown_item_ids`."""
    rec = service.rerank(body.item_ids, body.user_id, body.n, body.options.to_options(False))
    return recommendation_out(rec, metrics)
