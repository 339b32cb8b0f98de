"""User histories and simple slates from the store's frames, for the CLI and until real recommendations are
wired in (the service takes any slate).

>>> import pandas as pd
>>> items = pd.DataFrame({"item_id": ["a", "b", "c"], "category": ["X > Tea", "X > Tea", "X > Rice"],
...                       "brand": ["P", "Q", "P"]})
>>> events = pd.DataFrame({"user_id": ["u", "v", "v"], "item_id": ["a", "b", "c"], "type": ["view"] * 3,
...                        "timestamp": pd.to_datetime([1, 2, 3], unit="s", utc=True)})
>>> [h[1] for h in user_history(events, "u")], similar_slate(items, events, ["a"], k=2)
(['view'], ['b', 'c'])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from shopmind.schema import DEFAULT_EVENT_WEIGHTS

#: Event types that say a user was interested in an item (impressions, searches, removals do not).
POSITIVE_EVENTS = frozenset(k for k, w in DEFAULT_EVENT_WEIGHTS.items() if w > 0)


def user_history(events: pd.DataFrame, user_id: str, limit: int = 10) -> list[tuple[str, str]]:
    """A user's most recent positive events as (item id, event type), newest first, one per item (the
    strongest event type of that item wins)."""
    ev = events[(events["user_id"].astype(str) == str(user_id)) & events["type"].isin(POSITIVE_EVENTS)]
    ev = ev[ev["item_id"].notna()]
    if ev.empty:
        return []
    order = ev.sort_values(["timestamp"] + (["seq"] if "seq" in ev.columns else []), ascending=False)
    out: dict[str, str] = {}
    for item_id, kind in zip(order["item_id"].astype(str), order["type"], strict=True):
        stronger = item_id in out and DEFAULT_EVENT_WEIGHTS.get(kind, 0) > DEFAULT_EVENT_WEIGHTS.get(out[item_id], 0)
        if item_id not in out or stronger:
            out[item_id] = kind
    return list(out.items())[:limit]


def popularity(events: pd.DataFrame) -> pd.Series:
    """Weighted positive-event count per item id."""
    w = events["type"].map(DEFAULT_EVENT_WEIGHTS).fillna(0.0)
    ok = events["item_id"].notna() & (w > 0)
    return w[ok].groupby(events.loc[ok, "item_id"].astype(str)).sum()


def similar_slate(items: pd.DataFrame, events: pd.DataFrame, history: Sequence[str], k: int = 5) -> list[str]:
    """A content slate: items in the categories and of the brands of ``history`` (recent ones count more),
    ties broken by popularity; falls back to the most popular items. Items in the history are left out."""
    ids = items["item_id"].astype(str).to_numpy()
    seen = set(history)
    pop = popularity(events).reindex(ids).fillna(0.0).to_numpy()
    score = np.log1p(pop) * 0.1
    by_id = items.set_index(items["item_id"].astype(str))
    cats = items["category"].astype(str).to_numpy() if "category" in items else np.array([""] * len(ids))
    brands = items["brand"].astype(str).to_numpy() if "brand" in items else np.array([""] * len(ids))
    for rank, h in enumerate(history):
        if h not in by_id.index:
            continue
        w = 0.85 ** rank
        row = by_id.loc[h]
        score = score + w * 2.0 * (cats == str(row.get("category", "")))
        score = score + w * 1.0 * (brands == str(row.get("brand", "")))
    if "in_stock" in items:
        score = score - 10.0 * (~items["in_stock"].fillna(True).astype(bool).to_numpy())
    order = sorted(range(len(ids)), key=lambda i: (-score[i], ids[i]))
    return [ids[i] for i in order if ids[i] not in seen][:k]
