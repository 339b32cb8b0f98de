"""Time and peak memory of building the serving state alone (not collected by pytest; run by hand).

    python benchmarks/serving_state_startup.py STORE_URL [--history-limit N] [--out FILE.json]

Opens the store and times ``LiveState.from_store`` (the catalog and every event: what each ``shopmind serve``
worker does at start-up besides loading the model and indexing the catalog for search), reporting the
process's peak RSS (``ru_maxrss``) before and after and what the state holds. Whichever ``shopmind`` is on
``PYTHONPATH`` is measured, so the same command compares two versions of the code (e.g. ``main``'s
frame build against the streamed one).
"""

from __future__ import annotations

import argparse
import json
import resource
import shlex
import subprocess
import sys
import time
from pathlib import Path

from shopmind.pipeline.state import LiveState
from shopmind.settings import PipelineSettings
from shopmind.storage import open_store


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("store")
    ap.add_argument("--history-limit", type=int)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    import shopmind

    uptime = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    config = PipelineSettings(**({"history_limit": args.history_limit} if args.history_limit else {}))
    with open_store(args.store) as store:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        state = LiveState.from_store(store, config)
        seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    res = {"command": shlex.join([Path(sys.executable).name, *sys.argv]), "code": str(Path(shopmind.__file__).parent),
           "uptime_before": uptime, "seconds": round(seconds, 1), "peak_rss_mb": round(peak / 1024, 1),
           "rss_before_mb": round(before / 1024, 1), "items": len(state.catalog),
           "history_users": len(state.history.users), "history_events": int(state.history.indptr[-1]),
           "event_ids": len(state.event_ids._keys), "users_with_negative_feedback": len(state.feedback),
           "uptime_after": subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()}
    text = json.dumps(res, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
