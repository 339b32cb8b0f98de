"""Campaigns: the list with each campaign's status, creating one from a form or a pasted JSON/YAML document (the
document ``POST /campaigns`` takes, validated by the same :func:`~shopmind.marketing.campaigns.create_campaign`),
a preview of what a few users of the audience would get, the live report, and stopping a campaign (what ``POST
/campaigns/{id}/stop`` does).

The preview is :func:`~shopmind.marketing.delivery.deliver` with ``log=False``, the dry run of ``GET
/campaigns/{id}/deliver?dry_run=true``: nothing is logged, no coupon code is issued (``DRYRUN-...``), no bandit
decision is recorded. It uses the delivery context the REST API keeps on ``app.state.campaign_context``.

The report is :func:`~shopmind.marketing.report.campaign_report` (what ``GET /campaigns/{id}/report`` answers),
computed in the background and shown for up to :data:`REPORT_TTL` seconds; the page polls it.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from shopmind.errors import DataError, ShopmindError
from shopmind.experiments.registry import load_document
from shopmind.marketing.campaigns import (
    Campaign,
    audience_users,
    create_campaign,
    get_campaign,
    list_campaigns,
    stop_campaign,
)
from shopmind.marketing.delivery import DeliveryContext, context_for, deliver, in_control
from shopmind.marketing.report import campaign_report
from shopmind.web.cache import Refreshing
from shopmind.web.charts import interval_bar
from shopmind.web.console import Page, Refused, actor, console_of, render, service_of, viewer

router = APIRouter(dependencies=[Depends(viewer)])
#: Seconds a report is shown before it is computed again (the page polls every REPORT_POLL seconds).
REPORT_TTL, REPORT_POLL = 10.0, 10
#: How long a report request waits for the first computation before answering "computing" (and polling).
FIRST_WAIT = 0.2
#: How many users of the audience the preview shows (one of them from the hold-out when it has any).
SAMPLE_USERS = 4
CHANNELS, OBJECTIVES, GENERATE = ("email", "onsite", "push"), ("purchase", "click", "revenue"), ("none", "user",
                                                                                                   "segment")
AUDIENCE_KINDS = ("segment", "expression", "user_ids")


def _campaign(request: Request, campaign_id: str) -> Campaign:
    try:
        return get_campaign(service_of(request).store, campaign_id)
    except ShopmindError:
        raise Refused(404, f"No campaign {campaign_id!r}.") from None


def delivery_context(request: Request) -> DeliveryContext:
    """The delivery context the REST API's campaign routes use (``app.state.campaign_context``: catalog,
    recommender, content service), made here when the API has not made it yet, and again when the catalog
    changed."""
    service = service_of(request)
    ctx: DeliveryContext | None = getattr(request.app.state, "campaign_context", None)
    if ctx is None or len(ctx.items) != service.store.counts()["items"]:
        ctx = context_for(service)
        request.app.state.campaign_context = ctx
    return ctx


def _report_source(request: Request, campaign_id: str) -> Refreshing[dict[str, Any]]:
    store = service_of(request).store
    sources: dict[str, Refreshing[dict[str, Any]]] = console_of(request).part("campaign_reports", dict)
    if campaign_id not in sources:
        sources[campaign_id] = Refreshing(lambda: campaign_report(store, get_campaign(store, campaign_id)),
                                          REPORT_TTL, f"campaign-{campaign_id}")
    return sources[campaign_id]


def _finite(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def report_view(campaign: Campaign, report: dict[str, Any]) -> dict[str, Any]:
    """The funnel, the conversion lift with its interval, the comparisons table and the SRM check of a report."""
    out: dict[str, Any] = {"funnel": report["funnel"], "incremental": report.get("incremental"),
                           "bandit": report.get("bandit"), "analysis": report.get("analysis") is not None}
    analysis = report.get("analysis")
    if analysis is None:
        return out
    comparisons = []
    for c in analysis["comparisons"]:
        est = c["cuped"] or c["fixed"]
        cs_low, cs_high = (_finite(v) for v in c["always_valid_ci"])
        comparisons.append({"metric": c["metric"], "cuped": c["cuped"] is not None, "effect": _finite(est["value"]),
                            "relative": _finite(est["relative"]), "low": _finite(est["ci_low"]),
                            "high": _finite(est["ci_high"]), "p": _finite(est["p_value"]), "cs_low": cs_low,
                            "cs_high": cs_high, "seq_p": _finite(c["sequential_p_value"]),
                            "significant": c["significant_fixed"], "significant_seq": c["significant_sequential"],
                            "reduction": c["variance_reduction"],
                            "bar": interval_bar(_finite(est["value"]), _finite(est["ci_low"]), _finite(est["ci_high"]),
                                                cs_low, cs_high)})
    conversion = next((c for c in comparisons if c["metric"] == "conversion"), None)
    variants = {v["variant"]: v for v in analysis["variants"]}
    out.update(comparisons=comparisons, conversion=conversion, srm=analysis["srm"], users=analysis["users"],
               variants=[{**v, "conversion": _finite(v["conversion"]),
                          "revenue_per_user": _finite(v["revenue_per_user"])} for v in variants.values()],
               primary=campaign.as_experiment().metrics[0], alpha=campaign.as_experiment().alpha)
    return out


@router.get("/admin/campaigns", response_class=HTMLResponse)
def campaigns_page(request: Request) -> HTMLResponse:
    listed = list_campaigns(service_of(request).store)[::-1]
    return render(request, "campaigns.html", campaigns=listed, form={}, **_choices())


def _choices() -> dict[str, Any]:
    return {"channels": CHANNELS, "objectives": OBJECTIVES, "generate": GENERATE, "audience_kinds": AUDIENCE_KINDS}


def _number(form: dict[str, str], name: str, default: float | None) -> float | None:
    raw = form.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise DataError(f"{name}: expected a number, got {raw!r}", field=name) from None


def _words(raw: str) -> list[str]:
    return [w.strip() for w in raw.replace("\n", ",").split(",") if w.strip()]


def document_from_form(form: dict[str, str]) -> dict[str, Any]:
    """The campaign document of the form: the JSON/YAML in ``document`` when given, else the fields (one creative,
    an optional offer)."""
    if form.get("document", "").strip():
        return load_document(form["document"], "document")
    kind = form.get("audience_kind") or "segment"
    value = form.get("audience", "").strip()
    audience: dict[str, Any] = {kind: _words(value) if kind == "user_ids" else value}
    creative: dict[str, Any] = {"creative_id": form.get("creative_id", "").strip() or "main",
                                "generate": form.get("generate") or "none",
                                "items": int(_number(form, "items", 4) or 0)}
    for part in ("subject", "headline", "body"):
        if form.get(part, "").strip():
            creative[part] = form[part].strip()
    doc: dict[str, Any] = {"campaign_id": form.get("campaign_id", "").strip(), "name": form.get("name", "").strip(),
                           "audience": audience, "objective": form.get("objective") or "purchase",
                           "channel": form.get("channel") or "email",
                           "control_share": _number(form, "control_share", 0.1),
                           "frequency_cap": {"max": int(_number(form, "cap_max", 1) or 0),
                                             "per_days": _number(form, "cap_days", 7.0)},
                           "creatives": [creative]}
    schedule = {k: form[k].strip() for k in ("start", "end") if form.get(k, "").strip()}
    if schedule:
        doc["schedule"] = schedule
    offer_kind = form.get("offer_kind") or ""
    if offer_kind:
        offer: dict[str, Any] = {"kind": offer_kind, "value": _number(form, "offer_value", None),
                                 "min_spend": _number(form, "min_spend", 0.0),
                                 "categories": _words(form.get("categories", ""))}
        if form.get("budget", "").strip():
            offer["budget"] = _number(form, "budget", None)
        doc["offer"] = offer
    return doc


@router.post("/admin/campaigns", response_class=HTMLResponse, dependencies=[Depends(actor)])
async def create(request: Request) -> Response:
    """Create a campaign; a bad field is shown in the form (422) with the field it names."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    store = service_of(request).store
    try:
        campaign = await run_in_threadpool(create_campaign, store, document_from_form(form))
    except DataError as exc:
        return render(request, "partials/campaign_form.html", status_code=422, error=str(exc),
                      error_field=exc.field, form=form, **_choices())
    return Response(status_code=200, headers={"HX-Redirect": f"/admin/campaigns/{campaign.campaign_id}"})


@router.get("/admin/campaigns/{campaign_id}", response_class=HTMLResponse)
def campaign_page(request: Request, campaign_id: str) -> HTMLResponse:
    campaign = _campaign(request, campaign_id)
    return render(request, "campaign.html", c=campaign, poll=REPORT_POLL, sample=SAMPLE_USERS)


def sample_users(campaign: Campaign, users: list[str], n: int = SAMPLE_USERS) -> list[str]:
    """``n`` users of the audience spread over it (deterministic), one of them from the hold-out when it has
    any, so the preview shows a delivery and the reason for none."""
    if len(users) <= n:
        return users
    step = len(users) / n
    chosen = [users[int(k * step)] for k in range(n)]
    if campaign.control_share > 0 and not any(in_control(campaign, u) for u in chosen):
        held = next((u for u in users if in_control(campaign, u)), None)
        if held is not None:
            chosen[-1] = held
    return chosen


@router.get("/admin/campaigns/{campaign_id}/preview", response_class=HTMLResponse)
async def preview(request: Request, campaign_id: str, user_id: str = "") -> HTMLResponse:
    """What ``GET /campaigns/{id}/deliver?dry_run=true`` answers for a few users of the audience (or the one
    asked for): creative, items and coupon, or the reason for none. Logs nothing and issues no code."""
    campaign = _campaign(request, campaign_id)
    store = service_of(request).store
    ctx = delivery_context(request)

    def work() -> list[dict[str, Any]]:
        users = [user_id.strip()] if user_id.strip() else sample_users(campaign, audience_users(store,
                                                                                               campaign.audience))
        return [deliver(store, campaign, u, ctx, log=False).as_dict() for u in users]

    try:
        deliveries = await run_in_threadpool(work)
    except ShopmindError as exc:
        raise Refused(422, f"Cannot preview {campaign_id}: {exc}") from None
    return render(request, "partials/campaign_preview.html", c=campaign, deliveries=deliveries, asked=user_id)


@router.get("/admin/campaigns/{campaign_id}/results", response_class=HTMLResponse)
def results(request: Request, campaign_id: str) -> HTMLResponse:
    """The live report (polled); "computing" while the first computation runs."""
    campaign = _campaign(request, campaign_id)
    snap = _report_source(request, campaign_id).get(timeout=FIRST_WAIT)
    if snap is None or snap.value is None:
        return render(request, "partials/campaign_results.html", c=campaign, view=None,
                      error=None if snap is None else snap.error, age=None)
    return render(request, "partials/campaign_results.html", c=campaign, view=report_view(campaign, snap.value),
                  error=None, age=snap.age())


@router.get("/admin/campaigns/{campaign_id}/confirm", response_class=HTMLResponse)
def confirm(request: Request, campaign_id: str) -> HTMLResponse:
    """The confirmation step of stopping: says what will happen, asks once more."""
    return render(request, "partials/confirm_campaign.html", c=_campaign(request, campaign_id))


@router.post("/admin/campaigns/{campaign_id}/stop", response_class=HTMLResponse, dependencies=[Depends(actor)])
def stop(request: Request, campaign_id: str) -> HTMLResponse:
    """Stop delivering (what ``POST /campaigns/{id}/stop`` does): its coupons are refused from now on; the
    delivery and redemption logs stay."""
    _campaign(request, campaign_id)
    campaign = stop_campaign(service_of(request).store, campaign_id)
    _report_source(request, campaign_id).invalidate()
    return render(request, "partials/campaign_status.html", c=campaign,
                  done=f"Stopped {campaign.campaign_id}: no more deliveries, and its coupons are refused.")


PAGE = Page("/admin/campaigns", "Campaigns", router)
