"""Customer understanding measured: the CLV tracking plot, the churn reliability plot, and the speed benchmark
behind ``shopmind customers bench`` (BENCHMARKS.md section 4): a generated store of 100k users and 1M events,
``refresh`` from scratch and after 10k new events, and ``GET /users/{id}/profile`` over loopback HTTP.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shopmind.api import create_app
from shopmind.api.server import free_port
from shopmind.customers.config import CustomerSettings
from shopmind.customers.refresh import refresh
from shopmind.data.synth import generate_demo_shop
from shopmind.data.synth.population import GENDERS
from shopmind.data.synth.vocab import AGE_BANDS, CITIES
from shopmind.evaluation.plots import metric_bars
from shopmind.pipeline import RecommendationService
from shopmind.settings import ApiSettings
from shopmind.storage import open_store

logger = logging.getLogger(__name__)

#: Event types of the benchmark log and their shares.
BENCH_TYPES = {"view": 0.55, "click": 0.16, "add_to_cart": 0.09, "favorite": 0.05, "search": 0.05, "purchase": 0.08,
               "rating": 0.02}


def _figure(width: float, height: float) -> Any:
    # lazy: matplotlib takes a second to import; only reports draw
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def plot_tracking(curve: pd.DataFrame, path: Path, calibration_weeks: float | None = None,
                  title: str = "Cumulative repeat purchases") -> Path:
    """Actual against predicted cumulative repeat purchases by week (the paper's tracking plot)."""
    fig = _figure(7, 4)
    ax = fig.add_subplot()
    ax.plot(curve["week"], curve["actual"], label="actual", color="black")
    ax.plot(curve["week"], curve["predicted"], label="BG/NBD", color="tab:blue", linestyle="--")
    if calibration_weeks:
        ax.axvline(calibration_weeks, color="grey", linewidth=0.8)
        ax.text(calibration_weeks, ax.get_ylim()[1] * 0.05, " end of calibration", color="grey", fontsize=8)
    ax.set_xlabel("week")
    ax.set_ylabel("cumulative repeat purchases")
    ax.set_title(title)
    ax.legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path


def plot_reliability(calibration: Mapping[str, Mapping[str, Any]], path: Path, title: str = "Churn calibration"
                     ) -> Path:
    """Reliability diagram: observed churn rate against mean predicted P(churn), per bin, for each scorer."""
    fig = _figure(5, 5)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color="grey", linewidth=0.8, label="perfect")
    for name, cal in calibration.items():
        bins = cal["bins"]
        ax.plot([b["predicted"] for b in bins], [b["observed"] for b in bins], marker="o",
                label=f"{name} (ECE {cal['ece']:.3f})")
    ax.set_xlabel("predicted P(churn)")
    ax.set_ylabel("observed churn rate")
    ax.set_title(title)
    ax.legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path


def plot_churn_auc(report: Mapping[str, Any], path: Path) -> Path | None:
    """AUC and PR-AUC of the model and the baselines as bars."""
    names = [n for n in ("model", "recency", "bgnbd", "bgnbd_expected") if n in report]
    return metric_bars(names, [report[n] for n in names], [{} for _ in names], ["auc", "pr_auc"], path)


# ---------------------------------------------------------------------------------------------- speed benchmark
def bench_shop(n_users: int, n_events: int, n_items: int = 5_000, days: int = 365, seed: int = 0,
               end: pd.Timestamp | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(items, users, events)``: the demo shop's catalog and ``n_events`` events of ``n_users`` shoppers over
    ``days`` ending at ``end`` (heavy-tailed activity, Zipf-like item popularity, each shopper mostly in two
    categories; purchases carry their revenue)."""
    rng = np.random.default_rng(seed)
    end = pd.Timestamp.now(tz="UTC").floor("s") if end is None else end
    items = generate_demo_shop(n_items=n_items, items_only=True, seed=seed).items
    activity = rng.lognormal(0.0, 1.0, n_users)
    user = rng.choice(n_users, n_events, p=activity / activity.sum())
    cats = pd.factorize(items["category"])[0]
    by_cat = [np.flatnonzero(cats == c) for c in range(int(cats.max()) + 1)]
    favs = rng.integers(0, len(by_cat), (n_users, 2))
    own = rng.random(n_events) < 0.8
    cat = np.where(own, favs[user, rng.integers(0, 2, n_events)], rng.integers(0, len(by_cat), n_events))
    rank = np.minimum(rng.zipf(1.4, n_events) - 1, 100_000)
    sizes = np.array([len(b) for b in by_cat])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    flat = np.concatenate(by_cat)
    item = flat[offsets[cat] + rank % sizes[cat]]
    types = rng.choice(list(BENCH_TYPES), n_events, p=np.array(list(BENCH_TYPES.values())))
    seconds = np.sort(rng.integers(0, days * 86400, n_events))
    ts = end - pd.Timedelta(days=days) + pd.to_timedelta(seconds, unit="s")
    price = items["price"].to_numpy()[item]
    qty = np.where(types == "purchase", rng.integers(1, 3, n_events), np.nan)
    width = max(6, len(str(n_users)))
    uid = np.array([f"B{u:0{width}d}" for u in range(n_users)], dtype=object)
    day = seconds // 86400
    context = [{"revenue": float(p * q), "currency": "CNY"} if t == "purchase" else None
               for t, p, q in zip(types.tolist(), price.tolist(), qty.tolist(), strict=True)]
    events = pd.DataFrame({
        "event_id": [f"BE{i:09d}" for i in range(n_events)], "user_id": uid[user],
        "item_id": np.where(types == "search", None, items["item_id"].to_numpy()[item]),
        "type": types, "value": qty, "timestamp": ts,
        "session_id": [f"{u}-{d}" for u, d in zip(user.tolist(), day.tolist(), strict=True)], "context": context})
    users = pd.DataFrame({"user_id": uid, "attributes": [
        {"age_band": AGE_BANDS[a], "gender": GENDERS[g], "city": CITIES[c][0]}
        for a, g, c in zip(rng.integers(0, len(AGE_BANDS), n_users).tolist(),
                           rng.integers(0, len(GENDERS), n_users).tolist(),
                           rng.integers(0, len(CITIES), n_users).tolist(), strict=True)],
        "created_at": end - pd.Timedelta(days=days + 30)})
    return items, users, events


def profile_latency(url: str, user_ids: Sequence[str], requests: int = 2_000, seed: int = 0) -> dict[str, float]:
    """Sequential ``GET /users/{id}/profile`` calls over HTTP keep-alive: latency percentiles in ms."""
    # lazy: httpx is only needed when a server is measured
    import httpx

    rng = np.random.default_rng(seed)
    picks = rng.choice(np.asarray(user_ids, dtype=object), requests)
    times = []
    with httpx.Client(base_url=url, timeout=10.0) as client:
        for u in picks[:50]:  # warm-up
            client.get(f"/users/{u}/profile")
        for u in picks:
            t0 = time.perf_counter()
            r = client.get(f"/users/{u}/profile")
            times.append((time.perf_counter() - t0) * 1000)
            if r.status_code != 200:
                raise RuntimeError(f"GET /users/{u}/profile answered {r.status_code}: {r.text[:200]}")
    t = np.array(times)
    return {"requests": requests, "p50_ms": round(float(np.percentile(t, 50)), 3),
            "p95_ms": round(float(np.percentile(t, 95)), 3), "p99_ms": round(float(np.percentile(t, 99)), 3),
            "max_ms": round(float(t.max()), 3)}


#: The API server of the latency phase, in its own process (a client in the same process would share its GIL).
_SERVER = """
import sys, uvicorn
from shopmind.api import create_app
from shopmind.pipeline import RecommendationService
from shopmind.settings import ApiSettings
from shopmind.storage import open_store
store = open_store(sys.argv[1])
uvicorn.run(create_app(RecommendationService.open(store), ApiSettings()), host="127.0.0.1", port=int(sys.argv[2]),
            log_level="warning")
"""


@contextmanager
def profile_server(store_url: str, timeout: float = 300.0) -> Iterator[str]:
    """``shopmind``'s API over ``store_url`` in a child process on a free loopback port; yields its URL and stops
    the child afterwards."""
    # lazy: httpx is only needed when a server is measured
    import httpx

    port = free_port()
    child = subprocess.Popen([sys.executable, "-c", _SERVER, store_url, str(port)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if child.poll() is not None:
                raise RuntimeError(f"the API server exited: {(child.stderr.read() if child.stderr else b'')[-500:]!r}")
            try:
                if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the API server did not answer within {timeout:.0f} s")
            time.sleep(0.2)
        yield url
    finally:
        child.terminate()
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()


def profile_cpu(store_url: str, user_ids: Sequence[str], requests: int = 2_000, seed: int = 0) -> dict[str, float]:
    """CPU milliseconds of the process per ``GET /users/{id}/profile`` served in-process (ASGI test client: the
    client's share is included, so this is an upper bound on the server's work). Unlike wall-clock latency it
    does not grow when other processes compete for the cores."""
    # lazy: the test client (and httpx under it) is only needed when a server is measured
    from fastapi.testclient import TestClient

    rng = np.random.default_rng(seed)
    picks = rng.choice(np.asarray(user_ids, dtype=object), requests)
    cpu = []
    with open_store(store_url) as store, TestClient(create_app(RecommendationService.open(store),
                                                               ApiSettings())) as client:
        for u in picks[:50]:
            client.get(f"/users/{u}/profile")
        for u in picks:
            c0 = time.process_time()
            client.get(f"/users/{u}/profile")
            cpu.append((time.process_time() - c0) * 1000)
    c = np.array(cpu)
    return {"requests": requests, "cpu_p50_ms": round(float(np.percentile(c, 50)), 3),
            "cpu_p99_ms": round(float(np.percentile(c, 99)), 3)}


def run_customers_bench(work_dir: Path, users: int = 100_000, events: int = 1_000_000, new_events: int = 10_000,
                        requests: int = 2_000, settings: CustomerSettings | None = None, seed: int = 0,
                        say: Callable[[str], None] = print, progress: bool = False) -> dict[str, Any]:
    """Build the store, time a full refresh, append ``new_events`` and time the incremental refresh, then
    serve the API and time profile reads. Returns every number with the targets."""
    settings = settings or CustomerSettings()
    work_dir.mkdir(parents=True, exist_ok=True)
    db = work_dir / "customers-bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    end = pd.Timestamp.now(tz="UTC").floor("s") - pd.Timedelta(days=1)
    t0 = time.perf_counter()
    items, user_frame, log = bench_shop(users, events + new_events, seed=seed, end=end)
    log = log.sort_values("timestamp", kind="stable").reset_index(drop=True)
    old, new = log.iloc[:events], log.iloc[events:]
    say(f"generated {users:,} users, {events:,} + {new_events:,} events, {len(items):,} items "
        f"in {time.perf_counter() - t0:.1f} s")
    url = f"sqlite:///{db}"
    with open_store(url) as store:
        t0 = time.perf_counter()
        store.upsert_items(items)
        store.upsert_users(user_frame)
        for s in range(0, len(old), 200_000):
            store.append_events(old.iloc[s:s + 200_000])
        load_s = time.perf_counter() - t0
        say(f"stored in {load_s:.1f} s: {store.counts()}")
        as_of = pd.Timestamp(old["timestamp"].max())
        load_before = [round(x, 2) for x in os.getloadavg()]
        full = refresh(store, settings, full=True, as_of=as_of, progress=progress)
        say(f"full refresh: {full.users:,} profiles in {full.seconds:.1f} s ({full.cpu_seconds:.1f} CPU s)")
        store.append_events(new)
        incr = refresh(store, settings, as_of=pd.Timestamp(new["timestamp"].max()), progress=progress)
        say(f"incremental refresh: {incr.users:,} profiles after {new_events:,} events in {incr.seconds:.2f} s "
            f"({incr.cpu_seconds:.2f} CPU s)")
        profiled = store.profiles_frame()["user_id"].tolist()
    with profile_server(url) as server_url:
        latency = profile_latency(server_url, profiled, requests, seed)
    latency.update(profile_cpu(url, profiled, requests, seed))
    say(f"GET /users/{{id}}/profile: p50 {latency['p50_ms']:.2f} ms, p99 {latency['p99_ms']:.2f} ms over HTTP; "
        f"CPU per request p99 {latency['cpu_p99_ms']:.2f} ms")
    return {
        "users": users, "events": events, "new_events": new_events, "store_seconds": round(load_s, 1),
        "cpus": os.cpu_count(), "load_average_before": load_before,
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "full_refresh": full.as_dict(), "incremental_refresh": incr.as_dict(), "profile_get": latency,
        "targets": {"full_refresh_s": 60, "incremental_refresh_s": 5, "profile_get_p99_ms": 10},
        "met": {"full_refresh": full.seconds < 60, "incremental_refresh": incr.seconds < 5,
                "profile_get": latency["p99_ms"] < 10},
    }
