"""The item catalog as columns: every item the serving pipeline and the ranking features may touch, in one
append-only index space (the same structure offline, when ranking rows are replayed from a log, and online).

Models number items their own way (``model.items_``) and a newer model numbers them differently, while
live state (trending counters, bandit posteriors, session histories) must outlive a model swap. So the
serving layer keeps its own *catalog index*: raw item ids are added once and never renumbered, and each
loaded model gets a translation array (see :mod:`shopmind.pipeline.versions`).

Item facts the re-ranker needs on the hot path live in numpy columns indexed by catalog index
(category code, root category code, brand code, price, stock, creation time, listed/deleted/available
flags), so a business rule over a few hundred candidates is a handful of vectorised comparisons. Free-form
attributes stay Python dicts and are only consulted for the candidates at hand.

Writers (item upserts, deletes, ids first seen in events) hold a lock; readers never lock: columns grow by
allocating a larger array, copying, and swapping the reference, so a reader sees either the old or the
new array, both valid for every index it knows about.

>>> cat = Catalog()
>>> _ = cat.upsert_records([{"item_id": "sku-1", "category": "Beauty > Skin Care", "brand": "Acme", "price": 9.5}])
>>> cat.index("sku-1"), cat.root_label(0)
(0, 'Beauty')
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, cast

import numpy as np
import pandas as pd

from shopmind.data.ids import IdMapping

#: Stand-in creation time (epoch seconds) of items whose ``created_at`` is unknown: never "new".
UNKNOWN_TIME = np.iinfo(np.int64).min


def category_path(raw: object) -> tuple[str, ...]:
    """A category as a normalised path (lower case, ``/`` or ``>`` separated), root first.

    >>> category_path("Beauty > Skin Care/Serums")
    ('beauty', 'skin care', 'serums')
    """
    if raw is None or (isinstance(raw, float) and np.isnan(raw)):
        return ()
    return tuple(p.strip().lower() for p in str(raw).replace("/", ">").split(">") if p.strip())


def datetimes_to_epoch_seconds(values: pd.Series) -> np.ndarray:
    """UTC datetimes (any unit) as int64 epoch seconds."""
    ts = pd.to_datetime(values, utc=True)
    return cast("np.ndarray", ((ts - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)).to_numpy(dtype=np.int64))


def _to_epoch_seconds(value: object) -> int:
    if value is None or value is pd.NaT:
        return int(UNKNOWN_TIME)
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        return int(UNKNOWN_TIME)
    if ts is pd.NaT:
        return int(UNKNOWN_TIME)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts
    return int(ts.timestamp())


class Catalog:
    """Items by catalog index, with numpy columns for the facts business rules test."""

    _COLUMNS: ClassVar[dict[str, tuple[type, object]]] = {
        "category": (np.int32, -1), "root": (np.int32, -1), "brand": (np.int32, -1),
        "price": (np.float64, np.nan), "in_stock": (np.bool_, True), "created": (np.int64, UNKNOWN_TIME),
        "listed": (np.bool_, False), "deleted": (np.bool_, False), "available": (np.bool_, False),
    }

    def __init__(self) -> None:
        self.ids = IdMapping(kind="item")
        self._lock = threading.RLock()
        self._capacity = 0
        self.category = np.empty(0, np.int32)
        self.root = np.empty(0, np.int32)
        self.brand = np.empty(0, np.int32)
        self.price = np.empty(0, np.float64)
        self.in_stock = np.empty(0, np.bool_)
        self.created = np.empty(0, np.int64)
        self.listed = np.empty(0, np.bool_)
        self.deleted = np.empty(0, np.bool_)
        #: listed & ~deleted & in_stock, kept up to date by every writer (one gather per availability test).
        self.available = np.empty(0, np.bool_)
        self.titles: list[str | None] = []
        self.category_text: list[str | None] = []
        self.attributes: list[dict[str, Any]] = []
        self.category_paths: list[tuple[str, ...]] = []  # by category code
        self._category_codes: dict[tuple[str, ...], int] = {}
        self.brand_labels: list[str] = []  # by brand code
        self._brand_codes: dict[str, int] = {}
        self._prefix_cache: dict[tuple[str, ...], np.ndarray] = {}
        #: Bumped by every change; caches derived from the catalog compare it.
        self.version = 0

    # ------------------------------------------------------------------ size and lookup
    def __len__(self) -> int:
        return len(self.ids)

    def index(self, raw_id: object) -> int:
        """Catalog index of ``raw_id``, or -1 when it was never seen."""
        return self.ids.get(raw_id, -1)

    def indices(self, raw_ids: Iterable[object]) -> np.ndarray:
        """Catalog indices (-1 for ids never seen)."""
        return self.ids.indices(raw_ids, missing="skip")

    def raw(self, index: int) -> str:
        return self.ids.raw(index)

    def is_available(self, idx: np.ndarray) -> np.ndarray:
        """Listed (in the store's catalog or known to a model), not deleted and in stock."""
        return cast("np.ndarray", self.available[idx])

    def _refresh_available(self, idx: np.ndarray) -> None:
        self.available[idx] = self.listed[idx] & ~self.deleted[idx] & self.in_stock[idx]

    def is_known(self, raw_id: object) -> bool:
        """The item is listed and not deleted (what ``/items/{id}/...`` endpoints accept)."""
        i = self.index(raw_id)
        return i >= 0 and bool(self.listed[i]) and not bool(self.deleted[i])

    def label(self, index: int) -> str:
        """The item's title, or its id when it has none (for explanations)."""
        title = self.titles[index]
        return title if title else self.ids.raw(index)

    def root_label(self, index: int) -> str | None:
        """The top-level category of an item as written in the catalog, e.g. ``'Beauty'``."""
        text = self.category_text[index]
        if not text:
            return None
        return str(text).replace("/", ">").split(">")[0].strip() or None

    # ------------------------------------------------------------------ writing
    def _grow(self, need: int) -> None:
        if need <= self._capacity:
            return
        cap = max(need, int(self._capacity * 1.5) + 1024)
        for name, (dtype, fill) in self._COLUMNS.items():
            old = getattr(self, name)
            new: np.ndarray = np.full(cap, fill, dtype=dtype)
            new[: len(old)] = old
            setattr(self, name, new)  # readers holding the old array still see valid data
        self._capacity = cap

    def ensure(self, raw_ids: Iterable[object]) -> np.ndarray:
        """Catalog indices of ``raw_ids``, adding unseen ids (unlisted: not recommendable until an item
        upsert or a model lists them)."""
        ids = [str(r) for r in raw_ids]
        out = self.ids.indices(ids, missing="skip")
        if (out >= 0).all():
            return out
        with self._lock:
            for pos in np.flatnonzero(out < 0):
                out[pos] = self._add(ids[pos])
            self.version += 1
        return out

    def _add(self, raw_id: str) -> int:
        idx = self.ids.get(raw_id, -1)
        if idx >= 0:
            return idx
        self._grow(len(self.ids) + 1)
        self.titles.append(None)
        self.category_text.append(None)
        self.attributes.append({})
        return self.ids.add(raw_id)

    def list_ids(self, raw_ids: Iterable[object]) -> np.ndarray:
        """Mark ids as recommendable (e.g. every item a model knows); returns their indices."""
        idx = self.ensure(raw_ids)
        with self._lock:
            self.listed[idx] = True
            self._refresh_available(idx)
            self.version += 1
        return idx

    def _code(self, path: tuple[str, ...]) -> int:
        code = self._category_codes.get(path)
        if code is None:
            code = self._category_codes[path] = len(self.category_paths)
            self.category_paths.append(path)
            self._prefix_cache.clear()
        return code

    def _brand_code(self, brand: object) -> int:
        if brand is None or (isinstance(brand, float) and np.isnan(brand)) or not str(brand).strip():
            return -1
        key = str(brand).strip().lower()
        code = self._brand_codes.get(key)
        if code is None:
            code = self._brand_codes[key] = len(self.brand_labels)
            self.brand_labels.append(str(brand).strip())
        return code

    def upsert_records(self, records: Iterable[Mapping[str, Any]]) -> np.ndarray:
        """Insert or replace items from validated records (keys of ``shopmind.schema.ITEM_COLUMNS``).

        Like the store, an upsert replaces the item's content; a re-listed item is no longer deleted.
        """
        rows = list(records)
        idx = self.ensure(r["item_id"] for r in rows)
        with self._lock:
            for i, r in zip(idx, rows, strict=True):
                path = category_path(r.get("category"))
                self.category[i] = self._code(path) if path else -1
                self.root[i] = self._code(path[:1]) if path else -1
                self.brand[i] = self._brand_code(r.get("brand"))
                price = r.get("price")
                self.price[i] = float(price) if price is not None and not pd.isna(price) else np.nan
                stock = r.get("in_stock")
                self.in_stock[i] = True if stock is None or pd.isna(stock) else bool(stock)
                self.created[i] = _to_epoch_seconds(r.get("created_at"))
                title = r.get("title")
                self.titles[i] = str(title) if isinstance(title, str) and title else None
                category = r.get("category")
                self.category_text[i] = str(category) if isinstance(category, str) and category else None
                attrs = r.get("attributes")
                self.attributes[i] = dict(attrs) if isinstance(attrs, Mapping) else {}
            self.listed[idx] = True
            self.deleted[idx] = False
            self._refresh_available(idx)
            self.version += 1
        return idx

    def upsert_frame(self, frame: pd.DataFrame) -> np.ndarray:
        """:meth:`upsert_records` for a validated item frame (e.g. ``store.items_frame()``)."""
        if frame.empty:
            return np.empty(0, np.int64)
        cols = [c for c in frame.columns if not str(c).startswith("_")]
        return self.upsert_records(dict(zip(cols, row, strict=True))
                                   for row in frame[cols].itertuples(index=False, name=None))

    def delete(self, raw_ids: Iterable[object]) -> np.ndarray:
        """Mark items deleted (they keep their index); returns the indices that existed."""
        idx = self.indices(raw_ids)
        idx = idx[idx >= 0]
        with self._lock:
            self.deleted[idx] = True
            self._refresh_available(idx)
            self.version += 1
        return idx

    # ------------------------------------------------------------------ rule support
    def category_codes_with_prefix(self, prefix: str) -> np.ndarray:
        """Codes of every category whose path starts with ``prefix`` (path-aware: ``Beauty`` matches
        ``Beauty > Skin Care`` but not ``Beauty Tools``)."""
        want = category_path(prefix)
        cached = self._prefix_cache.get(want)
        if cached is None:
            n = len(want)
            cached = np.array([c for c, p in enumerate(self.category_paths) if p[:n] == want], dtype=np.int32)
            self._prefix_cache[want] = cached
        return cached

    def brand_codes(self, names: Iterable[str]) -> np.ndarray:
        """Codes of the given brands (case-insensitive); unknown names are left out."""
        codes = [self._brand_codes.get(str(n).strip().lower(), -1) for n in names]
        return np.array([c for c in codes if c >= 0], dtype=np.int32)

    def newest(self, limit: int) -> np.ndarray:
        """Up to ``limit`` available items, newest ``created_at`` first (items without one are left out)."""
        n = len(self)
        created = self.created[:n]
        ok = (created != UNKNOWN_TIME) & self.available[:n]
        cand = np.flatnonzero(ok)
        if len(cand) > limit:
            part = np.argpartition(-created[cand], limit - 1)[:limit]
            cand = cand[part]
        return cand[np.argsort(-created[cand], kind="stable")]
