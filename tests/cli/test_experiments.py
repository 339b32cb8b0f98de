"""`shopmind experiments ...` end to end on a temporary store."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from shopmind.cli.main import app

runner = CliRunner()


def test_simulate_aa_prints_exactly_the_specified_json(monkeypatch) -> None:
    r = runner.invoke(app, ["experiments", "simulate", "--aa", "--runs", "50", "--days", "5",
                            "--users-per-day", "100", "--json"])
    assert r.exit_code == 0, r.output
    assert set(json.loads(r.output)) == {"sequential_false_positive_rate", "naive_peeking_false_positive_rate",
                                         "fixed_horizon_false_positive_rate", "runs"}


def test_create_list_report_stop_and_srm(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SHOPMIND_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SHOPMIND_STORE", raising=False)
    doc = tmp_path / "exp.yaml"
    doc.write_text("experiment_id: hero\nsurface: home\nvariants:\n  - name: control\n  - name: new\n")
    assert runner.invoke(app, ["experiments", "create", str(doc)]).exit_code == 0
    again = runner.invoke(app, ["experiments", "create", str(doc)])
    assert again.exit_code == 2 and "experiment_id" in again.output
    listed = json.loads(runner.invoke(app, ["experiments", "list", "--json"]).output)
    assert [e["experiment_id"] for e in listed] == ["hero"]
    report = runner.invoke(app, ["experiments", "report", "hero", "--json"])
    assert report.exit_code == 0 and json.loads(report.output)["users"] == 0
    assert runner.invoke(app, ["experiments", "stop", "hero"]).exit_code == 0
    srm = json.loads(runner.invoke(app, ["experiments", "srm", "4800,5200", "--json"]).output)
    assert srm["mismatch"] is True
