"""Overview: traffic, events, live shoppers, recommendation outcomes, the serving model, last import and training
- all from what the server already keeps (the API's metrics, the service's attribution counters and versions).
The figures refresh themselves every few seconds while the page is open."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from shopmind.web.console import Page, console_of, metrics_of, render, service_of, viewer
from shopmind.web.stats import RateSampler, api_traffic, recommendation_outcomes

router = APIRouter(dependencies=[Depends(viewer)])


def _figures(request: Request) -> dict[str, Any]:
    console, service, metrics = console_of(request), service_of(request), metrics_of(request)
    events = {result: int(n) for (result,), n in metrics.events.samples().items()}
    rates: RateSampler = console.part("event_rate", lambda: RateSampler(console.started))
    per_minute, span = rates.sample(events.get("inserted", 0))
    imports = service.store.list_imports(limit=1)
    jobs = service.retrainer.list() if service.retrainer is not None else []
    return {
        "traffic": api_traffic(metrics),
        "outcomes": recommendation_outcomes(metrics, service.attribution),
        "events": events, "per_minute": per_minute, "rate_span": span,
        "live_sessions": len(service.state.sessions),
        "known_shoppers": len(service.state.history.users),
        "counts": service.store.counts(),
        "status": service.status(),
        "versions": service.versions.list(),
        "last_import": imports[-1] if imports else None,
        "last_retrain": jobs[0] if jobs else None,
    }


@router.get("/admin", response_class=HTMLResponse)
def overview(request: Request) -> HTMLResponse:
    return render(request, "overview.html", **_figures(request))


@router.get("/admin/overview/figures", response_class=HTMLResponse)
def figures(request: Request) -> HTMLResponse:
    """The figures alone (the page polls them)."""
    return render(request, "partials/overview_figures.html", **_figures(request))


PAGE = Page("/admin", "Overview", router)
