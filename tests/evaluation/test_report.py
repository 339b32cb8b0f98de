"""Reports: JSON shape, Markdown leaderboard order, PNG charts, console tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rich.console import Console

from shopmind.data import Interactions
from shopmind.errors import ParameterError
from shopmind.evaluation.protocol import evaluate
from shopmind.evaluation.report import (
    ModelResult,
    dataset_summary,
    format_table,
    format_text,
    sort_results,
    write_report,
)
from shopmind.models.baselines import MostPopular, RandomModel
from shopmind.models.knn import ItemKNN
from shopmind.training.splits import leave_one_out

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def bench(block_data: Interactions) -> tuple[list[ModelResult], dict[str, Any], Interactions]:
    split = leave_one_out(block_data)
    tv = split.train_valid()
    results = []
    for name, model in (("random", RandomModel()), ("popular", MostPopular()), ("itemknn", ItemKNN(k=20))):
        model.fit(tv)
        res = evaluate(model, tv, split.test, ks=(1, 5, 10, 20))
        results.append(ModelResult.from_eval(name, res, params=model.get_params(), train_seconds=0.01,
                                             peak_rss_mb=123.0, history=tv))
    return results, dataset_summary(block_data), tv


def test_write_report_files_and_json_shape(bench: Any, tmp_path: Path) -> None:
    results, info, tv = bench
    protocol = {"split": "leave-one-out", "exclude_seen": True, "ks": (1, 5, 10, 20)}
    files = write_report(results, info, protocol, tmp_path / "out", n_boot=200,
                         item_popularity=tv.item_counts())
    assert {"json", "markdown", "segments_json", "plot_metrics", "plot_curves", "plot_segments",
            "plot_exposure"} == set(files)
    for key, path in files.items():
        assert path.exists() and path.stat().st_size > 0, key
        if key.startswith("plot_"):
            assert path.read_bytes()[:8] == PNG_MAGIC

    def no_nan(x: str) -> None:
        raise AssertionError(f"JSON has a bare {x}")

    doc = json.loads(files["json"].read_text(), parse_constant=no_nan)
    assert set(doc) == {"dataset", "protocol", "results", "comparisons"}
    assert doc["dataset"] == info and set(info) == {"name", "users", "items", "interactions"}
    assert doc["protocol"]["split"] == "leave-one-out" and doc["protocol"]["statistics"]["n_boot"] == 200
    assert len(doc["results"]) == 3
    for r in doc["results"]:
        assert set(r) == {"model", "params", "metrics", "ci", "train_seconds", "peak_rss_mb"}
        assert {"hr@10", "ndcg@10", "mrr@10", "coverage@10"} <= set(r["metrics"])
        for m in ("hr@10", "ndcg@10", "mrr@10"):
            ci = r["ci"][m]
            assert ci["low"] <= r["metrics"][m] <= ci["high"]
    ndcgs = [r["metrics"]["ndcg@10"] for r in doc["results"]]
    assert ndcgs == sorted(ndcgs, reverse=True)
    best = doc["results"][0]["model"]
    pairs = {(c["model_a"], c["model_b"], c["metric"]) for c in doc["comparisons"]}
    others = [r["model"] for r in doc["results"][1:]]
    assert pairs == {(best, o, m) for o in others for m in ("ndcg@10", "hr@10")}
    for c in doc["comparisons"]:
        assert {"mean_diff", "ci_low", "ci_high", "p_bootstrap", "p_ttest", "p_wilcoxon", "n_users"} <= set(c)
    segments = json.loads(files["segments_json"].read_text())
    assert set(segments[best]) == {"activity", "popularity"}


def test_markdown_lists_models_in_ndcg_order(bench: Any, tmp_path: Path) -> None:
    results, info, _ = bench
    files = write_report(list(reversed(results)), info, {"split": "leave-one-out"}, tmp_path, n_boot=100,
                         plots=False)
    assert set(files) == {"json", "markdown", "segments_json"}
    md = files["markdown"].read_text()
    expected = [r.model for r in sorted(results, key=lambda r: -r.metrics["ndcg@10"])]
    board = md.split("## Leaderboard", 1)[1].split("\n\n", 2)[1]
    rows = [line for line in board.splitlines() if line.startswith("| ") and not line.startswith("| #")]
    assert [row.split(" | ")[1] for row in rows] == expected
    header = board.splitlines()[0]
    for col in ("NDCG@10", "HR@10", "MRR@10", "coverage@10", "train s", "peak MB"):
        assert col in header
    assert "[" in rows[0]  # intervals are shown
    assert "By user activity" in md and "By target popularity" in md and "Paired comparisons" in md


def test_dict_inputs_and_missing_per_user(tmp_path: Path) -> None:
    results = [
        {"model": "a", "metrics": {"ndcg@10": 0.1, "hr@10": 0.2}, "params": {"k": 3}},
        {"model": "b", "metrics": {"ndcg@10": 0.3, "hr@10": 0.25}, "train_seconds": 1.5},
    ]
    info = {"name": "toy", "users": 2, "items": 3, "interactions": 4}
    files = write_report(results, info, {}, tmp_path, n_boot=50)
    doc = json.loads(files["json"].read_text())
    assert [r["model"] for r in doc["results"]] == ["b", "a"]
    assert doc["results"][0]["ci"] == {} and doc["comparisons"] == []
    assert doc["results"][1]["train_seconds"] is None
    assert "plot_metrics" in files and "plot_curves" not in files  # one K only: no curve


def test_nan_metrics_are_null_in_json(tmp_path: Path) -> None:
    res = [ModelResult("a", {"ndcg@10": float("nan")}), ModelResult("b", {"ndcg@10": 0.1})]
    files = write_report(res, {"name": "t", "users": 1, "items": 1, "interactions": 1}, {}, tmp_path,
                         plots=False)
    doc = json.loads(files["json"].read_text())
    assert [r["model"] for r in doc["results"]] == ["b", "a"]
    assert doc["results"][1]["metrics"]["ndcg@10"] is None


def test_report_input_errors(tmp_path: Path) -> None:
    ok = [ModelResult("a", {"ndcg@10": 0.1})]
    with pytest.raises(ParameterError, match="missing"):
        write_report(ok, {"name": "x"}, {}, tmp_path)
    with pytest.raises(ParameterError, match="distinct model names"):
        sort_results([ModelResult("a", {}), ModelResult("a", {})])
    with pytest.raises(ParameterError, match="metrics"):
        sort_results([{"model": "a"}])
    with pytest.raises(ParameterError, match="primary"):
        write_report(ok, {"name": "t", "users": 1, "items": 1, "interactions": 1}, {}, tmp_path,
                     primary="ndcg")


def test_console_tables_in_ndcg_order(bench: Any) -> None:
    results, _, _ = bench
    expected = [r.model for r in sorted(results, key=lambda r: -r.metrics["ndcg@10"])]
    table = format_table(results, title="toy")
    assert table.row_count == 3
    assert list(table.columns[1].cells) == expected
    console = Console(width=140, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(table)
    assert expected[0] in console.export_text()
    text = format_text(results).splitlines()
    assert text[0].split()[:3] == ["#", "model", "NDCG@10"]
    assert [line.split()[1] for line in text[1:]] == expected


def test_from_eval_segments_and_arrays(bench: Any) -> None:
    results, _, _ = bench
    r = results[0]
    assert isinstance(r.per_user["ndcg@10"], np.ndarray) and r.topk is not None and r.users is not None
    assert set(r.segments["activity"]) == {"cold", "light", "medium", "heavy"}
    assert set(r.segments["popularity"]) == {"head", "tail"}
