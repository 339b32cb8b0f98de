"""The read-your-writes probe of ``bench-serve --phases scale`` alone: ``shopmind serve --workers N --state URL``
on a shop ``bench-serve`` built (its ``--work-dir``), then only the probe (``read_your_writes`` of
:mod:`shopmind.evaluation.serving.scale`) - no rate search, no swap - with the server's CPU seconds around it.

    PYTHONPATH=src .venv/bin/python scripts/probe_read_your_writes.py --work-dir /tmp/wk-ryw \\
        --state redis://127.0.0.1:6379/13 --probes 200 --out FILE.json

The server runs the ``shopmind`` on ``PYTHONPATH`` (so ``PYTHONPATH=/other/tree/src`` measures another tree
on the same shop). ``server_cpu_ms_per_probe`` is the CPU of every server process over the probes divided by
their number: one POST and the reads until the list reflects it. ``--posts-only`` then times as many POSTs of
new shoppers' views without the reads (``post_ms``, ``server_cpu_ms_per_post``).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import redis

from shopmind.evaluation.serving.load import Server, percentiles
from shopmind.evaluation.serving.scale import (
    connections,
    process_tree_cpu,
    read_your_writes,
    wait_workers,
)


def server_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux ``/proc``)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
    tree, frontier = [pid], [pid]
    while frontier:
        frontier = [p for p, parent in parents.items() if parent in frontier and p not in tree]
        tree.extend(frontier)
    return tree


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work-dir", type=Path, required=True, help="a bench-serve --work-dir (shop-built.json)")
    ap.add_argument("--state", default="redis://127.0.0.1:6379/13",
                    help="Redis database (flushed); 'none': the embedded mode (one worker, nothing shared)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--probes", type=int, default=200)
    ap.add_argument("--posts-only", type=int, default=0, help="then this many POSTs without reads")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--probe-nice", type=int, default=None,
                    help="once every worker is ready, set this niceness on the server processes and this one "
                         "(start the script under `nice -n 19` so that the workers' start does not take the "
                         "machine, and probe at `--probe-nice 0`)")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    shop = json.loads((args.work_dir / "shop-built.json").read_text())
    users = shop["user_ids"]
    state = None if args.state == "none" else args.state
    if state is not None:
        redis.Redis.from_url(state).flushdb()
    server = Server(shop["store"], shop["model"], args.work_dir, None, workers=args.workers, state=state,
                    search_encoder="none")
    try:
        server.wait_ready()
        wait_workers(server.url, args.workers)
        if args.probe_nice is not None:
            for pid in [os.getpid(), *server_tree(server.proc.pid)]:
                os.setpriority(os.PRIO_PROCESS, pid, args.probe_nice)
        conns = connections(server.url, args.workers)
        items = [x["item_id"] for u in users[:20]
                 for x in conns[0].client.get(f"/recommendations/{u}", params={"n": 10}).json()["items"]]
        read_your_writes(conns, users, items, 10, args.seed + 1)  # warm-up: first requests, connections
        load0 = os.getloadavg()
        cpu0 = process_tree_cpu(server.proc.pid)
        ryw = read_your_writes(conns, users, items, args.probes, args.seed)
        cpu1 = process_tree_cpu(server.proc.pid)
        out = {"command": "scripts/probe_read_your_writes.py " + " ".join(f"--{k.replace('_', '-')} {v}"
                                                                         for k, v in vars(args).items()),
               "pythonpath": os.environ.get("PYTHONPATH", ""), "read_your_writes": ryw,
               "server_cpu_ms_per_probe": None if cpu0 is None or cpu1 is None
               else round(1000 * (cpu1 - cpu0) / args.probes, 3)}
        if args.posts_only:
            rng = np.random.default_rng(args.seed + 3)
            writer = conns[0]
            times = []
            cpu0 = process_tree_cpu(server.proc.pid)
            for k in range(args.posts_only):
                event = {"user_id": f"post-{args.seed}-{k}-{int(rng.integers(1 << 30))}",
                         "item_id": items[int(rng.integers(len(items)))], "type": "view"}
                t0 = time.perf_counter()
                writer.client.post("/events", json={"events": [event]}).raise_for_status()
                times.append((time.perf_counter() - t0) * 1000.0)
            cpu1 = process_tree_cpu(server.proc.pid)
            out["post_ms"] = percentiles(times)
            out["server_cpu_ms_per_post"] = None if cpu0 is None or cpu1 is None \
                else round(1000 * (cpu1 - cpu0) / args.posts_only, 3)
        out["load_average"] = [round(load0[0], 2), round(os.getloadavg()[0], 2)]
        for c in conns:
            c.close()
    finally:
        server.stop()
    args.out.write_text(json.dumps(out, indent=2))
    ryw, ack = out["read_your_writes"], out["read_your_writes"]["acknowledged_ms"]
    print(f"probe p50 {ryw['p50_ms']:.1f} ms, p99 {ryw['p99_ms']:.1f} ms (ack p50 {ack['p50_ms']:.1f}"
          f" / p99 {ack['p99_ms']:.1f}), first read {ryw['reflected_on_first_read']}/"
          f"{ryw['probes']}, missed {ryw['missed']}, server CPU/probe {out['server_cpu_ms_per_probe']} ms"
          + (f", POST p50 {out['post_ms']['p50_ms']:.1f} p99 {out['post_ms']['p99_ms']:.1f} ms, server CPU/POST "
             f"{out['server_cpu_ms_per_post']} ms" if args.posts_only else "")
          + f", load {out['load_average']}")


if __name__ == "__main__":
    main()
