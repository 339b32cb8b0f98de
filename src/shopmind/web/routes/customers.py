"""Customers: the RFM grid, the segments with their descriptions, the distributions of predicted 12-month value
and churn risk, and an audience builder that counts the audience as the expression is typed.

Everything comes from what ``shopmind customers refresh`` stored, read as the API reads it: the segments as
``GET /segments`` (``store.list_segments``), the profiles as ``POST /audiences`` (``store.profiles_frame`` as an
:func:`~shopmind.customers.audience.audience_frame`, matched by the same parsed expression). The profile table is
kept in memory and read again in the background every :data:`PROFILES_TTL` seconds, so typing an expression
costs a parse and a vectorised match, not a read of every profile.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse

from shopmind.customers.audience import FIELDS, AudienceError, audience_frame, parse
from shopmind.customers.config import CustomerSettings
from shopmind.customers.refresh import refresh
from shopmind.errors import ShopmindError
from shopmind.pipeline.service import RecommendationService
from shopmind.storage.base import Store
from shopmind.web.cache import Refreshing
from shopmind.web.charts import histogram, nice_max
from shopmind.web.console import Console, Page, Refused, actor, console_of, render, service_of, viewer

logger = logging.getLogger(__name__)

router = APIRouter(dependencies=[Depends(viewer)])
#: Seconds the profile table is shown before it is read again (in the background).
PROFILES_TTL = 30.0
#: How long the first request waits for the profile table (later ones never wait).
FIRST_WAIT = 60.0
#: Users listed under an audience's count.
SAMPLE = 12
#: Cell colours of the RFM grid, one per named group in the order the rules list them.
GROUP_COLOURS = ("#1b7a3d", "#4f9a5e", "#86bf72", "#b8dca0", "#d8ecc6", "#f3e3a0", "#f5c77e", "#e8916b",
                 "#d0604f", "#b5434b", "#8e2f3f", "#cccccc")
EXAMPLES = ("rfm in (at_risk, cannot_lose) and clv_12m > 100", "stage = active and churn_risk > 0.5",
            "segment = kmeans:0", "orders >= 3 and recency_days < 30")


@dataclass(frozen=True)
class CustomerTable:
    """Every profile as one flat row (the frame audiences are matched on) and when profiles were last written."""

    frame: pd.DataFrame
    updated: pd.Timestamp | None


def read_table(store: Store) -> CustomerTable:
    profiles = store.profiles_frame()
    updated = pd.Timestamp(profiles["updated_at"].max()) if len(profiles) else None
    return CustomerTable(audience_frame(profiles), updated)


def table_source(console: Console, store: Store) -> Refreshing[CustomerTable]:
    source: Refreshing[CustomerTable] = console.part(
        "customers", lambda: Refreshing(lambda: read_table(store), PROFILES_TTL, "customer-table"))
    return source


def table_of(request: Request) -> CustomerTable:
    snap = table_source(console_of(request), service_of(request).store).get(timeout=FIRST_WAIT)
    if snap is None or snap.value is None:
        raise Refused(503, f"The customer profiles could not be read: {snap.error if snap else 'timed out'}.")
    return snap.value


def warm_up(app: FastAPI) -> None:
    """Read the profile table once when the console starts, so the Customers page never waits for it."""
    table_source(app.state.console, app.state.service.store).peek()


class ProfileRefresh:
    """``shopmind customers refresh`` started from the page: one at a time, in a background thread, with the
    serving model for the categories each shopper is likely to buy next; when it is done the profile table is
    read again."""

    def __init__(self, service: RecommendationService, table: Refreshing[CustomerTable]) -> None:
        self.service, self.table = service, table
        self.state, self.full = "idle", False
        self.started: float | None = None
        self.seconds: float | None = None
        self.report: dict[str, Any] | None = None
        self.error: str | None = None
        self._lock = threading.Lock()

    def start(self, full: bool) -> bool:
        """Start a refresh (False when one is running)."""
        with self._lock:
            if self.state == "running":
                return False
            self.state, self.full, self.started, self.report, self.error = "running", full, time.time(), None, None
        threading.Thread(target=self._run, name="console-customers-refresh", daemon=True).start()
        return True

    def _run(self) -> None:
        bundle = self.service.versions.active
        try:
            report = refresh(self.service.store, CustomerSettings(), full=self.full,
                             recommender=bundle.model if bundle is not None else None)
            self.report, self.state = report.as_dict(), "done"
        except ShopmindError as exc:
            self.error, self.state = str(exc), "failed"
        except Exception as exc:  # a bug: shown, logged with its traceback
            logger.exception("customers refresh from the console failed")
            self.error, self.state = f"{type(exc).__name__}: {exc}", "failed"
        finally:
            self.seconds = time.time() - (self.started or time.time())
            self.table.invalidate()


def refresh_of(request: Request) -> ProfileRefresh:
    service = service_of(request)
    table = table_source(console_of(request), service.store)
    job: ProfileRefresh = console_of(request).part("customers_refresh", lambda: ProfileRefresh(service, table))
    return job


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.zeros(0)
    values = np.asarray(pd.to_numeric(frame[column], errors="coerce"), dtype=np.float64)
    return np.asarray(values[np.isfinite(values)])


def rfm_grid(frame: pd.DataFrame, segments: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Rows R = 5 (bought recently) down to 1, columns FM = 1 to 5: customers per cell and the named group whose
    rule covers it (from the stored RFM segments, so a shop's own rules show)."""
    rules = [s for s in segments if s.get("kind") == "rfm" and isinstance(s.get("rule"), dict)]
    counts = np.zeros((5, 5), dtype=np.int64)
    if len(frame) and "rfm_r" in frame:
        r = pd.to_numeric(frame["rfm_r"], errors="coerce").to_numpy(np.float64)
        f = pd.to_numeric(frame["rfm_f"], errors="coerce").to_numpy(np.float64)
        m = pd.to_numeric(frame["rfm_m"], errors="coerce").to_numpy(np.float64)
        ok = np.isfinite(r) & np.isfinite(f) & np.isfinite(m)
        fm = np.floor((f[ok] + m[ok]) / 2 + 0.5).astype(np.int64)  # as shopmind.customers.rfm scores FM
        np.add.at(counts, (np.clip(r[ok].astype(np.int64), 1, 5) - 1, np.clip(fm, 1, 5) - 1), 1)
    total = int(counts.sum())
    grid = []
    for r_score in range(5, 0, -1):
        row = []
        for fm_score in range(1, 6):
            k = next((i for i, s in enumerate(rules) if s["rule"]["r"][0] <= r_score <= s["rule"]["r"][1]
                      and s["rule"]["fm"][0] <= fm_score <= s["rule"]["fm"][1]), None)
            group = rules[k] if k is not None else None
            n = int(counts[r_score - 1, fm_score - 1])
            row.append({"r": r_score, "fm": fm_score, "count": n, "share": n / total if total else 0.0,
                        "group": group["segment_id"].removeprefix("rfm:") if group else None,
                        "label": group.get("name") if group else "",
                        "colour": GROUP_COLOURS[k % len(GROUP_COLOURS)] if k is not None else "#eeeeee"})
        grid.append(row)
    return grid


def _top(mix: Any, n: int = 2) -> list[tuple[str, float]]:
    if not isinstance(mix, dict):
        return []
    return sorted(((str(k), float(v)) for k, v in mix.items()), key=lambda kv: -kv[1])[:n]


def describe(segment: dict[str, Any]) -> dict[str, Any]:
    """What the page says about a segment: how it is defined, what is over-represented in it, its mix and value."""
    lift = segment.get("lift") or {}
    kind = segment.get("kind")
    if kind == "rfm" and isinstance(segment.get("rule"), dict):
        rule = segment["rule"]
        defined = f"R {rule['r'][0]}-{rule['r'][1]}, FM {rule['fm'][0]}-{rule['fm'][1]}"
    elif kind == "topic":
        defined = "LDA topic: " + ", ".join(str(t["term"]).split(":", 1)[-1] for t in
                                             (segment.get("top_terms") or [])[:4])
    elif kind == "kmeans":
        defined = f"k-means on {segment.get('representation', 'interests')} (silhouette {segment.get('silhouette')})"
    else:
        defined = str(kind)
    return {"segment_id": segment.get("segment_id"), "kind": kind, "name": segment.get("name"),
            "name_zh": segment.get("name_zh"), "size": int(segment.get("size") or 0),
            "share": float(segment.get("share") or 0.0), "defined": defined,
            "lift": {k: [(t["tag"], t["lift"]) for t in (lift.get(k) or [])[:2]]
                     for k in ("category", "brand", "price_band")},
            "rfm_mix": _top(segment.get("rfm_mix")), "stage_mix": _top(segment.get("stage_mix")),
            "value": segment.get("value") or {}}


def distributions(frame: pd.DataFrame) -> dict[str, Any]:
    """Tiles and the two histograms (customers: profiles with at least one order)."""
    orders = _numbers(frame, "orders")
    clv, risk = _numbers(frame, "clv_12m"), _numbers(frame, "churn_risk")
    top = nice_max(float(np.quantile(clv, 0.95))) if len(clv) else 1.0
    clv_edges = [top * i / 10 for i in range(10)] + [math.inf]
    return {
        "profiles": len(frame), "customers": int((orders > 0).sum()),
        "clv_mean": float(clv.mean()) if len(clv) else None, "clv_median": float(np.median(clv)) if len(clv) else None,
        "at_risk": float((risk >= 0.5).mean()) if len(risk) else None,
        "clv_chart": histogram(clv.tolist(), clv_edges, label_format="{:,.0f}",
                               title="Customers by predicted 12-month value") if len(clv) else None,
        "churn_chart": histogram(risk.tolist(), [i / 10 for i in range(11)], label_format="{:.0%}",
                                 title="Customers by churn risk", colour="#D55E00") if len(risk) else None,
    }


def audience(frame: pd.DataFrame, where: str) -> dict[str, Any]:
    """The audience of ``where`` on the profile frame, as ``POST /audiences`` computes it: count, share and some
    of its users; or the parse error with its position."""
    where = where.strip()
    if not where:
        return {"where": where, "count": None, "error": None}
    try:
        parsed = parse(where)
    except AudienceError as exc:
        return {"where": where, "count": None, "error": str(exc), "position": exc.position}
    if frame.empty:
        return {"where": where, "count": 0, "share": 0.0, "users": [], "error": None}
    users = sorted(frame.loc[parsed.mask(frame), "user_id"].astype(str).tolist())
    return {"where": where, "count": len(users), "share": len(users) / len(frame), "users": users[:SAMPLE],
            "error": None}


@router.get("/admin/customers", response_class=HTMLResponse)
def customers_page(request: Request, where: str = "") -> HTMLResponse:
    table = table_of(request)
    segments = service_of(request).store.list_segments()
    return render(request, "customers.html", updated=table.updated, job=refresh_of(request),
                  grid=rfm_grid(table.frame, segments),
                  segments=[describe(s) for s in segments], figures=distributions(table.frame),
                  aud=audience(table.frame, where), examples=EXAMPLES, fields=FIELDS)


@router.get("/admin/customers/audience", response_class=HTMLResponse)
def audience_size(request: Request, where: str = "") -> HTMLResponse:
    """The audience's size as the expression is typed."""
    return render(request, "partials/audience.html", aud=audience(table_of(request).frame, where))


@router.post("/admin/customers/refresh", response_class=HTMLResponse, dependencies=[Depends(actor)])
def start_refresh(request: Request, full: Annotated[str, Form()] = "") -> HTMLResponse:
    """Start ``shopmind customers refresh`` (``--full`` when asked); the answer polls its state."""
    job = refresh_of(request)
    if not job.start(full=bool(full)):
        raise Refused(409, "A refresh is already running.")
    return render(request, "partials/customers_refresh.html", job=job)


@router.get("/admin/customers/refresh", response_class=HTMLResponse)
def refresh_state(request: Request) -> HTMLResponse:
    return render(request, "partials/customers_refresh.html", job=refresh_of(request))


PAGE = Page("/admin/customers", "Customers", router, startup=warm_up)
