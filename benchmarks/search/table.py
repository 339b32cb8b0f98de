"""Markdown tables from `shopmind search evaluate --json` outputs: python benchmarks/search/table.py FILE.json..."""

import json
import sys

for path in sys.argv[1:]:
    data = json.load(open(path))
    runs = data if "ndcg@10" not in data else {data["retriever"]: data}
    kinds = sorted({k for m in runs.values() for k in m["by_kind"]})
    print(f"\n{path}\n")
    print("| retriever | nDCG@10 | " + " | ".join(kinds) + " | recall@100 | zero-result | p99 ms |")
    print("|---" * (len(kinds) + 5) + "|")
    for name, m in runs.items():
        cells = [f"{m['by_kind'][k]['ndcg@10']:.3f}" if k in m["by_kind"] else "" for k in kinds]
        print(f"| {name} | {m['ndcg@10']:.3f} | " + " | ".join(cells)
              + f" | {m['recall@100']:.3f} | {m['zero_result_rate']:.3f} | {m.get('p99_ms', '')} |")
