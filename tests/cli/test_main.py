"""The CLI, driven through typer's runner: happy paths and one-line errors (no tracebacks)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from shopmind.cli.main import app

runner = CliRunner()


@pytest.fixture()
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("SHOPMIND_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SHOPMIND_STORE", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path / "home"


def _sequence_file(tmp_path: Path) -> Path:
    lines = []
    for u in range(40):
        base = 0 if u % 2 else 10
        lines.append(f"u{u} " + " ".join(f"i{base + (u + t) % 10}" for t in range(8)))
    p = tmp_path / "seq.txt"
    p.write_text("\n".join(lines) + "\n")
    return p


def test_bench_writes_results_json(home, tmp_path):
    out = tmp_path / "r.json"
    res = runner.invoke(app, ["bench", "--data", str(_sequence_file(tmp_path)), "--format", "sequence",
                              "--models", "popular,itemknn", "--out", str(out), "--report", str(tmp_path / "rep")])
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    assert doc["dataset"]["users"] == 40 and doc["dataset"]["interactions"] == 320
    assert {r["model"] for r in doc["results"]} == {"popular", "itemknn"}
    for r in doc["results"]:
        assert {"hr@10", "ndcg@10", "mrr@10", "coverage@10"} <= set(r["metrics"])
        assert r["train_seconds"] >= 0 and r["peak_rss_mb"] > 0
    assert (tmp_path / "rep" / "report.md").exists()
    assert "itemknn" in res.output


def test_bench_runs_one_model_twice_with_tagged_parameters(home, tmp_path):
    out = tmp_path / "r.json"
    res = runner.invoke(app, ["bench", "--data", str(_sequence_file(tmp_path)), "--format", "sequence",
                              "--models", "itemknn,itemknn@k2", "-p", "itemknn@k2.k=2", "--out", str(out)])
    assert res.exit_code == 0, res.output
    runs = {r["model"]: r for r in json.loads(out.read_text())["results"]}
    assert set(runs) == {"itemknn", "itemknn@k2"}
    assert runs["itemknn@k2"]["params"]["k"] == 2 and runs["itemknn"]["params"]["k"] != 2


def test_bench_unknown_model_is_one_line_error(home, tmp_path):
    res = runner.invoke(app, ["bench", "--data", str(_sequence_file(tmp_path)), "--models", "nope"])
    assert res.exit_code == 2
    assert "nope" in res.output and "Traceback" not in res.output


def test_bench_missing_file_is_one_line_error(home, tmp_path):
    res = runner.invoke(app, ["bench", "--data", str(tmp_path / "missing.csv")])
    assert res.exit_code == 2
    assert "missing.csv" in res.output and "Traceback" not in res.output


def test_import_broken_file_quarantines_and_reimport_adds_nothing(home, tmp_path):
    f = tmp_path / "events.csv"
    f.write_text(
        "user_id,item_id,type,timestamp\n"
        "u1,i1,view,2024-01-01T10:00:00+08:00\n"
        "u1,i2,purchase,not-a-date\n"          # row 3: unparseable date
        ",i3,view,2024-01-01T10:00:00Z\n"      # row 4: missing user id
        "u2,i1,teleport,2024-01-01T10:00:00Z\n"  # row 5: unknown event type
        "u2,i2,click,2024-01-02T10:00:00Z\n"
        "u3,i3,vi"                             # row 7: truncated last line
    )
    res = runner.invoke(app, ["import", str(f)])
    assert res.exit_code == 0, res.output
    assert "2 new" in res.output and "4 rejected" in res.output
    q = runner.invoke(app, ["quarantine"])
    assert q.exit_code == 0
    for row in ("3", "4", "5", "7"):
        assert f"│ {row} " in q.output
    again = runner.invoke(app, ["import", str(f)])
    assert "0 new" in again.output and "2 duplicates" in again.output


def test_generate_train_recommend(home, tmp_path):
    res = runner.invoke(app, ["datasets", "generate", "demo-shop", "--users", "150", "--items", "80", "--days", "20"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["train", "itemknn", "-p", "k=20"])
    assert res.exit_code == 0, res.output
    assert (home / "models" / "itemknn" / "meta.json").exists()
    res = runner.invoke(app, ["recommend", "U00001", "-n", "3"])
    assert res.exit_code == 0, res.output
    assert "SKU" in res.output
    res = runner.invoke(app, ["recommend", "nobody"])
    assert res.exit_code == 2 and "nobody" in res.output and "Traceback" not in res.output


def test_generate_streamed_into_the_store_with_stats(home, tmp_path):
    stats = tmp_path / "load.json"
    res = runner.invoke(app, ["datasets", "generate", "demo-shop", "--users", "60", "--items", "40", "--days", "5",
                              "--chunk-users", "25", "--active-share", "0.5", "--stats-out", str(stats)])
    assert res.exit_code == 0, res.output
    assert "60 users" in res.output and "events/s" in res.output
    doc = json.loads(stats.read_text())
    assert doc["users"] == 60 and doc["chunks"] == 3 and doc["events"] > 0 and len(doc["load_average"]) == 3
    assert not (home / "datasets" / "demo-shop").exists()  # no files in streaming mode
    res = runner.invoke(app, ["datasets", "generate", "--users", "10", "--chunk-users", "0"])
    assert res.exit_code == 2 and "chunk_users" in res.output and "Traceback" not in res.output


def test_train_bad_param_names_parameter(home, tmp_path):
    runner.invoke(app, ["datasets", "generate", "--users", "60", "--items", "40", "--days", "10"])
    res = runner.invoke(app, ["train", "itemknn", "-p", "k=-3"])
    assert res.exit_code == 2
    assert "The 'k' parameter of ItemKNN must be an int >= 1. Got -3 instead." in res.output.replace("\n", "")


def test_models_lists_registry(home):
    res = runner.invoke(app, ["models"])
    assert res.exit_code == 0 and "itemknn" in res.output and "popular" in res.output


def test_demo_quick_end_to_end(home):
    """The newcomer's path: generate, import (twice), evaluate, report, recommend."""
    res = runner.invoke(app, ["demo", "--quick"])
    assert res.exit_code == 0, res.output
    assert "0 new" in res.output  # the second import adds nothing
    assert "leaderboard" in res.output
    report = home / "reports" / "demo"
    doc = json.loads((report / "results.json").read_text())
    ndcg = {r["model"]: r["metrics"]["ndcg@10"] for r in doc["results"]}
    assert ndcg["itemknn"] > ndcg["popular"] > ndcg["random"]
    assert (report / "report.md").exists() and any(report.glob("*.png"))
    assert (home / "models" / "itemknn" / "meta.json").exists()


def test_k_core_option(home, tmp_path):
    out = tmp_path / "r.json"
    seq = _sequence_file(tmp_path)
    res = runner.invoke(app, ["bench", "--data", str(seq), "--models", "popular", "--k-core", "3", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert json.loads(out.read_text())["dataset"]["interactions"] == 320
    # every user has 8 interactions, so a 9-core keeps nothing: a clear error, not a crash
    res = runner.invoke(app, ["bench", "--data", str(seq), "--models", "popular", "--k-core", "9"])
    assert res.exit_code == 2 and "9-core" in res.output and "Traceback" not in res.output


def test_content_unknown_item_is_one_line_error(home):
    runner.invoke(app, ["datasets", "generate", "--users", "40", "--items", "30", "--days", "10"])
    res = runner.invoke(app, ["content", "describe", "NOPE"])
    assert res.exit_code == 2 and "NOPE" in res.output and "Traceback" not in res.output


def test_cli_rejects_unknown_phases_and_rankers():
    from shopmind.cli.main import app

    res = CliRunner().invoke(app, ["bench-serve", "--phases", "latency,warp"])
    assert res.exit_code == 2 and "--phases" in res.output
    res = CliRunner().invoke(app, ["bench-serve", "--ranker", "xgb"])
    assert res.exit_code == 2 and "--ranker" in res.output and "gbdt" in res.output


def test_cli_runs_the_retrieval_phase_alone(tmp_path):
    from shopmind.cli.main import app

    out = tmp_path / "r.json"
    res = CliRunner().invoke(app, ["bench-serve", "--phases", "retrieval", "--vectors", "2000", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "top-10 retrieval single" in res.output
    import json

    assert json.loads(out.read_text())["retrieval"]["vectors"] == 2000
    assert np.isfinite(json.loads(out.read_text())["retrieval"]["batched"]["ratio"])


def test_recommend_all_users_writes_parquet_with_throughput(home, tmp_path):
    import pandas as pd

    runner.invoke(app, ["datasets", "generate", "demo-shop", "--users", "120", "--items", "60", "--days", "20"])
    assert runner.invoke(app, ["train", "itemknn", "-p", "k=20"]).exit_code == 0
    out, figures = tmp_path / "recs.parquet", tmp_path / "scoring.json"
    res = runner.invoke(app, ["recommend", "--all-users", "-n", "3", "--out", str(out), "--shard-size", "50",
                              "--json", str(figures)])
    assert res.exit_code == 0, res.output
    doc = json.loads(figures.read_text())
    recs = pd.read_parquet(out)
    assert doc["users"] == recs["user"].nunique() > 0 and doc["shards"] == -(-doc["users"] // 50)
    assert doc["users_per_second"] > 0 and "users/s" in res.output
    assert list(recs.columns) == ["user", "rank", "item", "score"] and recs["rank"].max() == 3
    for args, message in ((["--all-users"], "--all-users needs --out"),
                          (["U00001", "--all-users", "--out", str(out)], "leave out the user ids"),
                          ([], "pass --all-users --out"),
                          (["--all-users", "--out", str(out), "--executor", "spark"], "'executor'")):
        res = runner.invoke(app, ["recommend", *args])
        assert res.exit_code == 2 and message in res.output and "Traceback" not in res.output, res.output


def test_bench_on_ray_matches_the_serial_run(home, tmp_path, ray_cluster):
    data = str(_sequence_file(tmp_path))
    docs = {}
    for executor in ("serial", "ray"):
        out = tmp_path / f"{executor}.json"
        res = runner.invoke(app, ["bench", "--data", data, "--format", "sequence", "--models", "itemknn,ease,als",
                                  "--executor", executor, "--out", str(out)])
        assert res.exit_code == 0, res.output
        docs[executor] = json.loads(out.read_text())
    assert docs["ray"]["executor"]["name"] == "ray" and docs["ray"]["executor"]["workers"] == 2
    assert [r["model"] for r in docs["ray"]["results"]] == ["itemknn", "ease", "als"]
    for s, r in zip(docs["serial"]["results"], docs["ray"]["results"], strict=True):
        assert s["metrics"] == r["metrics"] and s["params"] == r["params"], s["model"]


def test_bench_tune_writes_the_search_leaderboard(home, tmp_path):
    out = tmp_path / "r.json"
    res = runner.invoke(app, ["bench", "--data", str(_sequence_file(tmp_path)), "--format", "sequence",
                              "--models", "itemknn", "--tune", "--trials", "3", "--out", str(out)])
    assert res.exit_code == 0, res.output
    run = json.loads(out.read_text())["results"][0]
    board = run["tuning"]
    assert len(board) == 3 and board[0]["ndcg@10"] == max(r["ndcg@10"] for r in board)
    assert all(run["params"][p] == board[0][p] for p in ("k", "shrink", "half_life"))
