"""The embedded server (one process, no --state) of two source trees, alternated, at the same rate: latency
and server CPU per request (from /proc), to show a change leaves the embedded mode's cost alone.

    PYTHONPATH=src .venv/bin/python scripts/ab_embedded_serving.py OUT.json

Uses the bench-serve shop kept in /tmp/wk-scale (`bench-serve ... --work-dir /tmp/wk-scale`); the trees are
/work/main/src (before) and /work/wt-workers/src (after): edit ``TREES`` for others.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from shopmind.evaluation.serving.load import Server, latency, run_loop
from shopmind.evaluation.serving.scale import process_tree_cpu

TREES = (("main", "/work/main/src"), ("branch", "/work/wt-workers/src"))
WORK = Path("/tmp/wk-scale")


def main() -> None:
    users = [f"U{u:06d}" for u in range(4000)]
    res = []
    for rnd in range(2):
        for label, src in TREES:
            os.environ["PYTHONPATH"] = src  # the server process runs this tree's code
            srv = Server(f"sqlite:///{WORK / 'bench.db'}", str(WORK / "models" / "als"), WORK, None,
                         search_encoder="none")
            try:
                srv.wait_ready()
                run_loop(latency(srv.url, users, 50, 2, 1))
                c0, s0 = time.process_time(), process_tree_cpu(srv.proc.pid)
                got = run_loop(latency(srv.url, users, 100, 10, 2 + rnd))
                gen, s1 = time.process_time() - c0, process_tree_cpu(srv.proc.pid)
                r = {"code": label, "round": rnd, "rps": 100, "p50_ms": got["p50_ms"], "p99_ms": got["p99_ms"],
                     "errors": got["errors"],
                     "server_cpu_ms_per_request": round(((s1 or 0) - (s0 or 0)) / got["requests"] * 1e3, 3),
                     "load_generator_cpu_ms_per_request": round(gen / got["requests"] * 1e3, 3),
                     "load_average_1min": round(os.getloadavg()[0], 1)}
                res.append(r)
                print(r, flush=True)
            finally:
                srv.stop()
    Path(sys.argv[1]).write_text(json.dumps({
        "what": "embedded serve (no --state), 20k-item bench shop, 100 req/s for 10 s, main vs branch alternated",
        "command": "PYTHONPATH=src .venv/bin/python scripts/ab_embedded_serving.py " + sys.argv[1], "runs": res},
        indent=1))


if __name__ == "__main__":
    main()
