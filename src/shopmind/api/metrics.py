"""Prometheus metrics in the text exposition format, without a client library.

A few counters and histograms are all the API needs, so they are written out here (thread-safe, labels
as tuples) rather than pulling in ``prometheus_client``; the output is what Prometheus scrapes
(``text/plain; version=0.0.4``).

>>> m = Metrics()
>>> m.requests.inc(("GET", "/health", "200"))
>>> 'shopmind_http_requests_total{method="GET",route="/health",status="200"} 1' in m.render()
True
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Iterable

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

#: Latency buckets in seconds (sub-millisecond to seconds: the serving target is a few ms).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(names: tuple[str, ...], values: tuple[str, ...], extra: str = "") -> str:
    parts = [f'{n}="{_escape(v)}"' for n, v in zip(names, values, strict=True)]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


class Counter:
    """A monotonically increasing count per label combination."""

    def __init__(self, name: str, help: str, labels: tuple[str, ...] = ()) -> None:
        self.name, self.help, self.label_names = name, help, labels
        self._values: dict[tuple[str, ...], float] = {}
        self._lock = threading.Lock()

    def inc(self, labels: tuple[str, ...] = (), amount: float = 1.0) -> None:
        with self._lock:
            self._values[labels] = self._values.get(labels, 0.0) + amount

    def value(self, labels: tuple[str, ...] = ()) -> float:
        return self._values.get(labels, 0.0)

    def samples(self) -> dict[tuple[str, ...], float]:
        """A copy of every label combination's count (for pages that summarise them)."""
        with self._lock:
            return dict(self._values)

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} counter"
        for labels, v in sorted(self._values.items()):
            yield f"{self.name}{_labels(self.label_names, labels)} {v:g}"


class Histogram:
    """Observations in cumulative buckets, with sum and count, per label combination."""

    def __init__(self, name: str, help: str, labels: tuple[str, ...] = (),
                 buckets: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        self.name, self.help, self.label_names, self.buckets = name, help, labels, buckets
        self._counts: dict[tuple[str, ...], list[int]] = {}
        self._sums: dict[tuple[str, ...], float] = {}
        self._lock = threading.Lock()

    def observe(self, value: float, labels: tuple[str, ...] = ()) -> None:
        pos = bisect.bisect_left(self.buckets, value)
        with self._lock:
            counts = self._counts.setdefault(labels, [0] * (len(self.buckets) + 1))
            counts[pos] += 1
            self._sums[labels] = self._sums.get(labels, 0.0) + value

    def bucket_counts(self) -> dict[tuple[str, ...], list[int]]:
        """A copy of the (non-cumulative) count in each bucket per label combination; the last one is the
        overflow past the largest bound."""
        with self._lock:
            return {labels: list(counts) for labels, counts in self._counts.items()}

    def render(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} histogram"
        for labels, counts in sorted(self._counts.items()):
            running = 0
            for bound, c in zip(self.buckets, counts, strict=False):
                running += c
                le = 'le="' + f"{bound:g}" + '"'
                yield f"{self.name}_bucket{_labels(self.label_names, labels, le)} {running}"
            running += counts[-1]
            le = 'le="+Inf"'
            yield f"{self.name}_bucket{_labels(self.label_names, labels, le)} {running}"
            yield f"{self.name}_sum{_labels(self.label_names, labels)} {self._sums[labels]:.6f}"
            yield f"{self.name}_count{_labels(self.label_names, labels)} {running}"


class Metrics:
    """The API's metrics; gauges are read at scrape time from ``collectors``."""

    def __init__(self) -> None:
        self.requests = Counter("shopmind_http_requests_total", "HTTP requests by method, route and status.",
                                ("method", "route", "status"))
        self.latency = Histogram("shopmind_http_request_duration_seconds", "HTTP request latency.", ("route",))
        self.events = Counter("shopmind_events_total", "Events received by outcome.", ("result",))
        self.recommended = Counter("shopmind_recommended_items_total", "Items returned by source.", ("source",))
        self.collectors: list[Callable[[], Iterable[str]]] = []

    def render(self) -> str:
        lines: list[str] = []
        for metric in (self.requests, self.latency, self.events, self.recommended):
            lines.extend(metric.render())
        for collect in self.collectors:
            lines.extend(collect())
        return "\n".join(lines) + "\n"


def exposition(name: str, help: str, samples: Iterable[tuple[dict[str, str], float]], kind: str = "gauge"
               ) -> list[str]:
    """Exposition lines of a metric read at scrape time (``kind`` gauge or counter) from
    ``(labels, value)`` samples."""
    lines = [f"# HELP {name} {help}", f"# TYPE {name} {kind}"]
    for labels, value in samples:
        names = tuple(labels)
        lines.append(f"{name}{_labels(names, tuple(labels[n] for n in names))} {value:g}")
    return lines
