"""The job runner: status, progress, results, failures, and forgetting old jobs."""

from __future__ import annotations

import threading

from shopmind.api.jobs import JobRunner
from shopmind.errors import ShopmindError


def test_a_job_reports_progress_then_its_result() -> None:
    runner = JobRunner()
    gate = threading.Event()
    seen: list[tuple[str, int]] = []

    def work(progress):
        progress.total(3)
        progress.advance(2)
        gate.wait(30)
        progress.advance()
        return {"answer": 42}

    job = runner.submit("demo", work)
    for _ in range(1000):  # wait until the job has reported its first progress
        doc = runner.get(job.job_id).as_dict()
        if doc["progress"]["done"] == 2:
            break
        threading.Event().wait(0.01)
    seen.append((doc["status"], doc["progress"]["done"]))
    assert doc["result"] is None and doc["progress"]["total"] == 3
    gate.set()
    done = runner.wait(job.job_id, timeout=30).as_dict()
    runner.close()
    assert seen == [("running", 2)]
    assert done["status"] == "done" and done["result"] == {"answer": 42} and done["progress"]["fraction"] == 1.0
    assert done["finished_at"] >= done["started_at"] >= done["created_at"]


def test_a_failing_job_keeps_its_error() -> None:
    runner = JobRunner()

    def work(progress):
        raise ShopmindError("no such user 'u9'")

    job = runner.submit("demo", work)
    doc = runner.wait(job.job_id, timeout=30).as_dict()
    runner.close()
    assert doc["status"] == "failed" and doc["error"] == "no such user 'u9'" and doc["result"] is None


def test_only_the_last_jobs_are_kept() -> None:
    runner = JobRunner(keep=2)
    ids = []
    for n in range(4):
        job = runner.submit("demo", lambda progress, n=n: n)
        runner.wait(job.job_id, timeout=30)
        ids.append(job.job_id)
    runner.close()
    assert runner.get(ids[0]) is None and runner.get(ids[-1]).result == 3
