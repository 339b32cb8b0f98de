"""A peer comparison of event writes on PostgreSQL (not collected by pytest; run by hand).

    # once: one chunk of the 10M-event shop (40,000 shoppers, 47% active) to a pickle
    python benchmarks/pg_append_ab.py make /tmp/chunk.pkl
    # then alternate the code of two checkouts on the same chunk, each into a fresh schema:
    PYTHONPATH=/work/main/src python benchmarks/pg_append_ab.py run /tmp/chunk.pkl main URL
    PYTHONPATH=$PWD/src      python benchmarks/pg_append_ab.py run /tmp/chunk.pkl partitioned URL

``URL`` is a database (``postgresql://postgres@127.0.0.1:5432/shopmind_pilot``); the schema is created and
dropped. A label ending in ``bulk`` appends inside ``PostgresStore.bulk_load()`` (index build included).
Prints one JSON line: events, seconds inside ``append_events``, events/s, 1-minute load average.
"""

from __future__ import annotations

import json
import os
import pickle
import sys
import time
import uuid

import psycopg

from shopmind.storage import open_store


def make(path: str) -> None:
    from shopmind.data.synth.stream import stream_demo_shop

    shop = stream_demo_shop(1_000_000, 100_000, days=3, seed=42, start="2026-06-30", chunk_users=40_000,
                            active_share=0.47)
    chunk = next(shop.chunks)
    with open(path, "wb") as fh:
        pickle.dump((chunk.users, chunk.events), fh)
    print(f"{len(chunk.events)} events -> {path}")


def run(path: str, label: str, url: str) -> None:
    with open(path, "rb") as fh:
        users, events = pickle.load(fh)
    schema = f"ab_{uuid.uuid4().hex[:8]}"
    with open_store(f"{url}?schema={schema}") as store:
        store.upsert_users(users)
        t0 = time.perf_counter()
        if label.endswith("bulk"):  # the secondary indexes dropped, built at the end (counted in the time)
            with store.bulk_load():  # type: ignore[attr-defined]
                counts = store.append_events(events)
        else:
            counts = store.append_events(events)
        seconds = time.perf_counter() - t0
    print(json.dumps({"code": label, "events": counts.inserted, "seconds": round(seconds, 2),
                      "events_per_s": round(counts.inserted / seconds), "load": os.getloadavg()[0]}), flush=True)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        run(sys.argv[2], sys.argv[3], sys.argv[4])
