"""`shopmind ope` on a generic log prints the specified JSON."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from shopmind.cli.main import app

runner = CliRunner()


def test_ope_json_shape(tmp_path) -> None:
    rng = np.random.default_rng(0)
    n = 2000
    frame = pd.DataFrame({"action": rng.integers(0, 3, n), "reward": (rng.random(n) < 0.2).astype(int),
                          "propensity": np.full(n, 1 / 3), "segment": rng.choice(["a", "b"], n)})
    frame.to_csv(tmp_path / "log.csv", index=False)
    r = runner.invoke(app, ["ope", "--log", str(tmp_path / "log.csv"), "--policy", "uniform", "--n-boot", "100",
                            "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert set(out) == {"estimators", "rounds"} and out["rounds"] == n
    for name in ("ipw", "snipw", "dr"):
        est = out["estimators"][name]
        assert set(est) == {"value", "ci_low", "ci_high"} and est["ci_low"] <= est["value"] <= est["ci_high"]
    bad = runner.invoke(app, ["ope", "--log", str(tmp_path / "log.csv"), "--policy", "greedy"])
    assert bad.exit_code == 2 and "policy" in bad.output
