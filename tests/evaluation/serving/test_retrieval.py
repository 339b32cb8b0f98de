"""`shopmind bench-serve`: a tiny end-to-end run against a real server process (latency, real time,
ingestion with kill -9, retrieval), and the pieces it is made of."""

from __future__ import annotations

from shopmind.evaluation.serving import (
    retrieval_bench,
)


def test_retrieval_is_exact_and_timed_against_the_floor():
    r = retrieval_bench(5000, 16, single=3, batched=32)
    assert r["exact_match"]
    for label in ("single", "batched"):
        assert r[label]["floor_ms_per_query"] > 0 and r[label]["ratio"] > 0
