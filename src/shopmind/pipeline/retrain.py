"""Background retraining: fit a new model version on everything in the store, then swap it in.

A retrain runs in a worker thread while the service keeps answering with the active version; the new
version is saved as an artifact (when a models directory is configured) and activated with one reference
swap (:meth:`RecommendationService.swap_model`), so no request fails or sees half a model. One retrain runs
at a time; jobs are listed with their state (``queued``, ``running``, ``done``, ``failed``), timings,
the new version and, on failure, the error. ``every`` seconds > 0 repeats the retrain on a timer.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from shopmind.errors import ShopmindError
from shopmind.models import create
from shopmind.models.base import mark_active
from shopmind.storage import load_interactions

logger = logging.getLogger(__name__)


@dataclass
class RetrainJob:
    job_id: str
    model: str
    params: dict[str, Any]
    state: str = "queued"
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    interactions: int | None = None
    version: str | None = None
    artifact: str | None = None
    error: str | None = None

    def info(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("created_at", "started_at", "finished_at"):
            if out[key] is not None:
                out[key] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(out[key]))
        if self.started_at is not None and self.finished_at is not None:
            out["seconds"] = round(self.finished_at - self.started_at, 3)
        return out


class Retrainer:
    """Runs :class:`RetrainJob` s for one service (see the module docs)."""

    def __init__(self, service: Any, models_dir: Path | None = None, keep_jobs: int = 50) -> None:
        self.service = service
        self.models_dir = models_dir
        self.keep_jobs = keep_jobs
        self.jobs: dict[str, RetrainJob] = {}
        self._lock = threading.Lock()
        self._running: RetrainJob | None = None
        self._timer: threading.Thread | None = None
        self._stop = threading.Event()

    def start(self, model: str, params: dict[str, Any] | None = None) -> RetrainJob:
        """Queue a retrain of ``model`` (a registered name) with ``params``; raises ShopmindError if one is
        already running or the parameters are invalid (checked before any work starts)."""

        params = dict(params or {})
        create(model, **params).validate_params()  # unknown name / bad parameter: fail now, by name
        with self._lock:
            if self._running is not None:
                raise ShopmindError(f"a retrain is already running (job {self._running.job_id}, "
                                    f"model {self._running.model})")
            job = RetrainJob(uuid.uuid4().hex[:12], model, params)
            self._running = job
            self.jobs[job.job_id] = job
            while len(self.jobs) > self.keep_jobs:
                self.jobs.pop(next(iter(self.jobs)))
        threading.Thread(target=self._run, args=(job,), name=f"retrain-{job.job_id}", daemon=True).start()
        return job

    def _run(self, job: RetrainJob) -> None:
        job.state, job.started_at = "running", time.time()
        try:
            # erased users' events are gone from the store, so a retrain never sees them again
            config = self.service.config
            data = load_interactions(self.service.store, event_weights=config.event_weights,
                                     rating_threshold=config.negative_rating_threshold).first_touch()
            job.interactions = len(data)
            model = create(job.model, **job.params).fit(data)
            source = "retrain"
            if self.models_dir is not None:
                stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
                path = model.save(Path(self.models_dir) / f"{job.model}-{stamp}-{job.job_id[:6]}")
                job.artifact = source = str(path)
            job.version = self.service.swap_model(model, source=source)["version"]
            if self.models_dir is not None and job.artifact is not None:
                mark_active(self.models_dir, job.artifact)  # a restarted server serves this version
            job.state = "done"
            logger.info("retrain %s: %s on %d interactions -> version %s", job.job_id, job.model,
                        job.interactions, job.version)
        except Exception as exc:  # a failed retrain must never take the server down
            job.state, job.error = "failed", f"{type(exc).__name__}: {exc}"
            logger.exception("retrain %s failed", job.job_id)
        finally:
            job.finished_at = time.time()
            with self._lock:
                self._running = None

    def every(self, seconds: float, model: str, params: dict[str, Any] | None = None) -> None:
        """Retrain ``model`` every ``seconds`` in the background (a running retrain is not doubled)."""
        if seconds <= 0:
            raise ShopmindError(f"retrain interval must be > 0 seconds, got {seconds}")

        def loop() -> None:
            while not self._stop.wait(seconds):
                try:
                    self.start(model, params)
                except ShopmindError as exc:
                    logger.warning("scheduled retrain skipped: %s", exc)

        self._timer = threading.Thread(target=loop, name="retrain-timer", daemon=True)
        self._timer.start()

    def stop(self) -> None:
        self._stop.set()

    def list(self) -> list[dict[str, Any]]:
        return [j.info() for j in reversed(list(self.jobs.values()))]

    def get(self, job_id: str) -> RetrainJob | None:
        return self.jobs.get(job_id)
