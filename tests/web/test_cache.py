"""Figures computed in the background: the first request waits, later ones get the last value at once while a
stale one is computed again; errors of the shop are kept for the page to show."""

from __future__ import annotations

import threading

from shopmind.errors import DataError
from shopmind.web.cache import Refreshing


def test_first_get_waits_then_values_are_served_until_stale():
    calls: list[int] = []
    r = Refreshing(lambda: calls.append(1) or len(calls), ttl=3600.0, name="t")
    first = r.get(timeout=30)
    assert first is not None and first.value == 1 and first.error is None
    assert r.peek() is first and calls == [1]
    r.invalidate()
    assert r.peek() is first  # the old value at once, the new one computed in the background
    again = r.get(timeout=30)
    for _ in range(100):
        again = r.peek()
        if again is not None and again.value == 2:
            break
        threading.Event().wait(0.05)
    assert again is not None and again.value == 2 and calls == [1, 1]


def test_a_slow_first_computation_answers_none_within_the_timeout_and_errors_are_kept():
    gate = threading.Event()
    slow = Refreshing(lambda: gate.wait(30) and "done", ttl=3600.0, name="slow")
    assert slow.get(timeout=0.01) is None
    gate.set()
    done = slow.get(timeout=30)
    assert done is not None and done.value == "done"

    def broken() -> str:
        raise DataError("no profiles")

    failing = Refreshing(broken, ttl=3600.0, name="failing")
    snap = failing.get(timeout=30)
    assert snap is not None and snap.value is None and snap.error is not None and "no profiles" in snap.error
