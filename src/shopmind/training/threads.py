"""How many CPU threads a model may use: the one meaning of the ``threads`` hyperparameter.

Every model that runs threads (the torch models, ALS and BPR through ``implicit``) takes ``threads``:

- ``0`` (the default of most models): every core this process may use (its CPU affinity, which on a
  container or a ``taskset`` is smaller than the machine's core count);
- ``n >= 1``: exactly ``n`` threads.

The torch models apply it with :func:`shopmind.training.loop.torch_threads` while they train and score,
and restore the previous setting afterwards.

:func:`limit_threads` caps all of it for a block: a task of a parallel executor (several trials side by side
on one machine, see :mod:`shopmind.training.executor`) runs inside ``limit_threads(cpus_per_task)``, so
``threads=0`` and explicit counts alike resolve to at most that many threads, and BLAS/OpenMP pools
(threadpoolctl) and torch's intra-op pool are held to it too: trials do not oversubscribe the cores.

>>> resolve_threads(3)
3
>>> resolve_threads(0) >= 1
True
>>> with limit_threads(1):
...     resolve_threads(0), resolve_threads(4)
(1, 1)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from shopmind.errors import check_int, check_param

#: The cap of :func:`limit_threads` in force (None: no cap).
_cap: int | None = None


def available_cores() -> int:
    """The cores this process may run on (its affinity; the CPU count where affinity is unknown)."""
    try:
        cores = max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        cores = max(1, os.cpu_count() or 1)
    return min(cores, _cap) if _cap is not None else cores


def resolve_threads(threads: int) -> int:
    """The thread count ``threads`` stands for: itself when >= 1, :func:`available_cores` when 0 (both at most
    the cap of :func:`limit_threads` while one is in force)."""
    want = threads if threads > 0 else available_cores()
    return min(want, _cap) if _cap is not None else want


@contextmanager
def limit_threads(n: int) -> Iterator[None]:
    """Run the block on at most ``n`` threads: the ``threads`` of every model, the BLAS/OpenMP pools
    (threadpoolctl) and torch's intra-op pool; the previous settings come back afterwards."""
    global _cap
    check_int("limit_threads", "n", n, low=1)
    from threadpoolctl import threadpool_limits  # lazy: only parallel executors cap threads

    prev_cap, _cap = _cap, n if _cap is None else min(_cap, n)
    torch = sys.modules.get("torch")  # only when already imported: capping must not pay torch's import
    prev_torch = torch.get_num_threads() if torch is not None else None
    try:
        if torch is not None:
            torch.set_num_threads(_cap)
        with threadpool_limits(limits=_cap):
            yield
    finally:
        _cap = prev_cap
        if torch is not None and prev_torch is not None:
            torch.set_num_threads(prev_torch)


def check_threads(owner: str, threads: object) -> None:
    """Validate a ``threads`` hyperparameter (an int >= 0) with the project's error message shape."""
    ok = isinstance(threads, int) and not isinstance(threads, bool) and threads >= 0
    check_param(owner, "threads", threads, ok, "an int >= 0 (0 = every core this process may use)")
