"""Bulk loads: the demo shop generated chunk by chunk straight into a store, timed.

``shopmind datasets generate demo-shop --chunk-users N`` ends here: no files are written, each chunk of
shoppers is simulated, written with the store's bulk path (PostgreSQL: ``COPY`` into a staging table, one
``INSERT ... SELECT`` into the monthly partitions) and dropped, so memory stays bounded by two chunks however
large the shop. The generator's output is canonical by construction, so the importer's row validation is
not run; the store still enforces its constraints.

On a store that takes encoded batches (PostgreSQL: ``append_encoded_events``) the work is pipelined on two
threads: while one writer thread waits for the database to insert chunk k (the GIL released), the main
thread generates and encodes chunk k + 1, so Python and the database server use the two cores at once. The
chunks are still written one at a time and in order (the same ``seq`` order as a serial load).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from shopmind.data.synth.stream import ShopChunk, stream_demo_shop
from shopmind.storage import AppendCounts, Store, open_store
from shopmind.storage.records import EncodedEvents, EncodedUsers, encode_event_batch, encode_user_batch

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
    pipelined: bool = False  # generation and encoding overlapped the database's inserts (see the module)
    generate_seconds: float = 0.0
    encode_seconds: float = 0.0  # encoding event batches ahead of their write (pipelined loads)
    write_seconds: float = 0.0  # time inside the store's write calls (events and users)
    event_write_seconds: float = 0.0  # time inside the store's event appends alone
    chunks_seconds: float = 0.0  # wall time from the first chunk generated to the last one stored
    index_seconds: float = 0.0  # building the secondary event indexes at the end of a bulk load (PostgreSQL)
    analyze_seconds: float = 0.0  # refreshing the planner's statistics at the end (PostgreSQL)
    wall_seconds: float = 0.0
    per_chunk: list[dict[str, Any]] = field(default_factory=list)

    @property
    def events_per_second(self) -> float:
        """The import rate: events stored per second of the event appends plus the index build at the end,
        generation excluded. A pipelined load cannot take generation out (it overlaps the writes): there it
        is the events per second of wall time from the first chunk to the indexes built, generation and
        encoding included - the stricter figure."""
        seconds = (self.chunks_seconds if self.pipelined else self.event_write_seconds) + self.index_seconds
        return self.events / seconds if seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["events_per_second"] = round(self.events_per_second, 1)
        for k in ("generate_seconds", "encode_seconds", "write_seconds", "event_write_seconds", "chunks_seconds",
                  "index_seconds", "analyze_seconds", "wall_seconds"):
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
    generate_seconds = time.perf_counter() - t0
    report = load_chunks(store_url, shop.items, shop.chunks, on_chunk=on_chunk)
    report.generate_seconds += generate_seconds
    report.wall_seconds = time.perf_counter() - t_wall
    return report


def load_chunks(store_url: str, items: pd.DataFrame, chunks: Iterable[ShopChunk], *,
                on_chunk: Callable[[ShopChunk, BulkLoad], None] | None = None) -> BulkLoad:
    """Write a catalog and chunks of canonical users and events into ``store_url`` with the store's bulk path
    (PostgreSQL: inside ``bulk_load()``, pipelined; the indexes built and the statistics refreshed at the
    end). The time spent producing the chunks (generating them, or reading them from files) is counted as
    ``generate_seconds``."""
    t_wall = time.perf_counter()
    report = BulkLoad(store=store_url)
    with open_store(store_url) as store:
        t0 = time.perf_counter()
        store.upsert_items(items)
        report.write_seconds += time.perf_counter() - t0
        report.items = len(items)
        bulk = getattr(store, "bulk_load", None)  # PostgreSQL: secondary indexes built once, at the end
        with ExitStack() as stack:
            if callable(bulk):
                stack.enter_context(bulk())
            _write_chunks(store, chunks, report, on_chunk)
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
    t_start = time.perf_counter()
    append_encoded = getattr(store, "append_encoded_events", None)
    if callable(append_encoded):
        _write_pipelined(store, append_encoded, chunks_of, report, on_chunk, t_start)
    else:
        _write_serially(store, chunks_of, report, on_chunk, t_start)
    report.chunks_seconds = time.perf_counter() - t_start


def _write_serially(store: Store, chunks_of: Iterable[ShopChunk], report: BulkLoad,
                    on_chunk: Callable[[ShopChunk, BulkLoad], None] | None, t_start: float) -> None:
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
        _account(report, chunk, counts, users_s=t1 - t0, events_s=t2 - t1, on_chunk=on_chunk, t_start=t_start)
        del chunk


def _write_pipelined(store: Store, append_encoded: Callable[[EncodedEvents], AppendCounts],
                     chunks_of: Iterable[ShopChunk], report: BulkLoad,
                     on_chunk: Callable[[ShopChunk, BulkLoad], None] | None, t_start: float) -> None:
    report.pipelined = True

    upsert_encoded = getattr(store, "upsert_encoded_users", None)

    def write(chunk: ShopChunk, batch: EncodedEvents, users: EncodedUsers | None) -> tuple[AppendCounts, float, float]:
        t0 = time.perf_counter()
        if users is not None and callable(upsert_encoded):
            upsert_encoded(users)
        else:
            store.upsert_users(chunk.users)
        t1 = time.perf_counter()
        counts = append_encoded(batch)
        return counts, t1 - t0, time.perf_counter() - t1

    chunks = iter(chunks_of)
    pending: tuple[ShopChunk, Future[tuple[AppendCounts, float, float]]] | None = None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="shopmind-bulk-writer") as writer:
        try:
            while True:
                t0 = time.perf_counter()
                chunk = next(chunks, None)  # generated while the writer inserts the previous chunk
                t1 = time.perf_counter()
                report.generate_seconds += t1 - t0
                batch = encode_event_batch(chunk.events) if chunk is not None else None
                users = encode_user_batch(chunk.users) if chunk is not None and callable(upsert_encoded) else None
                report.encode_seconds += time.perf_counter() - t1
                if pending is not None:  # one chunk in the database at a time, in order
                    done, future = pending
                    pending = None
                    counts, users_s, events_s = future.result()
                    _account(report, done, counts, users_s=users_s, events_s=events_s, on_chunk=on_chunk,
                             t_start=t_start)
                    del done
                if chunk is None or batch is None:
                    break
                pending = (chunk, writer.submit(write, chunk, batch, users))
                del chunk, batch, users
        finally:
            if pending is not None:  # an error in the main thread: let the write in flight finish first
                pending[1].exception()


def _account(report: BulkLoad, chunk: ShopChunk, counts: AppendCounts, *, users_s: float, events_s: float,
             on_chunk: Callable[[ShopChunk, BulkLoad], None] | None, t_start: float) -> None:
    report.chunks_seconds = time.perf_counter() - t_start  # so far (the progress line's rate)
    report.write_seconds += users_s + events_s
    report.event_write_seconds += events_s
    report.users += len(chunk.users)
    report.events += counts.inserted
    report.duplicates += counts.duplicates
    report.chunks += 1
    report.per_chunk.append({"chunk": chunk.index, "users": len(chunk.users), "events": counts.inserted,
                             "generate_s": round(chunk.seconds, 3), "events_write_s": round(events_s, 3)})
    log.info("chunk %d: %d users, %d events (%.1f s generating, %.1f s writing events)", chunk.index,
             len(chunk.users), counts.inserted, chunk.seconds, events_s)
    if on_chunk is not None:
        on_chunk(chunk, report)
