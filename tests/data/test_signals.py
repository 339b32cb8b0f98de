"""Live signals: sliding trending windows, popularity, bandit counts, co-occurrence and sessions."""

from __future__ import annotations

import time

import numpy as np

from shopmind.data.signals import ItemSignals, SlidingWindow

NOW = int(time.time())


def test_sliding_window_expires_old_buckets():
    w = SlidingWindow(3600)
    w.advance(NOW)
    w.add(1, 2.0, NOW - 100)
    w.add(2, 1.0, NOW - 7200)  # already outside: ignored
    assert w.totals[1] == 2.0 and (len(w.totals) <= 2 or w.totals[2] == 0)
    w.advance(NOW + 3600)
    assert w.totals[1] == 0.0


def test_trending_follows_the_event_clock():
    s = ItemSignals({"view": 1.0, "purchase": 5.0, "impression": 0.0}, refresh_seconds=0)
    s.add(np.array([0, 0, 1]), np.array(["view", "view", "purchase"]), np.array([NOW - 90000, NOW - 90000, NOW]))
    assert s.trending_top("24h", 5).tolist() == [1]  # item 0's views are 25 h old
    assert s.trending_top("7d", 5).tolist() == [1, 0]
    assert s.popular_top(5).tolist() == [1, 0]
    s.add(np.array([0] * 6), np.array(["view"] * 6), np.full(6, NOW))
    assert s.trending_top("24h", 5).tolist() == [0, 1]  # updated live


def test_clock_never_runs_far_ahead_of_the_wall_clock():
    s = ItemSignals({"view": 1.0})
    s.add(np.array([0]), np.array(["view"]), np.array([NOW + 10 * 365 * 86400]))
    assert s.clock <= time.time() + 86400 + 5


def test_bandit_counts():
    s = ItemSignals({"view": 0.5})
    s.add(np.array([3, 3, 3, 4]), np.array(["impression", "impression", "click", "impression"]), np.full(4, NOW))
    imp, rew = s.bandit_counts(np.array([3, 4, 99]))
    assert imp.tolist() == [2, 1, 0] and rew.tolist() == [1, 0, 0]
