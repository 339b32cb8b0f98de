"""`shopmind bench-serve`: the serving benchmarks of ../shared/BENCHMARKS.md section 2, measured end to end.

1. **Setup**: a synthetic shop with a 100,000-item catalog (categories, brands, prices), clustered
   shopper histories and an impression log (slates with positions, clicks that favour the shopper's
   categories and the top slots) goes into a fresh SQLite store; an ALS model (64 factors) and a CTR
   ranker (``ranker``, trained on impression -> click as ``shopmind ctr train`` does) are trained on it;
   the real server (`shopmind serve --ranker ...`) starts as a separate process on loopback, so every
   request runs the full pipeline: candidates, ranking, re-ranking.
2. **Latency**: an open-loop load generator sends ``GET /recommendations/{user}?n=10`` for random known
   users at a fixed rate; latency counts from each request's *scheduled* send time, so a stalled server
   cannot hide queueing (no coordinated omission). p50 / p90 / p99 / max and errors are reported.
3. **Real time**: for sampled users, recommendations are read, one ``view`` event of an item from a
   random category is posted, and recommendations are read again: the time from sending the
   event to receiving the changed list, and the share of lists that changed.
4. **Ingestion and durability**: concurrent clients post event batches as fast as the server
   acknowledges them; then the server is killed with SIGKILL and the store is reopened: every
   acknowledged event must be there.
5. **Retrieval**: top-10 over ``n_vectors`` x ``dim`` random item vectors, the project's scoring path
   (matrix product + :func:`shopmind.models.base.top_k`, as factor models recommend) against the exact
   brute-force floor (one product + ``argpartition``), single queries and batched.

:func:`cpu_per_request` is the in-process companion of the latency phase, for profiling work: the same
shop and app, called without sockets, timed in thread CPU time (a load test on a busy two-core machine
measures the machine as much as the server).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

TARGETS = {"p50_ms": 5.0, "p99_ms": 20.0, "events_per_s": 5000.0, "realtime_ms": 100.0, "retrieval_ratio": 2.0}


@dataclass
class ServeBenchConfig:
    items: int = 100_000
    users: int = 20_000
    events_per_user: int = 20
    rps: float = 200.0
    duration: float = 60.0
    realtime_users: int = 50
    ingest_seconds: float = 10.0
    ingest_batch: int = 1000
    ingest_clients: int = 4
    vectors: int = 1_000_000
    dim: int = 64
    seed: int = 0
    #: Shoppers with one impression session each (10 slots), the CTR ranker's training log.
    impression_users: int = 5_000
    #: CTR ranker of the ranking stage (``lr``, ``fm``, ``gbdt``) or None for candidates + re-ranking only.
    ranker: str | None = "lr"
    work_dir: Path | None = None


@dataclass
class ServeBenchResult:
    setup: dict[str, Any] = field(default_factory=dict)
    latency: dict[str, Any] = field(default_factory=dict)
    realtime: dict[str, Any] = field(default_factory=dict)
    ingestion: dict[str, Any] = field(default_factory=dict)
    retrieval: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        from shopmind import __version__
        from shopmind.bench import _git_commit

        return {"setup": self.setup, "latency": self.latency, "realtime": self.realtime,
                "ingestion": self.ingestion, "retrieval": self.retrieval, "targets": TARGETS,
                "shopmind_version": __version__, "commit": _git_commit(), "cpus": os.cpu_count()}


# --------------------------------------------------------------------------- the synthetic shop
def synthetic_shop(n_items: int, n_users: int, per_user: int, seed: int = 0
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Items (up to 20 departments x 10 categories, 2,000 brands, log-normal prices) and view/cart/purchase
    events: each shopper sticks to 2 categories, with Zipf-like popularity inside a category."""
    rng = np.random.default_rng(seed)
    n_cat = int(np.clip(n_items // 20, 1, 200))
    cat = rng.permutation(np.arange(n_items) % n_cat)  # every category gets items
    items = pd.DataFrame({
        "item_id": [f"P{i:07d}" for i in range(n_items)],
        "title": [f"Product {i}" for i in range(n_items)],
        "category": [f"Dept {c // 10} > Cat {c}" for c in cat],
        "brand": [f"Brand {b}" for b in rng.integers(0, 2000, n_items)],
        "price": np.round(np.exp(rng.normal(3.5, 0.8, n_items)), 2),
    })
    by_cat = [np.flatnonzero(cat == c) for c in range(n_cat)]
    users = np.repeat(np.arange(n_users), per_user)
    favs = rng.integers(0, n_cat, (n_users, 2))
    which = favs[users, rng.integers(0, 2, len(users))]
    rank = np.minimum(rng.zipf(1.3, len(users)) - 1, 10_000)
    item = np.array([by_cat[c][r % len(by_cat[c])] for c, r in zip(which.tolist(), rank.tolist(), strict=True)])
    types = rng.choice(["view", "add_to_cart", "purchase"], len(users), p=[0.85, 0.1, 0.05])
    t0 = pd.Timestamp.now(tz="UTC").floor("s") - pd.Timedelta(days=30)
    ts = t0 + pd.to_timedelta(np.sort(rng.integers(0, 30 * 86400, len(users))), unit="s")
    events = pd.DataFrame({"user_id": [f"U{u:06d}" for u in users], "item_id": items["item_id"].to_numpy()[item],
                           "type": types, "timestamp": ts})
    return items, events


def synthetic_impressions(items: pd.DataFrame, events: pd.DataFrame, n_users: int, slots: int = 10,
                          seed: int = 0) -> pd.DataFrame:
    """One impression session for each of ``n_users`` shoppers of ``events``: ``slots`` items shown at
    positions 1..slots (half from the shopper's own categories, half from anywhere), each clicked with
    probability ``0.3`` (own category) or ``0.04`` (other) times ``position ** -0.5``; clicks follow their
    impression within a minute in the same session. The ranker must learn category affinity and position."""
    rng = np.random.default_rng(seed + 7)
    merged = events[["user_id", "item_id"]].merge(items[["item_id", "category"]], on="item_id")
    own = merged.groupby("user_id")["category"].agg(lambda c: sorted(set(c)))
    users = rng.choice(own.index.to_numpy(), min(n_users, len(own)), replace=False)
    by_cat = items.groupby("category").indices
    item_ids = items["item_id"].to_numpy()
    cats = items["category"].to_numpy()
    t_end = pd.Timestamp(events["timestamp"].max())
    rows: list[dict[str, Any]] = []
    for k, u in enumerate(users.tolist()):
        start = t_end - pd.Timedelta(seconds=int(rng.integers(60, 5 * 86400)))
        sid = f"imp-{k}"
        mine = own[u]
        for pos in range(1, slots + 1):
            if rng.random() < 0.5:
                pool = by_cat[mine[int(rng.integers(len(mine)))]]
                i = int(pool[min(int(rng.zipf(1.3)) - 1, len(pool) - 1)])
            else:
                i = int(rng.integers(len(item_ids)))
            t = start + pd.Timedelta(seconds=pos)
            ctx = {"position": pos, "page": "home"}
            rows.append({"user_id": u, "item_id": item_ids[i], "type": "impression", "timestamp": t,
                         "session_id": sid, "context": ctx})
            p = (0.3 if cats[i] in mine else 0.04) / np.sqrt(pos)
            if rng.random() < p:
                rows.append({"user_id": u, "item_id": item_ids[i], "type": "click",
                             "timestamp": t + pd.Timedelta(seconds=int(rng.integers(2, 60))), "session_id": sid,
                             "context": ctx})
    return pd.DataFrame(rows)


def train_ranker(store: Any, name: str, path: Path) -> dict[str, Any]:
    """A CTR ranker (impression -> click) on the store's whole log, the newest 10% calibrating it, as
    ``shopmind ctr train`` does; saved to ``path``. Returns its size, AUC and training time."""
    from shopmind.ranking import build_dataset
    from shopmind.ranking.bench import fit_for_serving

    t0 = time.perf_counter()
    ds = build_dataset(store.events_frame(), store.items_frame(), target="click")
    ranker, m = fit_for_serving(ds, name)
    ranker.save(path)
    return {"ranker": name, "path": str(path), "exposures": len(ds), "positive_rate": ds.describe()["positive_rate"],
            "calibration_auc": round(float(m["auc"]), 4), "calibration_logloss": round(float(m["logloss"]), 4),
            "seconds": round(time.perf_counter() - t0, 1)}


def build_shop(cfg: ServeBenchConfig, work: Path, say: Callable[[str], None]) -> dict[str, Any]:
    """Store + trained model under ``work``; returns what was built."""
    from shopmind.ingest import import_records
    from shopmind.models import create
    from shopmind.storage import load_interactions, open_store

    t0 = time.perf_counter()
    items, events = synthetic_shop(cfg.items, cfg.users, cfg.events_per_user, cfg.seed)
    url = f"sqlite:///{work / 'bench.db'}"
    shown = synthetic_impressions(items, events, cfg.impression_users, seed=cfg.seed) \
        if cfg.impression_users > 0 else pd.DataFrame()
    ranker: dict[str, Any] | None = None
    with open_store(url) as store:
        say(f"importing {len(items):,} items, {len(events):,} events and {len(shown):,} impressions/clicks")
        import_records(store, items.to_dict("records"), "item")
        for s in range(0, len(events), 200_000):
            import_records(store, events.iloc[s:s + 200_000].to_dict("records"), "event")
        if len(shown):
            import_records(store, shown.to_dict("records"), "event")
        data = load_interactions(store).first_touch()
        if cfg.ranker:
            say(f"training the {cfg.ranker} CTR ranker (impression -> click)")
            ranker = train_ranker(store, cfg.ranker, work / "models" / f"ranker-{cfg.ranker}.pkl")
    say("training ALS (64 factors)")
    model = create("als", factors=64).fit(data)
    path = model.save(work / "models" / "als")
    return {"store": url, "model": str(path), "ranker": ranker, "items": len(items),
            "users": int(events["user_id"].nunique()), "events": len(events) + len(shown),
            "build_seconds": round(time.perf_counter() - t0, 1),
            "user_ids": sorted(set(events["user_id"].tolist())), "item_ids": items["item_id"].tolist(),
            "categories": items["category"].tolist()}


# --------------------------------------------------------------------------- the server process
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`shopmind serve` in a child process."""

    def __init__(self, store: str, model: str, work: Path, ranker: str | None = None) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "SHOPMIND_HOME": str(work / "home"), "SHOPMIND_API_KEYS": ""}
        self.log = open(work / f"server-{self.port}.log", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "shopmind.cli.main", "serve", "--store", store, "--model", model,
             "--port", str(self.port), "--log-level", "warning", *(["--ranker", ranker] if ranker else [])],
            env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 600.0) -> float:
        import httpx

        t0 = time.perf_counter()
        while time.perf_counter() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}; see {self.log.name}")
            try:
                if httpx.get(self.url + "/ready", timeout=2.0).status_code == 200:
                    return time.perf_counter() - t0
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the server was not ready after {timeout:.0f} s; see {self.log.name}")

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def _percentiles(ms: list[float]) -> dict[str, float]:
    if not ms:
        return {}
    a = np.asarray(ms)
    return {"p50_ms": round(float(np.percentile(a, 50)), 3), "p90_ms": round(float(np.percentile(a, 90)), 3),
            "p99_ms": round(float(np.percentile(a, 99)), 3), "max_ms": round(float(a.max()), 3),
            "mean_ms": round(float(a.mean()), 3)}


# --------------------------------------------------------------------------- phases
class _RawHTTP:
    """A minimal HTTP/1.1 keep-alive client over asyncio streams: the load generator must cost far less
    CPU per request than the server it measures (httpx's pool degrades quadratically with queued requests)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, bytes]:
        if self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None and self.writer is not None
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = 0
        for line in lines[1:]:
            if line.lower().startswith("content-length:"):
                length = int(line.split(":", 1)[1])
        body = await self.reader.readexactly(length) if length else b""
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _run_loop(coro: Any) -> Any:
    """Run the load generator on uvloop where installed: it shares the two cores with the server it
    measures, so every microsecond it spends per request is taken from the server."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


async def _latency(url: str, users: list[str], rps: float, duration: float, seed: int,
                   connections: int = 32) -> dict[str, Any]:
    """Open loop: request i is due at ``start + i / rps`` whatever happened before; a pool of keep-alive
    connections sends them; latency counts from the due time (queueing included)."""
    host, port = url.split("//", 1)[1].split(":")
    rng = np.random.default_rng(seed)
    n = int(rps * duration)
    picks = rng.choice(len(users), n)
    lat: list[float] = []
    errors: dict[str, int] = {}
    queue: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
    clock = time.perf_counter  # not loop.time(): uvloop's clock has millisecond steps

    async def worker() -> None:
        conn = _RawHTTP(host, int(port))
        try:
            while True:
                job = await queue.get()
                if job is None:
                    return
                i, due = job
                try:
                    status, body = await conn.get(f"/recommendations/{users[picks[i]]}?n=10")
                    if status != 200 or body.count(b'"item_id"') != 10:
                        errors[str(status)] = errors.get(str(status), 0) + 1
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                    conn.close()
                    conn = _RawHTTP(host, int(port))
                lat.append((clock() - due) * 1000.0)
        finally:
            conn.close()

    warm = _RawHTTP(host, int(port))
    for u in users[:20]:  # warm-up (connections, caches)
        await warm.get(f"/recommendations/{u}?n=10")
    warm.close()
    workers = [asyncio.create_task(worker()) for _ in range(connections)]
    start = clock() + 0.05
    for i in range(n):
        due = start + i / rps
        delay = due - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((i, due))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    achieved = n / max(clock() - start, 1e-9)
    return {"requests": n, "target_rps": rps, "achieved_rps": round(achieved, 1), "duration_s": duration,
            "connections": connections, "errors": sum(errors.values()), "error_kinds": errors,
            **_percentiles(lat)}


def _realtime(url: str, users: list[str], item_ids: list[str], categories: list[str], n_users: int,
              seed: int) -> dict[str, Any]:
    import httpx

    rng = np.random.default_rng(seed + 1)
    by_cat: dict[str, list[int]] = {}
    for i, c in enumerate(categories):
        by_cat.setdefault(c, []).append(i)
    cats = list(by_cat)
    times, changed = [], 0
    with httpx.Client(base_url=url, timeout=10.0) as client:
        for u in rng.choice(users, n_users, replace=False).tolist():
            before = [x["item_id"] for x in client.get(f"/recommendations/{u}", params={"n": 10}).json()["items"]]
            cat = cats[int(rng.integers(len(cats)))]
            item = item_ids[by_cat[cat][int(rng.integers(len(by_cat[cat])))]]
            t0 = time.perf_counter()
            r = client.post("/events", json={"events": [{"user_id": u, "item_id": item, "type": "view"}]})
            r.raise_for_status()
            after = [x["item_id"] for x in client.get(f"/recommendations/{u}", params={"n": 10}).json()["items"]]
            times.append((time.perf_counter() - t0) * 1000.0)
            changed += after != before
    return {"users": n_users, "changed_share": round(changed / n_users, 3), **_percentiles(times)}


async def _ingest(url: str, users: list[str], item_ids: list[str], seconds: float, batch: int, clients: int,
                  seed: int) -> dict[str, Any]:
    import httpx

    rng = np.random.default_rng(seed + 2)
    acked, errors, sent = 0, 0, 0
    acked_ids: list[str] = []
    stop_at = time.perf_counter() + seconds

    async def worker(w: int, client: httpx.AsyncClient) -> None:
        nonlocal acked, errors, sent
        k = 0
        while time.perf_counter() < stop_at:
            ids = [f"bench-{w}-{k}-{j}" for j in range(batch)]
            us = rng.choice(len(users), batch)
            its = rng.choice(len(item_ids), batch)
            body = {"events": [{"event_id": e, "user_id": users[a], "item_id": item_ids[b], "type": "view"}
                               for e, a, b in zip(ids, us.tolist(), its.tolist(), strict=True)]}
            k += 1
            sent += batch
            try:
                r = await client.post("/events", json=body)
                if r.status_code == 200 and r.json().get("inserted") == batch:
                    acked += batch
                    acked_ids.extend(ids)
                else:
                    errors += 1
            except httpx.HTTPError:
                errors += 1

    t0 = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, timeout=60.0) as client:
        await asyncio.gather(*(worker(w, client) for w in range(clients)))
    elapsed = time.perf_counter() - t0
    return {"acknowledged": acked, "sent": sent, "failed_batches": errors, "seconds": round(elapsed, 2),
            "events_per_s": round(acked / elapsed, 1), "batch": batch, "clients": clients,
            "_acked_ids": acked_ids}


def retrieval_bench(n: int, dim: int, seed: int = 0, single: int = 30, batched: int = 512,
                    batch: int = 256) -> dict[str, Any]:
    """Top-10 over ``n`` x ``dim`` vectors: our retrieval paths against the exact brute-force floor.

    Ours: one query is :func:`~shopmind.pipeline.versions.bounded_top`'s matrix-vector product plus
    :func:`~shopmind.pipeline.neighbours.top_positions` (what a request runs); a batch of ``batch``
    queries is :func:`~shopmind.pipeline.neighbours.top_inner_product`. The floor of each mode is the
    fastest exact brute force available here: numpy (score everything, partition every row) and, when
    faiss is installed, its flat inner-product index (``distance_compute_blas_threshold`` set low, as
    BENCHMARKS.md advises) - each floor's time is reported.
    """
    from shopmind.pipeline.neighbours import top_inner_product, top_positions

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim), dtype=np.float32)
    xt = np.ascontiguousarray(x.T)
    q = rng.standard_normal((max(batched, single), dim), dtype=np.float32)

    def numpy_floor(qs: np.ndarray) -> np.ndarray:
        s = qs @ xt
        return np.argpartition(-s, 9, axis=1)[:, :10]

    floors: dict[str, Callable[[np.ndarray], np.ndarray]] = {"numpy": numpy_floor}
    try:
        import faiss

        faiss.cvar.distance_compute_blas_threshold = 1
        index = faiss.IndexFlatIP(dim)
        index.add(x)
        floors["faiss"] = lambda qs: index.search(qs, 10)[1]
    except ImportError:
        pass

    def ours_single(qs: np.ndarray) -> np.ndarray:
        return np.array([top_positions(v @ xt, 10) for v in qs])

    def ours_batched(qs: np.ndarray) -> np.ndarray:
        return top_inner_product(qs, xt, 10)[0]

    def timed(fn: Callable[[np.ndarray], np.ndarray], chunk: int, total: int) -> float:
        fn(q[:chunk])  # warm
        t0 = time.perf_counter()
        for s in range(0, total, chunk):
            fn(q[s:s + chunk])
        return (time.perf_counter() - t0) / total * 1000.0

    # exactness: the same top-10 sets as the floor
    ref = numpy_floor(q[:16])
    same = all(set(a.tolist()) == set(b.tolist()) for a, b in zip(ours_batched(q[:16]), ref, strict=True)) and \
        all(set(a.tolist()) == set(b.tolist()) for a, b in zip(ours_single(q[:4]), ref[:4], strict=True))
    out: dict[str, Any] = {"vectors": n, "dim": dim, "exact_match": same, "floors": sorted(floors)}
    runs = (("single", ours_single, 1, single), ("batched", ours_batched, min(batch, batched), batched))
    for label, ours, chunk, total in runs:
        by_floor = {name: round(timed(fn, chunk, total), 3) for name, fn in floors.items()}
        f = min(by_floor.values())
        o = timed(ours, chunk, total)
        out[label] = {"queries_per_call": chunk, "floor_ms_per_query": f, "floor_by_method": by_floor,
                      "ours_ms_per_query": round(o, 3), "ratio": round(o / f, 3)}
    return out


def run_serve_bench(cfg: ServeBenchConfig, say: Callable[[str], None] = print,
                    phases: tuple[str, ...] = ("latency", "realtime", "ingestion", "retrieval")) -> ServeBenchResult:
    res = ServeBenchResult()
    tmp = None
    if cfg.work_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="shopmind-servebench-")
        work = Path(tmp.name)
    else:
        work = Path(cfg.work_dir)
        work.mkdir(parents=True, exist_ok=True)
    try:
        if any(p in phases for p in ("latency", "realtime", "ingestion")):
            shop = build_shop(cfg, work, say)
            users, item_ids, cats = shop.pop("user_ids"), shop.pop("item_ids"), shop.pop("categories")
            res.setup = shop
            server = Server(shop["store"], shop["model"], work, (shop["ranker"] or {}).get("path"))
            try:
                res.setup["server_start_seconds"] = round(server.wait_ready(), 1)
                import httpx

                ready = httpx.get(server.url + "/ready", timeout=10.0).json()
                res.setup["served"] = {"model": (ready.get("model") or {}).get("model"),
                                       "ranker": (ready.get("ranker") or {}).get("ranker")}
                if "latency" in phases:
                    say(f"latency: {cfg.rps:.0f} requests/s for {cfg.duration:.0f} s")
                    res.latency = _run_loop(_latency(server.url, users, cfg.rps, cfg.duration, cfg.seed))
                if "realtime" in phases:
                    say(f"real time: {cfg.realtime_users} users, one event each")
                    res.realtime = _realtime(server.url, users, item_ids, cats, cfg.realtime_users, cfg.seed)
                if "ingestion" in phases:
                    say(f"ingestion: {cfg.ingest_clients} clients x {cfg.ingest_batch}-event batches for "
                        f"{cfg.ingest_seconds:.0f} s, then kill -9")
                    ing = asyncio.run(_ingest(server.url, users, item_ids, cfg.ingest_seconds, cfg.ingest_batch,
                                              cfg.ingest_clients, cfg.seed))
                    server.kill9()
                    acked = set(ing.pop("_acked_ids"))
                    from shopmind.storage import open_store

                    with open_store(shop["store"]) as store:
                        ev = store.events_frame()
                    stored = set(ev["event_id"].dropna().astype(str)) & acked
                    ing.update({"stored_after_kill9": len(stored), "lost": len(acked) - len(stored)})
                    res.ingestion = ing
            finally:
                server.stop()
        if "retrieval" in phases:
            say(f"retrieval: top-10 over {cfg.vectors:,} x {cfg.dim} vectors")
            res.retrieval = retrieval_bench(cfg.vectors, cfg.dim, cfg.seed)
    finally:
        if tmp is not None:
            tmp.cleanup()
    return res


def verdicts(res: ServeBenchResult) -> list[tuple[str, str, str, bool]]:
    """(measure, value, target, met) rows for the report."""
    rows = []
    rk = res.setup.get("ranker")
    if rk:
        rows.append((f"{rk['ranker']} ranker AUC (newest 10% of exposures)", f"{rk['calibration_auc']:.3f}", "> 0.5",
                     rk["calibration_auc"] > 0.5))
    lat = res.latency
    if lat:
        rows.append(("recommend p50", f"{lat['p50_ms']:.2f} ms", "<= 5 ms", lat["p50_ms"] <= TARGETS["p50_ms"]))
        rows.append(("recommend p99", f"{lat['p99_ms']:.2f} ms", "<= 20 ms", lat["p99_ms"] <= TARGETS["p99_ms"]))
        rows.append(("recommend errors", str(lat["errors"]), "0", lat["errors"] == 0))
    rt = res.realtime
    if rt:
        rows.append(("event -> changed list (p99)", f"{rt['p99_ms']:.1f} ms ({rt['changed_share']:.0%} changed)",
                     "<= 100 ms", rt["p99_ms"] <= TARGETS["realtime_ms"] and rt["changed_share"] >= 0.99))
    ing = res.ingestion
    if ing:
        rows.append(("ingestion", f"{ing['events_per_s']:,.0f} events/s", ">= 5,000/s",
                     ing["events_per_s"] >= TARGETS["events_per_s"]))
        rows.append(("lost after kill -9", str(ing["lost"]), "0", ing["lost"] == 0))
    rv = res.retrieval
    if rv:
        for label in ("single", "batched"):
            r = rv[label]
            rows.append((f"top-10 retrieval {label}", f"{r['ours_ms_per_query']:.2f} ms/query "
                         f"(floor {r['floor_ms_per_query']:.2f}, x{r['ratio']:.2f})", "<= 2x floor",
                         r["ratio"] <= TARGETS["retrieval_ratio"] and rv["exact_match"]))
    return rows


def cpu_per_request(cfg: ServeBenchConfig, requests: int = 500, say: Callable[[str], None] = print
                    ) -> dict[str, Any]:
    """Server CPU time per ``GET /recommendations/{user}?n=10``, measured in this process.

    The shop of ``cfg`` is built in ``cfg.work_dir`` (and reused from there by later calls), served by the
    app ``shopmind serve`` runs, with BLAS pinned to one thread as the server pins it, and called as an
    ASGI app (routing, middleware, parameters, the pipeline and the JSON body; no sockets). For
    ``requests`` random users it times, in thread CPU time, the first request of a user (``first``) and
    a second one (``again``: the model candidates of a user are cached per model version). Returns
    milliseconds: p50 / p90 / p99 / mean of each, plus the seconds the service took to open.
    """
    from threadpoolctl import threadpool_limits

    from shopmind.api import ApiSettings, create_app
    from shopmind.models import Recommender
    from shopmind.pipeline import RecommendationService
    from shopmind.storage import open_store

    work = Path(cfg.work_dir or tempfile.mkdtemp(prefix="shopmind-cpu-"))
    work.mkdir(parents=True, exist_ok=True)
    marker = work / "shop.json"
    if marker.exists():
        shop = json.loads(marker.read_text())
    else:
        shop = build_shop(cfg, work, say)
        shop = {"store": shop["store"], "model": shop["model"], "ranker": shop["ranker"], "user_ids": shop["user_ids"]}
        marker.write_text(json.dumps(shop))
    with threadpool_limits(1), open_store(shop["store"]) as store:
        t0 = time.perf_counter()
        service = RecommendationService.open(store, Recommender.load(shop["model"]), source=shop["model"])
        if shop.get("ranker"):
            service.set_ranker(Path(shop["ranker"]["path"]))
        opened = time.perf_counter() - t0
        app = create_app(service, ApiSettings())
        users = shop["user_ids"]
        picks = [users[i] for i in np.random.default_rng(cfg.seed).choice(len(users), requests)]

        async def call(user: str) -> float:
            path = f"/recommendations/{user}"
            scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                     "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"n=10",
                     "headers": [(b"host", b"bench")], "root_path": "", "server": ("127.0.0.1", 80),
                     "client": ("127.0.0.1", 1)}
            status: list[int] = []

            async def receive() -> dict[str, Any]:
                return {"type": "http.request", "body": b"", "more_body": False}

            async def send(message: MutableMapping[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    status.append(int(message["status"]))

            t = time.thread_time()
            await app(scope, receive, send)
            elapsed = time.thread_time() - t
            if status != [200]:
                raise RuntimeError(f"GET /recommendations/{user} answered {status}")
            return elapsed * 1000.0

        async def run() -> tuple[list[float], list[float]]:
            warm = users[-20:]
            for u in warm:
                await call(u)
            first, again = [], []
            seen = set(warm)
            for u in picks:
                if u in seen:
                    continue
                seen.add(u)
                first.append(await call(u))
                again.append(await call(u))
            return first, again

        first, again = asyncio.run(run())
    return {"requests": len(first), "items": cfg.items, "users": cfg.users, "service_open_s": round(opened, 1),
            "first": _percentiles(first), "again": _percentiles(again)}


def save(res: ServeBenchResult, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res.as_dict(), indent=2))
