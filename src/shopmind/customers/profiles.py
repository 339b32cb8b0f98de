"""Per-user facts from behaviour: activity, purchases, price range, basket size, lifecycle stage and interest
tags (decayed by recency: an event's weight halves every ``half_life_days``).

Everything is computed for many users at once with pandas group-bys; :func:`user_table` gives one row per user
and :func:`interest_tags` the top tags of each kind per user (sparse users x items x tags products).

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

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

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


def _indicator(rows: np.ndarray, tags: np.ndarray, n_items: int) -> tuple[sp.csr_matrix, list[str]]:
    """Items x tags 0/1 matrix from parallel arrays of item rows and tag names (None: no tag)."""
    ok = pd.notna(tags)
    codes, names = pd.factorize(pd.Series(tags[ok], dtype=object), sort=True)
    mat = sp.csr_matrix((np.ones(int(ok.sum())), (rows[ok], codes)), shape=(n_items, len(names)))
    mat.data[:] = 1.0
    return mat, [str(n) for n in names]


@dataclass
class TagWeights:
    """Decayed interest per user and tag, for each tag kind: ``users x tags`` sparse matrices."""

    users: pd.Index
    kinds: dict[str, tuple[sp.csr_matrix, list[str]]]


def user_item_matrix(activity: Activity, users: pd.Index, types: tuple[str, ...] | None = None,
                     weight: str = "weight") -> sp.csr_matrix:
    """``users x items`` sums of event weights (only events of ``types`` when given; ``weight='count'``
    counts events instead)."""
    ev = activity.events
    keep = (ev["item_row"].to_numpy() >= 0)
    if types is not None:
        keep &= ev["type"].isin(types).to_numpy()
    rows = activity.user_rows(users)[keep]
    cols = ev["item_row"].to_numpy()[keep]
    w = np.ones(len(cols)) if weight == "count" else ev[weight].to_numpy()[keep]
    ok = (rows >= 0) & (w > 0)
    mat = sp.csr_matrix((w[ok], (rows[ok], cols[ok])), shape=(len(users), len(activity.tags.item_ids)))
    mat.sum_duplicates()
    return mat


def item_tag_matrices(activity: Activity) -> dict[str, tuple[sp.csr_matrix, list[str]]]:
    """``items x tags`` indicators of each kind: category, brand, price band, attribute."""
    tags = activity.tags
    n = len(tags.item_ids)
    rows = np.arange(n)
    out = {"category": _indicator(rows, tags.category, n), "brand": _indicator(rows, tags.brand, n),
           "price_band": _indicator(rows, tags.price_band, n)}
    attr = tags.attributes
    out["attribute"] = _indicator(attr["item_row"].to_numpy(np.int64), attr["tag"].to_numpy(object), n)
    return out


def interest_weights(activity: Activity, users: pd.Index) -> TagWeights:
    """Decayed interest of every user of ``users`` in every tag of each kind."""
    w = user_item_matrix(activity, users)
    return TagWeights(users, {kind: (sp.csr_matrix(w @ ind), names)
                              for kind, (ind, names) in item_tag_matrices(activity).items()})


def interest_tags(weights: TagWeights, top: int) -> dict[str, dict[str, dict[str, float]]]:
    """user -> kind -> ``{tag: weight}`` of the ``top`` tags, strongest first, weights normalised to sum to 1
    over all the user's tags of the kind (rounded to 4 decimals). Users without any tag are left out."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    user_names = weights.users.to_numpy(object)
    for kind, (mat, names) in weights.kinds.items():
        coo = mat.tocoo()
        if not coo.nnz:
            continue
        totals = np.asarray(mat.sum(axis=1)).ravel()
        share = np.round(coo.data / totals[coo.row], 4)
        order = np.lexsort((coo.col, -share, coo.row))
        row, col, share = coo.row[order], coo.col[order], share[order]
        first = np.searchsorted(row, row, side="left")
        keep = (np.arange(len(row)) - first) < top
        row, tags, share = row[keep], np.asarray(names, dtype=object)[col[keep]].tolist(), share[keep].tolist()
        bounds = np.flatnonzero(np.diff(row)) + 1
        starts = [0, *bounds.tolist()]
        ends = [*bounds.tolist(), len(row)]
        for r, s0, s1 in zip(row[starts].tolist(), starts, ends, strict=True):
            out.setdefault(user_names[r], {})[kind] = dict(zip(tags[s0:s1], share[s0:s1], strict=True))
    return out


def interest_matrix(weights: TagWeights, kinds: tuple[str, ...] = ("category", "price_band"),
                    vocab: list[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """Dense users x ``kind:tag`` matrix, each kind's block normalised to sum to 1 per user (zero rows for users
    without tags); with ``vocab`` the columns follow it (tags not in it are dropped, missing ones are zero)."""
    blocks, names = [], []
    for kind in kinds:
        mat, tags = weights.kinds[kind]
        dense = np.asarray(mat.todense())
        sums = dense.sum(axis=1, keepdims=True)
        dense = np.divide(dense, sums, out=np.zeros_like(dense), where=sums > 0)
        blocks.append(dense)
        names += [f"{kind}:{t}" for t in tags]
    full = np.hstack(blocks) if blocks else np.zeros((len(weights.users), 0))
    if vocab is None:
        return full, names
    idx = pd.Index(names).get_indexer(vocab)
    out = np.zeros((full.shape[0], len(vocab)))
    out[:, idx >= 0] = full[:, idx[idx >= 0]]
    return out, list(vocab)
