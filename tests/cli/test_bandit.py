"""`shopmind bandit simulate` prints the specified JSON and draws the regret plot."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from shopmind.cli.main import app

runner = CliRunner()


def test_simulate_json_and_plot(tmp_path) -> None:
    r = runner.invoke(app, ["bandit", "simulate", "--rounds", "2000", "--json", "--plot", str(tmp_path / "r.png")])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert set(out) == {"regret", "rounds", "environment"} and out["rounds"] == 2000
    assert set(out["regret"]) == {"thompson", "epsilon_greedy", "linucb", "ucb1"}
    assert (tmp_path / "r.png").stat().st_size > 1000
    bad = runner.invoke(app, ["bandit", "simulate", "--environment", "moon"])
    assert bad.exit_code == 2 and "environment" in bad.output
