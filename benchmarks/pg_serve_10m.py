"""Serving a large PostgreSQL store through the real HTTP server (not collected by pytest; run by hand).

    python benchmarks/pg_serve_10m.py STORE_URL MODEL_DIR [--rates 50,200] [--duration 60] [--users 2000]
        [--seed 0] [--history-limit N] [--search-encoder none] [--work DIR] [--out FILE.json]

Starts one ``shopmind serve`` worker on the store and the model (the bench-serve harness:
``shopmind.evaluation.serving.load.Server``), times it from launch to ``GET /ready`` answering 200, and records
its resident memory (peak: ``VmHWM`` of /proc/PID/status; sampled every 0.5 s too, for the curve). Then, for
each rate, the open-loop load generator of ``shopmind bench-serve`` (``load.latency``) sends
``GET /recommendations/{user}?n=10`` for ``--duration`` seconds, each to a shopper drawn (seeded) from
``--users`` shoppers sampled among those with an event of positive weight in the store (``TABLESAMPLE``:
read-only). Latency counts from each request's due time (queueing included). Records the load average
before and after, the commit and the command.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psycopg

from shopmind.evaluation.serving.load import Server, latency, run_loop
from shopmind.storage.postgres import split_url


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def proc_status(pid: int) -> dict[str, int]:
    """``VmRSS`` and ``VmHWM`` (peak resident set) of a process, in kB."""
    out: dict[str, int] = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def active_users(url: str, n: int, seed: int) -> list[str]:
    """Up to ``n`` distinct shoppers with an event of positive weight, from a block sample of the log."""
    conninfo, schema = split_url(url)
    with psycopg.connect(conninfo) as conn:
        if schema:
            conn.execute(f'SET search_path TO "{schema}"')
        conn.execute("SELECT setseed(%s)", (seed / 1000.0,))
        rows = conn.execute(
            "SELECT user_id FROM (SELECT DISTINCT user_id FROM events TABLESAMPLE SYSTEM (2) REPEATABLE (%s) "
            "WHERE type IN ('view', 'click', 'add_to_cart', 'purchase', 'favorite')) t ORDER BY random() LIMIT %s",
            (seed, n)).fetchall()
    return [r[0] for r in rows]


class RssSampler(threading.Thread):
    def __init__(self, pid: int, every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.samples: list[tuple[float, int]] = []
        self.t0 = time.perf_counter()
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.samples.append((round(time.perf_counter() - self.t0, 1), proc_status(self.pid)["VmRSS"]))
            except (OSError, KeyError):
                return
            self.stop.wait(self.every)


def git_commit() -> str:
    here = Path(__file__).resolve().parent
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=here, check=False)
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "../src"], capture_output=True, text=True,
                           cwd=here, check=False)
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("store")
    ap.add_argument("model")
    ap.add_argument("--rates", default="50,200")
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--users", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--history-limit", type=int)
    ap.add_argument("--search-encoder", default="none",
                    help="serve's --search-encoder (default none: the dense side of /search would encode every "
                         "item's text at start-up unless the store's embedding cache has it)")
    ap.add_argument("--work", type=Path)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="pg-serve-"))
    work.mkdir(parents=True, exist_ok=True)
    res: dict[str, Any] = {"command": shlex.join([Path(sys.executable).name, *sys.argv]), "commit": git_commit(),
                           "uptime_before": uptime(), "store": args.store, "model": args.model,
                           "history_limit": args.history_limit, "search_encoder": args.search_encoder}
    users = active_users(args.store, args.users, args.seed)
    res["sampled_users"] = len(users)
    env = {"SHOPMIND_PIPELINE_HISTORY_LIMIT": str(args.history_limit)} if args.history_limit else {}
    server = Server(args.store, args.model, work, log_level="warning", env=env, search_encoder=args.search_encoder)
    sampler = RssSampler(server.proc.pid)
    sampler.start()
    try:
        res["startup_s"] = round(server.wait_ready(timeout=3600), 1)
        ready = proc_status(server.proc.pid)
        res["rss_ready_mb"] = round(ready["VmRSS"] / 1024, 1)
        res["peak_rss_startup_mb"] = round(ready["VmHWM"] / 1024, 1)
        res["uptime_ready"] = uptime()
        res["latency"] = []
        for rate in (float(r) for r in args.rates.split(",")):
            out = run_loop(latency(server.url, users, rate, args.duration, args.seed))
            out["uptime_after"] = uptime()
            res["latency"].append(out)
            print(json.dumps(out), flush=True)
        end = proc_status(server.proc.pid)
        res["rss_end_mb"] = round(end["VmRSS"] / 1024, 1)
        res["peak_rss_mb"] = round(end["VmHWM"] / 1024, 1)
    finally:
        sampler.stop.set()
        server.stop()
    res["rss_curve_mb"] = [(t, round(kb / 1024)) for t, kb in sampler.samples[::10]]
    res["uptime_after"] = uptime()
    with open(server.log.name) as log:
        res["server_log_errors"] = [line.rstrip() for line in log if "error" in line.lower()][:20]
    text = json.dumps(res, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
