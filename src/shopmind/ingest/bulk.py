"""Bulk loads: the demo shop generated chunk by chunk straight into a store, timed.

``shopmind datasets generate demo-shop --chunk-users N`` ends here: no files are written, each chunk of
shoppers is simulated, written with the store's bulk path (PostgreSQL: ``COPY`` into a staging table, one
``INSERT ... SELECT`` into the monthly partitions) and dropped, so memory stays bounded by one chunk however
large the shop. The generator's output is canonical by construction, so the importer's row validation is
not run; the store still enforces its constraints.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from typing import Any

from shopmind.data.synth.stream import ShopChunk, stream_demo_shop
from shopmind.storage import Store, open_store

log = logging.getLogger(__name__)


@dataclass
class BulkLoad:
    """What a bulk load did: sizes, and where the time went (generation vs writing to the store)."""

    store: str
    users: int = 0
    items: int = 0
    events: int = 0
    duplicates: int = 0
    chunks: int = 0
    generate_seconds: float = 0.0
    write_seconds: float = 0.0  # time inside the store's write calls (events and users)
    event_write_seconds: float = 0.0  # time inside append_events alone
    index_seconds: float = 0.0  # building the secondary event indexes at the end of a bulk load (PostgreSQL)
    analyze_seconds: float = 0.0  # refreshing the planner's statistics at the end (PostgreSQL)
    wall_seconds: float = 0.0
    per_chunk: list[dict[str, Any]] = field(default_factory=list)

    @property
    def events_per_second(self) -> float:
        """Events stored per second of ``append_events`` plus the index build at the end (the import rate,
        generation excluded)."""
        seconds = self.event_write_seconds + self.index_seconds
        return self.events / seconds if seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["events_per_second"] = round(self.events_per_second, 1)
        for k in ("generate_seconds", "write_seconds", "event_write_seconds", "index_seconds", "analyze_seconds",
                  "wall_seconds"):
            out[k] = round(out[k], 3)
        return out


def load_demo_shop(store_url: str, *, n_users: int, n_items: int, days: int, seed: int, chunk_users: int,
                   start: str = "2026-06-01", active_share: float = 1.0,
                   on_chunk: Callable[[ShopChunk, BulkLoad], None] | None = None) -> BulkLoad:
    """Generate the demo shop in chunks of ``chunk_users`` shoppers into ``store_url``
    (:func:`shopmind.data.synth.stream.stream_demo_shop`); ``on_chunk`` is called after each chunk is stored
    (progress)."""
    t_wall = time.perf_counter()
    t0 = time.perf_counter()
    shop = stream_demo_shop(n_users, n_items, days=days, seed=seed, start=start, chunk_users=chunk_users,
                            active_share=active_share)
    report = BulkLoad(store=store_url, generate_seconds=time.perf_counter() - t0)
    with open_store(store_url) as store:
        t0 = time.perf_counter()
        store.upsert_items(shop.items)
        report.write_seconds += time.perf_counter() - t0
        report.items = len(shop.items)
        bulk = getattr(store, "bulk_load", None)  # PostgreSQL: secondary indexes built once, at the end
        with ExitStack() as stack:
            if callable(bulk):
                stack.enter_context(bulk())
            _write_chunks(store, shop.chunks, report, on_chunk)
            t0 = time.perf_counter()
        report.index_seconds = time.perf_counter() - t0
        analyze = getattr(store, "analyze", None)  # the server store's planner statistics (PostgreSQL)
        if callable(analyze):
            t0 = time.perf_counter()
            analyze()
            report.analyze_seconds = time.perf_counter() - t0
    report.wall_seconds = time.perf_counter() - t_wall
    return report


def _write_chunks(store: Store, chunks_of: Iterable[ShopChunk], report: BulkLoad,
                  on_chunk: Callable[[ShopChunk, BulkLoad], None] | None) -> None:
    chunks = iter(chunks_of)
    while True:
        t0 = time.perf_counter()
        chunk = next(chunks, None)
        if chunk is None:
            break
        report.generate_seconds += time.perf_counter() - t0
        t0 = time.perf_counter()
        store.upsert_users(chunk.users)
        t1 = time.perf_counter()
        counts = store.append_events(chunk.events)
        t2 = time.perf_counter()
        report.write_seconds += t2 - t0
        report.event_write_seconds += t2 - t1
        report.users += len(chunk.users)
        report.events += counts.inserted
        report.duplicates += counts.duplicates
        report.chunks += 1
        report.per_chunk.append({"chunk": chunk.index, "users": len(chunk.users), "events": counts.inserted,
                                 "generate_s": round(chunk.seconds, 3), "events_write_s": round(t2 - t1, 3)})
        log.info("chunk %d: %d users, %d events (%.1f s generating, %.1f s writing events)", chunk.index,
                 len(chunk.users), counts.inserted, chunk.seconds, t2 - t1)
        if on_chunk is not None:
            on_chunk(chunk, report)
        del chunk
