"""Server CPU per ``GET /recommendations/{user}`` over HTTP, two source trees alternated: ``shopmind serve`` with
N workers sharing a Redis state (as ``bench-serve --phases scale`` runs it), under the same open-loop load (same
users, same rate) for each tree. The server's CPU is read from ``/proc`` (the supervisor and its workers) before
and after a measured run that follows a warm-up run, so the figure survives a busy machine better than any
latency: it is the work per request, not the share of the cores the server got.

    PYTHONPATH=src .venv/bin/python scripts/ab_serving_cpu.py --before /work/main/src --after src \\
        --shop /tmp/wk-scale --state redis://127.0.0.1:6379/13 --out FILE.json

``--shop`` is a bench-serve work directory (``bench-serve ... --work-dir DIR``). The Redis database is flushed
before each server starts.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import redis

from shopmind.evaluation.serving.load import Server, latency, run_loop
from shopmind.evaluation.serving.scale import process_tree_cpu, wait_workers


def measure(src: str, shop: dict[str, str], users: list[str], work: Path, args: argparse.Namespace) -> dict[str, float]:
    redis.Redis.from_url(args.state).flushdb()
    server = Server(shop["store"], shop["model"], work, workers=args.workers, state=args.state,
                    search_encoder="none", env={"PYTHONPATH": str(Path(src).resolve())})
    try:
        server.wait_ready()
        wait_workers(server.url, args.workers)
        run_loop(latency(server.url, users, args.rate, args.warmup, args.seed, workers=args.workers))
        load0 = os.getloadavg()[0]
        cpu0, gen0 = process_tree_cpu(server.proc.pid), time.process_time()
        got = run_loop(latency(server.url, users, args.rate, args.seconds, args.seed + 1, workers=args.workers))
        cpu1, gen1 = process_tree_cpu(server.proc.pid), time.process_time()
    finally:
        server.stop()
    if cpu0 is None or cpu1 is None:
        raise RuntimeError("no /proc: the server's CPU cannot be read here")
    requests = max(int(got["requests"]), 1)
    return {"requests": requests, "errors": got["errors"], "achieved_rps": got["achieved_rps"],
            "server_cpu_s": round(cpu1 - cpu0, 2),
            "server_cpu_ms_per_request": round(1000 * (cpu1 - cpu0) / requests, 3),
            "load_generator_cpu_ms_per_request": round(1000 * (gen1 - gen0) / requests, 3),
            "p50_ms": got["p50_ms"], "p99_ms": got["p99_ms"],
            "load_average_1min": [round(load0, 1), round(os.getloadavg()[0], 1)]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", required=True, help="the src directory of the tree before the change")
    ap.add_argument("--after", required=True, help="the src directory of the tree after it")
    ap.add_argument("--shop", required=True, type=Path, help="a bench-serve work directory")
    ap.add_argument("--state", required=True, help="redis://HOST:PORT/DB (flushed)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rate", type=float, default=400.0, help="requests a second")
    ap.add_argument("--warmup", type=float, default=5.0, help="seconds of load before the measured run")
    ap.add_argument("--seconds", type=float, default=10.0, help="seconds of the measured run")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args()
    built = json.loads((args.shop / "shop-built.json").read_text())
    shop, users = {"store": built["store"], "model": built["model"]}, list(built["user_ids"])
    runs = []
    for rnd in range(args.rounds):
        for label, src in (("before", args.before), ("after", args.after)):
            row = {"tree": label, "src": src, "round": rnd, **measure(src, shop, users, args.shop, args)}
            runs.append(row)
            print(row, flush=True)
    summary = {label: {k: round(sorted(float(r[k]) for r in runs if r["tree"] == label)[args.rounds // 2], 3)
                       for k in ("server_cpu_ms_per_request", "load_generator_cpu_ms_per_request", "p50_ms")}
               for label in ("before", "after")}
    args.out.write_text(json.dumps({
        "what": f"server CPU per GET /recommendations/{{user}} (n=10) over HTTP, {args.workers} workers sharing "
                f"{args.state}, {args.rate:.0f} req/s for {args.seconds:.0f} s after {args.warmup:.0f} s of warm-up; "
                "trees alternated; median over rounds (upper median for an even count)",
        "command": " ".join(["PYTHONPATH=src .venv/bin/python", *sys.argv]), "median_of_rounds": summary,
        "runs": runs}, indent=1))


if __name__ == "__main__":
    main()
