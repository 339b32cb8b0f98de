"""Where independent pieces of work run: one after another in this process, or side by side as Ray tasks.

A bench's models, a search's trials and the shards of a batch scoring job do not depend on each other.
:class:`SerialExecutor` (the default) runs them in order in this process, on every core it may use.
:class:`RayExecutor` runs each as a Ray task (a local cluster of ``num_cpus`` CPUs by default, or the cluster
at ``address``) with ``cpus_per_task`` CPUs, inside :func:`~shopmind.training.threads.limit_threads` so that
tasks side by side do not oversubscribe the cores. Both return results in input order and call
``on_result`` as each piece finishes (progress). Ray is imported only when a :class:`RayExecutor` starts.

The work must be a module-level function of an installed package (Ray pickles it by reference) taking
``(common, item)``: ``common`` is shipped once (Ray's object store), ``item`` is one piece. With
``collect=False`` results are only handed to ``on_result`` (a caller that writes them out as they come).

>>> with make_executor("serial") as ex:
...     ex.map(pow, [1, 2, 3], common=2)
[2, 4, 8]
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, Protocol, TypeVar

from shopmind.errors import ShopmindError, check_int, check_param
from shopmind.training.threads import available_cores, limit_threads

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

#: The executor names ``make_executor`` (and ``--executor``) accept.
EXECUTORS = ("serial", "ray")


class Executor(Protocol):
    """Runs ``fn(common, item)`` for every item; results in input order."""

    name: str
    #: How many pieces run at once.
    workers: int

    def map(self, fn: Callable[[Any, T], R], items: Sequence[T], common: Any = None,
            on_result: Callable[[int, R], None] | None = None, collect: bool = True) -> list[R]: ...

    def describe(self) -> dict[str, Any]: ...

    def __enter__(self) -> Executor: ...

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
                 ) -> None: ...


class SerialExecutor:
    """Every piece in this process, one after another (each on every core this process may use)."""

    name = "serial"
    workers = 1

    def map(self, fn: Callable[[Any, T], R], items: Sequence[T], common: Any = None,
            on_result: Callable[[int, R], None] | None = None, collect: bool = True) -> list[R]:
        out = []
        for i, item in enumerate(items):
            r = fn(common, item)
            if collect:
                out.append(r)
            if on_result:
                on_result(i, r)
        return out

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "workers": self.workers, "threads_per_task": available_cores()}

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
                 ) -> None:
        return None


def _import_modules(modules: Sequence[str]) -> int:
    """A warm-up task: import ``modules`` in a Ray worker so the work sent to it later starts at once."""
    for name in modules:
        importlib.import_module(name)
    return os.getpid()


def _check_reachable(address: str, timeout: float = 3.0) -> None:
    """Fail within ``timeout`` seconds when a ``host:port`` or ``ray://host:port`` cluster address does not
    answer (``ray.init`` itself keeps retrying an unreachable address for minutes)."""
    hostport = address.removeprefix("ray://")
    host, sep, port = hostport.rpartition(":")
    if address == "auto" or not sep or not port.isdigit():
        return
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise ShopmindError(f"could not join the Ray cluster at --ray-address {address!r}: nothing answers at "
                            f"{host or '127.0.0.1'}:{port} ({exc}) (start one with `ray start --head`, or leave "
                            "out --ray-address for a local cluster)") from None


def _run_bounded(fn: Callable[[Any, Any], Any], threads: int, common: Any, item: Any) -> Any:
    """The body of every Ray task: ``fn(common, item)`` on at most ``threads`` threads."""
    with limit_threads(threads):
        return fn(common, item)


class RayExecutor:
    """Every piece as a Ray task with ``cpus_per_task`` CPUs (and as many threads).

    Parameters
    ----------
    address : a running cluster (``"ray://host:10001"``, ``"auto"``, ``"host:6379"``); ``None`` starts a
        local one for the duration of the ``with`` block (no dashboard, no usage reporting, workers at the
        priority of this process instead of Ray's default nice 15).
    num_cpus : CPUs of the local cluster (default: the cores this process may use); ignored with ``address``.
    cpus_per_task : CPUs (and threads) each task gets; ``num_cpus // cpus_per_task`` tasks run at once.
    warm : modules every worker imports as soon as the cluster is up (one task per slot, not waited for),
        so that the first pieces do not pay for the imports while this process is still preparing them.
    """

    name = "ray"

    def __init__(self, address: str | None = None, num_cpus: int | None = None, cpus_per_task: int = 1,
                 warm: Sequence[str] = ()) -> None:
        self.address = address
        self.warm = tuple(warm)
        self._warming: list[Any] = []
        self.num_cpus = num_cpus
        self.cpus_per_task = cpus_per_task
        self.workers = 0
        self.start_seconds = 0.0
        self._owns = False

    def __enter__(self) -> RayExecutor:
        check_int("RayExecutor", "cpus_per_task", self.cpus_per_task, low=1)
        if self.num_cpus is not None:
            check_int("RayExecutor", "num_cpus", self.num_cpus, low=1)
        try:
            import ray  # lazy: the serial path never pays for Ray
        except ImportError:
            raise ShopmindError("--executor ray needs Ray: pip install 'shopmind[scale]' "
                                "(or pip install 'ray[tune]' optuna)") from None
        t0 = time.perf_counter()
        if not ray.is_initialized():
            os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no network: no usage report
            if self.address is None:
                # Ray runs its workers at nice 15 by default; here they ARE the work this process waits for,
                # so they run at the priority the serial executor would have (0).
                os.environ.setdefault("RAY_worker_niceness", "0")
                ray.init(num_cpus=self.num_cpus or available_cores(), include_dashboard=False,
                         log_to_driver=False, logging_level=logging.WARNING)
            else:
                _check_reachable(self.address)
                try:
                    ray.init(address=self.address, log_to_driver=False, logging_level=logging.WARNING)
                except (ConnectionError, RuntimeError, ValueError) as exc:
                    raise ShopmindError(f"could not join the Ray cluster at --ray-address {self.address!r}: {exc} "
                                        "(start one with `ray start --head`, or leave out --ray-address for a "
                                        "local cluster)") from None
            self._owns = True
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.workers = max(1, cpus // self.cpus_per_task)
        self.start_seconds = time.perf_counter() - t0
        if self.warm:
            warm_up = ray.remote(num_cpus=self.cpus_per_task, max_retries=0)(_import_modules)
            self._warming = [warm_up.remote(self.warm) for _ in range(self.workers)]
        log.info("ray: %d CPUs, %d tasks at once (%d CPU each), started in %.1fs", cpus, self.workers,
                 self.cpus_per_task, self.start_seconds)
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
                 ) -> None:
        if self._owns:
            import ray  # lazy: started in __enter__

            ray.shutdown()
            self._owns = False
        self._warming = []

    def map(self, fn: Callable[[Any, T], R], items: Sequence[T], common: Any = None,
            on_result: Callable[[int, R], None] | None = None, collect: bool = True) -> list[R]:
        import ray  # lazy: the serial path never pays for Ray

        if not ray.is_initialized():
            raise ShopmindError("RayExecutor.map outside its `with` block: start it with `with RayExecutor() as ex`")
        task = ray.remote(num_cpus=self.cpus_per_task, max_retries=0)(_run_bounded)
        shared = ray.put(common)
        refs = [task.remote(fn, self.cpus_per_task, shared, item) for item in items]
        index = {ref: i for i, ref in enumerate(refs)}
        out: list[Any] = [None] * len(refs)
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                i = index[ref]
                r = ray.get(ref)
                if collect:
                    out[i] = r
                if on_result:
                    on_result(i, r)
        return out if collect else []

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "workers": self.workers, "threads_per_task": self.cpus_per_task,
                "address": self.address or "local", "start_seconds": round(self.start_seconds, 2)}


def make_executor(name: str, address: str | None = None, num_cpus: int | None = None,
                  cpus_per_task: int = 1, warm: Sequence[str] = ()) -> SerialExecutor | RayExecutor:
    """The executor called ``name`` (one of :data:`EXECUTORS`); use it as a context manager."""
    check_param("make_executor", "executor", name, name in EXECUTORS, f"one of {list(EXECUTORS)}")
    if name == "serial":
        check_param("make_executor", "ray_address", address, address is None, "only with --executor ray")
        return SerialExecutor()
    return RayExecutor(address=address, num_cpus=num_cpus, cpus_per_task=cpus_per_task, warm=warm)
