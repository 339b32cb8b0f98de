"""Two independent trials, serial vs Ray, alternated: the whole `shopmind bench` process timed from outside.

    python benchmarks/ray_ab.py --pairs 2 --epochs 800 --out benchmarks/measured/ray-bench-bpr-1thread-800-quiet.json

Each pair runs `--executor ray` then `--executor serial` (the same command otherwise), checks that both gave the
same metrics, and records the wall times, the ratio of each pair, and `uptime` before and after.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=800)
    ap.add_argument("--data", default="ml-100k")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    shopmind = str(Path(sys.executable).with_name("shopmind"))
    base = [shopmind, "bench", "--data", args.data, "--models", "bpr,bpr@s1", "-p", "bpr.threads=1",
            "-p", "bpr@s1.threads=1", "-p", "bpr@s1.seed=1", "-p", f"bpr.epochs={args.epochs}",
            "-p", f"bpr@s1.epochs={args.epochs}"]
    uptime = lambda: subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()  # noqa: E731
    runs: list[dict[str, object]] = []
    before = uptime()
    with tempfile.TemporaryDirectory() as tmp:
        for pair in range(args.pairs):
            for executor in ("ray", "serial"):
                out = Path(tmp) / f"{executor}-{pair}.json"
                t0 = time.perf_counter()
                subprocess.run([*base, "--executor", executor, "--out", str(out)], check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                wall = time.perf_counter() - t0
                doc = json.loads(out.read_text())
                runs.append({"pair": pair, "executor": executor, "wall_seconds": round(wall, 2),
                             "metrics": {r["model"]: r["metrics"] for r in doc["results"]},
                             "train_seconds": {r["model"]: r.get("train_seconds") for r in doc["results"]},
                             "executor_block": doc.get("executor"), "uptime_after": uptime()})
                print(executor, pair, round(wall, 1), "s", file=sys.stderr)
    ratios = [round(float(r["wall_seconds"]) / float(s["wall_seconds"]), 3)  # type: ignore[arg-type]
              for r, s in zip(runs[0::2], runs[1::2], strict=True)]
    same = all(json.dumps(r["metrics"], sort_keys=True) == json.dumps(runs[0]["metrics"], sort_keys=True)
               for r in runs)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    result = {"what": "two independent one-thread BPR trials, ray vs serial, alternated", "command": " ".join(base[1:]),
              "uptime_before": before, "uptime_after": uptime(), "commit": commit, "ratios_ray_over_serial": ratios,
              "median_ratio": sorted(ratios)[len(ratios) // 2] if len(ratios) % 2 else
              round(sum(sorted(ratios)[len(ratios) // 2 - 1:len(ratios) // 2 + 1]) / 2, 3),
              "identical_metrics_across_all_runs": same, "runs": runs}
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("ratios_ray_over_serial", "median_ratio",
                                             "identical_metrics_across_all_runs")}))


if __name__ == "__main__":
    main()
