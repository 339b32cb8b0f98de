"""Customer fixtures: the CDNOW sample from the ``lifetimes`` wheel on PyPI (downloaded once into pytest's cache,
read as a zip; never ../shared), and a small generated shop in a SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from shopmind.data.fetch import fetch_cdnow
from shopmind.data.synth import generate_demo_shop
from shopmind.errors import ShopmindError
from shopmind.storage import open_store
from shopmind.storage.base import Store

#: The demo shop of the customer tests ends here (8 months of history).
SHOP_END = pd.Timestamp("2026-09-01", tz="UTC")


@pytest.fixture(scope="session")
def cdnow_dir(request: pytest.FixtureRequest) -> Path:
    """``CDNOW_sample.txt`` and ``CDNOW_master.txt`` extracted from the lifetimes 0.11.3 wheel."""
    dest = Path(request.config.cache.mkdir("cdnow"))
    try:
        return fetch_cdnow(dest)
    except ShopmindError as exc:  # pragma: no cover - only without access to the package index
        pytest.skip(f"the CDNOW sample comes from the lifetimes wheel on PyPI, which pip could not download: {exc}")


@dataclass
class SmallShop:
    url: str
    items: pd.DataFrame
    users: pd.DataFrame
    events: pd.DataFrame


@pytest.fixture(scope="session")
def small_shop_frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    shop = generate_demo_shop(n_users=250, n_items=150, days=240, seed=4,
                              start=SHOP_END - pd.Timedelta(days=240))
    events = shop.events[shop.events["type"] != "impression"].reset_index(drop=True)
    return shop.items, shop.users, events


@pytest.fixture()
def small_shop(small_shop_frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], tmp_path: Path
               ) -> Iterator[SmallShop]:
    items, users, events = small_shop_frames
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    with open_store(url) as store:
        store.upsert_items(items)
        store.upsert_users(users)
        store.append_events(events)
    yield SmallShop(url, items, users, events)


@pytest.fixture()
def shop_store(small_shop: SmallShop) -> Iterator[Store]:
    with open_store(small_shop.url) as store:
        yield store
