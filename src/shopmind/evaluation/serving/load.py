"""Driving the real server: a child process running ``shopmind serve``, an open-loop load generator on raw
keep-alive connections, the event-to-changed-list probe and the ingestion clients."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from shopmind.api.server import free_port


class Server:
    """`shopmind serve` in a child process."""

    def __init__(self, store: str, model: str, work: Path, ranker: str | None = None, workers: int = 1,
                 state: str | None = None, search_encoder: str | None = None, log_level: str = "warning",
                 env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "SHOPMIND_HOME": str(work / "home"), "SHOPMIND_API_KEYS": "", **(env or {})}
        self.log = open(work / f"server-{self.port}.log", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "shopmind.cli.main", "serve", "--store", store, "--model", model,
             "--port", str(self.port), "--log-level", log_level, *(["--ranker", ranker] if ranker else []),
             *(["--workers", str(workers)] if workers != 1 else []), *(["--state", state] if state else []),
             *(["--search-encoder", search_encoder] if search_encoder else [])],
            env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 600.0) -> float:
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


def percentiles(ms: list[float]) -> dict[str, float]:
    if not ms:
        return {}
    a = np.asarray(ms)
    return {"p50_ms": round(float(np.percentile(a, 50)), 3), "p90_ms": round(float(np.percentile(a, 90)), 3),
            "p95_ms": round(float(np.percentile(a, 95)), 3), "p99_ms": round(float(np.percentile(a, 99)), 3),
            "max_ms": round(float(a.max()), 3), "mean_ms": round(float(a.mean()), 3)}


# --------------------------------------------------------------------------- phases
class RawHTTP:
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


def run_loop(coro: Any) -> Any:
    """Run the load generator on uvloop where installed: it shares the two cores with the server it
    measures, so every microsecond it spends per request is taken from the server."""
    try:
        import uvloop  # lazy: optional (not on Windows): the plain asyncio loop otherwise
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


async def balanced(host: str, port: int, connections: int, workers: int, tries: int = 8
                   ) -> tuple[list[RawHTTP], list[int]]:
    """``connections`` keep-alive connections spread evenly over ``workers`` server processes (each names
    itself in ``GET /ready``), as a load balancer in front of them would spread requests. Without it the
    kernel hands a burst of connections on one listening socket to whichever worker accepts first, and a
    few long-lived connections can all land on one worker. Returns the connections and how many each worker
    holds."""
    want = -(-connections // workers)
    by_worker: dict[str, list[RawHTTP]] = {}
    spare: list[RawHTTP] = []
    for _ in range(tries * connections):
        if sum(min(len(v), want) for v in by_worker.values()) >= connections:
            break
        conn = RawHTTP(host, port)
        status, body = await conn.get("/ready")
        worker = str(json.loads(body).get("online_state", {}).get("worker", "local")) if status == 200 else "?"
        group = by_worker.setdefault(worker, [])
        (group if len(group) < want else spare).append(conn)
    for conn in spare:
        conn.close()
    pool = [c for group in by_worker.values() for c in group]
    for conn in pool[connections:]:
        conn.close()
    return pool[:connections], sorted((min(len(v), want) for v in by_worker.values()), reverse=True)


async def latency(url: str, users: list[str], rps: float, duration: float, seed: int,
                  connections: int = 32, workers: int = 1) -> dict[str, Any]:
    """Open loop: request i is due at ``start + i / rps`` whatever happened before; a pool of keep-alive
    connections sends them; latency counts from the due time (queueing included). With ``workers`` > 1 the
    connections are spread evenly over the server's worker processes (:func:`balanced`)."""
    host, port = url.split("//", 1)[1].split(":")
    rng = np.random.default_rng(seed)
    n = int(rps * duration)
    picks = rng.choice(len(users), n)
    lat: list[float] = []
    errors: dict[str, int] = {}
    queue: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
    clock = time.perf_counter  # not loop.time(): uvloop's clock has millisecond steps

    pool, spread = await balanced(host, int(port), connections, workers) if workers > 1 else ([], [])

    async def worker() -> None:
        conn = pool.pop() if pool else RawHTTP(host, int(port))
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
                    conn = RawHTTP(host, int(port))
                lat.append((clock() - due) * 1000.0)
        finally:
            conn.close()

    warm = RawHTTP(host, int(port))
    for u in users[:20]:  # warm-up (connections, caches)
        await warm.get(f"/recommendations/{u}?n=10")
    warm.close()
    # The generator's own pauses would count as the server's latency: a full collection of what this process
    # holds (the benchmark shop's ids, a few hundred thousand objects) stalls it for tens of milliseconds, at
    # the same step of every run. So what it holds is collected and frozen first, and none runs while timed.
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        senders = [asyncio.create_task(worker()) for _ in range(connections)]
        start = clock() + 0.05
        for i in range(n):
            due = start + i / rps
            delay = due - clock()
            if delay > 0:
                await asyncio.sleep(delay)
            queue.put_nowait((i, due))
        for _ in senders:
            queue.put_nowait(None)
        await asyncio.gather(*senders)
        achieved = n / max(clock() - start, 1e-9)
    finally:
        gc.enable()
        gc.unfreeze()
    return {"requests": n, "target_rps": rps, "achieved_rps": round(achieved, 1), "duration_s": duration,
            "connections": connections, "connections_per_worker": spread or None,
            "errors": sum(errors.values()), "error_kinds": errors,
            **percentiles(lat)}


def realtime(url: str, users: list[str], item_ids: list[str], categories: list[str], n_users: int,
              seed: int) -> dict[str, Any]:
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
    return {"users": n_users, "changed_share": round(changed / n_users, 3), **percentiles(times)}


async def ingest(url: str, users: list[str], item_ids: list[str], seconds: float, batch: int, clients: int,
                  seed: int) -> dict[str, Any]:
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
