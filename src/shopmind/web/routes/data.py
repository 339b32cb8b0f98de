"""Data: import a file from the browser (with a progress bar), the import reports, the quarantine browser and
events by type over time (counted by the store, never read out row by row)."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pandas as pd
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from shopmind.errors import ShopmindError
from shopmind.privacy.erasure import import_guard
from shopmind.storage.base import Store
from shopmind.web.charts import line_chart
from shopmind.web.console import Console, Page, Refused, actor, console_of, render, service_of, viewer
from shopmind.web.imports import ImportJobs

logger = logging.getLogger(__name__)

router = APIRouter(dependencies=[Depends(viewer)])
#: Quarantined rows per page of the browser; import reports listed.
QUARANTINE_PAGE, REPORTS_LISTED = 50, 15
#: Bucket widths of the events chart, and how long its counts are shown before they are counted again.
BUCKETS = {"day": 86_400, "hour": 3_600}
COUNTS_TTL = 30.0


class EventCounts:
    """Events per type and bucket (``store.event_counts``), counted again in the background once older than
    ``ttl`` seconds: counting a large event log takes the database a few hundred milliseconds, which no page
    waits for except the very first (the console counts at start-up, see :func:`warm_up`)."""

    def __init__(self, store: Store, ttl: float = COUNTS_TTL) -> None:
        self.store, self.ttl = store, ttl
        self._counted: dict[int, tuple[float, pd.DataFrame]] = {}
        self._running: set[int] = set()
        self._lock = threading.Lock()

    def _count(self, bucket_seconds: int) -> tuple[float, pd.DataFrame]:
        try:
            counted = (time.time(), self.store.event_counts(bucket_seconds))
            self._counted[bucket_seconds] = counted
            return counted
        finally:
            with self._lock:
                self._running.discard(bucket_seconds)

    def _in_background(self, bucket_seconds: int) -> None:
        with self._lock:
            if bucket_seconds in self._running:
                return
            self._running.add(bucket_seconds)

        def run() -> None:
            try:
                self._count(bucket_seconds)
            except ShopmindError as exc:  # the store closed under it (shutdown): the next request counts again
                logger.debug("counting events failed: %s", exc)

        threading.Thread(target=run, name="console-event-counts", daemon=True).start()

    def get(self, bucket_seconds: int) -> tuple[float, pd.DataFrame]:
        """(when counted, the counts): the last counts at once, recounted in the background when stale."""
        hit = self._counted.get(bucket_seconds)
        if hit is None:
            with self._lock:
                self._running.add(bucket_seconds)
            return self._count(bucket_seconds)
        if time.time() - hit[0] > self.ttl:
            self._in_background(bucket_seconds)
        return hit

    def warm_up(self) -> None:
        for seconds in BUCKETS.values():
            self._in_background(seconds)


def _counts(console: Console, store: Store) -> EventCounts:
    counts: EventCounts = console.part("event_counts", lambda: EventCounts(store))
    return counts


def warm_up(app: FastAPI) -> None:
    """Count events by type once when the console starts, so the Data page never waits for it."""
    _counts(app.state.console, app.state.service.store).warm_up()


def _jobs(request: Request) -> ImportJobs:
    service = service_of(request)
    secret = getattr(request.app.state, "privacy_secret", None)
    # the same privacy edge as `shopmind import`: pseudonyms, rows of erased users skipped (with a log warning)
    guard = import_guard(service.store, secret)
    jobs: ImportJobs = console_of(request).part("imports", lambda: ImportJobs(service, guard))
    return jobs


def _quarantine(request: Request, import_id: str = "", kind: str = "", field: str = "", q: str = "",
                page: int = 1) -> dict[str, Any]:
    frame = service_of(request).store.quarantine_frame(import_id or None)
    total = len(frame)
    if kind:
        frame = frame[frame["kind"] == kind]
    if field:
        frame = frame[frame["field"] == field]
    if q:
        needle = q.lower()
        text = (frame["reason"].astype(str) + " " + frame["value"].astype(str) + " " + frame["source"].astype(str))
        frame = frame[text.str.lower().str.contains(needle, regex=False)]
    pages = max(1, -(-len(frame) // QUARANTINE_PAGE))
    page = min(max(1, page), pages)
    rows = frame.iloc[::-1].iloc[(page - 1) * QUARANTINE_PAGE: page * QUARANTINE_PAGE]  # newest first
    return {"rows": rows.to_dict("records"), "matched": len(frame), "total": total, "page": page, "pages": pages,
            "filters": {"import_id": import_id, "kind": kind, "field": field, "q": q},
            "fields": sorted(set(frame["field"].astype(str))) if total else []}


@router.get("/admin/data", response_class=HTMLResponse)
def data_page(request: Request, import_id: str = "", kind: str = "", field: str = "", q: str = "",
              page: int = 1) -> HTMLResponse:
    reports = service_of(request).store.list_imports(limit=REPORTS_LISTED)[::-1]
    return render(request, "data.html", reports=reports,
                  quarantine=_quarantine(request, import_id, kind, field, q, page))


@router.get("/admin/data/quarantine", response_class=HTMLResponse)
def quarantine(request: Request, import_id: str = "", kind: str = "", field: str = "", q: str = "",
               page: int = 1) -> HTMLResponse:
    """The quarantine table for the filters (row, field, value, reason), newest first."""
    return render(request, "partials/quarantine.html", quarantine=_quarantine(request, import_id, kind, field, q,
                                                                             page))


@router.get("/admin/data/imports/{import_id}", response_class=HTMLResponse)
def import_report(request: Request, import_id: str) -> HTMLResponse:
    """One import report (from the store's import log)."""
    found = [r for r in service_of(request).store.list_imports(limit=200) if r.get("import_id") == import_id]
    if not found:
        raise Refused(404, f"No import {import_id!r} among the newest 200.")
    return render(request, "partials/import_report.html", report=found[0])


@router.get("/admin/data/event-counts", response_class=HTMLResponse)
def event_counts(request: Request, bucket: str = "day") -> HTMLResponse:
    """Events per type over time, one point per bucket (``day`` or ``hour``: the last 72 hours)."""
    if bucket not in BUCKETS:
        raise Refused(422, f"Unknown bucket {bucket!r}: choose day or hour.")
    counted_at, frame = _counts(console_of(request), service_of(request).store).get(BUCKETS[bucket])
    if bucket == "hour" and len(frame):
        frame = frame[frame["start"] > frame["start"].max() - pd.Timedelta(hours=72)]
    chart, totals = None, []
    if len(frame):
        table = frame.pivot_table(index="start", columns="type", values="count", aggfunc="sum", fill_value=0)
        full = pd.date_range(table.index.min(), table.index.max(), freq=f"{BUCKETS[bucket]}s")
        table = table.reindex(full, fill_value=0)
        order = table.sum().sort_values(ascending=False).index
        labels = [t.strftime("%m-%d" if bucket == "day" else "%d %H:00") for t in table.index]
        chart = line_chart(labels, {str(c): table[c].astype(int).tolist() for c in order},
                           title=f"events per {bucket} by type")
        totals = [(str(c), int(table[c].sum())) for c in order]
    return render(request, "partials/event_counts.html", chart=chart, totals=totals, bucket=bucket,
                  counted_at=time.strftime("%H:%M:%S", time.gmtime(counted_at)))


@router.post("/admin/data/import", response_class=HTMLResponse, dependencies=[Depends(actor)])
async def start_import(request: Request) -> HTMLResponse:
    """Start importing the uploaded file (the actor guard checks the write scope and the CSRF token first)."""
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise Refused(422, "Choose a file to import (CSV, TSV, JSON Lines or Parquet with canonical columns).")
    job = await run_in_threadpool(_jobs(request).start, upload.filename, upload.file)
    return render(request, "partials/import_progress.html", job=job)


@router.get("/admin/data/import/{job_id}", response_class=HTMLResponse)
def import_progress(request: Request, job_id: str) -> HTMLResponse:
    """Progress of a browser import (polled by the page until it is done)."""
    job = _jobs(request).get(job_id)
    if job is None:
        raise Refused(404, f"No import job {job_id!r} (jobs are kept while the server runs).")
    return render(request, "partials/import_progress.html", job=job)


PAGE = Page("/admin/data", "Data", router, startup=warm_up)
