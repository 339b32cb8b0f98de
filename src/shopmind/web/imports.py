"""File imports from the browser: read the uploaded file, import it through the service in parts, show progress.

A job runs in a worker thread. The file is read once (any format :func:`shopmind.data.loaders.read` knows);
its items, users and then events go to :meth:`RecommendationService.import_result` in parts of
:data:`PART_ROWS` rows - the same validation, quarantine and live update as the REST API's batch writes -
all under one import id, so the quarantine keeps the file's row numbers and the import log one report, the
sum of the parts. Progress is the share of rows done.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shopmind.data.loaders import ReadResult, read
from shopmind.errors import ShopmindError
from shopmind.ingest import ImportReport, KindCounts, new_import_id
from shopmind.pipeline.service import RecommendationService

logger = logging.getLogger(__name__)

#: Rows per part of an import (each part is one call of the service: progress moves part by part).
PART_ROWS = 20_000
#: Jobs remembered for the page (the newest).
KEEP_JOBS = 20


@dataclass
class ImportJob:
    """One browser import: its state (``reading``, ``importing``, ``done``, ``failed``) and progress."""

    job_id: str
    filename: str
    import_id: str
    state: str = "reading"
    rows_total: int = 0
    rows_done: int = 0
    started: float = field(default_factory=time.time)
    finished: float | None = None
    report: ImportReport | None = None
    error: str | None = None

    @property
    def percent(self) -> int:
        if self.state == "done":
            return 100
        return int(100 * self.rows_done / self.rows_total) if self.rows_total else 0

    @property
    def running(self) -> bool:
        return self.state in ("reading", "importing")

    @property
    def seconds(self) -> float:
        return round((self.finished or time.time()) - self.started, 1)


def parts(result: ReadResult, rows: int = PART_ROWS) -> Iterator[tuple[ReadResult, int]]:
    """``result`` cut into results of at most ``rows`` rows of one kind (items, then users, then events), with
    the rows each holds; the rows the reader could not parse ride with the first part."""
    rejects = list(result.rejects)
    for kind in ("items", "users", "events"):
        frame = getattr(result, kind)
        if frame is None:
            continue
        for start in range(0, max(len(frame), 1), rows):
            piece = frame.iloc[start:start + rows]
            yield ReadResult(source=result.source, format=result.format, rejects=rejects,
                             **{kind: piece}), len(piece)
            rejects = []
    if rejects:
        yield ReadResult(source=result.source, format=result.format, rejects=rejects), 0


def _add_counts(total: KindCounts, part: KindCounts) -> None:
    for name in ("read", "accepted", "rejected", "inserted", "updated", "unchanged", "duplicates"):
        setattr(total, name, getattr(total, name) + getattr(part, name))


def combine(reports: list[ImportReport]) -> ImportReport:
    """One report for the parts of one import: counts added, reject groups merged (their first examples)."""
    first = reports[0]
    total = ImportReport(import_id=first.import_id, source=first.source, format=first.format,
                         started_at=first.started_at, default_timezone=first.default_timezone)
    groups: dict[tuple[str, str, str], Any] = {}
    for report in reports:
        for kind in ("event", "item", "user"):
            _add_counts(total.counts(kind), report.counts(kind))
        for g in report.reject_groups:
            have = groups.get((g.kind, g.field, g.reason))
            if have is None:
                groups[(g.kind, g.field, g.reason)] = have = type(g)(g.kind, g.field, g.reason)
                total.reject_groups.append(have)
            have.count += g.count
            have.examples.extend(g.examples[: max(0, 5 - len(have.examples))])
        for kind, cols in report.ignored_columns.items():
            total.ignored_columns[kind] = sorted({*total.ignored_columns.get(kind, []), *cols})
        total.seconds = round(total.seconds + report.seconds, 3)
    return total


class ImportJobs:
    """The browser imports of one console (see the module docs)."""

    def __init__(self, service: RecommendationService,
                 prepare: Callable[[ReadResult], ReadResult] | None = None) -> None:
        self.service = service
        #: Applied to what was read before it is imported (pseudonyms, erased users skipped).
        self.prepare = prepare
        self.jobs: dict[str, ImportJob] = {}
        self._lock = threading.Lock()

    def start(self, filename: str, upload: Any) -> ImportJob:
        """Copy the uploaded file object (``upload.read``) to a temporary file named like the upload (formats
        are recognised by name) and import it in the background."""
        name = Path(filename or "upload.csv").name or "upload.csv"
        folder = Path(tempfile.mkdtemp(prefix="shopmind-import-"))
        path = folder / name
        with path.open("wb") as out:
            shutil.copyfileobj(upload, out, length=1 << 20)
        job = ImportJob(uuid.uuid4().hex[:12], name, new_import_id())
        with self._lock:
            self.jobs[job.job_id] = job
            while len(self.jobs) > KEEP_JOBS:
                self.jobs.pop(next(iter(self.jobs)))
        threading.Thread(target=self._run, args=(job, path), name=f"import-{job.job_id}", daemon=True).start()
        return job

    def get(self, job_id: str) -> ImportJob | None:
        return self.jobs.get(job_id)

    def _run(self, job: ImportJob, path: Path) -> None:
        try:
            result = read(path)
            result.source = job.filename
            if self.prepare is not None:
                result = self.prepare(result)
            counts = [n for n in (len(f) for f in (result.items, result.users, result.events) if f is not None)]
            job.rows_total, job.state = sum(counts) + len(result.rejects), "importing"
            reports = []
            for piece, rows in parts(result):
                reports.append(self.service.import_result(piece, import_id=job.import_id))
                job.rows_done += rows + len(piece.rejects)
            job.report = combine(reports)
            self.service.store.record_import(job.report.to_dict())
            job.state = "done"
            logger.info("console import of %s: %s", job.filename, job.report.summary())
        except ShopmindError as exc:
            job.state, job.error = "failed", str(exc)
        except Exception as exc:  # a failed import must never take the server down; the page shows why
            job.state, job.error = "failed", f"{type(exc).__name__}: {exc}"
            logger.exception("console import %s failed", job.job_id)
        finally:
            job.finished = time.time()
            shutil.rmtree(path.parent, ignore_errors=True)
