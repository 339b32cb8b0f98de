"""Experiments: the list, creating one from a form (the document ``POST /experiments`` takes, validated by the
same :func:`~shopmind.experiments.registry.create_experiment`), an experiment's live results with their intervals
and the sample-ratio-mismatch check, and stopping or shipping it (stop, then serve the winning variant's model
version, as ``POST /experiments/{id}/stop`` and ``POST /models/activate`` do).

Results are :func:`~shopmind.experiments.registry.experiment_results` (the analysis ``GET
/experiments/{id}/results`` gives, over the clicks and purchases of the exposed users only), computed in the
background and shown for up to :data:`RESULTS_TTL` seconds; the page polls them.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from shopmind.errors import DataError, ShopmindError
from shopmind.experiments.analysis import ExperimentReport
from shopmind.experiments.assignment import METRICS, Experiment
from shopmind.experiments.registry import (
    create_experiment,
    experiment_results,
    get_experiment,
    list_experiments,
    load_document,
    stop_experiment,
)
from shopmind.pipeline.service import RecommendationService
from shopmind.web.cache import Refreshing
from shopmind.web.charts import interval_bar
from shopmind.web.console import Page, Refused, actor, console_of, render, service_of, viewer

router = APIRouter(dependencies=[Depends(viewer)])
#: Seconds results are shown before they are computed again (the page polls every RESULTS_POLL seconds).
RESULTS_TTL, RESULTS_POLL = 10.0, 10
#: How long a results request waits for the first computation before answering "computing" (and polling).
FIRST_WAIT = 0.2


def known_versions(service: RecommendationService) -> list[str]:
    return [v["version"] for v in service.versions.list() if v.get("version")]


def _experiment(request: Request, experiment_id: str) -> Experiment:
    try:
        return get_experiment(service_of(request).store, experiment_id)
    except ShopmindError:
        raise Refused(404, f"No experiment {experiment_id!r}.") from None


def _results_source(request: Request, experiment_id: str) -> Refreshing[ExperimentReport]:
    store = service_of(request).store
    sources: dict[str, Refreshing[ExperimentReport]] = console_of(request).part("experiment_results", dict)
    if experiment_id not in sources:
        sources[experiment_id] = Refreshing(lambda: experiment_results(store, experiment_id), RESULTS_TTL,
                                            f"experiment-{experiment_id}")
    return sources[experiment_id]


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def results_view(exp: Experiment, report: ExperimentReport) -> dict[str, Any]:
    """Rows of the variants and comparisons tables and the primary metric's timeline chart."""
    total = sum(v.users for v in report.variants)
    variants = [{"variant": v.variant, "users": v.users, "expected": v.expected_share,
                 "observed": v.users / total if total else None, "exposures": v.exposures,
                 "conversion": _finite(v.conversion), "ctr": _finite(v.ctr),
                 "revenue_per_user": _finite(v.revenue_per_user), "clicks_per_user": _finite(v.clicks_per_user)}
                for v in report.variants]
    comparisons = []
    for c in report.comparisons:
        est = c.cuped_fixed or c.fixed
        comparisons.append({"metric": c.metric, "treatment": c.treatment, "control": c.control,
                            "cuped": c.cuped_fixed is not None, "effect": _finite(est.value),
                            "relative": _finite(est.relative), "low": _finite(est.ci_low), "high": _finite(est.ci_high),
                            "p": _finite(est.p_value), "cs_low": _finite(c.always_valid_ci[0]),
                            "cs_high": _finite(c.always_valid_ci[1]), "seq_p": _finite(c.sequential_p_value),
                            "significant": c.significant_fixed, "significant_seq": c.significant_sequential,
                            "reduction": c.variance_reduction,
                            "bar": interval_bar(_finite(est.value), _finite(est.ci_low), _finite(est.ci_high),
                                                _finite(c.always_valid_ci[0]), _finite(c.always_valid_ci[1]))})
    return {"variants": variants, "comparisons": comparisons, "srm": report.srm, "users": report.users,
            "primary": exp.metrics[0], "looks": len({row["day"] for row in report.timeline})}


@router.get("/admin/experiments", response_class=HTMLResponse)
def experiments_page(request: Request) -> HTMLResponse:
    service = service_of(request)
    listed = list_experiments(service.store)[::-1]
    return render(request, "experiments.html", experiments=listed, versions=known_versions(service),
                  metrics=METRICS, form={})


def _number(form: dict[str, str], name: str, default: float) -> float:
    raw = form.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise DataError(f"{name}: expected a number, got {raw!r}", field=name) from None


def document_from_form(form: dict[str, str]) -> dict[str, Any]:
    """The experiment document of the form: the JSON/YAML in ``document`` when given, else the fields."""
    if form.get("document", "").strip():
        return load_document(form["document"], "document")
    variants = []
    for role in ("control", "treatment"):
        variant: dict[str, Any] = {"name": form.get(f"{role}_name", "").strip() or role}
        if form.get(f"{role}_version"):
            variant["model_version"] = form[f"{role}_version"]
        variants.append(variant)
    primary = form.get("metric") or "conversion"
    return {"experiment_id": form.get("experiment_id", "").strip(), "surface": form.get("surface", "").strip(),
            "description": form.get("description", "").strip(), "variants": variants,
            "traffic": _number(form, "traffic", 1.0), "mde": _number(form, "mde", 0.05),
            "metrics": [primary, *(m for m in ("conversion", "ctr", "revenue_per_user") if m != primary)]}


@router.post("/admin/experiments", response_class=HTMLResponse, dependencies=[Depends(actor)])
async def create(request: Request) -> Response:
    """Create an experiment; a bad field is shown in the form (422) with the field it names."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    service = service_of(request)
    try:
        exp = create_experiment(service.store, document_from_form(form), known_versions(service) or None)
    except DataError as exc:
        return render(request, "partials/experiment_form.html", status_code=422, error=str(exc),
                      error_field=exc.field, form=form, versions=known_versions(service), metrics=METRICS)
    return Response(status_code=200, headers={"HX-Redirect": f"/admin/experiments/{exp.experiment_id}"})


@router.get("/admin/experiments/{experiment_id}", response_class=HTMLResponse)
def experiment_page(request: Request, experiment_id: str) -> HTMLResponse:
    exp = _experiment(request, experiment_id)
    return render(request, "experiment.html", exp=exp, poll=RESULTS_POLL)


@router.get("/admin/experiments/{experiment_id}/results", response_class=HTMLResponse)
def results(request: Request, experiment_id: str) -> HTMLResponse:
    """The live results (polled); "computing" while the first computation runs."""
    exp = _experiment(request, experiment_id)
    snap = _results_source(request, experiment_id).get(timeout=FIRST_WAIT)
    if snap is None:
        return render(request, "partials/experiment_results.html", exp=exp, view=None, error=None, age=None)
    if snap.value is None:
        return render(request, "partials/experiment_results.html", exp=exp, view=None, error=snap.error, age=None)
    return render(request, "partials/experiment_results.html", exp=exp, view=results_view(exp, snap.value),
                  error=None, age=snap.age())


@router.get("/admin/experiments/{experiment_id}/confirm", response_class=HTMLResponse)
def confirm(request: Request, experiment_id: str, action: str, variant: str = "") -> HTMLResponse:
    """The confirmation step of stop and ship: says what will happen, asks once more."""
    exp = _experiment(request, experiment_id)
    if action not in ("stop", "ship"):
        raise Refused(422, f"Unknown action {action!r}: stop or ship.")
    chosen = next((v for v in exp.variants if v.name == variant), None)
    if action == "ship" and (chosen is None or chosen.model_version is None):
        raise Refused(409, f"Variant {variant!r} has no model version to ship: ship its settings or creative by "
                           "hand, then stop the experiment.")
    active = service_of(request).versions.active
    return render(request, "partials/confirm_experiment.html", exp=exp, action=action, variant=chosen,
                  serving=active.version if active else None)


def _stopped(request: Request, exp: Experiment, done: str) -> HTMLResponse:
    _results_source(request, exp.experiment_id).invalidate()
    return render(request, "partials/experiment_status.html", exp=exp, done=done)


@router.post("/admin/experiments/{experiment_id}/stop", response_class=HTMLResponse, dependencies=[Depends(actor)])
def stop(request: Request, experiment_id: str) -> HTMLResponse:
    """Stop assigning users (what ``POST /experiments/{id}/stop`` does); the exposure log stays."""
    _experiment(request, experiment_id)
    exp = stop_experiment(service_of(request).store, experiment_id)
    return _stopped(request, exp, f"Stopped {exp.experiment_id}: nobody is assigned any more.")


@router.post("/admin/experiments/{experiment_id}/ship", response_class=HTMLResponse, dependencies=[Depends(actor)])
async def ship(request: Request, experiment_id: str) -> HTMLResponse:
    """Stop the experiment and serve the chosen variant's model version to everyone."""
    variant = str((await request.form()).get("variant") or "")
    exp = _experiment(request, experiment_id)
    chosen = next((v for v in exp.variants if v.name == variant), None)
    if chosen is None or chosen.model_version is None:
        raise Refused(409, f"Variant {variant!r} has no model version to ship.")
    service = service_of(request)
    try:
        info = service.activate(chosen.model_version)
    except ShopmindError as exc:
        raise Refused(409, f"Cannot ship {variant!r}: {exc}") from None
    exp = stop_experiment(service.store, experiment_id)
    return _stopped(request, exp, f"Shipped {variant}: stopped {exp.experiment_id} and now serving "
                                  f"{info['version']} ({info['model']}) to everyone.")


PAGE = Page("/admin/experiments", "Experiments", router)
