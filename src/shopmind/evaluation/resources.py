"""Wall time and memory of a block of code, for the bench (Linux; no psutil needed).

``peak_rss_mb()`` is the process's lifetime high-water mark (``getrusage``); it never goes down, so it
cannot tell what one model fit cost once an earlier step used more. :func:`measure` adds a sampling thread
that reads the current RSS from ``/proc/self/statm`` and reports the peak reached *during* the block and
its increase over the RSS at the start.

Examples
--------
>>> with measure() as usage:
...     block = bytearray(32 * 1024 * 1024)
>>> usage.wall_seconds >= 0.0 and usage.peak_rss_mb >= usage.start_rss_mb
True
"""

from __future__ import annotations

import os
import resource
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass

from shopmind.errors import check_float

_PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20 if hasattr(os, "sysconf") else 4096 / 2**20


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (``ru_maxrss``; KiB on Linux, bytes on macOS).

    >>> peak_rss_mb() > 0
    True
    """
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def current_rss_mb() -> float:
    """Current resident set size in MiB (from ``/proc/self/statm``; falls back to the peak elsewhere).

    >>> current_rss_mb() > 0
    True
    """
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE_MB
    except (OSError, IndexError, ValueError):
        return peak_rss_mb()


@dataclass
class ResourceUsage:
    """What :func:`measure` saw. Fields are filled when the ``with`` block exits.

    Attributes
    ----------
    wall_seconds : elapsed wall time of the block.
    start_rss_mb : RSS when the block started.
    peak_rss_mb : highest RSS seen during the block (sampled, and the process high-water mark when the
        block raised it).
    rss_increase_mb : ``peak_rss_mb - start_rss_mb`` (>= 0): the extra memory the block needed.
    process_peak_rss_mb : the process's lifetime peak after the block (``ru_maxrss``).
    """

    wall_seconds: float = 0.0
    start_rss_mb: float = 0.0
    peak_rss_mb: float = 0.0
    rss_increase_mb: float = 0.0
    process_peak_rss_mb: float = 0.0

    def to_dict(self) -> dict[str, float]:
        """Plain-JSON form, rounded to 3 decimals."""
        return {k: round(v, 3) for k, v in asdict(self).items()}


class _Sampler(threading.Thread):
    def __init__(self, interval: float) -> None:
        super().__init__(name="shopmind-rss-sampler", daemon=True)
        self.interval = interval
        self.peak = current_rss_mb()
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            self.peak = max(self.peak, current_rss_mb())

    def stop(self) -> float:
        self._stop_event.set()
        self.join()
        self.peak = max(self.peak, current_rss_mb())
        return self.peak


@contextmanager
def measure(sample_interval: float = 0.01) -> Iterator[ResourceUsage]:
    """Measure the wall time and the peak RSS increase of a ``with`` block.

    A daemon thread samples ``/proc/self/statm`` every ``sample_interval`` seconds (cheap: one small read);
    if the block pushed the process high-water mark (``ru_maxrss``) up, that exact peak is used too, so
    short spikes between samples are not missed in that case. ``sample_interval=0`` turns sampling off
    (then only a new process-wide peak is seen).

    Examples
    --------
    >>> with measure(sample_interval=0.005) as usage:
    ...     data = [0] * 1_000_000
    >>> usage.rss_increase_mb >= 0.0
    True
    """
    check_float("measure", "sample_interval", sample_interval, low=0.0)
    usage = ResourceUsage()
    usage.start_rss_mb = current_rss_mb()
    peak_before = peak_rss_mb()
    sampler = _Sampler(sample_interval) if sample_interval > 0 else None
    if sampler is not None:
        sampler.start()
    t0 = time.perf_counter()
    try:
        yield usage
    finally:
        usage.wall_seconds = time.perf_counter() - t0
        sampled = sampler.stop() if sampler is not None else current_rss_mb()
        peak_after = peak_rss_mb()
        peak = max(sampled, usage.start_rss_mb)
        if peak_after > peak_before + 1e-9:  # the block set a new process-wide record: that is its peak
            peak = max(peak, peak_after)
        usage.peak_rss_mb = peak
        usage.rss_increase_mb = max(0.0, peak - usage.start_rss_mb)
        usage.process_peak_rss_mb = peak_after
