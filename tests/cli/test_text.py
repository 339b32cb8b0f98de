"""Text encoders (offline, cross-lingual), the store-backed embedding cache, encoder-based content
models, text-based cold start of new items, and the `shopmind text` commands."""

from __future__ import annotations

import json

from typer.testing import CliRunner


def test_text_cli_bench_similar_and_cold_bench(tmp_path, monkeypatch):
    from shopmind.cli.main import app
    from shopmind.data.synth import generate_demo_shop, write_demo_shop

    monkeypatch.setenv("SHOPMIND_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    res = runner.invoke(app, ["text", "bench", "--encoders", "hashing", "--n", "16", "--rerank", "8",
                              "--out", str(tmp_path / "e.json")])
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "e.json").read_text())
    assert doc["runs"][0]["texts_per_s"] > 0
    assert doc["rerank"]["candidates"] == 8 and 0 < doc["rerank"]["p50_ms"] <= doc["rerank"]["p95_ms"]
    assert "lmrerank" in res.output
    res = runner.invoke(app, ["text", "similar", "coffee mug", "-e", "hashing", "-t", "blue coffee mug",
                              "-t", "red running shoe", "--store", f"sqlite:///{tmp_path / 's.db'}"])
    assert res.exit_code == 0, res.output
    assert res.output.index("blue coffee mug") < res.output.index("red running shoe")
    shop = write_demo_shop(generate_demo_shop(n_users=200, n_items=120, days=20, seed=2), tmp_path / "shop")
    res = runner.invoke(app, ["text", "cold-bench", "--data", str(tmp_path / "shop"), "-m",
                              "popular,coldstart:encoder=hashing:base=als/factors=8",
                              "--out", str(tmp_path / "c.json")])
    assert res.exit_code == 0, res.output
    runs = json.loads((tmp_path / "c.json").read_text())["runs"]
    assert [r["model"] for r in runs] == ["popular", "coldstart:encoder=hashing:base=als/factors=8"]
    assert shop is not None


def test_cold_bench_users_protocol_from_the_cli(tmp_path, monkeypatch):
    from shopmind.cli.main import app
    from shopmind.data.synth import generate_demo_shop, write_demo_shop

    monkeypatch.setenv("SHOPMIND_HOME", str(tmp_path / "home"))
    write_demo_shop(generate_demo_shop(n_users=300, n_items=120, days=30, seed=4), tmp_path / "shop")
    res = CliRunner().invoke(app, ["text", "cold-bench", "--protocol", "users", "--data", str(tmp_path / "shop"),
                                   "-m", "popular,newuser:c=2", "--out", str(tmp_path / "u.json")])
    assert res.exit_code == 0, res.output
    payload = json.loads((tmp_path / "u.json").read_text())
    assert payload["protocol"] == "users" and set(payload["runs"][0]["by_reveal"]) == {"1", "3", "5"}
    bad = CliRunner().invoke(app, ["text", "cold-bench", "--protocol", "sideways"])
    assert bad.exit_code == 2 and "--protocol" in bad.output
