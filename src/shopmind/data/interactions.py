"""The training view: (user, item, weight, time) interactions with dense ids.

An :class:`Interactions` is always ordered by user, then time, then original event order (a stable sort:
ties in time keep the order the events arrived in - never sorted by item id, which leaks the answer).
It exports a scipy CSR user x item matrix and per-user chronological sequences.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from shopmind.data.ids import IdMapping
from shopmind.errors import DataError
from shopmind.schema import DEFAULT_EVENT_WEIGHTS


@dataclass
class Interactions:
    """Columnar user-item interactions sharing one pair of id mappings.

    Attributes
    ----------
    user, item : int32 arrays of dense indices.
    weight : float32 implicit-feedback weight (from the event type, see ``DEFAULT_EVENT_WEIGHTS``).
    timestamp : int64 seconds since the epoch (or the position in the file when the data has no time).
    value : float32 rating / quantity / revenue, NaN when absent.
    event_type : optional object array of event type names.
    users, items : the id mappings; ``items`` covers the whole catalog, not just items seen here.
    item_meta : optional frame indexed by dense item index (title, category, brand, price, ...).
    """

    user: np.ndarray
    item: np.ndarray
    weight: np.ndarray
    timestamp: np.ndarray
    users: IdMapping
    items: IdMapping
    value: np.ndarray | None = None
    event_type: np.ndarray | None = None
    item_meta: pd.DataFrame | None = None
    user_meta: pd.DataFrame | None = None
    name: str = "data"
    _indptr: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        n = len(self.user)
        for attr in ("item", "weight", "timestamp"):
            if len(getattr(self, attr)) != n:
                raise DataError(f"column {attr!r} has {len(getattr(self, attr))} values, expected {n}")
        self.user = np.asarray(self.user, dtype=np.int32)
        self.item = np.asarray(self.item, dtype=np.int32)
        self.weight = np.asarray(self.weight, dtype=np.float32)
        self.timestamp = np.asarray(self.timestamp, dtype=np.int64)
        if self.value is None:
            self.value = np.full(n, np.nan, dtype=np.float32)
        else:
            self.value = np.asarray(self.value, dtype=np.float32)
        if n and (self.user.max() >= len(self.users) or self.item.max() >= len(self.items)):
            raise DataError("interaction indices exceed the id mappings")
        # Keep the canonical order: user, time, arrival order (stable).
        order = np.lexsort((self.timestamp, self.user))
        if n and not np.array_equal(order, np.arange(n)):
            self._take_inplace(order)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_frame(
        cls,
        events: pd.DataFrame,
        *,
        event_weights: Mapping[str, float] | None = None,
        items: IdMapping | None = None,
        users: IdMapping | None = None,
        item_meta: pd.DataFrame | None = None,
        user_meta: pd.DataFrame | None = None,
        drop_zero_weight: bool = True,
        name: str = "data",
        rating_threshold: float | None = None,
    ) -> Interactions:
        """Build from a canonical event frame (columns ``user_id``, ``item_id`` and optionally ``type``,
        ``value``, ``timestamp``). Row order is the arrival order used to break ties in time.

        ``item_meta``/``user_meta`` are frames with an ``item_id``/``user_id`` column; their ids join the
        mapping so that catalog items without interactions can still be ranked. ``rating_threshold``: ratings
        whose ``value`` is at or below it weigh 0 (not positives; dropped with ``drop_zero_weight``).
        """
        for col in ("user_id", "item_id"):
            if col not in events.columns:
                raise DataError(f"event frame has no {col!r} column (columns: {list(events.columns)})")
        weights = dict(DEFAULT_EVENT_WEIGHTS)
        if event_weights:
            weights.update(event_weights)
        df = events[events["item_id"].notna()]
        if "type" in df.columns:
            w = df["type"].map(weights).astype("float32")
            unknown = w.isna()
            if unknown.any():
                bad = df.loc[unknown, "type"].iloc[0]
                raise DataError(f"no weight for event type {bad!r}; set one in event_weights")
            w = w.to_numpy()
            if rating_threshold is not None and "value" in df.columns:
                stars = pd.to_numeric(df["value"], errors="coerce").to_numpy(np.float64)
                low = (df["type"].to_numpy(object) == "rating") & (stars <= float(rating_threshold))
                w = np.where(low, np.float32(0.0), w).astype(np.float32)
        else:
            w = np.ones(len(df), dtype=np.float32)
        if drop_zero_weight:
            keep = w > 0
            df, w = df[keep], w[keep]
        user_ids = users if users is not None else IdMapping(kind="user")
        item_ids = items if items is not None else IdMapping(kind="item")
        if users is None and user_meta is not None and "user_id" in user_meta.columns:
            for r in user_meta["user_id"]:
                user_ids.add(r)
        u = np.fromiter((user_ids.add(r) for r in df["user_id"].astype(str)), dtype=np.int64, count=len(df))
        i = np.fromiter((item_ids.add(r) for r in df["item_id"].astype(str)), dtype=np.int64, count=len(df))
        if item_meta is not None and "item_id" in item_meta.columns:
            for r in item_meta["item_id"].astype(str):
                item_ids.add(r)
        if "timestamp" in df.columns:
            ts_col = df["timestamp"]
            if pd.api.types.is_datetime64_any_dtype(ts_col):
                # datetimes may be stored at any unit; normalise to whole seconds since the epoch
                ts = (pd.to_datetime(ts_col, utc=True) - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
                ts = ts.to_numpy(dtype=np.int64)
            else:
                ts = pd.to_numeric(ts_col, errors="coerce").fillna(0).to_numpy().astype(np.int64)
        else:
            ts = np.arange(len(df), dtype=np.int64)
        value = pd.to_numeric(df["value"], errors="coerce").to_numpy(np.float32) if "value" in df else None
        etype = df["type"].to_numpy(object) if "type" in df.columns else None
        meta = _index_meta(item_meta, item_ids, "item_id") if item_meta is not None else None
        umeta = _index_meta(user_meta, user_ids, "user_id") if user_meta is not None else None
        return cls(u, i, w, ts, user_ids, item_ids, value=value, event_type=etype, item_meta=meta,
                   user_meta=umeta, name=name)

    @classmethod
    def from_chunks(
        cls,
        chunks: Iterable[pd.DataFrame],
        *,
        event_weights: Mapping[str, float] | None = None,
        item_meta: pd.DataFrame | None = None,
        user_meta: pd.DataFrame | None = None,
        drop_zero_weight: bool = True,
        name: str = "data",
        rating_threshold: float | None = None,
    ) -> Interactions:
        """Build from event chunks in arrival order (columns ``user_id``, ``item_id``, ``type``, ``value`` and
        ``ts_us``, epoch microseconds: what :meth:`shopmind.storage.base.EventLog.event_chunks` yields), with
        the same result as :meth:`from_frame` on the concatenated events, without ever holding them as one
        frame: each chunk becomes int32/float32 columns and is dropped, so memory is the columns, the id
        mappings and one chunk.
        """
        weights = dict(DEFAULT_EVENT_WEIGHTS)
        if event_weights:
            weights.update(event_weights)
        user_ids, item_ids = IdMapping(kind="user"), IdMapping(kind="item")
        if user_meta is not None and "user_id" in user_meta.columns:
            for r in user_meta["user_id"]:
                user_ids.add(r)
        cols: dict[str, list[np.ndarray]] = {k: [] for k in ("u", "i", "w", "ts", "value", "type")}
        names: dict[str, str] = {}
        for chunk in chunks:
            df = chunk[chunk["item_id"].notna()]
            types = df["type"].to_numpy(object)
            w = pd.Series(types).map(weights).to_numpy(np.float64)
            unknown = np.isnan(w)
            if unknown.any():
                raise DataError(f"no weight for event type {types[unknown.argmax()]!r}; set one in event_weights")
            w = w.astype(np.float32)
            value = df["value"].to_numpy(np.float64)
            if rating_threshold is not None:
                low = (types == "rating") & (value <= float(rating_threshold))
                w = np.where(low, np.float32(0.0), w).astype(np.float32)
            keep = w > 0 if drop_zero_weight else np.ones(len(df), dtype=bool)
            users, items = df["user_id"].to_numpy(object)[keep], df["item_id"].to_numpy(object)[keep]
            cols["u"].append(np.fromiter((user_ids.add(r) for r in users), dtype=np.int32, count=len(users)))
            cols["i"].append(np.fromiter((item_ids.add(r) for r in items), dtype=np.int32, count=len(items)))
            cols["w"].append(w[keep])
            cols["ts"].append(np.floor_divide(df["ts_us"].to_numpy(np.int64)[keep], 1_000_000))
            cols["value"].append(value[keep].astype(np.float32))
            cols["type"].append(np.array([names.setdefault(t, t) for t in types[keep]], dtype=object))
        if item_meta is not None and "item_id" in item_meta.columns:
            for r in item_meta["item_id"].astype(str):
                item_ids.add(r)
        empty = {"u": np.int32, "i": np.int32, "w": np.float32, "ts": np.int64, "value": np.float32,
                 "type": object}
        out = {k: np.concatenate(v) if v else np.empty(0, dtype=empty[k]) for k, v in cols.items()}
        cols.clear()
        meta = _index_meta(item_meta, item_ids, "item_id") if item_meta is not None else None
        umeta = _index_meta(user_meta, user_ids, "user_id") if user_meta is not None else None
        return cls(out["u"], out["i"], out["w"], out["ts"], user_ids, item_ids, value=out["value"],
                   event_type=out["type"], item_meta=meta, user_meta=umeta, name=name)

    @classmethod
    def from_sequences(cls, sequences: Mapping[str, list[str]], name: str = "data",
                       item_meta: pd.DataFrame | None = None) -> Interactions:
        """Build from ``{user: [item, item, ...]}`` in chronological order (time = position)."""
        rows = [(u, it, pos) for u, seq in sequences.items() for pos, it in enumerate(seq)]
        df = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])
        return cls.from_frame(df, item_meta=item_meta, name=name)

    # ------------------------------------------------------------------ basic facts
    def __len__(self) -> int:
        return len(self.user)

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def indptr(self) -> np.ndarray:
        """CSR-style row pointer: user ``u``'s interactions are ``[indptr[u], indptr[u+1])``."""
        if self._indptr is None:
            counts = np.bincount(self.user, minlength=self.n_users)
            self._indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return self._indptr

    def user_counts(self) -> np.ndarray:
        return np.diff(self.indptr)

    def item_counts(self) -> np.ndarray:
        return np.bincount(self.item, minlength=self.n_items)

    def describe(self) -> dict[str, int | float]:
        active_users = int((self.user_counts() > 0).sum())
        active_items = int((self.item_counts() > 0).sum())
        dens = len(self) / max(1, active_users * active_items)
        return {"users": active_users, "items": self.n_items, "interactions": len(self),
                "density": round(dens, 6)}

    # ------------------------------------------------------------------ exports
    def to_csr(self, aggregate: str = "sum", weighted: bool = True) -> sp.csr_matrix:
        """User x item matrix. Repeated (user, item) pairs are combined by ``sum``, ``max`` or ``last``;
        ``weighted=False`` gives a binary matrix."""
        data = self.weight if weighted else np.ones(len(self), dtype=np.float32)
        shape = (self.n_users, self.n_items)
        if aggregate == "sum":
            m = sp.csr_matrix((data, (self.user, self.item)), shape=shape, dtype=np.float32)
            m.sum_duplicates()
        elif aggregate in ("max", "last"):
            df = pd.DataFrame({"u": self.user, "i": self.item, "w": data})
            g = df.groupby(["u", "i"], sort=True)["w"]
            agg = g.max() if aggregate == "max" else g.last()
            idx = agg.index
            m = sp.csr_matrix((agg.to_numpy(np.float32), (idx.get_level_values(0), idx.get_level_values(1))),
                              shape=shape, dtype=np.float32)
        else:
            raise DataError(f"aggregate must be 'sum', 'max' or 'last', got {aggregate!r}")
        if not weighted:
            m.data[:] = 1.0
        m.sort_indices()
        return m

    def sequences(self) -> list[np.ndarray]:
        """Each user's items in chronological order (a view per user into ``item``)."""
        p = self.indptr
        return [self.item[p[u]:p[u + 1]] for u in range(self.n_users)]

    def history(self, user: int) -> np.ndarray:
        p = self.indptr
        return self.item[p[user]:p[user + 1]]

    # ------------------------------------------------------------------ transforms
    def _take_inplace(self, idx: np.ndarray) -> None:
        self.user, self.item = self.user[idx], self.item[idx]
        self.weight, self.timestamp = self.weight[idx], self.timestamp[idx]
        assert self.value is not None
        self.value = self.value[idx]
        if self.event_type is not None:
            self.event_type = self.event_type[idx]
        self._indptr = None

    def take(self, mask_or_idx: np.ndarray) -> Interactions:
        """A new Interactions with the selected rows (same id mappings and metadata)."""
        sel = np.asarray(mask_or_idx)
        return Interactions(
            self.user[sel], self.item[sel], self.weight[sel], self.timestamp[sel], self.users, self.items,
            value=None if self.value is None else self.value[sel],
            event_type=None if self.event_type is None else self.event_type[sel],
            item_meta=self.item_meta, user_meta=self.user_meta, name=self.name,
        )

    def concat(self, other: Interactions) -> Interactions:
        """Union of two interaction sets over the same mappings; arrival order: self first."""
        same = other.users is self.users and other.items is self.items
        if not same and (other.users != self.users or other.items != self.items):
            raise DataError("cannot concatenate interactions built on different id mappings")
        # Keep ties ordered: rows of `self` come before rows of `other` at equal (user, time).
        n1 = len(self)
        order_key = np.concatenate([np.arange(n1), n1 + np.arange(len(other))])
        user = np.concatenate([self.user, other.user])
        ts = np.concatenate([self.timestamp, other.timestamp])
        idx = np.lexsort((order_key, ts, user))

        def cat(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
            if a is None or b is None:
                return None
            return np.concatenate([a, b])[idx]

        return Interactions(
            user[idx], np.concatenate([self.item, other.item])[idx],
            np.concatenate([self.weight, other.weight])[idx], ts[idx], self.users, self.items,
            value=cat(self.value, other.value), event_type=cat(self.event_type, other.event_type),
            item_meta=self.item_meta, user_meta=self.user_meta, name=self.name,
        )

    def dedupe_consecutive(self) -> Interactions:
        """Drop an event when the same user touched the same item in the immediately preceding event
        (e.g. view -> cart -> purchase of one item collapses to its first occurrence, keeping the max weight)."""
        if len(self) == 0:
            return self
        same = np.zeros(len(self), dtype=bool)
        same[1:] = (self.user[1:] == self.user[:-1]) & (self.item[1:] == self.item[:-1])
        keep = ~same
        # carry the maximum weight of each run onto its first row
        run_id = np.cumsum(keep) - 1
        w = np.zeros(int(keep.sum()), dtype=np.float32)
        np.maximum.at(w, run_id, self.weight)
        out = self.take(keep)
        out.weight = w
        return out

    def first_touch(self) -> Interactions:
        """One row per (user, item): its first occurrence in time, carrying the maximum weight of all the
        pair's events (view -> cart -> purchase of one item becomes one interaction of purchase weight).

        This is the training/evaluation view for event logs: under leave-one-out the test target is then the
        last *new* item a user turned to, not a repeat touch of something already in their history.
        """
        if len(self) == 0:
            return self
        key = self.user.astype(np.int64) * self.n_items + self.item
        uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        if len(uniq) == len(self):
            return self
        w = np.zeros(len(uniq), dtype=np.float32)
        np.maximum.at(w, inverse, self.weight)
        keep = np.sort(first)  # rows stay in canonical (user, time, arrival) order
        out = self.take(keep)
        out.weight = w[inverse[keep]]
        return out

    def k_core(self, k: int) -> Interactions:
        """Iteratively keep users and items with at least ``k`` interactions (mappings unchanged)."""
        if k <= 1:
            return self
        mask = np.ones(len(self), dtype=bool)
        while True:
            uc = np.bincount(self.user[mask], minlength=self.n_users)
            ic = np.bincount(self.item[mask], minlength=self.n_items)
            new = mask & (uc[self.user] >= k) & (ic[self.item] >= k)
            if new.sum() == mask.sum():
                break
            mask = new
        return self.take(mask)

    def compact(self) -> Interactions:
        """Re-index so that only users/items with interactions (plus, for items, the metadata) remain."""
        used_u = np.unique(self.user)
        used_i = np.unique(self.item)
        u_map = np.full(self.n_users, -1, dtype=np.int64)
        u_map[used_u] = np.arange(len(used_u))
        i_map = np.full(self.n_items, -1, dtype=np.int64)
        i_map[used_i] = np.arange(len(used_i))
        users = IdMapping(self.users.raws(used_u), kind="user")
        items = IdMapping(self.items.raws(used_i), kind="item")
        meta = None
        if self.item_meta is not None:
            meta = self.item_meta.loc[self.item_meta.index.isin(used_i)].copy()
            meta.index = i_map[meta.index.to_numpy()]
            meta = meta.sort_index()
        umeta = None
        if self.user_meta is not None:
            umeta = self.user_meta.loc[self.user_meta.index.isin(used_u)].copy()
            umeta.index = u_map[umeta.index.to_numpy()]
            umeta = umeta.sort_index()
        return Interactions(u_map[self.user], i_map[self.item], self.weight, self.timestamp, users, items,
                            value=self.value, event_type=self.event_type, item_meta=meta, user_meta=umeta,
                            name=self.name)


def _index_meta(meta: pd.DataFrame, ids: IdMapping, col: str) -> pd.DataFrame:
    """Index a metadata frame by dense index (rows for unknown ids are dropped, duplicates keep last)."""
    m = meta.drop_duplicates(subset=[col], keep="last").copy()
    m.index = ids.indices(m[col].astype(str), missing="skip")
    m = m[m.index >= 0].sort_index()
    return m
