"""The demo shop in chunks of shoppers: millions of events without holding them all in memory.

:func:`generate_demo_shop` simulates every shopper at once and returns one event frame; at 1M shoppers and
10M events that frame alone is several GB of Python objects. :func:`stream_demo_shop` builds the catalog
once (the same catalog as :func:`generate_demo_shop` with the same ``seed``, ``n_items``, ``start`` and
``days``) and then simulates the shoppers ``chunk_users`` at a time, each chunk with its own seeded
generator, yielding its users and events; a caller writes each chunk to the store and drops it.

Shoppers do not interact in the simulator (they share the catalog, not each other), so a chunk is a
shop of its own over the same catalog; what changes is only the naming: user, session and event ids are
numbered across the chunks (``U0000001``, ``S000000001``, ``E0000000001``), and events are chronological
within a chunk, not across chunks (the store keeps arrival order; training orders by time).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from shopmind.data.synth.behaviour import Simulator
from shopmind.data.synth.calendar import make_calendar
from shopmind.data.synth.catalog import build_catalog, taxonomy
from shopmind.data.synth.population import Population, build_population
from shopmind.errors import ParameterError, check_float, check_int

#: Digits of the stream's session and event ids (room for 10^9 sessions and 10^10 events).
SESSION_DIGITS, EVENT_DIGITS = 9, 10


@dataclass(frozen=True)
class ShopChunk:
    """One chunk of shoppers: ``users`` and ``events`` canonical frames, its position and generation time."""

    index: int
    first_user: int  # 0-based position of the chunk's first shopper in the whole shop
    users: pd.DataFrame
    events: pd.DataFrame
    seconds: float


@dataclass(frozen=True)
class ShopStream:
    """The catalog (built at once) and an iterator over the shopper chunks (built lazily)."""

    items: pd.DataFrame
    n_users: int
    chunk_users: int
    chunks: Iterator[ShopChunk]

    @property
    def n_chunks(self) -> int:
        return -(-self.n_users // self.chunk_users)


def stream_demo_shop(n_users: int, n_items: int, days: int = 90, seed: int = 42,
                     start: str | pd.Timestamp = "2026-06-01", *, chunk_users: int = 50_000,
                     active_share: float = 1.0) -> ShopStream:
    """The SYNTHETIC demo shop as a catalog plus lazily simulated chunks of ``chunk_users`` shoppers.

    ``active_share`` < 1 keeps that share of the shoppers (drawn at random in each chunk) active in the
    period and the others dormant: registered, in the user table, with no events. The simulator gives every
    active shopper at least one session (about 20 events: impressions, views, ...), so this is how a shop
    of 1M accounts and 10M events is made (``active_share=0.47``), as real shops have many dormant accounts.

    Deterministic from ``seed``, ``chunk_users`` and ``active_share`` (another chunk size gives other shoppers).

    >>> shop = stream_demo_shop(n_users=30, n_items=50, days=7, seed=1, chunk_users=20)
    >>> [(c.users["user_id"].iloc[0], len(c.users)) for c in shop.chunks]
    [('U00001', 20), ('U00021', 10)]
    """
    check_int("stream_demo_shop", "n_users", n_users, low=1)
    check_int("stream_demo_shop", "n_items", n_items, low=1)
    check_int("stream_demo_shop", "days", days, low=1, high=3660)
    check_int("stream_demo_shop", "seed", seed, low=0)
    check_int("stream_demo_shop", "chunk_users", chunk_users, low=1)
    check_float("stream_demo_shop", "active_share", active_share, low=0.0, high=1.0, low_open=True)
    try:
        t = pd.Timestamp(start)
    except (ValueError, TypeError):
        raise ParameterError("stream_demo_shop", "start", start, "a date such as '2026-06-01'") from None
    t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
    cat_seed, pop_seed, sim_seed = np.random.SeedSequence(seed).spawn(3)
    tax = taxonomy()
    cat = build_catalog(n_items, np.random.default_rng(cat_seed), t, days)
    n_chunks = -(-n_users // chunk_users)
    pop_seeds, sim_seeds = pop_seed.spawn(n_chunks), sim_seed.spawn(n_chunks)
    width = max(5, len(str(n_users)))
    item_ids = cat.items["item_id"].to_numpy(object)

    def chunks() -> Iterator[ShopChunk]:
        sessions = events = 0
        for k in range(n_chunks):
            t0 = time.perf_counter()
            first = k * chunk_users
            size = min(chunk_users, n_users - first)
            pop = build_population(size, np.random.default_rng(pop_seeds[k]), tax, t, days)
            user_ids = np.array([f"U{i:0{width}d}" for i in range(first + 1, first + size + 1)], dtype=object)
            pop.users["user_id"] = user_ids
            rng = np.random.default_rng(sim_seeds[k])
            active = (rng.random(size) < active_share) if active_share < 1 else np.ones(size, dtype=bool)
            shoppers = _subset(pop, active)
            sim = Simulator(cat, shoppers, tax, make_calendar(t, days), rng)
            sim.run()
            frame = sim.events_frame(item_ids, user_ids[active])
            del sim
            frame, n_sessions = _renumber(frame, sessions, events)
            sessions += n_sessions
            events += len(frame)
            yield ShopChunk(k, first, pop.users, frame, time.perf_counter() - t0)

    return ShopStream(cat.items, n_users, chunk_users, chunks())


def _subset(pop: Population, rows: np.ndarray) -> Population:
    """The shoppers of ``pop`` selected by the boolean mask ``rows`` (every per-shopper array cut alike)."""
    if rows.all():
        return pop
    cut = {f.name: getattr(pop, f.name)[rows] for f in fields(pop) if f.name != "users"}
    return Population(users=pop.users[rows].reset_index(drop=True), **cut)


def _renumber(events: pd.DataFrame, sessions_before: int, events_before: int) -> tuple[pd.DataFrame, int]:
    """Session and event ids numbered after those of the earlier chunks; returns the frame and its sessions."""
    local = events["session_id"].str.slice(1).astype(np.int64).to_numpy()
    n_sessions = int(local.max()) if len(local) else 0
    events["session_id"] = [f"S{i:0{SESSION_DIGITS}d}" for i in (local + sessions_before).tolist()]
    events["event_id"] = [f"E{i:0{EVENT_DIGITS}d}" for i in range(events_before + 1, events_before + len(events) + 1)]
    return events, n_sessions
