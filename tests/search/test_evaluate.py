import json
from pathlib import Path

import pytest

from shopmind.errors import DataError
from shopmind.search.evaluate import evaluate, ndcg_at, read_queries, recall_at


def test_metrics() -> None:
    j = {"a": 3, "b": 2, "c": 0}
    assert ndcg_at(j, ["a", "b"]) == 1.0
    assert ndcg_at(j, ["c", "a", "b"]) < 1.0
    assert recall_at(j, ["b"]) == 0.5
    assert ndcg_at({}, []) == 1.0 and ndcg_at({}, ["x"]) == 0.0  # "not in the catalog"


def test_evaluate_by_kind(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [
        {"query": "a", "kind": "head", "judgments": {"1": 3}},
        {"query": "b", "kind": "tail", "judgments": {"2": 3}},
        {"query": "none", "kind": "not_in_catalog", "judgments": {}}]))
    out = evaluate(lambda q: {"a": ["1"], "b": ["9"], "none": []}[q], read_queries(path))
    assert out["queries"] == 3 and out["by_kind"]["head"]["ndcg@10"] == 1.0
    assert out["by_kind"]["tail"]["ndcg@10"] == 0.0 and out["zero_result_rate"] == pytest.approx(1 / 3, abs=1e-3)
    path.write_text('{"query": "a", "judgments": {"1": 3}}')  # no kind: its own group, not the total's name
    assert set(evaluate(lambda q: ["1"], read_queries(path))["by_kind"]) == {"unlabelled"}
    path.write_text('{"query": 1, "judgments": [1]}')
    with pytest.raises(DataError, match="row 1"):
        read_queries(path)
