"""How many CPU threads a model may use: the one meaning of the ``threads`` hyperparameter.

Every model that runs threads (the torch models, ALS and BPR through ``implicit``) takes ``threads``:

- ``0`` (the default of most models): every core this process may use (its CPU affinity, which on a
  container or a ``taskset`` is smaller than the machine's core count);
- ``n >= 1``: exactly ``n`` threads.

The torch models apply it with :func:`shopmind.training.loop.torch_threads` while they train and score,
and restore the previous setting afterwards.

>>> resolve_threads(3)
3
>>> resolve_threads(0) >= 1
True
"""

from __future__ import annotations

import os

from shopmind.errors import check_param


def available_cores() -> int:
    """The cores this process may run on (its affinity; the CPU count where affinity is unknown)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


def resolve_threads(threads: int) -> int:
    """The thread count ``threads`` stands for: itself when >= 1, :func:`available_cores` when 0."""
    return threads if threads > 0 else available_cores()


def check_threads(owner: str, threads: object) -> None:
    """Validate a ``threads`` hyperparameter (an int >= 0) with the project's error message shape."""
    ok = isinstance(threads, int) and not isinstance(threads, bool) and threads >= 0
    check_param(owner, "threads", threads, ok, "an int >= 0 (0 = every core this process may use)")
