"""Work that takes longer than a request allows, run in the background: a small job runner.

A job is a function that takes a :class:`Progress` and returns a JSON-able result. ``submit`` answers at once
with the job's id; ``GET /jobs/{id}`` shows its status (``queued``, ``running``, ``done``, ``failed``), its
progress (``done`` of ``total``) and, when done, its result. Jobs run one at a time on one worker thread (the
machine is small; a second generation job would only slow the first) and finished jobs are kept, newest
first, up to ``keep``; a job that raised keeps its error message.

>>> runner = JobRunner(keep=10)
>>> job = runner.submit("demo", lambda progress: progress.total(2) or progress.advance(2) or {"x": 1})
>>> runner.wait(job.job_id, timeout=10).status
'done'
>>> runner.get(job.job_id).as_dict()["result"]
{'x': 1}
>>> runner.close()
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from shopmind.errors import ShopmindError, check_int

log = logging.getLogger(__name__)

Status = Literal["queued", "running", "done", "failed"]


@dataclass
class Job:
    """One background job and what it has done so far."""

    job_id: str
    kind: str
    status: Status = "queued"
    done: int = 0
    total: int | None = None
    result: Any = None
    error: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    started_at: datetime | None = None
    finished_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON of ``GET /jobs/{id}``."""
        return {"job_id": self.job_id, "kind": self.kind, "status": self.status,
                "progress": {"done": self.done, "total": self.total,
                             "fraction": None if not self.total else round(self.done / self.total, 4)},
                "result": self.result if self.status == "done" else None, "error": self.error,
                "created_at": self.created_at.isoformat(),
                "started_at": self.started_at.isoformat() if self.started_at else None,
                "finished_at": self.finished_at.isoformat() if self.finished_at else None}


class Progress:
    """What a running job reports through: how much there is and how much is done."""

    def __init__(self, job: Job, lock: threading.Lock) -> None:
        self._job = job
        self._lock = lock

    @classmethod
    def silent(cls) -> Progress:
        """A progress that nobody reads (work run inline, not as a job)."""
        return cls(Job(job_id="", kind="inline"), threading.Lock())

    def total(self, n: int) -> None:
        with self._lock:
            self._job.total = n

    def advance(self, n: int = 1) -> None:
        with self._lock:
            self._job.done += n


class JobRunner:
    """Runs jobs on one background thread and keeps the last ``keep`` of them (see the module docstring)."""

    def __init__(self, keep: int = 200) -> None:
        check_int("JobRunner", "keep", keep, low=1)
        self.keep = keep
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._done: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shopmind-job")

    def submit(self, kind: str, work: Callable[[Progress], Any]) -> Job:
        """Queue ``work``; returns the job (status ``queued``)."""
        job = Job(job_id=uuid.uuid4().hex, kind=kind)
        with self._lock:
            self._jobs[job.job_id] = job
            self._done[job.job_id] = threading.Event()
            self._trim()
        self._pool.submit(self._run, job, work)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """Block until the job has finished (or ``timeout`` seconds passed); returns it as it is then."""
        event = self._done.get(job_id)
        if event is None:
            raise ShopmindError(f"unknown job {job_id!r}")
        event.wait(timeout)
        job = self.get(job_id)
        if job is None:
            raise ShopmindError(f"job {job_id!r} is no longer kept")
        return job

    def close(self) -> None:
        """Stop taking jobs; queued ones are dropped, a running one finishes."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self, job: Job, work: Callable[[Progress], Any]) -> None:
        with self._lock:
            job.status, job.started_at = "running", datetime.now(UTC)
        try:
            result = work(Progress(job, self._lock))
        except Exception as e:  # a job's failure is its result: GET /jobs/{id} reports it
            log.warning("job %s (%s) failed: %s", job.job_id, job.kind, e, exc_info=not isinstance(e, ShopmindError))
            with self._lock:
                job.status, job.error = "failed", str(e) or type(e).__name__
        else:
            with self._lock:
                job.status, job.result = "done", result
        finally:
            with self._lock:
                job.finished_at = datetime.now(UTC)
            event = self._done.get(job.job_id)
            if event is not None:
                event.set()

    def _trim(self) -> None:
        """Forget the oldest finished jobs beyond ``keep`` (queued and running ones are never dropped)."""
        excess = len(self._jobs) - self.keep
        for job_id in [j.job_id for j in self._jobs.values() if j.status in ("done", "failed")][:max(excess, 0)]:
            del self._jobs[job_id]
            self._done.pop(job_id, None)
