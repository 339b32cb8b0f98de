"""`shopmind dp status / ledger / utility` with the runner."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from shopmind.cli.main import app
from shopmind.storage import open_store

runner = CliRunner()


@pytest.fixture()
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOPMIND_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SHOPMIND_STORE", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("SHOPMIND_DP_BUDGET", "3")
    return tmp_path / "home"


def test_status_and_ledger_show_the_spends(home) -> None:
    with open_store(f"sqlite:///{home / 'shopmind.db'}") as store:
        assert store.spend_privacy("2026-12-06", "trending:24h", 1.0, 3.0)
    r = runner.invoke(app, ["dp", "ledger", "--json"])
    assert r.exit_code == 0, r.output
    assert [(e["period"], e["query"], e["epsilon"]) for e in json.loads(r.output)] == [("2026-12-06", "trending:24h",
                                                                                       1.0)]
    r = runner.invoke(app, ["dp", "status", "--json"])
    body = json.loads(r.output)
    assert (body["enabled"], body["budget"]) == (False, 3.0)
    r = runner.invoke(app, ["dp", "ledger"])
    assert "trending:24h" in r.output and "2026-12-06: 1 spent" in r.output
    assert "differential privacy: off" in runner.invoke(app, ["dp", "status"]).output


def test_utility_on_the_store(home, tmp_path) -> None:
    r = runner.invoke(app, ["datasets", "generate", "demo-shop", "--users", "150", "--items", "60", "--days", "90"])
    assert r.exit_code == 0, r.output
    out = tmp_path / "u.json"
    r = runner.invoke(app, ["dp", "utility", "--epsilons", "1,1000", "--repeats", "2", "--query-items", "5",
                            "--max-items", "10", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "bought-together NDCG@10" in r.output
    res = json.loads(out.read_text())
    assert [e["epsilon"] for e in res["results"]] == [1.0, 1000.0]
    assert res["results"][1]["popularity_ndcg@10"]["mean"] > 0.9


def test_bad_epsilons_is_one_line_error(home) -> None:
    r = runner.invoke(app, ["dp", "utility", "--epsilons", "0,1"])
    assert r.exit_code == 2 and "epsilons" in r.output and "Traceback" not in r.output


def test_segments_release_is_paid_for_and_refused_when_spent(home, monkeypatch) -> None:
    monkeypatch.setenv("SHOPMIND_DP_BUDGET", "2000")
    with open_store(f"sqlite:///{home / 'shopmind.db'}") as store:
        store.put_segments([{"segment_id": "vip"}, {"segment_id": "new"}])
        store.put_memberships({f"u{i}": ["vip"] if i < 40 else ["new", "vip"] for i in range(100)})
    r = runner.invoke(app, ["dp", "segments", "--epsilon", "1000", "--max-segments", "2", "--json"])
    assert r.exit_code == 0, r.output
    body = json.loads(r.output)
    assert {s["segment_id"]: s["size"] for s in body["segments"]} == pytest.approx({"vip": 100, "new": 60}, abs=3)
    assert (body["sensitivity"], body["budget"]["spent"]) == (2.0, 1000.0)
    r = runner.invoke(app, ["dp", "segments", "--epsilon", "999"])
    assert r.exit_code == 0 and "noisy size" in r.output
    r = runner.invoke(app, ["dp", "segments", "--epsilon", "2"])  # 1999 + 2 > the budget of 2000
    assert r.exit_code == 2 and "privacy budget of period" in r.output and "is spent" in r.output
