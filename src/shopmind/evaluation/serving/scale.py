"""The serving benchmark at several workers (``bench-serve --workers 1,2 --state redis://...``).

For each worker count N, ``shopmind serve --workers N --state URL`` runs on the benchmark shop and three
things are measured against it on loopback:

- ``max_rps_p99_20ms``: the highest open-loop request rate (``GET /recommendations/{user}?n=10``) whose p99
  stays at or under 20 ms with no error, found by raising the rate step by step and then bisecting;
- ``cross_worker_read_your_writes_p99_ms``: a ``view`` event of a new shopper is posted on a keep-alive
  connection that one worker holds and recommendations are read on a connection another worker holds,
  until the list reflects the event: the viewed item is left out and the list is built from it (no longer
  cold-start: the model folded the view in, or an item is recommended "because you viewed" it); the time
  from sending the event to that list, split into the acknowledgement and the reads. A probe not reflected
  within ``timeout`` counts as ``timeout`` in the percentiles (``missed``);
- ``swap_failed_requests`` and ``swap_propagation_ms``: under a steady load, a second model version is
  loaded on one worker (every worker loads it), then rolled back and activated again; the failed
  requests over the whole swap, and the time until every worker serves the version (read on each worker's
  connection).

Each keep-alive connection stays with the worker that accepted it; a worker names itself in ``GET /ready``
(``online_state.worker``), which is how the probes pick connections on two different workers.

The load generator runs in this process, on the same two cores as the workers and Redis: each rate step
reports the CPU seconds it used (``load_generator_cpu_s``, per request ``load_generator_cpu_ms_per_request``)
next to those of the server processes (``server_cpu_s``, read from ``/proc``), and every worker count the
load average before and after it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import redis

from shopmind.evaluation.serving.load import Server, latency, percentiles, run_loop
from shopmind.pipeline.state_redis import split_prefix


class Connection:
    """One keep-alive connection (so one worker) and the worker that holds it."""

    def __init__(self, url: str) -> None:
        self.client = httpx.Client(base_url=url, timeout=10.0, limits=httpx.Limits(max_connections=1,
                                                                                   max_keepalive_connections=1))
        self.worker = str(self.client.get("/ready").json()["online_state"].get("worker", "local"))

    def active(self) -> str | None:
        """The version this worker serves (``GET /models`` runs on the event loop: cheap even while the worker
        loads a model); None when it did not answer in time."""
        try:
            versions = self.client.get("/models", timeout=30.0).json()
        except httpx.HTTPError:
            return None
        return next((str(v["version"]) for v in versions if v.get("active")), None)

    def close(self) -> None:
        self.client.close()


def connections(url: str, workers: int, tries: int = 64) -> list[Connection]:
    """Keep-alive connections, one per distinct worker (fewer when the kernel never handed one a connection)."""
    found: dict[str, Connection] = {}
    spare: list[Connection] = []
    for _ in range(tries):
        conn = Connection(url)
        if conn.worker in found:
            spare.append(conn)
        else:
            found[conn.worker] = conn
        if len(found) >= workers:
            break
    for conn in spare:
        conn.close()
    return list(found.values())


def wait_workers(url: str, workers: int, timeout: float = 900.0) -> None:
    """Until ``workers`` distinct workers have answered (each builds its state before it accepts)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        conns = connections(url, workers, tries=4 * workers)
        n = len(conns)
        for c in conns:
            c.close()
        if n >= workers:
            return
        time.sleep(1.0)
    raise RuntimeError(f"{workers} workers did not all answer within {timeout:.0f} s")


def process_tree_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) used so far by process ``pid`` and its children (Linux ``/proc``; None
    elsewhere): the server's share of the cores next to the load generator's."""
    proc = Path("/proc")
    if not (proc / str(pid) / "stat").is_file():
        return None
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        parents[int(entry.name)] = int(fields[1])
        ticks[int(entry.name)] = int(fields[11]) + int(fields[12])
    tree, frontier = {pid}, [pid]
    while frontier:
        kids = [p for p, parent in parents.items() if parent in frontier and p not in tree]
        tree.update(kids)
        frontier = kids
    return sum(ticks.get(p, 0) for p in tree) / tick


class RateSearch:
    """The search of :func:`max_rate`, one step at a time (so that several servers' searches can take turns):
    x1.4 steps up from ``start`` while they pass, then bisection until the passing and failing rates are within
    ``resolution`` (a share of the failing one), ``steps`` steps in all."""

    def __init__(self, start: float, steps: int, resolution: float = 0.05) -> None:
        self.lo, self.hi = 0.0, start
        self.steps, self.resolution = steps, resolution
        self.rising = True
        self.runs: list[dict[str, Any]] = []

    @property
    def done(self) -> bool:
        return len(self.runs) >= self.steps or (not self.rising and self.hi - self.lo <= self.resolution * self.hi)

    def next_rate(self) -> float:
        return self.hi if self.rising else (self.lo + self.hi) / 2

    def record(self, rate: float, run: dict[str, Any]) -> None:
        """The outcome of the step at ``rate`` (``run["ok"]``: it passed)."""
        self.runs.append(run)
        if self.rising and run["ok"]:
            self.lo, self.hi = rate, rate * 1.4
        elif self.rising:
            self.rising = False  # bisect between the last rate that passed and this one
        elif run["ok"]:
            self.lo = rate
        else:
            self.hi = rate

    def result(self, duration: float) -> dict[str, Any]:
        return {"max_rps_p99_20ms": round(self.lo, 1), "limit_found": not all(r["ok"] for r in self.runs),
                "runs": self.runs, "step_seconds": duration}


def rate_step(url: str, users: list[str], seed: int, rate: float, duration: float, p99_ms: float = 20.0,
              say: Callable[[str], None] = print, server_pid: int | None = None, workers: int = 1,
              label: str = "") -> dict[str, Any]:
    """One step of a rate search: ``rate`` for ``duration`` seconds, open loop; ``ok`` when p99 <= ``p99_ms``
    and no request failed. Records the CPU seconds of the load generator (this process) and of the server."""
    cpu0 = time.process_time()
    srv0 = process_tree_cpu(server_pid) if server_pid else None
    got = run_loop(latency(url, users, rate, duration, seed, workers=workers))
    gen = time.process_time() - cpu0
    srv1 = process_tree_cpu(server_pid) if server_pid else None
    run = {"rps": round(rate, 1), "p50_ms": got["p50_ms"], "p99_ms": got["p99_ms"],
           "achieved_rps": got["achieved_rps"], "errors": got["errors"],
           "ok": bool(got["errors"] == 0 and got["p99_ms"] <= p99_ms),
           "load_generator_cpu_s": round(gen, 2),
           "load_generator_cpu_ms_per_request": round(1000 * gen / max(got.get("requests", 0), 1), 3),
           "server_cpu_s": None if srv0 is None or srv1 is None else round(srv1 - srv0, 2),
           "load_average_1min": round(os.getloadavg()[0], 1),
           "connections_per_worker": got.get("connections_per_worker")}
    say(f"  {label}{rate:.0f} rps: p50 {got['p50_ms']:.1f} ms, p99 {got['p99_ms']:.1f} ms, errors {got['errors']}, "
        f"CPU: generator {gen:.1f} s, server {run['server_cpu_s']} s")
    return run


def max_rate(url: str, users: list[str], seed: int, start: float, duration: float, p99_ms: float = 20.0,
             steps: int = 10, say: Callable[[str], None] = print, server_pid: int | None = None,
             workers: int = 1, resolution: float = 0.05) -> dict[str, Any]:
    """The highest rate with p99 <= ``p99_ms`` and no error (:class:`RateSearch`). Each step records the CPU
    seconds of the load generator (this process) and of the server. ``limit_found`` is False when every step
    passed: the rate is then a lower bound."""
    return interleaved_max_rates([(url, server_pid, workers)], users, seed, start, duration, p99_ms, steps, say,
                                 resolution)[0]


def interleaved_max_rates(targets: list[tuple[str, int | None, int]], users: list[str], seed: int, start: float,
                          duration: float, p99_ms: float = 20.0, steps: int = 10,
                          say: Callable[[str], None] = print, resolution: float = 0.05) -> list[dict[str, Any]]:
    """:func:`max_rate` of several running servers (``(url, pid, workers)`` each), their steps taking turns -
    in alternating order, one server's step then the other's - so that every search samples the same minutes
    of the machine: the ratio of their rates does not carry a drift of the machine's speed between them. The
    servers not under load are idle meanwhile."""
    searches = [RateSearch(start, steps, resolution) for _ in targets]
    turn = 0
    while not all(s.done for s in searches):
        order = list(range(len(targets)))
        for i in order if turn % 2 == 0 else order[::-1]:
            search = searches[i]
            if search.done:
                continue
            url, pid, workers = targets[i]
            rate = search.next_rate()
            label = f"{workers} worker(s), " if len(targets) > 1 else ""
            search.record(rate, rate_step(url, users, seed + len(search.runs), rate, duration, p99_ms, say, pid,
                                          workers, label))
        turn += 1
    return [s.result(duration) for s in searches]


def reflects(body: dict[str, Any], item: str) -> bool:
    """Whether a new shopper's list reflects their view of ``item``: the item is left out, and the list is
    built from it (no longer cold-start, or an item recommended because of it)."""
    listed = body["items"]
    if any(x["item_id"] == item for x in listed):
        return False
    return not body.get("cold_start", True) or any(x.get("because_item_id") == item for x in listed)


def read_your_writes(conns: list[Connection], users: list[str], items: list[str], probes: int,
                     seed: int, timeout: float = 2.0) -> dict[str, Any]:
    """Post a view on one worker, read on another until the list reflects it (see the module docs). The
    reads follow one another without a pause: the time measured is the system's, not a polling interval."""
    rng = np.random.default_rng(seed + 11)
    writer, reader = conns[0], conns[-1]
    times: list[float] = []
    acks: list[float] = []
    first_read, missed, stale_reads = 0, 0, 0
    for k in range(probes):
        user = f"ryw-{seed}-{k}-{int(rng.integers(1 << 30))}"
        item = items[int(rng.integers(len(items)))]
        t0 = time.perf_counter()
        r = writer.client.post("/events", json={"events": [{"user_id": user, "item_id": item, "type": "view"}]})
        r.raise_for_status()
        acks.append((time.perf_counter() - t0) * 1000.0)
        reads = 0
        while True:
            body = reader.client.get(f"/recommendations/{user}", params={"n": 10}).json()
            reads += 1
            if reflects(body, item):
                times.append((time.perf_counter() - t0) * 1000.0)
                first_read += reads == 1
                stale_reads += reads - 1
                break
            if time.perf_counter() - t0 > timeout:
                missed += 1
                times.append(timeout * 1000.0)  # a miss counts as the timeout, not as nothing
                break
    return {"probes": probes, "writer": writer.worker, "reader": reader.worker,
            "cross_worker": writer.worker != reader.worker, "reflected_on_first_read": first_read,
            "stale_reads": stale_reads, "missed": missed, "timeout_s": timeout,
            "acknowledged_ms": percentiles(acks), **{f"{k}": v for k, v in percentiles(times).items()}}


def swap(url: str, conns: list[Connection], users: list[str], model: str, work: Path, rate: float, seed: int,
         say: Callable[[str], None] = print) -> dict[str, Any]:
    """Load a second version, roll back, activate again, under a steady load (see the module docs)."""
    second = work / "home" / "models" / "als-swap"
    if not second.exists():
        shutil.copytree(model, second)
    chunks: list[dict[str, Any]] = []
    stop = threading.Event()

    def steady() -> None:  # 5-second open-loop runs back to back until the swaps are done
        while not stop.is_set():
            chunks.append(run_loop(latency(url, users, rate, 5.0, seed + 5 + len(chunks), workers=len(conns))))

    load = threading.Thread(target=steady)
    load.start()
    time.sleep(2.0)
    lead = conns[0]

    def propagate(version: str) -> bool:
        t0 = time.perf_counter()
        pending = list(conns)
        while pending:
            pending = [c for c in pending if c.active() != version]
            if time.perf_counter() - t0 > 600:
                return False
            time.sleep(0.005)
        return True

    before = lead.active() or ""
    t0 = time.perf_counter()
    new = lead.client.post("/models/reload", json={"name": "als-swap"}, timeout=600.0).json()["version"]
    propagate(new)
    load_ms = (time.perf_counter() - t0) * 1000.0
    say(f"  loaded {new} on every worker in {load_ms / 1000:.1f} s")
    times, reached = [], []
    for target, path in ((before, "/models/rollback"), (new, "/models/activate")):
        body = {"version": new} if path.endswith("activate") else None
        t1 = time.perf_counter()  # from the request that swaps to the last worker serving the version
        lead.client.post(path, json=body).raise_for_status()
        reached.append(propagate(target))
        times.append((time.perf_counter() - t1) * 1000.0)
    time.sleep(1.0)
    stop.set()
    load.join()
    kinds: dict[str, int] = {}
    for c in chunks:
        for kind, count in c["error_kinds"].items():
            kinds[kind] = kinds.get(kind, 0) + count
    return {"load_rps": rate, "load_requests": sum(c["requests"] for c in chunks),
            "swap_failed_requests": sum(c["errors"] for c in chunks), "error_kinds": kinds,
            "load_p99_ms_worst_5s": max((c.get("p99_ms", 0.0) for c in chunks), default=None),
            "every_worker_reached": all(reached),
            "new_version_load_s": round(load_ms / 1000, 1),
            "swap_propagation_ms": [round(t, 1) for t in times], "workers_checked": len(conns)}


def with_prefix(state: str, prefix: str) -> str:
    """``state`` with its keys under ``prefix`` (after any prefix it names already)."""
    url, given = split_prefix(state, "")
    return f"{url}{'&' if '?' in url else '?'}prefix={given}{prefix}"


def scale_bench(shop: dict[str, Any], users: list[str], work: Path, workers: list[int], state: str, seed: int,
                rate_seconds: float = 8.0, probes: int = 100, say: Callable[[str], None] = print,
                rate_steps: int = 14, interleave: bool = True) -> dict[str, Any]:
    """Every measure of the module docs for each worker count in ``workers``.

    With ``interleave`` (the default), a server per worker count runs from the start, each with its online
    state under its own key prefix in the one database (``bench-w<N>:``), and their rate searches take turns
    step by step (:func:`interleaved_max_rates`); read-your-writes and the swap are measured on one server at a
    time, the others idle. Without it, one server at a time, each search in one go."""
    out: dict[str, Any] = {"state": state, "workers": {}, "cpus": os.cpu_count(), "command": _command(),
                           "interleaved": interleave and len(workers) > 1,
                           "load_average_at_start": [round(x, 1) for x in os.getloadavg()],
                           "load_generator": "asyncio raw HTTP/1.1 keep-alive, 32 connections spread evenly over "
                                             "the workers, open loop, in the benchmark process (uvloop when "
                                             "installed)",
                           "probe_client": "httpx, one keep-alive connection per worker"}
    ranker = (shop.get("ranker") or {}).get("path")
    redis.Redis.from_url(split_prefix(state)[0]).flushdb()  # a dedicated database: runs start from the store alone
    groups = [list(workers)] if out["interleaved"] else [[n] for n in workers]
    for group in groups:
        servers: dict[int, Server] = {}
        conns: dict[int, list[Connection]] = {}
        ryw: dict[int, dict[str, Any]] = {}
        cpu0 = time.process_time()
        load0 = [round(x, 1) for x in os.getloadavg()]
        try:
            for n in group:
                # /search is not measured here: no text encoder, so a worker starts without encoding the catalog
                servers[n] = Server(shop["store"], shop["model"], work, ranker, workers=n,
                                    state=with_prefix(state, f"bench-w{n}:"), search_encoder="none")
                t0 = time.perf_counter()
                servers[n].wait_ready()
                wait_workers(servers[n].url, n)
                say(f"{n} worker(s): ready in {time.perf_counter() - t0:.0f} s")
            for n, server in servers.items():
                conns[n] = connections(server.url, n)
                items = [x["item_id"] for u in users[:20]
                         for x in conns[n][0].client.get(f"/recommendations/{u}", params={"n": 10}).json()["items"]]
                say(f"{n} worker(s): read-your-writes, {probes} probes")
                ryw[n] = read_your_writes(conns[n], users, items, probes, seed)
            say(f"{', '.join(map(str, group))} worker(s): maximum rate at p99 <= 20 ms"
                + (", the searches taking turns" if len(group) > 1 else ""))
            rates = interleaved_max_rates([(servers[n].url, servers[n].proc.pid, n) for n in group], users, seed,
                                          start=100.0, duration=rate_seconds, steps=rate_steps, say=say)
            for n, rate in zip(group, rates, strict=True):
                say(f"{n} worker(s): version swap under load")
                sw = swap(servers[n].url, conns[n], users, shop["model"], work,
                          max(50.0, rate["max_rps_p99_20ms"] * 0.5), seed, say)
                out["workers"][str(n)] = {
                    "max_rps_p99_20ms": rate["max_rps_p99_20ms"], "max_rps_limit_found": rate["limit_found"],
                    "cross_worker_read_your_writes_p99_ms": ryw[n].get("p99_ms"),
                    "swap_failed_requests": sw["swap_failed_requests"],
                    "swap_propagation_ms": sw["swap_propagation_ms"],
                    "read_your_writes": ryw[n], "rate_search": rate, "swap": sw,
                    "load_generator_cpu_s": round(time.process_time() - cpu0, 1),
                    "load_average_before": load0, "load_average_after": [round(x, 1) for x in os.getloadavg()],
                }
        finally:
            for cs in conns.values():
                for c in cs:
                    c.close()
            for server in servers.values():
                server.stop()
    one, two = out["workers"].get("1"), out["workers"].get("2")
    if one and two and one["max_rps_p99_20ms"]:
        out["speedup_2_over_1"] = round(two["max_rps_p99_20ms"] / one["max_rps_p99_20ms"], 2)
    return out


def _command() -> str:
    """The command line of this run (for the JSON), with the commit it ran."""
    try:
        commit = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True,
                                timeout=10, cwd=Path(__file__).parent).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return " ".join(["shopmind", *sys.argv[1:]]) + (f"  # at {commit}" if commit else "")
