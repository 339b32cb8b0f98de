"""Summaries of what the server already counts, for the Overview: request latency percentiles and errors from the
API's metrics, events per minute, and click-through and conversion of recommendations by source from the
service's attribution counters.

>>> quantile_from_buckets([0, 10, 0], (0.01, 0.1), 0.5)
0.055
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shopmind.api.metrics import LATENCY_BUCKETS, Metrics
from shopmind.pipeline.results import AttributionLog

#: Routes that are the console itself (left out of the API's latency and error figures).
CONSOLE_PREFIX = "/admin"
#: Event types that count as a click and as a conversion of a recommended item.
CLICK_TYPES = ("click", "view")
CONVERSION_TYPES = ("purchase",)


def quantile_from_buckets(counts: Sequence[int], bounds: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile of a histogram (counts per bucket, the last past the largest bound), interpolated
    linearly inside its bucket; None without observations."""
    total = sum(counts)
    if total == 0:
        return None
    rank, running, low = q * total, 0, 0.0
    for i, c in enumerate(counts):
        high = bounds[i] if i < len(bounds) else bounds[-1]
        if c and running + c >= rank:
            return round(low + (high - low) * (rank - running) / c, 6)
        running += c
        low = high
    return float(bounds[-1])


@dataclass(frozen=True)
class ApiTraffic:
    """Requests, errors and latency of the API (console pages left out)."""

    requests: int
    client_errors: int
    server_errors: int
    p50_ms: float | None
    p99_ms: float | None
    routes: list[dict[str, Any]]


def api_traffic(metrics: Metrics, top: int = 8) -> ApiTraffic:
    """What :class:`Metrics` holds about the API, with the busiest routes."""
    by_route: dict[str, dict[str, Any]] = {}
    requests = client = server = 0
    for (_, route, status), n in metrics.requests.samples().items():
        if route.startswith(CONSOLE_PREFIX):
            continue
        row = by_route.setdefault(route, {"route": route, "requests": 0, "errors": 0})
        row["requests"] += int(n)
        requests += int(n)
        if status.startswith("4"):
            client += int(n)
        elif status.startswith("5"):
            server += int(n)
            row["errors"] += int(n)
    merged = [0] * (len(LATENCY_BUCKETS) + 1)
    for (route,), counts in metrics.latency.bucket_counts().items():
        if route.startswith(CONSOLE_PREFIX):
            continue
        merged = [a + b for a, b in zip(merged, counts, strict=True)]
        if route in by_route:
            p50 = quantile_from_buckets(counts, LATENCY_BUCKETS, 0.5)
            by_route[route]["p50_ms"] = None if p50 is None else p50 * 1000
    p50, p99 = (quantile_from_buckets(merged, LATENCY_BUCKETS, q) for q in (0.5, 0.99))
    routes = sorted(by_route.values(), key=lambda r: -r["requests"])[:top]
    return ApiTraffic(requests, client, server, None if p50 is None else p50 * 1000,
                      None if p99 is None else p99 * 1000, routes)


def recommendation_outcomes(metrics: Metrics, attribution: AttributionLog) -> list[dict[str, Any]]:
    """Per candidate source: items served, attributed clicks and purchases, click-through and conversion rates
    (events that echoed a ``recommendation_id``, over items served by the API since the server started)."""
    served = {source: int(n) for (source,), n in metrics.recommended.samples().items()}
    attributed = dict(attribution.attributed)
    sources = sorted(set(served) | {s for s, _ in attributed})
    rows = []
    for source in sources:
        clicks = sum(n for (s, t), n in attributed.items() if s == source and t in CLICK_TYPES)
        buys = sum(n for (s, t), n in attributed.items() if s == source and t in CONVERSION_TYPES)
        n = served.get(source, 0)
        rows.append({"source": source, "served": n, "clicks": clicks, "purchases": buys,
                     "ctr": clicks / n if n else None, "conversion": buys / n if n else None})
    return rows


class RateSampler:
    """Events per minute from the API's event counter, sampled whenever the Overview is drawn (it refreshes
    itself while open): the rate over the last ``window`` seconds of samples, or since the console started."""

    def __init__(self, started: float, window: float = 600.0) -> None:
        self.window = window
        self._samples: deque[tuple[float, float]] = deque([(started, 0.0)])  # the counter starts at zero
        self._lock = threading.Lock()

    def sample(self, total: float, now: float | None = None) -> tuple[float, float]:
        """Record ``total`` (events so far) and return (events per minute, seconds covered)."""
        now = time.time() if now is None else now
        with self._lock:
            self._samples.append((now, total))
            while len(self._samples) > 2 and now - self._samples[1][0] >= self.window:
                self._samples.popleft()
            t0, v0 = self._samples[0]
        span = now - t0
        return ((total - v0) * 60.0 / span if span > 0 else 0.0), span
