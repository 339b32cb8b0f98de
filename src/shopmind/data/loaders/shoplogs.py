"""Public e-commerce behaviour logs: RetailRocket, Taobao UserBehavior and REES46.

Each gives funnel events (view, add to cart, favourite, purchase); Taobao and REES46 also give an item
table built from the events (the last value seen for each product wins).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shopmind.data.loaders.base import ReadResult
from shopmind.data.loaders.delimited import RawTable, read_delimited
from shopmind.data.loaders.frames import canonical_frame, epoch_seconds, last_per_id, numeric_or_raw
from shopmind.errors import DataError

log = logging.getLogger(__name__)

RETAILROCKET_COLUMNS = ("timestamp", "visitorid", "event", "itemid", "transactionid")
RETAILROCKET_TYPES = {"view": "view", "addtocart": "add_to_cart", "transaction": "purchase"}
TAOBAO_COLUMNS = ("user_id", "item_id", "category_id", "behavior", "timestamp")
TAOBAO_TYPES = {"pv": "view", "cart": "add_to_cart", "fav": "favorite", "buy": "purchase"}
REES46_COLUMNS = ("event_time", "event_type", "product_id", "category_id", "category_code", "brand", "price",
                  "user_id", "user_session")
REES46_TYPES = {"view": "view", "cart": "add_to_cart", "remove_from_cart": "remove_from_cart",
                "purchase": "purchase"}


def _require_header(raw: RawTable, expected: tuple[str, ...], fmt: str) -> None:
    missing = [c for c in expected if c not in raw.columns]
    if missing:
        raise DataError(f"not a {fmt} file: missing column(s) {missing}; expected the header "
                        f"{','.join(expected)}, found {','.join(raw.columns)}", source=raw.source, row=1,
                        field=missing[0])


def _sparse_context(key: str, values: pd.Series) -> list[Any]:
    """``{key: value}`` where a value is present, else None (cheap on millions of mostly-empty rows)."""
    out: list[Any] = [None] * len(values)
    present = values.notna().to_numpy()
    for i, v in zip(np.flatnonzero(present), values[present].tolist(), strict=True):
        out[i] = {key: v}
    return out


def read_retailrocket(path: Path) -> ReadResult:
    """RetailRocket ``events.csv``: ``timestamp,visitorid,event,itemid,transactionid``.

    ``timestamp`` is in milliseconds (converted to seconds); ``addtocart`` -> ``add_to_cart``,
    ``transaction`` -> ``purchase``; the transaction id goes into ``context["transaction_id"]``.

    >>> read_retailrocket(Path("events.csv")).counts()    # doctest: +SKIP
    {'events': 2756101, 'items': 0, 'users': 0, 'rejected': 0}
    """
    raw = read_delimited(path / "events.csv" if path.is_dir() else path)
    _require_header(raw, RETAILROCKET_COLUMNS, "RetailRocket events")
    f = raw.frame
    events = canonical_frame("events", {
        "user_id": f["visitorid"], "item_id": f["itemid"], "type": f["event"].replace(RETAILROCKET_TYPES),
        "timestamp": epoch_seconds(f["timestamp"], "ms"),
        "context": _sparse_context("transaction_id", f["transactionid"]),
    }, raw.source, f["_row"])
    return ReadResult(source=str(path), events=events, rejects=raw.rejects, format="retailrocket")


def read_taobao(path: Path) -> ReadResult:
    """Taobao UserBehavior CSV without header: ``user_id,item_id,category_id,behavior,timestamp``.

    Behaviours ``pv``/``cart``/``fav``/``buy`` become ``view``/``add_to_cart``/``favorite``/``purchase``;
    timestamps are epoch seconds. Items get the category id as ``category`` (the data has no names).

    >>> read_taobao(Path("UserBehavior.csv")).counts()      # doctest: +SKIP
    {'events': 84475, 'items': 55368, 'users': 0, 'rejected': 0}
    """
    raw = read_delimited(path, header=False, names=list(TAOBAO_COLUMNS))
    f = raw.frame
    events = canonical_frame("events", {
        "user_id": f["user_id"], "item_id": f["item_id"], "type": f["behavior"].replace(TAOBAO_TYPES),
        "timestamp": numeric_or_raw(f["timestamp"]),
    }, raw.source, f["_row"])
    last = last_per_id(f[["item_id", "category_id", "_row"]].dropna(subset=["item_id"]), "item_id")
    items = canonical_frame("items", {"item_id": last["item_id"], "category": last["category_id"]},
                            raw.source, last["_row"])
    return ReadResult(source=str(path), events=events, items=items, rejects=raw.rejects, format="taobao")


def read_rees46(path: Path) -> ReadResult:
    """REES46 multi-category store CSV (``event_time,event_type,product_id,...,user_session``).

    ``event_time`` (``2019-10-01 00:00:00 UTC``) becomes ISO-8601 text; ``cart`` -> ``add_to_cart``; the
    session goes into ``session_id``; a purchase's ``value`` is its price. Items carry ``category_code``
    as a path (``appliances > kitchen > washer``), brand, price and ``attributes["category_id"]``.

    >>> read_rees46(Path("2019-Oct.csv")).counts()           # doctest: +SKIP
    {'events': 9999, 'items': 5000, 'users': 0, 'rejected': 0}
    """
    raw = read_delimited(path)
    _require_header(raw, REES46_COLUMNS, "REES46")
    f = raw.frame
    etype = f["event_type"].replace(REES46_TYPES)
    price = numeric_or_raw(f["price"])
    events = canonical_frame("events", {
        "user_id": f["user_id"], "item_id": f["product_id"], "type": etype,
        "value": price.where((etype == "purchase").to_numpy()),
        "timestamp": f["event_time"].str.replace(" UTC", "+00:00", regex=False),
        "session_id": f["user_session"],
    }, raw.source, f["_row"])
    prod = f[["product_id", "category_id", "category_code", "brand", "_row"]].assign(price=price)
    last = last_per_id(prod.dropna(subset=["product_id"]), "product_id")
    category_id = last["category_id"].tolist()
    items = canonical_frame("items", {
        "item_id": last["product_id"], "category": last["category_code"].str.replace(".", " > ", regex=False),
        "brand": last["brand"], "price": last["price"],
        "attributes": [None if c is None or c != c else {"category_id": c} for c in category_id],
    }, raw.source, last["_row"])
    return ReadResult(source=str(path), events=events, items=items, rejects=raw.rejects, format="rees46")
