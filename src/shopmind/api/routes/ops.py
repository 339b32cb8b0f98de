"""Operations: liveness, readiness, Prometheus metrics and model versions (swap, rollback)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse

from shopmind.api.deps import READ, WRITE, get_metrics, get_service, get_settings
from shopmind.api.errors import ApiError
from shopmind.api.metrics import CONTENT_TYPE, Metrics
from shopmind.api.routes.common import CONFLICT, ERRORS, NOT_FOUND
from shopmind.api.schemas import ModelActivateIn, ModelOut, ModelReloadIn, RetrainIn
from shopmind.errors import ParameterError, ShopmindError, StoreError
from shopmind.models import available
from shopmind.models.base import mark_active
from shopmind.pipeline.retrain import Retrainer
from shopmind.pipeline.service import RecommendationService
from shopmind.settings import ApiSettings

router = APIRouter(tags=["operations"], responses=ERRORS)
Service = Annotated[RecommendationService, Depends(get_service)]


@router.get("/health")
async def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/ready")
def ready(service: Service) -> dict[str, Any]:
    """Readiness: the store answers and a model is loaded (503 otherwise). With several workers sharing
    their online state (``serve --state redis://...``), ``degraded`` is true while that state cannot be
    reached: the worker still serves, from the model and its own state, and recovers by itself."""
    try:
        counts = service.store.counts()
    except StoreError as exc:
        raise ApiError(503, f"the store is not reachable: {exc}", code="not_ready") from None
    status = service.status()
    if status["model"] is None:
        raise ApiError(503, "no model is loaded: train one (`shopmind train itemknn`) and reload",
                       code="not_ready")
    degraded = bool(status["online_state"].get("degraded"))
    return {"status": "degraded" if degraded else "ready", "degraded": degraded, "store": counts, **status}


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics(m: Annotated[Metrics, Depends(get_metrics)]) -> PlainTextResponse:
    """Prometheus metrics (text exposition format)."""
    return PlainTextResponse(m.render(), media_type=CONTENT_TYPE)


@router.get("/models", response_model=list[ModelOut], dependencies=READ, tags=["models"])
async def list_models(service: Service) -> list[dict[str, Any]]:
    """Loaded model versions, oldest first; `active` marks the serving one."""
    return service.versions.list()


@router.post("/models/rollback", response_model=ModelOut, dependencies=WRITE, tags=["models"], responses=CONFLICT)
def rollback(service: Service) -> dict[str, Any]:
    """Serve the previously active model version again (atomically; no request fails)."""
    try:
        return service.rollback()
    except ShopmindError as exc:
        raise ApiError(409, str(exc)) from None


@router.post("/models/activate", response_model=ModelOut, dependencies=WRITE, tags=["models"], responses=NOT_FOUND)
def activate(body: ModelActivateIn, service: Service) -> dict[str, Any]:
    """Serve a loaded model version (see `GET /models`)."""
    try:
        return service.activate(body.version)
    except ShopmindError as exc:
        raise ApiError(404, str(exc), field="version") from None


@router.post("/models/reload", response_model=ModelOut, dependencies=WRITE, tags=["models"], responses=NOT_FOUND)
def reload(body: ModelReloadIn, service: Service,
           settings: Annotated[ApiSettings, Depends(get_settings)]) -> dict[str, Any]:
    """Load the artifact `$SHOPMIND_HOME/models/<name>` (e.g. after a retrain) and swap it in atomically."""
    if settings.models_dir is None:
        raise ApiError(404, "model reloading is not configured on this server (no models directory)", field="name")
    path = settings.models_dir / body.name
    if not (path / "meta.json").exists():
        raise ApiError(404, f"no model artifact named {body.name!r} in {settings.models_dir}", field="name")
    try:
        info = service.load_model(path)
    except ShopmindError as exc:  # a damaged artifact: refused, naming the file and why; the active one stays
        raise ApiError(422, str(exc), field="name") from None
    mark_active(settings.models_dir, path)
    return info


def retrainer_of(service: RecommendationService, settings: ApiSettings) -> Retrainer:
    """The service's background retrainer (made on first use; it saves new versions under the models dir)."""
    if service.retrainer is None:
        service.retrainer = Retrainer(service, settings.models_dir)
    retrainer: Retrainer = service.retrainer
    return retrainer


@router.post("/models/retrain", status_code=202, dependencies=WRITE, tags=["models"], responses=CONFLICT)
def retrain(body: RetrainIn, service: Service,
            settings: Annotated[ApiSettings, Depends(get_settings)]) -> dict[str, Any]:
    """Train a new version of `model` on everything in the store, in the background; when it is done it
    is saved (under the models directory) and swapped in atomically. Poll `GET /models/retrain/{job_id}`.
    409 while another retrain runs; 422 for an unknown model or a bad parameter."""

    try:
        return retrainer_of(service, settings).start(body.model, body.params).info()
    except ParameterError as exc:
        raise ApiError(422, str(exc), field="params" if body.model in _model_names() else "model") from None
    except ShopmindError as exc:
        raise ApiError(409, str(exc)) from None


def _model_names() -> list[str]:
    return list(available())


@router.get("/models/retrain", dependencies=READ, tags=["models"])
def retrain_jobs(service: Service, settings: Annotated[ApiSettings, Depends(get_settings)]) -> list[dict[str, Any]]:
    """Retrain jobs, newest first."""
    return retrainer_of(service, settings).list()


@router.get("/models/retrain/{job_id}", dependencies=READ, tags=["models"], responses=NOT_FOUND)
def retrain_job(job_id: str, service: Service,
                settings: Annotated[ApiSettings, Depends(get_settings)]) -> dict[str, Any]:
    """One retrain job: state (queued, running, done, failed), timings, new version, error."""
    job = retrainer_of(service, settings).get(job_id)
    if job is None:
        raise ApiError(404, f"no retrain job {job_id!r}", field="job_id")
    return job.info()
