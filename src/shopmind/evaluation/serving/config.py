"""What ``shopmind bench-serve`` runs (sizes, rates, phases) and what it measured."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shopmind import __version__
from shopmind.evaluation.provenance import git_commit

TARGETS = {"p50_ms": 5.0, "p99_ms": 20.0, "events_per_s": 5000.0, "realtime_ms": 100.0, "retrieval_ratio": 2.0}


@dataclass
class ServeBenchConfig:
    items: int = 100_000
    users: int = 20_000
    events_per_user: int = 20
    rps: float = 200.0
    duration: float = 60.0
    realtime_users: int = 50
    ingest_seconds: float = 10.0
    ingest_batch: int = 1000
    ingest_clients: int = 4
    vectors: int = 1_000_000
    dim: int = 64
    #: Approximate index the retrieval phase measures against exact ("hnsw", "ivf"), or None.
    ann: str | None = "hnsw"
    seed: int = 0
    #: Shoppers with one impression session each (10 slots), the CTR ranker's training log.
    impression_users: int = 5_000
    #: CTR ranker of the ranking stage (``lr``, ``fm``, ``gbdt``) or None for candidates + re-ranking only.
    ranker: str | None = "lr"
    work_dir: Path | None = None
    #: Worker counts of the ``scale`` phase (``serve --workers N --state STATE``) and the shared state's URL.
    workers: tuple[int, ...] = ()
    state: str | None = None
    #: Seconds of each step of the ``scale`` phase's search for the highest rate at p99 <= 20 ms.
    rate_step_seconds: float = 8.0
    #: Rate steps of that search: x1.4 up from 100 req/s (10 steps reach 2,066), then bisection.
    rate_steps: int = 14
    #: A server per worker count at once, their rate searches taking turns (``scale.interleaved_max_rates``).
    interleave: bool = True


@dataclass
class ServeBenchResult:
    setup: dict[str, Any] = field(default_factory=dict)
    latency: dict[str, Any] = field(default_factory=dict)
    realtime: dict[str, Any] = field(default_factory=dict)
    ingestion: dict[str, Any] = field(default_factory=dict)
    retrieval: dict[str, Any] = field(default_factory=dict)
    scale: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"setup": self.setup, "latency": self.latency, "realtime": self.realtime,
                "ingestion": self.ingestion, "retrieval": self.retrieval,
                **({"scale": self.scale} if self.scale else {}), "targets": TARGETS,
                "shopmind_version": __version__, "commit": git_commit(), "cpus": os.cpu_count()}
