"""Live item signals from the event stream: all-time popularity, trending windows and bandit counts.

Everything is keyed by catalog index (see :mod:`shopmind.data.catalog`) and updated as each event is
acknowledged, so ``/trending`` and the cold-start lists move with the traffic.

Trending uses sliding windows (1 h, 24 h, 7 d by default) made of 60 buckets each: an event adds its
weight to the bucket of its time, and buckets that slide out of the window are subtracted from the
running totals. "Now" is the *event clock* - the latest event time seen, never more than a day ahead of
the wall clock - so replayed or historical data trends the same way live traffic does.

>>> s = ItemSignals({"view": 1.0})
>>> s.add(np.array([0, 0, 1]), np.array(["view"] * 3), np.array([100, 160, 170]))
>>> s.trending_top("1h", 2).tolist()
[0, 1]
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

import numpy as np

#: Trending windows and their spans in seconds.
WINDOWS: dict[str, int] = {"1h": 3600, "24h": 86400, "7d": 7 * 86400}
#: Event types that count as a success for the exploration bandit (an impression is a trial).
REWARD_TYPES = frozenset({"click", "add_to_cart", "purchase", "favorite"})
FUTURE_TOLERANCE_S = 86400


def _grown(arr: np.ndarray, need: int) -> np.ndarray:
    if need <= len(arr):
        return arr
    new = np.zeros(max(need, int(len(arr) * 1.5) + 1024), dtype=arr.dtype)
    new[: len(arr)] = arr
    return new


def top_indices(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest positive values, best first (ties: lower index first)."""
    pos = np.flatnonzero(values > 0)
    if len(pos) > k:
        pos = pos[np.argpartition(-values[pos], k - 1)[:k]]
    return pos[np.lexsort((pos, -values[pos]))]


class SlidingWindow:
    """Weighted event counts per item over the last ``span`` seconds, at 1/``buckets`` resolution."""

    def __init__(self, span: int, buckets: int = 60) -> None:
        self.span = span
        self.width = max(1, span // buckets)
        self.totals = np.zeros(0, dtype=np.float64)
        self._buckets: dict[int, dict[int, float]] = {}
        self._head = -(2**62)  # bucket id of "now"

    def _expire(self, head: int) -> None:
        oldest_kept = head - self.span // self.width + 1
        for bid in [b for b in self._buckets if b < oldest_kept]:
            for item, w in self._buckets.pop(bid).items():
                self.totals[item] -= w
        np.maximum(self.totals, 0.0, out=self.totals)  # clamp float round-off

    def advance(self, now: int) -> None:
        head = now // self.width
        if head > self._head:
            self._head = head
            self._expire(head)

    def add(self, item: int, weight: float, ts: int) -> None:
        """Count one event (the caller has advanced the clock to at least ``ts``)."""
        bid = ts // self.width
        if bid <= self._head - self.span // self.width:
            return  # already outside the window
        bucket = self._buckets.setdefault(bid, {})
        bucket[item] = bucket.get(item, 0.0) + weight
        self.totals = _grown(self.totals, item + 1)
        self.totals[item] += weight


class ItemSignals:
    """Popularity, trending windows and impression/reward counts, by catalog index."""

    def __init__(self, event_weights: Mapping[str, float], windows: Mapping[str, int] | None = None,
                 refresh_seconds: float = 0.5) -> None:
        self.event_weights = dict(event_weights)
        self.windows = {name: SlidingWindow(span) for name, span in (windows or WINDOWS).items()}
        self.popularity = np.zeros(0, dtype=np.float64)
        self.impressions = np.zeros(0, dtype=np.float64)
        self.rewards = np.zeros(0, dtype=np.float64)
        self.clock = 0
        self.refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._version = 0
        self._cache: dict[tuple[str, int], tuple[int, float, np.ndarray]] = {}

    def _weights(self, types: np.ndarray) -> np.ndarray:
        return np.array([self.event_weights.get(str(t), 0.0) for t in types], dtype=np.float64)

    def add(self, items: np.ndarray, types: np.ndarray, timestamps: np.ndarray) -> None:
        """Count events: catalog indices, event type names and epoch seconds (arrays of equal length)."""
        items = np.asarray(items, dtype=np.int64)
        if len(items) == 0:
            return
        ts = np.asarray(timestamps, dtype=np.int64)
        weights = self._weights(types)
        with self._lock:
            self._count(items, types, weights, None)
            self._trend(items, weights, ts, int(ts.max()))
            self._version += 1

    def add_counts(self, items: np.ndarray, types: np.ndarray, counts: np.ndarray | None = None) -> None:
        """Popularity, impressions and rewards of events (``counts[k]`` events of ``types[k]`` on ``items[k]``,
        one each without ``counts``), leaving the clock and the trending windows alone: with
        :meth:`add_trending`, the bulk path of a start-up that reads the log in chunks (the same sums, in the
        same order, as one :meth:`add` of every event)."""
        items = np.asarray(items, dtype=np.int64)
        if len(items) == 0:
            return
        with self._lock:
            self._count(items, types, self._weights(types), counts)
            self._version += 1

    def add_trending(self, items: np.ndarray, types: np.ndarray, timestamps: np.ndarray, latest: int) -> None:
        """Advance the clock to ``latest`` (the latest event time of the log, at least), then count the events
        that are inside the trending windows (only those of positive weight count there)."""
        items = np.asarray(items, dtype=np.int64)
        ts = np.asarray(timestamps, dtype=np.int64)
        with self._lock:
            self._trend(items, self._weights(types), ts, max(int(latest), int(ts.max()) if len(ts) else 0))
            self._version += 1

    def _count(self, items: np.ndarray, types: np.ndarray, weights: np.ndarray, counts: np.ndarray | None) -> None:
        impression = np.array([t == "impression" for t in types], dtype=bool)
        reward = np.array([t in REWARD_TYPES for t in types], dtype=bool)
        ones = np.ones(len(items)) if counts is None else np.asarray(counts, dtype=np.float64)
        need = int(items.max()) + 1
        self.popularity = _grown(self.popularity, need)
        self.impressions = _grown(self.impressions, need)
        self.rewards = _grown(self.rewards, need)
        np.add.at(self.popularity, items, weights if counts is None else weights * ones)
        np.add.at(self.impressions, items[impression], ones[impression])
        np.add.at(self.rewards, items[reward], ones[reward])

    def _trend(self, items: np.ndarray, weights: np.ndarray, ts: np.ndarray, latest: int) -> None:
        wall = int(time.time()) + FUTURE_TOLERANCE_S
        self.clock = max(self.clock, min(latest, wall))
        ts = np.minimum(ts, self.clock)
        for window in self.windows.values():
            window.advance(self.clock)
            inside = np.flatnonzero((weights > 0) & (ts > self.clock - window.span))
            for i, w, t in zip(items[inside].tolist(), weights[inside].tolist(), ts[inside].tolist(), strict=True):
                window.add(i, w, t)

    @property
    def version(self) -> int:
        """Bumped by every batch of events counted (caches derived from the signals compare it)."""
        return self._version

    def _cached(self, key: tuple[str, int], compute: Callable[[], np.ndarray]) -> np.ndarray:
        hit = self._cache.get(key)
        now = time.monotonic()
        if hit is not None and (hit[0] == self._version or now - hit[1] < self.refresh_seconds):
            return hit[2]
        value = compute()
        self._cache[key] = (self._version, now, value)
        return value

    def popular_top(self, k: int) -> np.ndarray:
        """The ``k`` most popular items of all time (weighted events), best first."""
        return self._cached(("popular", k), lambda: top_indices(self.popularity, k))

    def popular_head(self, k: int) -> np.ndarray:
        """The ``k`` most popular items (items with events only), ascending by index (for membership)."""
        def compute() -> np.ndarray:
            top = self.popular_top(k)
            return np.sort(top[self.popularity_of(top) > 0])

        return self._cached(("head", k), compute)

    def trending_top(self, window: str, k: int) -> np.ndarray:
        """The ``k`` items with the most weighted events in ``window`` (a key of :data:`WINDOWS`)."""
        win = self.windows[window]
        return self._cached((window, k), lambda: top_indices(win.totals, k))

    def trending_score(self, window: str, idx: np.ndarray) -> np.ndarray:
        totals = self.windows[window].totals
        idx = np.asarray(idx, dtype=np.int64)
        out = np.zeros(len(idx))
        inside = idx < len(totals)
        out[inside] = totals[idx[inside]]
        return out

    def popularity_of(self, idx: np.ndarray) -> np.ndarray:
        idx = np.asarray(idx, dtype=np.int64)
        pop = self.popularity
        out = np.zeros(len(idx))
        inside = idx < len(pop)
        out[inside] = pop[idx[inside]]
        return out

    def bandit_counts(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(impressions, rewards) of each index."""
        idx = np.asarray(idx, dtype=np.int64)
        imp, rew = self.impressions, self.rewards
        if len(idx) and int(idx.max()) < min(len(imp), len(rew)):
            return imp[idx], rew[idx]  # the usual case: the counters cover every index asked about
        a, b = np.zeros(len(idx)), np.zeros(len(idx))
        inside = idx < len(imp)
        a[inside], b[inside] = imp[idx[inside]], rew[idx[inside]]
        return a, b
