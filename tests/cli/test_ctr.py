"""CTR / conversion rankers: labels and causal features, learning a planted signal, persistence, errors,
the ranking stage of the live service, and the `shopmind ctr` commands."""

from __future__ import annotations

from typer.testing import CliRunner

from shopmind.ranking import Ranker


def test_ctr_cli_bench_and_train(trained_shop, tmp_path, monkeypatch):
    from shopmind.cli.main import app

    monkeypatch.setenv("SHOPMIND_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    store = f"sqlite:///{trained_shop.db}"
    res = runner.invoke(app, ["ctr", "bench", "--store", store, "-m", "lr", "--out", str(tmp_path / "r.json")])
    assert res.exit_code == 0, res.output
    assert "item_ctr" in res.output and "AUC" in res.output
    import json

    payload = json.loads((tmp_path / "r.json").read_text())
    assert [r["model"] for r in payload["runs"]] == ["constant", "item_ctr", "lr"]
    res = runner.invoke(app, ["ctr", "train", "--store", store, "-m", "lr", "--out", str(tmp_path / "lr.pkl")])
    assert res.exit_code == 0, res.output
    assert Ranker.load(tmp_path / "lr.pkl").name == "lr"
    res = runner.invoke(app, ["ctr", "bench", "--store", store, "-m", "svm"])
    assert res.exit_code == 2 and "svm" in res.output
    res = runner.invoke(app, ["ctr", "bench", "--store", store, "-p", "nodot=1"])
    assert res.exit_code == 2 and "MODEL.NAME=VALUE" in res.output
