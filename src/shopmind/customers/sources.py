"""Where the CLV and churn commands read their data: the store, a CDNOW-format transaction log, the CDNOW
benchmark by name (obtained from the ``lifetimes`` wheel), or any event file or dataset the importer reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from shopmind.customers.activity import Activity, item_tags, prepare_activity, transactions_activity
from shopmind.customers.clv import read_cdnow
from shopmind.customers.config import CustomerSettings
from shopmind.data.fetch import fetch_cdnow
from shopmind.errors import ShopmindError
from shopmind.ingest.sources import load_event_frames
from shopmind.storage import open_store

#: Names of the CDNOW benchmark files (fetched from the lifetimes wheel on first use).
CDNOW_NAMES = {"cdnow": "CDNOW_sample.txt", "cdnow-sample": "CDNOW_sample.txt", "cdnow-master": "CDNOW_master.txt"}


@dataclass
class CustomerData:
    """An activity (purchases and behaviour), the users frame when there is one, and what it is."""

    activity: Activity
    users: pd.DataFrame | None
    name: str
    transactions: pd.DataFrame | None = None  # customer_id, timestamp, amount (CDNOW-style logs)


def _looks_like_cdnow(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = [f.readline() for _ in range(3)]
    except OSError:
        return False
    rows = [ln.split() for ln in lines if ln.strip()]
    data = [r for r in rows if r and r[-1].replace(".", "", 1).isdigit()]
    return bool(data) and all(len(r) in (4, 5) and all(p.replace(".", "", 1).isdigit() for p in r) for r in data)


def load_customer_data(spec: str | None, store_url: str, datasets_dir: Path, settings: CustomerSettings,
                       as_of: pd.Timestamp | None = None) -> CustomerData:
    """Read ``spec`` (None: the store) into a :class:`CustomerData`."""
    if spec is not None and spec.lower() in CDNOW_NAMES:
        path = fetch_cdnow(datasets_dir / "cdnow") / CDNOW_NAMES[spec.lower()]
        tx = read_cdnow(path)
        return CustomerData(transactions_activity(tx, as_of), None, spec.lower(), tx)
    if spec is not None and Path(spec).expanduser().is_file() and _looks_like_cdnow(Path(spec).expanduser()):
        tx = read_cdnow(Path(spec).expanduser())
        return CustomerData(transactions_activity(tx, as_of), None, Path(spec).name, tx)
    users = None
    if spec is None:
        with open_store(store_url) as store:
            if store.counts()["events"] == 0:
                raise ShopmindError(f"the store {store_url} has no events yet: import data first or pass --data")
            events, items, users = store.events_frame(), store.items_frame(), store.users_frame()
        name = "store"
    else:
        events, maybe_items, name = load_event_frames(spec, store_url, datasets_dir)
        items = maybe_items if maybe_items is not None else pd.DataFrame(
            {c: pd.Series(dtype=object) for c in ("item_id", "category", "brand", "price", "currency", "attributes")})
    as_of = as_of if as_of is not None else pd.Timestamp(events["timestamp"].max())
    activity = prepare_activity(events, item_tags(items), settings, as_of)
    tx = pd.DataFrame({"customer_id": activity.purchases["user_id"].to_numpy(),
                       "timestamp": activity.purchases["timestamp"], "amount": activity.purchases["amount"].to_numpy()})
    return CustomerData(activity, users, name, tx)
