"""Models: the evaluation leaderboard with its plots, the loaded versions, activate / roll back (after a
confirmation), and retraining with live progress - the same service calls as ``/models/*`` of the API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, HTMLResponse

from shopmind.api.routes.ops import retrainer_of
from shopmind.errors import ShopmindError
from shopmind.models import available
from shopmind.models.registry import parse_assignments
from shopmind.web.charts import bar_chart
from shopmind.web.console import Page, Refused, actor, api_settings_of, console_of, render, service_of, viewer

router = APIRouter(dependencies=[Depends(viewer)])
#: The plots a report may have (see shopmind.evaluation.report), the only files served from a report folder.
PLOTS = {"metrics.png": "Metrics with intervals", "k_curves.png": "Metrics by cut-off K",
         "segments.png": "By user segment", "exposure.png": "Exposure of the catalog"}
#: Columns of the leaderboard.
COLUMNS = ("ndcg@10", "hr@10", "mrr@10", "recall@10", "coverage@10")


def _reports_dir(request: Request) -> Path | None:
    return console_of(request).settings.reports_dir


def _reports(request: Request) -> list[Path]:
    """Report folders (holding a report.json), newest first."""
    root = _reports_dir(request)
    if root is None or not root.is_dir():
        return []
    found = [p for p in root.iterdir() if (p / "report.json").is_file()]
    return sorted(found, key=lambda p: (p / "report.json").stat().st_mtime, reverse=True)


def _leaderboard(folder: Path) -> dict[str, Any]:
    doc = json.loads((folder / "report.json").read_text())
    primary = doc.get("protocol", {}).get("statistics", {}).get("primary", "ndcg@10")
    rows = doc.get("results", [])
    return {"name": folder.name, "dataset": doc.get("dataset", {}), "protocol": doc.get("protocol", {}),
            "primary": primary, "rows": rows, "columns": [c for c in dict.fromkeys([primary, *COLUMNS])],
            "chart": bar_chart([r["model"] for r in rows], [float(r["metrics"].get(primary) or 0) for r in rows]),
            "plots": [(f, title) for f, title in PLOTS.items() if (folder / f).is_file()]}


def _versions(request: Request) -> dict[str, Any]:
    service = service_of(request)
    return {"versions": service.versions.list()[::-1], "ranker": service.status()["ranker"]}


@router.get("/admin/models", response_class=HTMLResponse)
def models_page(request: Request, report: str = "") -> HTMLResponse:
    reports = _reports(request)
    chosen = next((p for p in reports if p.name == report), reports[0] if reports else None)
    service, settings = service_of(request), api_settings_of(request)
    jobs = retrainer_of(service, settings).list() if service.retrainer is not None else []
    return render(request, "models.html", reports=[p.name for p in reports],
                  board=_leaderboard(chosen) if chosen else None, reports_dir=_reports_dir(request),
                  model_names=sorted(available()), jobs=jobs[:5], **_versions(request))


@router.get("/admin/models/reports/{name}/{file}")
def report_plot(request: Request, name: str, file: str) -> FileResponse:
    """A plot of a report (only the known plot files of a known report folder)."""
    folder = next((p for p in _reports(request) if p.name == name), None)
    if folder is None or file not in PLOTS or not (folder / file).is_file():
        raise Refused(404, f"No plot {file!r} in report {name!r}.")
    return FileResponse(folder / file, media_type="image/png")


@router.get("/admin/models/versions", response_class=HTMLResponse)
def versions(request: Request) -> HTMLResponse:
    return render(request, "partials/versions.html", **_versions(request))


@router.get("/admin/models/confirm", response_class=HTMLResponse)
def confirm(request: Request, action: str, version: str = "") -> HTMLResponse:
    """The confirmation step of activate / roll back: says what will be served, asks once more."""
    if action not in ("activate", "rollback"):
        raise Refused(422, f"Unknown action {action!r}.")
    listed = service_of(request).versions.list()
    active = next((v for v in listed if v["active"]), None)
    target: dict[str, Any] | None
    if action == "rollback":
        target = listed[-2] if len(listed) > 1 else None
        if target is None:
            raise Refused(409, "There is no earlier version to roll back to.")
    else:
        target = next((v for v in listed if v["version"] == version), None)
        if target is None:
            raise Refused(404, f"No loaded version {version!r}.")
    return render(request, "partials/confirm_version.html", action=action, target=target, active=active)


@router.post("/admin/models/activate", response_class=HTMLResponse, dependencies=[Depends(actor)])
def activate(request: Request, version: Annotated[str, Form()] = "") -> HTMLResponse:
    """Serve ``version`` (what ``POST /models/activate`` does)."""
    try:
        info = service_of(request).activate(version)
    except ShopmindError as exc:
        raise Refused(404, str(exc)) from None
    return render(request, "partials/versions.html", done=f"Now serving {info['version']} ({info['model']}).",
                  **_versions(request))


@router.post("/admin/models/rollback", response_class=HTMLResponse, dependencies=[Depends(actor)])
def rollback(request: Request) -> HTMLResponse:
    """Serve the previously active version again (what ``POST /models/rollback`` does)."""
    try:
        info = service_of(request).rollback()
    except ShopmindError as exc:
        raise Refused(409, str(exc)) from None
    return render(request, "partials/versions.html", done=f"Rolled back: now serving {info['version']} "
                  f"({info['model']}).", **_versions(request))


@router.post("/admin/models/retrain", response_class=HTMLResponse, dependencies=[Depends(actor)])
async def retrain(request: Request) -> HTMLResponse:
    """Start a background retrain (what ``POST /models/retrain`` does); the answer polls its progress."""
    form = await request.form()
    model = str(form.get("model") or "")
    pairs = str(form.get("params") or "").replace(",", " ").split()
    try:
        params = parse_assignments(pairs, "retrain", "params", "NAME=VALUE pairs, e.g. k=50")
        job = retrainer_of(service_of(request), api_settings_of(request)).start(model, params)
    except ShopmindError as exc:
        raise Refused(409 if "already running" in str(exc) else 422, str(exc)) from None
    return render(request, "partials/retrain_job.html", job=job.info())


@router.get("/admin/models/retrain/{job_id}", response_class=HTMLResponse)
def retrain_job(request: Request, job_id: str) -> HTMLResponse:
    """A retrain job's state, timings and new version (polled while it runs); when it is done the versions
    table reloads itself."""
    job = retrainer_of(service_of(request), api_settings_of(request)).get(job_id)
    if job is None:
        raise Refused(404, f"No retrain job {job_id!r}.")
    response = render(request, "partials/retrain_job.html", job=job.info())
    if job.state in ("done", "failed"):
        response.headers["HX-Trigger"] = "versions-changed"
    return response


PAGE = Page("/admin/models", "Models", router)
