"""`shopmind uplift simulate` at a small size."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from shopmind.cli.main import app

runner = CliRunner()


def test_uplift_simulate_json(tmp_path) -> None:
    r = runner.invoke(app, ["uplift", "simulate", "--users", "2000", "--max-iter", "20", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert {"two_model", "class_transformation", "x_learner", "propensity"} <= set(out["targeting"])
    assert out["ratio_best_uplift_to_propensity"] > 1
