"""Shared fixtures: tiny synthetic data sets (tests never read ../shared)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shopmind.data import Interactions


def pytest_configure(config: pytest.Config) -> None:
    """Keep the text-embedding cache of the tests out of the user's home."""
    import os
    import tempfile

    cache = Path(tempfile.mkdtemp(prefix="shopmind-test-cache-")) / "embeddings.db"
    os.environ["SHOPMIND_EMBEDDING_CACHE"] = f"sqlite:///{cache}"


def make_block_data(n_users: int = 60, n_items: int = 40, per_user: int = 12, seed: int = 0) -> Interactions:
    """Two taste groups: even users mostly like items of group A (first half), odd users group B.
    Within a group, users walk items in a cyclic order so that sequences are predictable too."""
    rng = np.random.default_rng(seed)
    half = n_items // 2
    rows = []
    for u in range(n_users):
        base = 0 if u % 2 == 0 else half
        start = int(rng.integers(half))
        for t in range(per_user):
            if rng.random() < 0.9:
                it = base + (start + t) % half
            else:
                it = int(rng.integers(n_items))
            rating = 5 if (it < half) == (base == 0) else 2  # explicit ratings agree with the taste groups
            rows.append((f"u{u}", f"i{it}", t, "click", rating))
    df = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp", "type", "value"])
    df["timestamp"] = df.groupby("user_id").cumcount() + 1_700_000_000
    meta = pd.DataFrame({
        "item_id": [f"i{i}" for i in range(n_items)],
        "title": [("red running shoe" if i < half else "blue coffee mug") + f" model {i}" for i in range(n_items)],
        "category": ["Shoes > Running" if i < half else "Home > Kitchen" for i in range(n_items)],
        "brand": ["Acme" if i < half else "Potter" for i in range(n_items)],
    })
    return Interactions.from_frame(df, item_meta=meta, name="blocks")


@pytest.fixture(scope="session")
def block_data() -> Interactions:
    return make_block_data()


@dataclass
class TrainedShop:
    """A tiny generated shop (events ending today) in a SQLite file, with an item-kNN model trained on it."""

    db: Path
    model: object
    data: Interactions
    items: pd.DataFrame

    def heavy_user(self) -> str:
        """The user with the longest history (the model knows them well)."""
        return self.data.users.raw(int(self.data.user_counts().argmax()))


@pytest.fixture(scope="session")
def trained_shop(tmp_path_factory: pytest.TempPathFactory) -> TrainedShop:
    """Shared by the pipeline and API tests; tests copy ``db`` before writing to it."""
    from shopmind.data.synth import generate_demo_shop
    from shopmind.ingest import import_records
    from shopmind.models import create
    from shopmind.storage import load_interactions, open_store

    base = tmp_path_factory.mktemp("shop")
    start = (pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=30)).floor("D")
    shop = generate_demo_shop(n_users=300, n_items=150, days=30, seed=3, start=start)
    with open_store(f"sqlite:///{base / 's.db'}") as store:
        for kind, frame in (("item", shop.items), ("user", shop.users), ("event", shop.events)):
            import_records(store, frame.to_dict("records"), kind)
        data = load_interactions(store).first_touch()
    return TrainedShop(base / "s.db", create("itemknn").fit(data), data, shop.items)
