"""The synthetic demo shop: deterministic, schema-valid, funnel-consistent, and useful for evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shopmind.data.synth import DemoShop, generate_demo_shop, write_demo_shop
from shopmind.schema import EVENT_COLUMNS, ITEM_COLUMNS

SMALL = {"n_users": 150, "n_items": 120, "days": 21, "seed": 7}


@pytest.fixture(scope="module")
def small() -> DemoShop:
    return generate_demo_shop(**SMALL)


# ---------------------------------------------------------------------- files
def test_write_demo_shop_round_trip(small: DemoShop, tmp_path: Path) -> None:
    paths = write_demo_shop(small, tmp_path / "shop")
    assert set(paths) == {"items", "users", "events", "readme"}
    readme = paths["readme"].read_text(encoding="utf-8")
    assert "SYNTHETIC" in readme and f"seed: {SMALL['seed']}" in readme

    items = [json.loads(line) for line in paths["items"].read_text(encoding="utf-8").splitlines()]
    assert list(items[0]) == list(ITEM_COLUMNS) and len(items) == len(small.items)
    for rec, row in zip(items, small.items.itertuples(), strict=True):
        assert rec["item_id"] == row.item_id and rec["title"] == row.title and rec["price"] == row.price
        assert rec["attributes"] == row.attributes and rec["in_stock"] == row.in_stock
        assert pd.Timestamp(rec["created_at"]) == row.created_at
    users = [json.loads(line) for line in paths["users"].read_text(encoding="utf-8").splitlines()]
    assert [u["user_id"] for u in users] == small.users["user_id"].tolist()

    ev = pd.read_csv(paths["events"], dtype={"item_id": "string"})
    assert list(ev.columns) == list(EVENT_COLUMNS)
    assert ev["event_id"].tolist() == small.events["event_id"].tolist()
    assert ev["type"].tolist() == small.events["type"].tolist()
    assert (pd.to_datetime(ev["timestamp"], utc=True) == small.events["timestamp"]).all()
    assert ev["context"].map(json.loads).tolist() == small.events["context"].tolist()
    np.testing.assert_array_equal(ev["value"].to_numpy(), small.events["value"].to_numpy())
    truth_words = ("leaf_pref", "drift", "quality", "exposure")
    header = paths["events"].read_text(encoding="utf-8").splitlines()[0]
    assert not any(w in header for w in truth_words)
