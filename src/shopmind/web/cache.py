"""Figures a page shows that take the store longer than a page may (search analytics, experiment results, the
profile table behind the audience builder): computed in a background thread, served from memory, computed
again in the background once older than their time to live. A page never waits for them except the very first
time it asks, and then only as long as :meth:`Refreshing.get` allows.

>>> calls = []
>>> r = Refreshing(lambda: calls.append(1) or len(calls), ttl=60.0, name="example")
>>> r.get(timeout=5).value, r.get(timeout=5).value
(1, 1)
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from shopmind.errors import ShopmindError

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Snapshot(Generic[T]):
    """A computed value (or the error that stopped it) and when it was computed (``time.time()``)."""

    at: float
    value: T | None
    error: str | None = None

    def age(self, now: float | None = None) -> float:
        return (time.time() if now is None else now) - self.at


class Refreshing(Generic[T]):
    """``compute()`` kept in memory and recomputed in the background once older than ``ttl`` seconds (or after
    :meth:`invalidate`). A :class:`ShopmindError` from ``compute`` is kept as the snapshot's ``error`` (shown
    to the person); anything else propagates as a bug would."""

    def __init__(self, compute: Callable[[], T], ttl: float, name: str) -> None:
        self.compute, self.ttl, self.name = compute, ttl, name
        self._snapshot: Snapshot[T] | None = None
        self._running = False
        self._stale = False
        self._lock = threading.Lock()
        self._done = threading.Condition(self._lock)

    def _run(self) -> None:
        try:
            try:
                snap: Snapshot[T] = Snapshot(time.time(), self.compute())
            except ShopmindError as exc:
                snap = Snapshot(time.time(), None, str(exc))
            with self._lock:
                self._snapshot = snap
        finally:
            with self._lock:
                self._running = False
                self._done.notify_all()

    def _start(self) -> None:
        """Start a computation unless one runs (call with the lock held)."""
        if self._running:
            return
        self._running, self._stale = True, False

        def run() -> None:
            try:
                self._run()
            except Exception:  # a bug in compute: log it; the next request tries again
                logger.exception("computing %s failed", self.name)

        threading.Thread(target=run, name=f"console-{self.name}", daemon=True).start()

    def peek(self) -> Snapshot[T] | None:
        """The last snapshot at once (None before the first is done); starts a computation when there is none
        yet, it is older than ``ttl``, or it was invalidated."""
        with self._lock:
            snap = self._snapshot
            if snap is None or self._stale or snap.age() > self.ttl:
                self._start()
            return snap

    def get(self, timeout: float | None = None) -> Snapshot[T] | None:
        """Like :meth:`peek`, but waits up to ``timeout`` seconds (None: as long as it takes) for the first
        snapshot; None if it is not there by then."""
        snap = self.peek()
        if snap is not None:
            return snap
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while self._snapshot is None and self._running:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                self._done.wait(left)
            return self._snapshot

    def invalidate(self) -> None:
        """The next :meth:`peek` computes again (e.g. after the page changed what is shown)."""
        with self._lock:
            self._stale = True
