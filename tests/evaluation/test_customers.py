"""The customers benchmark end to end at a toy size (its own store, a child API server), and the plots."""

from __future__ import annotations

import pandas as pd

from shopmind.evaluation.customers import bench_shop, plot_reliability, plot_tracking, run_customers_bench


def test_bench_shop_is_a_valid_log():
    items, users, events = bench_shop(200, 3000, n_items=80, days=60, end=pd.Timestamp("2026-01-01", tz="UTC"))
    assert len(users) == 200 and len(events) == 3000 and events["event_id"].is_unique
    buys = events[events["type"] == "purchase"]
    assert all(c["revenue"] > 0 for c in buys["context"]) and events["timestamp"].max() <= pd.Timestamp(
        "2026-01-01", tz="UTC")
    assert events.loc[events["type"] == "search", "item_id"].isna().all()


def test_run_customers_bench_at_a_toy_size(tmp_path):
    said = []
    res = run_customers_bench(tmp_path, users=300, events=6000, new_events=200, requests=30, say=said.append)
    assert res["full_refresh"]["users"] == 300 and res["incremental_refresh"]["mode"] == "incremental"
    assert 0 < res["incremental_refresh"]["users"] <= 200
    assert res["profile_get"]["requests"] == 30 and res["profile_get"]["p99_ms"] > 0
    assert set(res["met"]) == {"full_refresh", "incremental_refresh", "profile_get"} and len(said) == 5


def test_plots_are_written(tmp_path):
    curve = pd.DataFrame({"week": [1, 2, 3], "actual": [1.0, 3.0, 4.0], "predicted": [1.5, 2.5, 4.2]})
    assert plot_tracking(curve, tmp_path / "t.png", 2).stat().st_size > 1000
    cal = {"model": {"bins": [{"predicted": 0.2, "observed": 0.25}, {"predicted": 0.8, "observed": 0.7}],
                     "ece": 0.05}}
    assert plot_reliability(cal, tmp_path / "r.png").stat().st_size > 1000
