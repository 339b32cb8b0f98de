"""Per-query cost of reading a query (constraints, plan, dense text) on the demo-zh catalog, all queries of demo-zh
and demo-zh-hard, 5 passes: ``PYTHONPATH=src python benchmarks/search/plan_cost.py LABEL``."""
import time, json, sys
from shopmind.search.engine import SearchEngine
from shopmind.search.evaluate import read_items
from shopmind.search.analysis import normalise
from shopmind.search.constraints import parse_constraints
e = SearchEngine.from_items(read_items('benchmarks/search/catalogs/demo-zh.items.jsonl'))
qs = [json.loads(l)["query"] for f in ["demo-zh-hard","demo-zh"] for l in open(f"benchmarks/search/{f}.queries.jsonl")]
for q in qs: e.planner.plan(parse_constraints(q).text)
t = time.perf_counter(); n = 0
for _ in range(5):
    for q in qs:
        c = parse_constraints(q); p = e.planner.plan(c.text)
        dt = p.dense_text(normalise(c.text)) if hasattr(p, "dense_text") else p.resolved_text()
        n += 1
print(sys.argv[1], "ms per query (constraints + plan + dense text):", round((time.perf_counter() - t) * 1000 / n, 3))
