"""Per-user facts from behaviour: activity, purchases, price range, basket size, lifecycle stage and interest
tags (decayed by recency: an event's weight halves every ``half_life_days``).

Everything is computed for many users at once with pandas group-bys; :func:`user_table` gives one row per user
and :func:`interest_tags` the top tags of each kind per user.

Lifecycle stages (as of the refresh time):

- ``prospect``: no purchase yet (browsing only);
- ``new``: first purchase within ``new_days``;
- ``reactivated``: the latest purchase came after a gap of more than ``lapsed_days`` and is within
  ``active_days``;
- ``active``: last purchase within ``active_days``;
- ``at_risk``: last purchase between ``active_days`` and ``lapsed_days`` ago;
- ``lapsed``: no purchase for more than ``lapsed_days``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shopmind.customers.activity import Activity
from shopmind.customers.config import CustomerSettings

STAGES = ("prospect", "new", "active", "reactivated", "at_risk", "lapsed")
TAG_KINDS = ("category", "brand", "price_band", "attribute")
DAY = pd.Timedelta(days=1)


def user_table(activity: Activity, settings: CustomerSettings) -> pd.DataFrame:
    """One row per user seen in the events (index ``user_id``): activity, purchases, money, lifecycle."""
    ev, buys, as_of = activity.events, activity.purchases, activity.as_of
    g = ev.groupby("user_id", sort=True)
    table = pd.DataFrame({"first_seen": g["timestamp"].min(), "last_seen": g["timestamp"].max(),
                          "events": g.size().astype(np.int64)})
    table.index.name = "user_id"
    if len(buys):
        bg = buys.groupby("user_id", sort=True)
        amount = buys["amount"]
        known = amount.where(np.isfinite(amount))
        per_user = pd.DataFrame({
            "first_purchase": bg["timestamp"].min(), "last_purchase": bg["timestamp"].max(),
            "orders": bg["order"].nunique().astype(np.int64), "purchase_days": bg["day"].nunique().astype(np.int64),
            "items_bought": bg["quantity"].sum(),
            "monetary": known.groupby(buys["user_id"]).sum(min_count=1).fillna(0.0),
        })
        unit_price = (known / buys["quantity"]).where(known > 0)
        q = unit_price.groupby(buys["user_id"]).quantile([0.25, 0.75]).unstack()
        per_user["price_low"], per_user["price_high"] = q.get(0.25), q.get(0.75)
        days = buys[["user_id", "day"]].drop_duplicates().sort_values(["user_id", "day"])
        gap = days.groupby("user_id")["day"].diff() / DAY
        last_gap = gap.groupby(days["user_id"]).last()
        per_user["gap_before_last_days"] = last_gap
        per_user["mean_gap_days"] = gap.groupby(days["user_id"]).mean()
        table = table.join(per_user, how="outer")
    else:
        for col in ("first_purchase", "last_purchase"):
            table[col] = pd.Series(pd.NaT, index=table.index, dtype="datetime64[us, UTC]")
        for col in ("orders", "purchase_days", "items_bought", "monetary", "price_low", "price_high",
                    "gap_before_last_days", "mean_gap_days"):
            table[col] = np.nan
    for col in ("orders", "purchase_days"):
        table[col] = table[col].fillna(0).astype(np.int64)
    table["items_bought"] = table["items_bought"].fillna(0.0)
    table["monetary"] = table["monetary"].fillna(0.0)
    table["recency_days"] = (as_of - table["last_purchase"]) / DAY
    table["tenure_days"] = (as_of - table["first_seen"]) / DAY
    table["first_purchase_days"] = (as_of - table["first_purchase"]) / DAY
    since_first = ((as_of - table["first_purchase"]) / DAY).clip(lower=30.0)
    table["frequency"] = table["orders"].astype(np.float64)
    table["orders_per_30d"] = (table["orders"] / since_first * 30.0).where(table["orders"] > 0, 0.0)
    table["basket_size"] = (table["items_bought"] / table["orders"]).where(table["orders"] > 0, 0.0)
    _fallback_price_range(table, activity)
    table["stage"] = lifecycle(table, settings)
    return table


def _fallback_price_range(table: pd.DataFrame, activity: Activity) -> None:
    """Users without a priced purchase get the price range of the items they engaged with (weighted)."""
    missing = table["price_low"].isna()
    if not missing.any():
        return
    ev = activity.events
    ev = ev[(ev["item_row"] >= 0) & (ev["weight"] > 0) & ev["user_id"].isin(table.index[missing])]
    price = activity.tags.price[ev["item_row"].to_numpy()]
    ok = np.isfinite(price) & (price > 0)
    if not ok.any():
        return
    p = pd.Series(price[ok], index=ev["user_id"].to_numpy()[ok])
    q = p.groupby(level=0).quantile([0.25, 0.75]).unstack()
    table.loc[q.index, "price_low"] = q[0.25]
    table.loc[q.index, "price_high"] = q[0.75]


def lifecycle(table: pd.DataFrame, settings: CustomerSettings) -> pd.Series:
    """The lifecycle stage of each row of a :func:`user_table` (see the module docstring)."""
    recency = table["recency_days"].to_numpy(np.float64)
    first_age = table["first_purchase_days"].to_numpy(np.float64)
    gap = table["gap_before_last_days"].to_numpy(np.float64)
    bought = table["orders"].to_numpy() > 0
    stage = np.full(len(table), "prospect", dtype=object)
    stage[bought & (recency > settings.lapsed_days)] = "lapsed"
    stage[bought & (recency > settings.active_days) & (recency <= settings.lapsed_days)] = "at_risk"
    stage[bought & (recency <= settings.active_days)] = "active"
    stage[bought & (recency <= settings.active_days) & (gap > settings.lapsed_days)] = "reactivated"
    stage[bought & (first_age <= settings.new_days)] = "new"
    return pd.Series(stage, index=table.index, dtype=object)


def _tag_weights(users: np.ndarray, tags: np.ndarray, weights: np.ndarray) -> pd.DataFrame:
    ok = pd.notna(tags) & (weights > 0)
    df = pd.DataFrame({"user_id": users[ok], "tag": tags[ok], "weight": weights[ok]})
    return df.groupby(["user_id", "tag"], sort=False, observed=True)["weight"].sum().reset_index()


def interest_weights(activity: Activity) -> dict[str, pd.DataFrame]:
    """Decayed interest per (user, tag) for each tag kind: frames ``user_id, tag, weight`` (all tags)."""
    ev = activity.events
    ev = ev[(ev["item_row"] >= 0) & (ev["weight"] > 0)]
    rows, users, w = ev["item_row"].to_numpy(), ev["user_id"].to_numpy(object), ev["weight"].to_numpy()
    tags = activity.tags
    out = {"category": _tag_weights(users, tags.category[rows], w),
           "brand": _tag_weights(users, tags.brand[rows], w),
           "price_band": _tag_weights(users, tags.price_band[rows], w)}
    attr = tags.attributes
    if len(attr) and len(ev):
        joined = pd.DataFrame({"item_row": rows, "user_id": users, "weight": w}).merge(attr, on="item_row")
        out["attribute"] = _tag_weights(joined["user_id"].to_numpy(object), joined["tag"].to_numpy(object),
                                        joined["weight"].to_numpy())
    else:
        out["attribute"] = pd.DataFrame({"user_id": [], "tag": [], "weight": []})
    return out


def interest_tags(weights: dict[str, pd.DataFrame], top: int) -> dict[str, pd.DataFrame]:
    """The ``top`` tags of each kind per user, weights normalised to sum to 1 over the user's tags of the kind
    (rounded to 4 decimals), strongest first."""
    out = {}
    for kind, df in weights.items():
        if df.empty:
            out[kind] = df.assign(weight=pd.Series(dtype=np.float64))
            continue
        total = df.groupby("user_id", sort=False)["weight"].transform("sum")
        d = df.assign(weight=(df["weight"] / total).round(4)).sort_values(["user_id", "weight", "tag"],
                                                                          ascending=[True, False, True])
        out[kind] = d.groupby("user_id", sort=False).head(top)
    return out


def interest_matrix(weights: pd.DataFrame, users: pd.Index) -> tuple[np.ndarray, list[str]]:
    """Users x tags matrix of normalised weights (rows of ``users``; unseen users are zero rows)."""
    if weights.empty:
        return np.zeros((len(users), 0)), []
    vocab = sorted(weights["tag"].astype(str).unique())
    col = pd.Index(vocab).get_indexer(weights["tag"].astype(str))
    row = users.get_indexer(weights["user_id"])
    keep = row >= 0
    mat = np.zeros((len(users), len(vocab)))
    np.add.at(mat, (row[keep], col[keep]), weights["weight"].to_numpy()[keep])
    sums = mat.sum(axis=1, keepdims=True)
    return np.divide(mat, sums, out=np.zeros_like(mat), where=sums > 0), vocab
