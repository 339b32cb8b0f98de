"""The demo shop: generate a seeded synthetic shop (catalog, shoppers, events) and keep its ground truth."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from shopmind.data.synth.behaviour import Simulator
from shopmind.data.synth.calendar import Calendar, make_calendar
from shopmind.data.synth.catalog import build_catalog, taxonomy
from shopmind.data.synth.population import LANGUAGES, NEVER, build_population
from shopmind.data.synth.vocab import BRANDS
from shopmind.errors import ParameterError, check_float, check_int
from shopmind.schema import EVENT_COLUMNS, USER_COLUMNS

log = logging.getLogger(__name__)

GENERATOR_VERSION = 1


@dataclass
class ShopTruth:
    """What the generator knows and the event files do not say: every shopper's latent taste.

    Rows of the user arrays follow ``user_ids`` (the order of ``DemoShop.users``); rows of the item arrays
    follow ``item_ids``. Leaf, top-category and brand columns follow ``leaves``, ``tops`` and ``brands``.
    """

    user_ids: np.ndarray
    item_ids: np.ndarray
    tops: list[str]
    leaves: list[str]
    brands: list[str]
    top_pref: np.ndarray  # [U, T] initial taste over top categories
    leaf_pref: np.ndarray  # [U, L] initial taste over leaves
    leaf_pref_after: np.ndarray  # [U, L] taste once the new interest has set in
    new_interest: list[str | None]  # top category of the new interest
    drift_at: pd.DatetimeIndex  # when the new interest set in (NaT: never)
    brand_affinity: np.ndarray  # [U, B] log-affinity (0 = indifferent)
    price_level: np.ndarray  # [U] preferred log price relative to the leaf's typical price
    language: list[str]
    activity: np.ndarray  # [U] expected sessions per 90 days
    item_leaf: np.ndarray  # [I] leaf index
    item_quality: np.ndarray  # [I] latent quality ~N(0, 1) (+ brand tier)
    item_exposure: np.ndarray  # [I] latent popularity (how often the shop shows the item)
    _user_index: dict[str, int] = field(default_factory=dict, repr=False)

    def _row(self, user_id: str) -> int:
        if not self._user_index:
            self._user_index.update({u: i for i, u in enumerate(self.user_ids.tolist())})
        try:
            return self._user_index[str(user_id)]
        except KeyError:
            example = self.user_ids[:1].tolist()
            raise KeyError(f"unknown user id {user_id!r} (ids look like {example})") from None

    def taste_at(self, user_id: str, when: pd.Timestamp | str) -> np.ndarray:
        """The shopper's taste over leaves at ``when`` (the switch to a new interest takes a few days)."""
        u = self._row(user_id)
        at = self.drift_at[u]
        if pd.isna(at):
            return cast("np.ndarray", self.leaf_pref[u])
        ts = pd.Timestamp(when)
        days = (ts.tz_localize("UTC") if ts.tzinfo is None else ts) - at
        w = 1.0 / (1.0 + np.exp(-np.clip(days / pd.Timedelta(days=2), -50, 50)))
        return cast("np.ndarray", (1 - w) * self.leaf_pref[u] + w * self.leaf_pref_after[u])

    def preferred_categories(self, user_id: str, k: int = 3, after_drift: bool = False) -> list[str]:
        """The ``k`` leaf categories the shopper likes most (initially, or after the drift).

        >>> shop = generate_demo_shop(n_users=5, n_items=60, days=7, seed=1)
        >>> len(shop.truth.preferred_categories("U00001", k=2))
        2
        """
        u = self._row(user_id)
        pref = self.leaf_pref_after[u] if after_drift else self.leaf_pref[u]
        return [self.leaves[i] for i in np.argsort(-pref, kind="stable")[:k]]

    def users_frame(self) -> pd.DataFrame:
        """One row per shopper: language, favourite top category, leaves, brands, price level, drift."""
        fav_brands = np.argsort(-self.brand_affinity, axis=1, kind="stable")[:, :3]
        top_leaves = np.argsort(-self.leaf_pref, axis=1, kind="stable")[:, :3]
        return pd.DataFrame({
            "user_id": self.user_ids,
            "language": self.language,
            "top_category": [self.tops[i] for i in self.top_pref.argmax(axis=1)],
            "top_leaves": [[self.leaves[i] for i in row] for row in top_leaves],
            "favourite_brands": [[self.brands[i] for i in row] for row in fav_brands],
            "price_level": self.price_level,
            "new_interest": self.new_interest,
            "drift_at": self.drift_at,
            "activity": self.activity,
        })


@dataclass
class DemoShop:
    """A generated shop: canonical ``items``, ``users`` and ``events`` frames, ground truth and run facts."""

    items: pd.DataFrame
    users: pd.DataFrame
    events: pd.DataFrame
    truth: ShopTruth
    meta: dict[str, Any]


def generate_demo_shop(n_users: int = 3000, n_items: int = 2000, days: int = 90, seed: int = 42,
                       start: str | pd.Timestamp = "2026-06-01", *, scale: float = 1.0,
                       items_only: bool = False) -> DemoShop:
    """Generate the SYNTHETIC bilingual demo shop, deterministically from ``seed``.

    ``scale`` multiplies both sizes (``scale=10`` -> 30,000 users, 20,000 items); ``items_only`` skips
    shoppers and events (a 100,000-item catalog for load tests takes a couple of seconds). The catalog
    depends only on ``seed``, ``n_items``, ``start`` and ``days``, so ``items_only`` gives the same items.

    >>> shop = generate_demo_shop(n_users=50, n_items=80, days=14, seed=7)
    >>> shop.items.loc[0, "item_id"], shop.users.loc[0, "user_id"], sorted(shop.events["type"].unique())[:3]
    ('SKU00001', 'U00001', ['add_to_cart', 'click', 'favorite'])
    """
    check_float("generate_demo_shop", "scale", scale, low=0.0, low_open=True)
    check_int("generate_demo_shop", "n_users", n_users, low=0 if items_only else 1)
    check_int("generate_demo_shop", "n_items", n_items, low=1)
    n_users, n_items = max(round(n_users * scale), 0 if items_only else 1), max(round(n_items * scale), 1)
    check_int("generate_demo_shop", "days", days, low=1, high=3660)
    check_int("generate_demo_shop", "seed", seed, low=0)
    try:
        t = pd.Timestamp(start)
    except (ValueError, TypeError):
        raise ParameterError("generate_demo_shop", "start", start, "a date such as '2026-06-01'") from None
    t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
    t0 = time.perf_counter()
    cat_seed, pop_seed, sim_seed = np.random.SeedSequence(seed).spawn(3)
    tax = taxonomy()
    cat = build_catalog(n_items, np.random.default_rng(cat_seed), t, days)
    pop = build_population(0 if items_only else n_users, np.random.default_rng(pop_seed), tax, t, days)
    cal = make_calendar(t, days)
    if items_only:
        events = pd.DataFrame({c: pd.Series(dtype=object) for c in EVENT_COLUMNS})
        users = pd.DataFrame({c: pd.Series(dtype=object) for c in USER_COLUMNS})
    else:
        sim = Simulator(cat, pop, tax, cal, np.random.default_rng(sim_seed))
        sim.run()
        item_ids = cat.items["item_id"].to_numpy(object)
        events = sim.events_frame(item_ids, pop.users["user_id"].to_numpy(object))
        users = pop.users
    truth = ShopTruth(
        user_ids=pop.users["user_id"].to_numpy(object), item_ids=cat.items["item_id"].to_numpy(object),
        tops=list(tax.tops), leaves=[lf.path for lf in tax.leaves], brands=[b.en for b in BRANDS],
        top_pref=pop.top_pref, leaf_pref=pop.leaf_pref, leaf_pref_after=pop.leaf_pref_new,
        new_interest=[tax.tops[i] if i >= 0 else None for i in pop.new_top.tolist()],
        drift_at=pd.DatetimeIndex(pd.to_datetime(np.where(pop.drift_at == NEVER, np.nan, pop.drift_at),
                                                 unit="s", utc=True)),
        brand_affinity=pop.brand_score, price_level=pop.price_level,
        language=[LANGUAGES[i] for i in pop.language.tolist()], activity=pop.activity,
        item_leaf=cat.leaf, item_quality=cat.quality, item_exposure=cat.exposure,
    )
    meta = _meta(seed, t, days, cal, items=len(cat.items), users=len(users), events=events,
                 seconds=time.perf_counter() - t0)
    log.info("generated demo shop: %s", meta)
    return DemoShop(cat.items, users, events, truth, meta)


def _meta(seed: int, start: pd.Timestamp, days: int, cal: Calendar, *, items: int, users: int,
          events: pd.DataFrame, seconds: float) -> dict[str, Any]:
    counts = events["type"].value_counts().to_dict() if len(events) else {}
    return {
        "generator": "shopmind demo-shop", "version": GENERATOR_VERSION, "synthetic": True, "seed": seed,
        "start": start.isoformat(), "end": pd.Timestamp(cal.end_s, unit="s", tz="UTC").isoformat(),
        "days": days,
        "items": items, "users": users, "events": len(events),
        "event_counts": {str(k): int(v) for k, v in sorted(counts.items())},
        "seconds": round(seconds, 2),
    }
