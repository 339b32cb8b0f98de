"""Features of one (user, item, context) exposure for the CTR / conversion rankers.

The same code computes them offline (training rows from an event log, replayed in time order) and online
(candidates of a live request), from the serving layer's own structures, so the two never drift apart:

- the :class:`~shopmind.data.catalog.Catalog` (category, root category, brand and price codes by
  catalog index);
- :class:`~shopmind.data.signals.ItemSignals` (weighted popularity, impressions and clicks per item);
- the user's positive history (catalog indices of items viewed, carted, bought, ...);
- the request context (page, device, slot position, hour of day).

Dense features (names in :data:`DENSE`): item popularity and smoothed click-through rate, the user's
affinity to the item's category, root category and brand (shares of their history), the distance of the
item's price from the user's usual price level, the user's activity, whether they saw the item before,
and one-hot context. Sparse fields (for the factorization machine, :data:`FIELDS`) are ids: user, item,
category, brand, page, device and position bucket.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from shopmind.data.catalog import Catalog
from shopmind.data.signals import ItemSignals

PAGES = ("home", "category", "search", "product", "cart", "other")
DEVICES = ("mobile", "desktop", "tablet", "app", "other")
MAX_POSITION = 20
#: Prior of the smoothed click-through rate: (clicks + CTR_PRIOR_CLICKS) / (impressions + CTR_PRIOR_IMPRESSIONS)
CTR_PRIOR_CLICKS, CTR_PRIOR_IMPRESSIONS = 1.0, 20.0

DENSE = (
    "log_popularity", "log_impressions", "smoothed_ctr", "user_category_share", "user_root_share",
    "user_brand_share", "price_gap", "price_known", "log_user_events", "seen_before", "log_position",
    "hour_sin", "hour_cos",
    *(f"page={p}" for p in PAGES), *(f"device={d}" for d in DEVICES),
)
FIELDS = ("user", "item", "category", "brand", "page", "device", "position")


@dataclass(frozen=True)
class Context:
    """Where the items are shown. ``position`` is the 1-based slot (None when unknown: ranking serves at
    position 1, the usual way to remove position bias learned from logs)."""

    page: str | None = None
    device: str | None = None
    position: int | None = None
    hour: int | None = None

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any] | None, hour: int | None = None) -> Context:
        raw = raw or {}
        pos = raw.get("position")
        try:
            pos = int(pos) if pos is not None else None
        except (TypeError, ValueError):
            pos = None
        return cls(_clean(raw.get("page")), _clean(raw.get("device")), pos, hour)


def _clean(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip().lower()
    return text or None


def _code(value: str | None, vocab: tuple[str, ...]) -> int:
    if value is None:
        return len(vocab) - 1
    return vocab.index(value) if value in vocab else len(vocab) - 1


@dataclass
class UserProfile:
    """Counts over one user's positive history (built once per request or per user in a batch): for the
    category, root category and brand, the sorted distinct codes and how often each occurs."""

    n: int
    seen: np.ndarray
    category: tuple[np.ndarray, np.ndarray]
    root: tuple[np.ndarray, np.ndarray]
    brand: tuple[np.ndarray, np.ndarray]
    mean_log_price: float

    @classmethod
    def build(cls, catalog: Catalog, seen: np.ndarray) -> UserProfile:
        seen = np.asarray(seen, dtype=np.int64)
        seen = seen[(seen >= 0) & (seen < len(catalog))]

        def counts(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            keys, n = np.unique(codes[codes >= 0], return_counts=True)
            return keys, n.astype(np.float32)

        price = catalog.price[seen] if len(seen) else np.empty(0)
        price = price[np.isfinite(price) & (price > 0)]
        return cls(len(seen), np.unique(seen), counts(catalog.category[seen]), counts(catalog.root[seen]),
                   counts(catalog.brand[seen]), float(np.log1p(price).mean()) if len(price) else float("nan"))

    def share(self, table: tuple[np.ndarray, np.ndarray], codes: np.ndarray) -> np.ndarray:
        """The share of this user's history in each of ``codes`` (a field's codes, e.g. categories)."""
        keys, counts = table
        if len(keys) == 0:
            return np.zeros(len(codes), dtype=np.float32)
        at = np.minimum(np.searchsorted(keys, codes), len(keys) - 1)
        return np.where(keys[at] == codes, counts[at], 0.0).astype(np.float32) / max(self.n, 1)


def dense_features(catalog: Catalog, signals: ItemSignals, profile: UserProfile, items: np.ndarray,
                   contexts: list[Context] | Context) -> np.ndarray:
    """``[len(items), len(DENSE)]`` float32 features of ``items`` (catalog indices) for one user; one
    context for all items or one per item."""
    items = np.asarray(items, dtype=np.int64)
    n = len(items)
    out = np.zeros((n, len(DENSE)), dtype=np.float32)
    if n == 0:
        return out
    pop = signals.popularity_of(items)
    imp, rew = signals.bandit_counts(items)
    out[:, 0] = np.log1p(pop)
    out[:, 1] = np.log1p(imp)
    out[:, 2] = (rew + CTR_PRIOR_CLICKS) / (imp + CTR_PRIOR_IMPRESSIONS)
    out[:, 3] = profile.share(profile.category, catalog.category[items])
    out[:, 4] = profile.share(profile.root, catalog.root[items])
    out[:, 5] = profile.share(profile.brand, catalog.brand[items])
    price = catalog.price[items]
    known = np.isfinite(price) & (price > 0) & np.isfinite(profile.mean_log_price)
    out[known, 6] = np.abs(np.log1p(price[known]) - profile.mean_log_price)
    out[:, 7] = known
    out[:, 8] = np.log1p(profile.n)
    if len(profile.seen):  # profile.seen is sorted and unique
        at = np.minimum(np.searchsorted(profile.seen, items), len(profile.seen) - 1)
        out[:, 9] = profile.seen[at] == items
    if isinstance(contexts, Context):  # one context for every row (a live request): fill columns at once
        contexts = [contexts]
        rows: np.ndarray | slice = slice(None)
    else:
        rows = np.arange(n)
    pos = np.array([min(c.position or 1, MAX_POSITION) for c in contexts], dtype=np.float32)
    out[:, 10] = np.log(pos)
    hours = np.array([c.hour if c.hour is not None else -1 for c in contexts], dtype=np.float32)
    has_hour = hours >= 0
    out[:, 11] = np.where(has_hour, np.sin(2 * np.pi * hours / 24), 0.0)
    out[:, 12] = np.where(has_hour, np.cos(2 * np.pi * hours / 24), 0.0)
    base = 13
    out[rows, base + np.array([_code(c.page, PAGES) for c in contexts])] = 1.0
    base += len(PAGES)
    out[rows, base + np.array([_code(c.device, DEVICES) for c in contexts])] = 1.0
    return out


def sparse_fields(catalog: Catalog, user_code: int, items: np.ndarray, contexts: list[Context] | Context
                  ) -> np.ndarray:
    """``[len(items), len(FIELDS)]`` int64 raw codes (-1 = unknown) of the factorization-machine fields."""
    items = np.asarray(items, dtype=np.int64)
    n = len(items)
    ctx = [contexts] if isinstance(contexts, Context) else contexts  # one context broadcasts to every row
    out = np.empty((n, len(FIELDS)), dtype=np.int64)
    out[:, 0] = user_code
    out[:, 1] = items
    out[:, 2] = catalog.category[items]
    out[:, 3] = catalog.brand[items]
    out[:, 4] = [_code(c.page, PAGES) for c in ctx]
    out[:, 5] = [_code(c.device, DEVICES) for c in ctx]
    out[:, 6] = [min(c.position or 1, MAX_POSITION) for c in ctx]
    return out
