"""The shop the serving benchmark runs on: the demo shop's catalog generator at 100,000 items, shoppers who
stick to two categories, an impression log for the CTR ranker, imported into a fresh SQLite store with an
ALS model and the ranker trained on it."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shopmind.data.synth import generate_demo_shop
from shopmind.evaluation.serving.config import ServeBenchConfig
from shopmind.ingest import import_records
from shopmind.models import create
from shopmind.ranking import build_dataset
from shopmind.ranking.metrics import fit_for_serving
from shopmind.storage import load_interactions, open_store
from shopmind.storage.base import Store


def bench_catalog(n_items: int, seed: int = 0) -> pd.DataFrame:
    """``n_items`` items of the demo shop's catalog generator (bilingual titles, category paths, brands,
    prices, attributes): the same generator as ``shopmind datasets generate demo-shop``."""
    return generate_demo_shop(n_items=n_items, items_only=True, seed=seed).items


def shop_events(items: pd.DataFrame, n_users: int, per_user: int, seed: int = 0) -> pd.DataFrame:
    """``per_user`` view/cart/purchase events for each of ``n_users`` shoppers over the last 30 days: each
    shopper sticks to 2 categories of ``items``, with Zipf-like popularity inside a category."""
    rng = np.random.default_rng(seed)
    cats = pd.factorize(items["category"])[0]
    by_cat = [np.flatnonzero(cats == c) for c in range(int(cats.max()) + 1)]
    users = np.repeat(np.arange(n_users), per_user)
    favs = rng.integers(0, len(by_cat), (n_users, 2))
    which = favs[users, rng.integers(0, 2, len(users))]
    rank = np.minimum(rng.zipf(1.3, len(users)) - 1, 10_000)
    item = np.array([by_cat[c][r % len(by_cat[c])] for c, r in zip(which.tolist(), rank.tolist(), strict=True)],
                    dtype=np.int64)
    types = rng.choice(["view", "add_to_cart", "purchase"], len(users), p=[0.85, 0.1, 0.05])
    t0 = pd.Timestamp.now(tz="UTC").floor("s") - pd.Timedelta(days=30)
    ts = t0 + pd.to_timedelta(np.sort(rng.integers(0, 30 * 86400, len(users))), unit="s")
    return pd.DataFrame({"user_id": [f"U{u:06d}" for u in users], "item_id": items["item_id"].to_numpy()[item],
                         "type": types, "timestamp": ts})


def synthetic_impressions(items: pd.DataFrame, events: pd.DataFrame, n_users: int, slots: int = 10,
                          seed: int = 0) -> pd.DataFrame:
    """One impression session for each of ``n_users`` shoppers of ``events``: ``slots`` items shown at
    positions 1..slots (half from the shopper's own categories, half from anywhere), each clicked with
    probability ``0.3`` (own category) or ``0.04`` (other) times ``position ** -0.5``; clicks follow their
    impression within a minute in the same session. The ranker must learn category affinity and position."""
    rng = np.random.default_rng(seed + 7)
    merged = events[["user_id", "item_id"]].merge(items[["item_id", "category"]], on="item_id")
    own = merged.groupby("user_id")["category"].agg(lambda c: sorted(set(c)))
    users = rng.choice(own.index.to_numpy(), min(n_users, len(own)), replace=False)
    by_cat = items.groupby("category").indices
    item_ids = items["item_id"].to_numpy()
    cats = items["category"].to_numpy()
    t_end = pd.Timestamp(events["timestamp"].max())
    rows: list[dict[str, Any]] = []
    for k, u in enumerate(users.tolist()):
        start = t_end - pd.Timedelta(seconds=int(rng.integers(60, 5 * 86400)))
        sid = f"imp-{k}"
        mine = own[u]
        for pos in range(1, slots + 1):
            if rng.random() < 0.5:
                pool = by_cat[mine[int(rng.integers(len(mine)))]]
                i = int(pool[min(int(rng.zipf(1.3)) - 1, len(pool) - 1)])
            else:
                i = int(rng.integers(len(item_ids)))
            t = start + pd.Timedelta(seconds=pos)
            ctx = {"position": pos, "page": "home"}
            rows.append({"user_id": u, "item_id": item_ids[i], "type": "impression", "timestamp": t,
                         "session_id": sid, "context": ctx})
            p = (0.3 if cats[i] in mine else 0.04) / np.sqrt(pos)
            if rng.random() < p:
                rows.append({"user_id": u, "item_id": item_ids[i], "type": "click",
                             "timestamp": t + pd.Timedelta(seconds=int(rng.integers(2, 60))), "session_id": sid,
                             "context": ctx})
    return pd.DataFrame(rows)


def train_ranker(store: Store, name: str, path: Path) -> dict[str, Any]:
    """A CTR ranker (impression -> click) on the store's whole log, the newest 10% calibrating it, as
    ``shopmind ctr train`` does; saved to ``path``. Returns its size, AUC and training time."""
    t0 = time.perf_counter()
    ds = build_dataset(store.events_frame(), store.items_frame(), target="click")
    ranker, m = fit_for_serving(ds, name)
    ranker.save(path)
    return {"ranker": name, "path": str(path), "exposures": len(ds), "positive_rate": ds.describe()["positive_rate"],
            "calibration_auc": round(float(m["auc"]), 4), "calibration_logloss": round(float(m["logloss"]), 4),
            "seconds": round(time.perf_counter() - t0, 1)}


def build_shop(cfg: ServeBenchConfig, work: Path, say: Callable[[str], None]) -> dict[str, Any]:
    """Store + trained model under ``work``; returns what was built."""
    t0 = time.perf_counter()
    items = bench_catalog(cfg.items, cfg.seed)
    events = shop_events(items, cfg.users, cfg.events_per_user, cfg.seed)
    url = f"sqlite:///{work / 'bench.db'}"
    shown = synthetic_impressions(items, events, cfg.impression_users, seed=cfg.seed) \
        if cfg.impression_users > 0 else pd.DataFrame()
    ranker: dict[str, Any] | None = None
    with open_store(url) as store:
        say(f"importing {len(items):,} items, {len(events):,} events and {len(shown):,} impressions/clicks")
        import_records(store, items.to_dict("records"), "item")
        for s in range(0, len(events), 200_000):
            import_records(store, events.iloc[s:s + 200_000].to_dict("records"), "event")
        if len(shown):
            import_records(store, shown.to_dict("records"), "event")
        data = load_interactions(store).first_touch()
        if cfg.ranker:
            say(f"training the {cfg.ranker} CTR ranker (impression -> click)")
            ranker = train_ranker(store, cfg.ranker, work / "models" / f"ranker-{cfg.ranker}.pkl")
    say("training ALS (64 factors)")
    model = create("als", factors=64).fit(data)
    path = model.save(work / "models" / "als")
    return {"store": url, "model": str(path), "ranker": ranker, "items": len(items),
            "users": int(events["user_id"].nunique()), "events": len(events) + len(shown),
            "build_seconds": round(time.perf_counter() - t0, 1),
            "user_ids": sorted(set(events["user_id"].tolist())), "item_ids": items["item_id"].tolist(),
            "categories": items["category"].tolist()}
