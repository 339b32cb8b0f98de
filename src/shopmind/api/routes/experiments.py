"""A/B experiments: create, list, stop, assign users (logging exposures) and read the results."""

from __future__ import annotations

import math
from typing import Annotated, Any, cast

from fastapi import APIRouter, Body, Depends, Path
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from shopmind.api.deps import READ, WRITE, get_service
from shopmind.api.routes.common import ERRORS, NOT_FOUND
from shopmind.experiments.registry import (
    create_experiment,
    experiment_results,
    get_experiment,
    list_experiments,
    log_exposures,
    stop_experiment,
)
from shopmind.pipeline.service import RecommendationService

router = APIRouter(tags=["experiments"], responses=ERRORS)
Service = Annotated[RecommendationService, Depends(get_service)]
ExperimentId = Annotated[str, Path(min_length=1, max_length=64)]


class AssignIn(BaseModel):
    """Users to assign; with ``log`` their exposures are logged (shown now, with the recommendation id and
    model version when given)."""

    model_config = ConfigDict(extra="forbid")

    user_ids: list[Annotated[str, Field(min_length=1, max_length=256)]] = Field(min_length=1, max_length=10_000)
    log: bool = False
    recommendation_id: str | None = Field(default=None, max_length=256)
    model_version: str | None = Field(default=None, max_length=256)


def _finite(value: Any) -> Any:
    """NaN and infinities (a variant without users yet) as null: JSON has no such numbers."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _known_versions(service: RecommendationService) -> list[str] | None:
    versions = [v["version"] for v in service.versions.list() if v.get("version")]
    return versions or None  # no model loaded: nothing to check the variants against


@router.post("/experiments", dependencies=WRITE, status_code=201)
def create(service: Service, doc: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    """Create an experiment (same document as `shopmind experiments create`). An unknown field, a bad value,
    an id in use, a range overlapping a running experiment on the surface, or a variant pointing to a model
    version that is not loaded is a 422 naming the field."""
    return create_experiment(service.store, doc, _known_versions(service)).to_doc()


@router.get("/experiments", dependencies=READ)
def list_all(service: Service) -> list[dict[str, Any]]:
    """Every experiment, oldest first."""
    return [e.to_doc() for e in list_experiments(service.store)]


@router.get("/experiments/{experiment_id}", dependencies=READ, responses=NOT_FOUND)
def get_one(experiment_id: ExperimentId, service: Service) -> dict[str, Any]:
    return get_experiment(service.store, experiment_id).to_doc()


@router.post("/experiments/{experiment_id}/stop", dependencies=WRITE, responses=NOT_FOUND)
def stop(experiment_id: ExperimentId, service: Service) -> dict[str, Any]:
    """Stop the experiment: nobody is assigned any more; its exposure log stays."""
    return stop_experiment(service.store, experiment_id).to_doc()


@router.post("/experiments/{experiment_id}/assign", dependencies=WRITE, responses=NOT_FOUND)
def assign_users(experiment_id: ExperimentId, body: AssignIn, service: Service) -> dict[str, Any]:
    """Each user's variant (null: not in the experiment); with `log`, their exposures are logged."""
    exp = get_experiment(service.store, experiment_id)
    if body.log:
        rows = log_exposures(service.store, exp, [{"user_id": u, "recommendation_id": body.recommendation_id,
                                                   "model_version": body.model_version} for u in body.user_ids])
        variants = [r["variant"] if r else None for r in rows]
    else:
        variants = [exp.assign(u) for u in body.user_ids]
    return {"experiment_id": exp.experiment_id, "logged": body.log,
            "assignments": [{"user_id": u, "variant": v, "propensity": exp.variant_share(v) if v else None}
                            for u, v in zip(body.user_ids, variants, strict=True)]}


@router.get("/experiments/{experiment_id}/results", dependencies=READ, responses=NOT_FOUND)
async def results(experiment_id: ExperimentId, service: Service) -> dict[str, Any]:
    """Per variant conversion, CTR (delta method) and revenue per user; each treatment against the control
    with the fixed-horizon test (and CUPED) and the always-valid sequential test; the SRM check; the primary
    metric's effect over time."""

    def work() -> dict[str, Any]:
        return cast("dict[str, Any]", _finite(experiment_results(service.store, experiment_id).as_dict()))

    return await run_in_threadpool(work)


@router.get("/model-versions/counters", dependencies=READ)
def version_counters(service: Service) -> list[dict[str, Any]]:
    """Production counters by model version: lists served and the clicks, purchases and other events that echo
    their `recommendation_id`. Kept in the store (they survive restarts and add up across workers)."""
    service.attribution.flush(service.store)
    return service.attribution.version_counters()
