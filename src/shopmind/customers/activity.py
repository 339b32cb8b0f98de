"""From the store's events and catalog to what customer understanding reads: weighted, decayed behaviour with
each item's tags, and the purchases with their money - with one defined treatment for each kind of bad input.

Bad input (each counted in :attr:`Activity.quality`, none ever crashes or leaves a NaN in a profile):

- **future timestamps** (later than ``as_of`` + ``future_tolerance_seconds``): the event is ignored;
- **purchase without a price** (no ``context.revenue`` and the item has no price): it counts as a purchase
  (frequency, recency, lifecycle) but adds nothing to spend; its amount is unknown;
- **zero amount**: a purchase worth 0 (free item): counted, adds 0 to spend, left out of the mean spend;
- **negative amount**: a refund, not a purchase: left out of purchases and of spend;
- **another currency**: converted with ``exchange_rates`` when the rate is known, else the amount is unknown
  (as for a missing price); the shop's currency is ``currency`` or the most common one among purchases;
- **users with no purchases**: profiles from their other events (stage ``prospect``, no RFM group, value 0).

Impressions are left out altogether: they record what the shop showed, not what the shopper did.

An amount is ``context.revenue`` when the event carries it, else the item's price times the quantity
(the event's ``value`` when it is a positive number, else 1).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from shopmind.customers.config import CustomerSettings

logger = logging.getLogger(__name__)

PURCHASE = "purchase"
#: Price bands of an item: quartiles of the prices within its top-level category.
PRICE_BANDS = ("budget", "mid", "upper", "premium")
#: Attribute keys with at most this many distinct values become interest tags (``colour=Navy``).
MAX_ATTRIBUTE_VALUES = 60


@dataclass
class ItemTags:
    """Per-item tags, rows aligned with ``item_ids``."""

    item_ids: pd.Index
    category: np.ndarray  # object: leaf category path or None
    top: np.ndarray  # object: top-level category or None
    brand: np.ndarray  # object or None
    price: np.ndarray  # float (NaN: unknown)
    currency: np.ndarray  # object or None
    price_band: np.ndarray  # object or None
    attributes: pd.DataFrame  # item_row, tag ("colour=Navy")


def _top(category: Any) -> Any:
    if not isinstance(category, str) or not category.strip():
        return None
    return category.replace("/", ">").split(">")[0].strip()


def item_tags(items: pd.DataFrame) -> ItemTags:
    """Category, brand, price band and attribute tags of every catalog item."""
    ids = pd.Index(items["item_id"].astype(str).to_numpy(), dtype=object)
    category = items["category"].where(items["category"].notna(), None).to_numpy(object)
    top = np.array([_top(c) for c in category], dtype=object)
    brand = items["brand"].where(items["brand"].notna(), None).to_numpy(object)
    price = pd.to_numeric(items["price"], errors="coerce").to_numpy(np.float64)
    currency = items["currency"].where(items["currency"].notna(), None).to_numpy(object)
    band = np.full(len(items), None, dtype=object)
    frame = pd.DataFrame({"top": top, "price": price})
    for _, rows in frame[frame["price"].notna() & (frame["price"] > 0)].groupby("top", dropna=False).groups.items():
        p = frame.loc[rows, "price"].to_numpy()
        edges = np.quantile(p, [0.25, 0.5, 0.75])
        band[np.asarray(rows)] = np.array(PRICE_BANDS, dtype=object)[np.searchsorted(edges, p, side="right")]
    pairs: list[tuple[int, str, str]] = []
    for row, attrs in enumerate(items["attributes"].tolist()):
        if isinstance(attrs, dict):
            pairs.extend((row, str(k), str(v)) for k, v in attrs.items()
                         if isinstance(v, str | int | float | bool) and not str(k).endswith("_zh") and str(v))
    attr = pd.DataFrame(pairs, columns=["item_row", "key", "value"])
    if len(attr):
        distinct = attr.groupby("key")["value"].nunique()
        keep = distinct[(distinct >= 2) & (distinct <= MAX_ATTRIBUTE_VALUES)].index
        attr = attr[attr["key"].isin(keep)]
    attributes = pd.DataFrame({"item_row": attr["item_row"].to_numpy(np.int64),
                               "tag": (attr["key"] + "=" + attr["value"]).to_numpy(object)})
    return ItemTags(ids, category, top, brand, price, currency, band, attributes)


@dataclass
class Activity:
    """Clean behaviour and purchases as of ``as_of``."""

    events: pd.DataFrame  # user_id, item_row (-1: none), type, timestamp, weight (event weight x decay)
    purchases: pd.DataFrame  # user_id, item_row, timestamp, day, amount (NaN: unknown), quantity, order
    tags: ItemTags
    as_of: pd.Timestamp
    currency: str | None
    quality: dict[str, int] = field(default_factory=dict)
    _rows: dict[int, tuple[pd.Index, np.ndarray]] = field(default_factory=dict, repr=False)

    def user_rows(self, users: pd.Index) -> np.ndarray:
        """The row of each event's user in ``users`` (-1: not there), computed once per index."""
        hit = self._rows.get(id(users))
        if hit is None or hit[0] is not users:
            hit = (users, users.get_indexer(self.events["user_id"].to_numpy()))
            self._rows[id(users)] = hit
        return hit[1]


def _revenue(context: Any) -> float:
    if isinstance(context, dict):
        v = context.get("revenue")
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
            return float(v)
    return math.nan


def _currency(context: Any) -> Any:
    if isinstance(context, dict):
        c = context.get("currency")
        if isinstance(c, str) and c.strip():
            return c.strip().upper()
    return None


def prepare_activity(events: pd.DataFrame, tags: ItemTags, settings: CustomerSettings,
                     as_of: pd.Timestamp | None = None) -> Activity:
    """Clean ``events`` (the store's event frame) against the catalog ``tags`` as of ``as_of`` (default: now)."""
    as_of = pd.Timestamp.now(tz="UTC") if as_of is None else pd.Timestamp(as_of)
    as_of = as_of.tz_localize("UTC") if as_of.tzinfo is None else as_of.tz_convert("UTC")
    quality: dict[str, int] = {}
    ts = events["timestamp"]
    future = (ts > as_of + pd.Timedelta(seconds=settings.future_tolerance_seconds)).to_numpy()
    quality["future_events"] = int(future.sum())
    shown = (events["type"] == "impression").to_numpy()
    ev = events.loc[~future & ~shown, ["user_id", "item_id", "type", "value", "timestamp", "context", "session_id"]]
    item_row = tags.item_ids.get_indexer(ev["item_id"].astype(object).where(ev["item_id"].notna(), "")).astype(
        np.int64)
    etype = ev["type"].astype(str).to_numpy(object)
    age_days = ((as_of - ev["timestamp"]) / pd.Timedelta(days=1)).to_numpy(np.float64)
    base = pd.Series(etype).map(settings.event_weights).fillna(0.0).to_numpy(np.float64)
    weight = base * np.exp2(-np.maximum(age_days, 0.0) / settings.half_life_days)
    # (a tz-aware column's to_numpy() makes one Python object per row: keep the column itself)
    stamps = ev["timestamp"].reset_index(drop=True)
    stamps = stamps.dt.tz_localize("UTC") if stamps.dt.tz is None else stamps.dt.tz_convert("UTC")
    behaviour = pd.DataFrame({"user_id": ev["user_id"].to_numpy(object), "item_row": item_row, "type": etype,
                              "timestamp": stamps, "weight": weight})

    is_buy = etype == PURCHASE
    buys = ev.loc[is_buy]
    rows = item_row[is_buy]
    value = pd.to_numeric(buys["value"], errors="coerce").to_numpy(np.float64)
    quantity = np.where(np.isfinite(value) & (value > 0), value, 1.0)
    contexts = buys["context"].tolist()
    revenue = np.fromiter((_revenue(c) for c in contexts), dtype=np.float64, count=len(contexts))
    price = np.where(rows >= 0, tags.price[np.maximum(rows, 0)], np.nan) if len(rows) else np.zeros(0)
    amount = np.where(np.isfinite(revenue), revenue, price * quantity)
    cur = np.array([_currency(c) for c in contexts], dtype=object)
    item_cur = tags.currency[np.maximum(rows, 0)] if len(rows) else np.zeros(0, dtype=object)
    cur = np.where(pd.isna(cur) & (rows >= 0), item_cur, cur) if len(rows) else cur
    known_cur = pd.Series(cur, dtype=object).dropna()
    shop_currency = settings.currency or (str(known_cur.mode().iloc[0]) if len(known_cur) else None)
    rate = np.ones(len(cur))
    if shop_currency is not None:
        rates = {**{c.upper(): float(r) for c, r in settings.exchange_rates.items()}, shop_currency: 1.0}
        rate = np.array([1.0 if c is None else rates.get(str(c).upper(), np.nan) for c in cur], dtype=np.float64)
    quality["unconverted_currency"] = int((np.isnan(rate) & np.isfinite(amount)).sum())
    amount = amount * rate
    refund = np.isfinite(amount) & (amount < 0)
    quality["purchases"] = int(len(amount) - refund.sum())
    quality["refunds"] = int(refund.sum())
    quality["unknown_amount"] = int((~np.isfinite(amount)).sum())
    quality["zero_amount"] = int((amount == 0).sum())
    keep = ~refund
    t = stamps[is_buy].reset_index(drop=True)[keep].reset_index(drop=True)
    purchases = pd.DataFrame({
        "user_id": buys["user_id"].to_numpy(object)[keep], "item_row": rows[keep],
        "timestamp": t, "amount": amount[keep], "quantity": quantity[keep],
        "session_id": buys["session_id"].to_numpy(object)[keep],
    })
    purchases["day"] = purchases["timestamp"].dt.floor("D")
    # an order is one session's purchases (or, without a session id, one day's)
    session = purchases["session_id"].where(purchases["session_id"].notna(), purchases["day"].astype(str))
    purchases["order"] = purchases["user_id"].astype(str) + "\x1f" + session.astype(str)
    return Activity(behaviour, purchases.drop(columns=["session_id"]), tags, as_of, shop_currency, quality)


def transactions_activity(transactions: pd.DataFrame, as_of: pd.Timestamp | None = None,
                          customer: str = "customer_id", when: str = "timestamp",
                          amount: str = "amount") -> Activity:
    """An :class:`Activity` made of purchases only (a transaction log such as CDNOW: no catalog, no other
    events); negative amounts are refunds and left out, as for a shop."""
    ts = pd.to_datetime(transactions[when])
    ts = ts.dt.tz_localize("UTC") if ts.dt.tz is None else ts.dt.tz_convert("UTC")
    value = pd.to_numeric(transactions[amount], errors="coerce").to_numpy(np.float64) if amount in transactions \
        else np.full(len(transactions), np.nan)
    users = transactions[customer].astype(str).to_numpy(object)
    keep = ~(np.isfinite(value) & (value < 0))
    as_of = ts.max() if as_of is None else pd.Timestamp(as_of)
    empty = ItemTags(pd.Index([], dtype=object), *(np.zeros(0, dtype=object),) * 3, np.zeros(0),
                     np.zeros(0, dtype=object), np.zeros(0, dtype=object),
                     pd.DataFrame({"item_row": [], "tag": []}))
    day = ts.dt.floor("D")
    purchases = pd.DataFrame({"user_id": users[keep], "item_row": np.full(int(keep.sum()), -1, dtype=np.int64),
                              "timestamp": ts.to_numpy()[keep], "amount": value[keep],
                              "quantity": np.ones(int(keep.sum())), "day": day.to_numpy()[keep]})
    purchases["timestamp"] = pd.to_datetime(purchases["timestamp"], utc=True)
    purchases["day"] = pd.to_datetime(purchases["day"], utc=True)
    purchases["order"] = purchases["user_id"] + "\x1f" + purchases["day"].astype(str)
    events = pd.DataFrame({"user_id": purchases["user_id"], "item_row": purchases["item_row"],
                           "type": PURCHASE, "timestamp": purchases["timestamp"], "weight": 0.0})
    quality = {"future_events": 0, "refunds": int((~keep).sum()), "purchases": int(keep.sum())}
    return Activity(events, purchases, empty, pd.Timestamp(as_of), None, quality)
