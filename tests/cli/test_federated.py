"""`shopmind federated simulate` with the runner, on a small generated shop."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from shopmind.cli.main import app

runner = CliRunner()


def test_simulate_json_and_table(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SHOPMIND_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SHOPMIND_STORE", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    r = runner.invoke(app, ["datasets", "generate", "demo-shop", "--users", "150", "--items", "60", "--days", "90"])
    assert r.exit_code == 0, r.output
    out = tmp_path / "fed.json"
    r = runner.invoke(app, ["federated", "simulate", "--clients", "users", "--factors", "8", "--rounds", "5",
                            "--secure-aggregation", "--json", "--out", str(out)])
    assert r.exit_code == 0, r.output
    res = json.loads(r.output)
    assert res["params"]["secure_aggregation"] is True and res["federated"]["bytes_per_round"]["up"] > 0
    assert res["protocol"]["test_users"] > 0 and res["als"]["ndcg@10"] >= 0
    assert json.loads(out.read_text())["federated"]["ndcg@10"] == res["federated"]["ndcg@10"]
    r = runner.invoke(app, ["federated", "simulate", "--factors", "8", "--rounds", "3", "--no-als"])
    assert r.exit_code == 0 and "bytes per round" in r.output and "centralised ALS" not in r.output
    r = runner.invoke(app, ["federated", "simulate", "--clients", "sessions"])
    assert r.exit_code == 2 and "'users'" in r.output
