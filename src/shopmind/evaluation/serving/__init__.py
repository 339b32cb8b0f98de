"""`shopmind bench-serve`: the serving benchmarks of BENCHMARKS.md section 2, measured end to end against the
real server (see :mod:`.run`).

Modules: :mod:`.config` (what runs, what was measured), :mod:`.shop` (the benchmark shop and its models),
:mod:`.load` (the server process and the load generators), :mod:`.retrieval` (top-k against the floor),
:mod:`.run` (the phases in order, the verdicts, the in-process CPU-per-request probe).
"""

from shopmind.evaluation.serving.config import TARGETS, ServeBenchConfig, ServeBenchResult
from shopmind.evaluation.serving.retrieval import retrieval_bench
from shopmind.evaluation.serving.run import cpu_per_request, run_serve_bench, verdicts
from shopmind.evaluation.serving.shop import bench_catalog, build_shop, shop_events, synthetic_impressions

__all__ = ["TARGETS", "ServeBenchConfig", "ServeBenchResult", "bench_catalog", "build_shop", "cpu_per_request",
           "retrieval_bench", "run_serve_bench", "shop_events", "synthetic_impressions", "verdicts"]
