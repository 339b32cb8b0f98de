"""`shopmind customers ...` through the typer runner: refresh, profile, segments, audience, clv, churn."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from fixtures.customers import SHOP_END
from shopmind.cli.main import app

runner = CliRunner()


def _json(output: str) -> object:
    return json.loads(output)


def test_refresh_profile_segments_and_audience(small_shop, tmp_path, monkeypatch):
    monkeypatch.setenv("SHOPMIND_HOME", str(tmp_path / "home"))
    store = ["--store", small_shop.url]
    res = runner.invoke(app, ["customers", "refresh", "--as-of", SHOP_END.isoformat(), "--json", *store])
    assert res.exit_code == 0, res.output
    assert _json(res.output)["mode"] == "full"
    res = runner.invoke(app, ["customers", "refresh", *store])
    assert res.exit_code == 0 and "incremental refresh: 0 profiles" in res.output
    res = runner.invoke(app, ["customers", "profile", "U00003", *store])
    assert res.exit_code == 0, res.output
    doc = _json(res.output)
    assert doc["user_id"] == "U00003" and set(doc["summary"]) == {"en", "zh"}
    res = runner.invoke(app, ["customers", "profile", "nobody", *store])
    assert res.exit_code == 2 and "unknown user id 'nobody'" in res.output
    res = runner.invoke(app, ["customers", "segments", *store])
    assert res.exit_code == 0 and "rfm:champions" in res.output and "kmeans:0" in res.output
    res = runner.invoke(app, ["customers", "segments", "topic:0", *store])
    assert res.exit_code == 0 and _json(res.output)["top_terms"]
    res = runner.invoke(app, ["customers", "audience", "--where", "stage = prospect", *store])
    out = _json(res.output)
    assert res.exit_code == 0 and out["count"] == len(out["user_ids"]) > 0
    res = runner.invoke(app, ["customers", "audience", "--where", "rfm in at_risk", *store])
    assert res.exit_code == 2 and "position 8" in res.output and "at_risk" in res.output


def test_clv_on_a_cdnow_file(cdnow_dir, tmp_path):
    plot = tmp_path / "tracking.png"
    res = runner.invoke(app, ["customers", "clv", "--data", str(cdnow_dir / "CDNOW_sample.txt"),
                              "--calibration-weeks", "39", "--json", "--plot", str(plot)])
    assert res.exit_code == 0, res.output
    out = _json(res.output)
    assert set(out) >= {"bgnbd", "gamma_gamma", "holdout", "customers"}
    assert set(out["bgnbd"]) == {"r", "alpha", "a", "b", "log_likelihood"} and out["customers"] == 2357
    assert out["holdout"]["actual"] == 1882 and plot.stat().st_size > 1000


def test_churn_on_the_store_and_explain(small_shop, tmp_path):
    store = ["--store", small_shop.url]
    res = runner.invoke(app, ["customers", "churn", "--horizon-days", "60", "--json", "--plot",
                              str(tmp_path / "rel.png"), *store])
    assert res.exit_code == 0, res.output
    out = _json(res.output)
    assert set(out) >= {"model", "recency", "bgnbd", "train_cutoff", "test_cutoff", "users"}
    assert out["train_cutoff"] < out["test_cutoff"] and (tmp_path / "rel.png").exists()
    res = runner.invoke(app, ["customers", "churn", "--explain", "U00003", *store])
    assert res.exit_code == 2 and "no churn model yet" in res.output
    runner.invoke(app, ["customers", "refresh", "--full", "--as-of", SHOP_END.isoformat(), *store])
    buyer = _json(runner.invoke(app, ["customers", "audience", "--where", "orders > 0", *store]).output)["user_ids"][0]
    res = runner.invoke(app, ["customers", "churn", "--explain", buyer, *store])
    assert res.exit_code == 0 and "churn risk" in res.output
