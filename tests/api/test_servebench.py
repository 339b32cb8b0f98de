"""`shopmind bench-serve`: a tiny end-to-end run against a real server process (latency, real time,
ingestion with kill -9, retrieval), and the pieces it is made of."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from shopmind.servebench import (
    ServeBenchConfig,
    ServeBenchResult,
    cpu_per_request,
    retrieval_bench,
    run_serve_bench,
    synthetic_impressions,
    synthetic_shop,
)
from shopmind.servebench import verdicts as verdict_rows


def test_synthetic_shop_has_the_requested_shape_and_clustered_histories():
    items, events = synthetic_shop(500, 40, 10, seed=1)
    assert len(items) == 500 and items["item_id"].is_unique
    assert len(events) == 400 and events["user_id"].nunique() == 40
    assert set(events["type"]) <= {"view", "add_to_cart", "purchase"}
    cats = events.merge(items, on="item_id").groupby("user_id")["category"].nunique()
    assert (cats <= 2).all()  # each shopper sticks to two categories


def test_synthetic_impressions_are_slates_whose_clicks_favour_own_categories_and_top_slots():
    items, events = synthetic_shop(2000, 400, 10, seed=3)
    shown = synthetic_impressions(items, events, 300, seed=3)
    imp = shown[shown["type"] == "impression"]
    assert len(imp) == 3000 and imp["session_id"].nunique() == 300
    assert sorted({c["position"] for c in imp["context"]}) == list(range(1, 11))
    clicks = shown[shown["type"] == "click"]
    assert set(clicks["session_id"]) <= set(imp["session_id"])
    # every click follows an impression of that item in the same session
    first = imp.groupby(["session_id", "item_id"])["timestamp"].min()
    assert all(first[(s, i)] < t for s, i, t in clicks[["session_id", "item_id", "timestamp"]].itertuples(index=False))
    own = events.merge(items, on="item_id").groupby("user_id")["category"].agg(set)
    cat = dict(zip(items["item_id"], items["category"], strict=True))
    imp = imp.assign(mine=[cat[i] in own[u] for u, i in zip(imp["user_id"], imp["item_id"], strict=True)],
                     pos=[c["position"] for c in imp["context"]])
    clicked = set(zip(clicks["session_id"], clicks["item_id"], strict=True))
    imp["clicked"] = [(s, i) in clicked for s, i in zip(imp["session_id"], imp["item_id"], strict=True)]
    rate = imp.groupby("mine")["clicked"].mean()
    assert rate[True] > 3 * rate[False]
    assert imp[imp["pos"] <= 3]["clicked"].mean() > imp[imp["pos"] >= 8]["clicked"].mean()


def test_retrieval_is_exact_and_timed_against_the_floor():
    r = retrieval_bench(5000, 16, single=3, batched=32)
    assert r["exact_match"]
    for label in ("single", "batched"):
        assert r[label]["floor_ms_per_query"] > 0 and r[label]["ratio"] > 0


def test_verdicts_compare_with_the_targets():
    res = ServeBenchResult(latency={"p50_ms": 4.0, "p99_ms": 25.0, "errors": 0},
                           ingestion={"events_per_s": 6000.0, "lost": 1})
    got = {name: ok for name, _, _, ok in verdict_rows(res)}
    assert got == {"recommend p50": True, "recommend p99": False, "recommend errors": True, "ingestion": True,
                   "lost after kill -9": False}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    cfg = ServeBenchConfig(items=400, users=60, events_per_user=8, rps=40, duration=1.0, realtime_users=5,
                           ingest_seconds=1.0, ingest_batch=50, ingest_clients=2, vectors=3000, dim=8,
                           work_dir=tmp_path_factory.mktemp("sb"))
    return run_serve_bench(cfg, say=lambda m: None)


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


def test_cli_rejects_unknown_phases_and_rankers():
    from shopmind.cli.main import app

    res = CliRunner().invoke(app, ["bench-serve", "--phases", "latency,warp"])
    assert res.exit_code == 2 and "--phases" in res.output
    res = CliRunner().invoke(app, ["bench-serve", "--ranker", "xgb"])
    assert res.exit_code == 2 and "--ranker" in res.output and "gbdt" in res.output


def test_cli_runs_the_retrieval_phase_alone(tmp_path):
    from shopmind.cli.main import app

    out = tmp_path / "r.json"
    res = CliRunner().invoke(app, ["bench-serve", "--phases", "retrieval", "--vectors", "2000", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "top-10 retrieval single" in res.output
    import json

    assert json.loads(out.read_text())["retrieval"]["vectors"] == 2000
    assert np.isfinite(json.loads(out.read_text())["retrieval"]["batched"]["ratio"])


def test_cpu_per_request_times_the_app_in_process_and_reuses_the_shop(tmp_path):
    cfg = ServeBenchConfig(items=300, users=40, events_per_user=8, work_dir=tmp_path)
    first = cpu_per_request(cfg, requests=15, say=lambda m: None)
    assert first["requests"] > 0 and first["items"] == 300
    assert 0 < first["first"]["p50_ms"] <= first["first"]["max_ms"] and first["again"]["p50_ms"] > 0
    built = (tmp_path / "bench.db").stat().st_mtime
    assert cpu_per_request(cfg, requests=5, say=lambda m: None)["requests"] > 0
    assert (tmp_path / "bench.db").stat().st_mtime == built  # the shop was reused, not rebuilt
