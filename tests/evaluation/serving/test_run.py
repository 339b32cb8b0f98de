"""`shopmind bench-serve`: a tiny end-to-end run against a real server process (latency, real time,
ingestion with kill -9, retrieval), and the pieces it is made of."""

from __future__ import annotations

import pytest

from shopmind.evaluation.serving import (
    ServeBenchConfig,
    ServeBenchResult,
    cpu_per_request,
    run_serve_bench,
)
from shopmind.evaluation.serving import verdicts as verdict_rows


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    cfg = ServeBenchConfig(items=400, users=60, events_per_user=8, rps=40, duration=1.0, realtime_users=5,
                           ingest_seconds=1.0, ingest_batch=50, ingest_clients=2, vectors=3000, dim=8,
                           work_dir=tmp_path_factory.mktemp("sb"))
    return run_serve_bench(cfg, say=lambda m: None)


def test_verdicts_compare_with_the_targets():
    res = ServeBenchResult(latency={"p50_ms": 4.0, "p99_ms": 25.0, "errors": 0},
                           ingestion={"events_per_s": 6000.0, "lost": 1})
    got = {name: ok for name, _, _, ok in verdict_rows(res)}
    assert got == {"recommend p50": True, "recommend p99": False, "recommend errors": True, "ingestion": True,
                   "lost after kill -9": False}


def test_end_to_end_against_a_real_server(tiny_run):
    res = tiny_run
    assert res.setup["items"] == 400 and res.setup["users"] == 60
    # the ranking stage is part of the measured pipeline: a CTR ranker was trained and served
    rk = res.setup["ranker"]
    assert rk["ranker"] == "lr" and rk["exposures"] > 0 and 0.0 < rk["calibration_auc"] <= 1.0
    assert res.setup["served"] == {"model": "als", "ranker": "lr"}  # what the running server reported at /ready
    assert res.latency["requests"] == 40 and res.latency["errors"] == 0
    assert 0 < res.latency["p50_ms"] <= res.latency["p99_ms"] <= res.latency["max_ms"]
    assert res.realtime["users"] == 5 and res.realtime["changed_share"] > 0
    ing = res.ingestion
    assert ing["acknowledged"] > 0 and ing["acknowledged"] % 50 == 0
    # every acknowledged event survived kill -9 of the server
    assert ing["lost"] == 0 and ing["stored_after_kill9"] == ing["acknowledged"]
    assert res.retrieval["exact_match"]
    d = res.as_dict()
    assert {"latency", "realtime", "ingestion", "retrieval", "targets", "commit"} <= set(d)


def test_cpu_per_request_times_the_app_in_process_and_reuses_the_shop(tmp_path):
    cfg = ServeBenchConfig(items=300, users=40, events_per_user=8, work_dir=tmp_path)
    first = cpu_per_request(cfg, requests=15, say=lambda m: None)
    assert first["requests"] > 0 and first["items"] == 300
    assert 0 < first["first"]["p50_ms"] <= first["first"]["max_ms"] and first["again"]["p50_ms"] > 0
    built = (tmp_path / "bench.db").stat().st_mtime
    assert cpu_per_request(cfg, requests=5, say=lambda m: None)["requests"] > 0
    assert (tmp_path / "bench.db").stat().st_mtime == built  # the shop was reused, not rebuilt
