"""Training rows for the rankers, replayed from an event log in time order.

An *exposure* is a moment an item was put in front of a shopper, and its *label* says whether they took
the next step with that item in the same session:

- ``target="click"``: exposures are ``impression`` events; the label is a later view, click, favourite,
  cart or purchase of that item in the session (click-through);
- ``target="conversion"``: exposures are the first ``view``/``click`` of an item in a session; the label is
  a later ``add_to_cart`` or ``purchase`` of it in the session (logs without impressions, e.g. Taobao).

Features must only use the past. The log is replayed: the first ``warmup`` share of events only builds
state (item signals, user histories); the exposures after it are cut into ``chunks`` equal slices in time,
and every slice is featurised from all events before its start, exactly as the live service would have
seen them. Sessions missing from the log are rebuilt per user with a 30-minute inactivity gap.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import track

from shopmind.data.catalog import Catalog, datetimes_to_epoch_seconds
from shopmind.data.ids import IdMapping
from shopmind.data.signals import ItemSignals
from shopmind.errors import DataError, ParameterError, check_float, check_int
from shopmind.ranking.features import DENSE, FIELDS, Context, UserProfile, dense_features, sparse_fields
from shopmind.schema import DEFAULT_EVENT_WEIGHTS, NEGATIVE_TYPES

log = logging.getLogger(__name__)

TARGETS = {
    "click": (frozenset({"impression"}), frozenset({"view", "click", "favorite", "add_to_cart", "purchase"})),
    "conversion": (frozenset({"view", "click"}), frozenset({"add_to_cart", "purchase"})),
}
SESSION_GAP_S = 30 * 60


@dataclass
class CTRDataset:
    """Featurised exposures in time order; ``catalog`` and ``users`` give the codes used in ``fields``."""

    dense: np.ndarray
    fields: np.ndarray
    label: np.ndarray
    time: np.ndarray
    user: np.ndarray
    catalog: Catalog
    users: IdMapping
    target: str

    def __len__(self) -> int:
        return len(self.label)

    def take(self, sel: np.ndarray) -> CTRDataset:
        return CTRDataset(self.dense[sel], self.fields[sel], self.label[sel], self.time[sel], self.user[sel],
                          self.catalog, self.users, self.target)

    def split_by_time(self, fractions: tuple[float, ...]) -> list[CTRDataset]:
        """Consecutive slices in time order with the given row shares (the last takes the rest)."""
        bounds = np.cumsum([0, *[round(f * len(self)) for f in fractions]])
        bounds = np.minimum(bounds, len(self))
        parts = [self.take(np.arange(a, b)) for a, b in itertools.pairwise(bounds)]
        parts.append(self.take(np.arange(bounds[-1], len(self))))
        return parts

    def describe(self) -> dict[str, Any]:
        return {"rows": len(self), "positives": int(self.label.sum()),
                "positive_rate": round(float(self.label.mean()), 5) if len(self) else 0.0,
                "users": len(np.unique(self.user)), "target": self.target,
                "dense_features": len(DENSE), "fields": list(FIELDS)}


def _contexts(frame: pd.DataFrame) -> list[dict[str, Any]]:
    if "context" not in frame.columns:
        out: list[dict[str, Any]] = [{} for _ in range(len(frame))]
    else:
        out = []
        for c in frame["context"].to_numpy(object):
            if isinstance(c, str) and c.startswith("{"):
                try:
                    c = json.loads(c)
                except ValueError:
                    c = {}
            out.append(dict(c) if isinstance(c, dict) else {})
    for col in ("page", "device", "position"):  # flat columns win over the context dict
        if col in frame.columns:
            for d, v in zip(out, frame[col].to_numpy(object), strict=True):
                if v is not None and not (isinstance(v, float) and np.isnan(v)):
                    d[col] = v
    return out


def _sessions(users: np.ndarray, ts: np.ndarray, raw: np.ndarray | None) -> np.ndarray:
    """Session codes: the log's own session ids, else per-user runs split by 30 minutes of inactivity."""
    if raw is not None and pd.notna(raw).all():
        return cast("np.ndarray", pd.factorize(pd.Series(raw).astype(str))[0].astype(np.int64))
    order = np.lexsort((ts, users))
    u, t = users[order], ts[order]
    new = np.ones(len(u), dtype=bool)
    new[1:] = (u[1:] != u[:-1]) | (t[1:] - t[:-1] > SESSION_GAP_S)
    codes = np.empty(len(u), dtype=np.int64)
    codes[order] = np.cumsum(new) - 1
    return codes


def build_dataset(events: pd.DataFrame, items: pd.DataFrame | None = None, *, target: str = "click",
                  warmup: float = 0.3, chunks: int = 10, event_weights: dict[str, float] | None = None,
                  progress: bool = False) -> CTRDataset:
    """Exposures and labels of ``events`` (columns as ``store.events_frame()``: user_id, item_id, type,
    timestamp, optional session_id and context) featurised by replay (see the module docs)."""
    if target not in TARGETS:
        raise ParameterError("build_dataset", "target", target, f"one of {sorted(TARGETS)}")
    check_float("build_dataset", "warmup", warmup, low=0.0, high=0.9)
    check_int("build_dataset", "chunks", chunks, low=1)
    missing = [c for c in ("user_id", "item_id", "type", "timestamp") if c not in events.columns]
    if missing:
        raise DataError(f"the event log lacks column(s) {missing}; expected user_id, item_id, type, timestamp")
    ev = events[events["item_id"].notna()].copy()
    ev["_ts"] = datetimes_to_epoch_seconds(ev["timestamp"])
    ev["_arrival"] = np.arange(len(ev))
    ev = ev.sort_values(["_ts", "_arrival"], kind="stable").reset_index(drop=True)
    types = ev["type"].astype(str).to_numpy(object)
    exposure_types, success_types = TARGETS[target]
    is_exposure = np.isin(types, list(exposure_types))
    if not is_exposure.any():
        raise DataError(f"no {'/'.join(sorted(exposure_types))} events to learn {target} from "
                        f"(event types present: {sorted(set(types.tolist()))})")

    catalog = Catalog()
    if items is not None and len(items):
        catalog.upsert_frame(items)
    item_idx = catalog.ensure(ev["item_id"].astype(str).tolist())
    users_raw = ev["user_id"].astype(str).to_numpy(object)
    user_codes, user_uniques = pd.factorize(pd.Series(users_raw))
    ts = ev["_ts"].to_numpy(np.int64)
    sess = _sessions(user_codes, ts, ev["session_id"].to_numpy(object) if "session_id" in ev.columns else None)

    # label: a success event for the same (session, item) at or after the exposure
    key = sess * (len(catalog) + 1) + item_idx
    is_success = np.isin(types, list(success_types))
    last_success = pd.Series(ts[is_success]).groupby(key[is_success]).max()
    exp_rows = np.flatnonzero(is_exposure)
    # one exposure per (session, item): the first
    _, first = np.unique(key[exp_rows], return_index=True)
    exp_rows = np.sort(exp_rows[first])
    succ_t = last_success.reindex(key[exp_rows]).to_numpy()
    label = (~np.isnan(succ_t)) & (succ_t >= ts[exp_rows])
    # explicit negative feedback (dislike, hide, not interested) on the item in the session after the exposure
    # makes it a negative, whatever the shopper clicked on the way
    is_negative = np.isin(types, list(NEGATIVE_TYPES))
    if is_negative.any():
        last_negative = pd.Series(ts[is_negative]).groupby(key[is_negative]).max()
        neg_t = last_negative.reindex(key[exp_rows]).to_numpy()
        label &= ~((~np.isnan(neg_t)) & (neg_t >= ts[exp_rows]))
    ctx_all = _contexts(ev.iloc[exp_rows])
    hours = ((ts[exp_rows] % 86400) // 3600).astype(int)

    weights = dict(event_weights or DEFAULT_EVENT_WEIGHTS)
    signals = ItemSignals(weights)
    history: dict[int, list[np.ndarray]] = defaultdict(list)
    positive = np.array([weights.get(t, 0.0) > 0 for t in types], dtype=bool)

    start = round(warmup * len(ev))
    exp_rows_kept = exp_rows >= start
    bounds = np.linspace(0, exp_rows_kept.sum(), chunks + 1).astype(int)
    sel_all = np.flatnonzero(exp_rows_kept)
    consumed = 0
    dense_parts, field_parts, label_parts, time_parts, user_parts = [], [], [], [], []
    iterator: Iterable[int] = range(chunks)
    if progress:

        iterator = track(iterator, description=f"featurising {len(sel_all):,} exposures",
                         console=Console(stderr=True))
    for c in iterator:
        sel = sel_all[bounds[c]:bounds[c + 1]]
        if len(sel) == 0:
            continue
        cut = int(exp_rows[sel[0]])  # events before this row are known to the features
        if cut > consumed:
            signals.add(item_idx[consumed:cut], types[consumed:cut], ts[consumed:cut])
            rows = np.arange(consumed, cut)[positive[consumed:cut]]
            for u, grp in pd.Series(item_idx[rows]).groupby(user_codes[rows]):
                history[int(u)].append(grp.to_numpy(np.int64))
            consumed = cut
        rows = exp_rows[sel]
        ctx = [Context.from_mapping(ctx_all[i], int(hours[i])) for i in sel]
        order = np.argsort(user_codes[rows], kind="stable")
        ucodes = user_codes[rows][order]
        splits = np.flatnonzero(np.diff(ucodes)) + 1
        for grp in np.split(order, splits):
            u = int(user_codes[rows[grp[0]]])
            seen = np.concatenate(history[u]) if history.get(u) else np.empty(0, np.int64)
            profile = UserProfile.build(catalog, seen)
            gctx = [ctx[i] for i in grp]
            dense_parts.append(dense_features(catalog, signals, profile, item_idx[rows[grp]], gctx))
            field_parts.append(sparse_fields(catalog, u, item_idx[rows[grp]], gctx))
            label_parts.append(label[sel[grp]])
            time_parts.append(ts[rows[grp]])
            user_parts.append(np.full(len(grp), u, dtype=np.int64))
    if not dense_parts:
        raise DataError(f"no {target} exposures after the warm-up share {warmup}; use a smaller warmup")
    t = np.concatenate(time_parts)
    order = np.argsort(t, kind="stable")
    data = CTRDataset(np.concatenate(dense_parts)[order], np.concatenate(field_parts)[order],
                      np.concatenate(label_parts)[order].astype(np.float32), t[order],
                      np.concatenate(user_parts)[order], catalog,
                      IdMapping([str(u) for u in user_uniques], kind="user"), target)
    log.info("ctr dataset: %s", data.describe())
    return data
