"""Per-split markdown tables from `shopmind search evaluate --json --per-query` outputs of a hard set.

    python benchmarks/search/split_table.py QUERIES.jsonl RESULT.json [RESULT2.json ...]

Each query's ``split`` (tune / heldout) comes from the query file; rows are nDCG@10 overall and per kind,
recall@100 and zero-result rate, per retriever (a later file's retrievers are added as NAME-FUSION when
they ran with a different fusion).
"""

import json
import sys
from collections import defaultdict

import numpy as np

split = {}
for line in open(sys.argv[1], encoding="utf-8"):  # noqa: SIM115
    if line.strip():
        q = json.loads(line)
        split[q["query"]] = q.get("split", "all")
runs = {}
for path in sys.argv[2:]:
    data = json.load(open(path, encoding="utf-8"))  # noqa: SIM115
    data = data if "ndcg@10" not in data else {data["retriever"]: data}
    for name, m in data.items():
        key = name if name not in runs else f"{name}-{m.get('fusion', 'other')}"
        runs[key] = m
for part in ("heldout", "tune"):
    kinds = sorted({r["kind"] for m in runs.values() for r in m["per_query"] if split.get(r["query"]) == part})
    n = sum(1 for q in split.values() if q == part)
    print(f"\n{part} ({n} queries)\n")
    print("| retriever | nDCG@10 | " + " | ".join(kinds) + " | recall@100 | zero-result |")
    print("|---" * (len(kinds) + 4) + "|")
    for name, m in runs.items():
        rows = [r for r in m["per_query"] if split.get(r["query"]) == part]
        by = defaultdict(list)
        for r in rows:
            by[r["kind"]].append(r["ndcg@10"])
        cells = [f"{np.mean(by[k]):.3f}" if by[k] else "" for k in kinds]
        print(f"| {name} | {np.mean([r['ndcg@10'] for r in rows]):.3f} | " + " | ".join(cells)
              + f" | {np.mean([r['recall@100'] for r in rows]):.3f} | {np.mean([r['zero'] for r in rows]):.3f} |")
