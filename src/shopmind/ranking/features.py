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
from functools import lru_cache
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


#: Offsets that put the category, root-category and brand codes of one history into one sorted key array.
_FIELD_OFFSETS = np.array([0, 1 << 32, 2 << 32], dtype=np.int64)[:, None]


@dataclass
class UserProfile:
    """One user's positive history, summarised once per request (or per user in a batch): how often each
    category, root category and brand occurs in it (``codes``: the history's codes of the three fields as
    one sorted array of keys, ``field offset + code``; a count is a pair of binary searches), the items
    (``seen``, sorted) and the mean log price."""

    n: int
    seen: np.ndarray
    codes: np.ndarray
    mean_log_price: float

    @classmethod
    def build(cls, catalog: Catalog, seen: np.ndarray) -> UserProfile:
        seen = np.asarray(seen, dtype=np.int64)
        seen = seen[(seen >= 0) & (seen < len(catalog))]
        price = catalog.price[seen] if len(seen) else np.empty(0)
        price = price[np.isfinite(price) & (price > 0)]
        codes = _field_codes(catalog, seen)
        keys = (codes + _FIELD_OFFSETS)[codes >= 0]
        keys.sort()
        return cls(len(seen), np.sort(seen), keys,
                   float(np.log1p(price).mean()) if len(price) else float("nan"))

    def shares(self, codes: np.ndarray) -> np.ndarray:
        """``[3, n]`` float32: the share of this user's history in the category, root category and brand of
        each item (``codes``: the items' codes of the three fields, :func:`_field_codes`)."""
        if len(self.codes) == 0:
            return np.zeros(codes.shape, dtype=np.float32)
        keys = codes + _FIELD_OFFSETS
        counts = np.searchsorted(self.codes, keys, "right") - np.searchsorted(self.codes, keys, "left")
        counts[codes < 0] = 0  # an unknown code is no share of anything
        return counts.astype(np.float32) / max(self.n, 1)


def _field_codes(catalog: Catalog, items: np.ndarray) -> np.ndarray:
    """``[3, len(items)]`` int64: the category, root-category and brand codes of ``items`` (-1: none)."""
    out = np.empty((3, len(items)), dtype=np.int64)
    out[0] = catalog.category[items]
    out[1] = catalog.root[items]
    out[2] = catalog.brand[items]
    return out


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
    out[:, 3:6] = profile.shares(_field_codes(catalog, items)).T
    price = catalog.price[items]
    known = np.isfinite(price) & (price > 0) & np.isfinite(profile.mean_log_price)
    out[known, 6] = np.abs(np.log1p(price[known]) - profile.mean_log_price)
    out[:, 7] = known
    out[:, 8] = np.log1p(profile.n)
    if len(profile.seen):  # profile.seen is sorted
        at = np.minimum(np.searchsorted(profile.seen, items), len(profile.seen) - 1)
        out[:, 9] = profile.seen[at] == items
    if isinstance(contexts, Context):  # one context for every row (a live request): constant columns
        columns, page, device = _context_row(contexts)
        out[:, 10:13] = columns
        out[:, 13 + page] = 1.0
        out[:, 13 + len(PAGES) + device] = 1.0
        return out
    out[:, 10:13] = _context_columns(contexts)
    rows = np.arange(n)
    out[rows, 13 + np.array([_code(c.page, PAGES) for c in contexts])] = 1.0
    out[rows, 13 + len(PAGES) + np.array([_code(c.device, DEVICES) for c in contexts])] = 1.0
    return out


@lru_cache(maxsize=4096)
def _context_row(context: Context) -> tuple[np.ndarray, int, int]:
    """One context's :func:`_context_columns` and its page and device codes (a request's context: the same
    few recur all day)."""
    columns = _context_columns([context])[0]
    columns.flags.writeable = False
    return columns, _code(context.page, PAGES), _code(context.device, DEVICES)


def _context_columns(contexts: list[Context]) -> np.ndarray:
    """``[len(contexts), 3]`` float32: log position (1 when unknown) and the hour of day on the unit circle
    (0, 0 when unknown)."""
    pos = np.array([min(c.position or 1, MAX_POSITION) for c in contexts], dtype=np.float32)
    hours = np.array([c.hour if c.hour is not None else -1 for c in contexts], dtype=np.float32)
    has_hour = hours >= 0
    out = np.empty((len(contexts), 3), dtype=np.float32)
    out[:, 0] = np.log(pos)
    out[:, 1] = np.where(has_hour, np.sin(2 * np.pi * hours / 24), 0.0)
    out[:, 2] = np.where(has_hour, np.cos(2 * np.pi * hours / 24), 0.0)
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
