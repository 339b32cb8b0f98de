"""The 10M-event import into PostgreSQL, generation excluded (not collected by pytest; run by hand).

``shopmind datasets generate demo-shop --chunk-users N --store postgresql://...`` generates and writes at once,
so its rate includes the simulator (a third of the Python time). This script separates the two, as a shop
importing its own event history would: the shop is generated once into pickled chunks (not timed), then
imported from them through the same bulk path (``shopmind.ingest.bulk.load_chunks``: ``bulk_load()``, the
next chunk read and encoded in Python while PostgreSQL copies the previous one, indexes built and ANALYZE at
the end). The rate is events per second of wall time from the first chunk read to the indexes built.

    python benchmarks/pg_import_10m.py generate /tmp/pg10m/chunks            # 10M events, 25 chunks, ~3 min
    createdb -h 127.0.0.1 -U postgres shopmind10m
    python benchmarks/pg_import_10m.py import /tmp/pg10m/chunks \\
        postgresql://postgres@127.0.0.1:5432/shopmind10m --out benchmarks/measured/pg-10m-import.json
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg

from shopmind.data.synth.stream import ShopChunk, stream_demo_shop
from shopmind.ingest.bulk import load_chunks


def generate(out: Path, users: int, items: int, chunk_users: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    shop = stream_demo_shop(users, items, days=3, seed=42, start="2026-06-30", chunk_users=chunk_users,
                            active_share=0.47)
    with open(out / "items.pkl", "wb") as fh:
        pickle.dump(shop.items, fh, protocol=pickle.HIGHEST_PROTOCOL)
    events = 0
    for chunk in shop.chunks:
        with open(out / f"chunk-{chunk.index:04d}.pkl", "wb") as fh:
            pickle.dump(chunk, fh, protocol=pickle.HIGHEST_PROTOCOL)
        events += len(chunk.events)
        print(f"chunk {chunk.index}: {len(chunk.events):,} events", flush=True)
    print(f"{events:,} events in {time.perf_counter() - t0:.1f} s -> {out}")


def _chunks(directory: Path) -> Iterator[ShopChunk]:
    for path in sorted(directory.glob("chunk-*.pkl")):
        with open(path, "rb") as fh:
            yield pickle.load(fh)


def run_import(directory: Path, url: str, out: Path | None) -> None:
    with open(directory / "items.pkl", "rb") as fh:
        items = pickle.load(fh)
    with psycopg.connect(url) as conn:
        settings = {name: conn.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
                    for name in ("shared_buffers", "max_wal_size", "wal_buffers", "checkpoint_timeout",
                                 "synchronous_commit", "server_version")}
    load_before = os.getloadavg()
    report = load_chunks(url, items, _chunks(directory),
                         on_chunk=lambda chunk, rep: print(f"chunk {chunk.index}: {rep.events:,} events, "
                                                           f"{rep.events_per_second:,.0f}/s so far", flush=True))
    doc = {"what": "10M-event demo shop imported from pickled chunks through shopmind.ingest.bulk.load_chunks "
                   "(PostgresStore.bulk_load: pipelined COPY, indexes built and ANALYZE at the end); "
                   "events_per_second = events / (chunks_seconds + index_seconds), generate_seconds = reading "
                   "the chunk files",
           "command": " ".join([Path(sys.executable).name, *sys.argv]),
           "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                    check=False).stdout.strip(),
           "postgres_settings": settings, "load_average_before": load_before,
           "load_average_after": os.getloadavg(), **report.as_dict()}
    text = json.dumps(doc, indent=2)
    if out is not None:
        out.write_text(text + "\n")
    print(f"{report.events:,} events at {report.events_per_second:,.0f} events/s "
          f"({report.chunks_seconds:.1f} s chunks + {report.index_seconds:.1f} s indexes; "
          f"analyze {report.analyze_seconds:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    gen = sub.add_parser("generate")
    gen.add_argument("dir", type=Path)
    gen.add_argument("--users", type=int, default=1_000_000)
    gen.add_argument("--items", type=int, default=100_000)
    gen.add_argument("--chunk-users", type=int, default=40_000)
    imp = sub.add_parser("import")
    imp.add_argument("dir", type=Path)
    imp.add_argument("url")
    imp.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.cmd == "generate":
        generate(args.dir, args.users, args.items, args.chunk_users)
    else:
        run_import(args.dir, args.url, args.out)


if __name__ == "__main__":
    main()
