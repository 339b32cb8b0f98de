"""The embedded mode (one process, no shared state) of two source trees, alternated: the CPU and wall time of
``RecommendationService.recommend`` per request for the same users, each tree in its own child process, so
that a change can be shown to leave the embedded mode's cost alone. CPU time (the calling thread's) is the
figure to compare on a busy machine: wall time there measures the other work.

    PYTHONPATH=src .venv/bin/python scripts/ab_embedded_serving.py --before /work/main/src \\
        --after src --shop /tmp/wk-scale --out FILE.json

``--shop`` is a bench-serve work directory (``bench-serve ... --work-dir DIR``: ``bench.db`` and
``models/als``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

CHILD = """
import json, sys, time
import numpy as np
from threadpoolctl import threadpool_limits
from shopmind.models.base import Recommender
from shopmind.pipeline import RecommendationService
from shopmind.settings import PipelineSettings
from shopmind.storage import open_store
threadpool_limits(limits=1)  # as `shopmind serve` runs
shop, n = sys.argv[1], int(sys.argv[2])
service = RecommendationService.open(open_store(f"sqlite:///{shop}/bench.db"), Recommender.load(f"{shop}/models/als"),
                                     config=PipelineSettings(), version="ab")
users = [f"U{u:06d}" for u in np.random.default_rng(0).choice(4000, n)]
for u in users[:100]:
    service.recommend(u)
cpu, wall = [], []
for u in users:
    c0, w0 = time.thread_time(), time.perf_counter()
    service.recommend(u)
    cpu.append((time.thread_time() - c0) * 1000.0)
    wall.append((time.perf_counter() - w0) * 1000.0)
print(json.dumps({"cpu_ms_p50": float(np.median(cpu)), "cpu_ms_mean": float(np.mean(cpu)),
                  "wall_ms_p50": float(np.median(wall)), "wall_ms_p99": float(np.percentile(wall, 99))}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", required=True, help="the src directory of the tree before the change")
    ap.add_argument("--after", required=True, help="the src directory of the tree after it")
    ap.add_argument("--shop", required=True, type=Path, help="a bench-serve work directory")
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args()
    runs = []
    for rnd in range(args.rounds):
        for label, src in (("before", args.before), ("after", args.after)):
            env = {**os.environ, "PYTHONPATH": str(Path(src).resolve())}
            load0 = os.getloadavg()[0]
            got = subprocess.run([sys.executable, "-c", CHILD, str(args.shop), str(args.requests)], env=env,
                                 capture_output=True, text=True, check=True)
            row = {"tree": label, "src": src, "round": rnd, **json.loads(got.stdout.strip().splitlines()[-1]),
                   "load_average_1min": [round(load0, 1), round(os.getloadavg()[0], 1)]}
            runs.append(row)
            print(row, flush=True)
    summary = {label: {k: round(float(sorted(r[k] for r in runs if r["tree"] == label)[args.rounds // 2]), 3)
                       for k in ("cpu_ms_p50", "cpu_ms_mean", "wall_ms_p50")} for label in ("before", "after")}
    args.out.write_text(json.dumps({
        "what": "RecommendationService.recommend, embedded (no shared state), same users, trees alternated; "
                "median over rounds", "command": " ".join(["PYTHONPATH=src .venv/bin/python", *sys.argv]),
        "requests_per_run": args.requests, "median_of_rounds": summary, "runs": runs}, indent=1))


if __name__ == "__main__":
    main()
