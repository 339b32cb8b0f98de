"""A tiny trained shop shared by the pipeline tests: generated catalog and events (ending today), an
item-kNN model, and a fresh copy of the store per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from shopmind.data import Interactions
from shopmind.data.synth import generate_demo_shop
from shopmind.ingest import import_records
from shopmind.models import Recommender, create
from shopmind.pipeline import PipelineConfig, RecommendationService
from shopmind.storage import load_interactions, open_store


@dataclass
class TrainedShop:
    db: Path
    model: Recommender
    data: Interactions
    items: pd.DataFrame

    def heavy_user(self) -> str:
        """The user with the longest history (the model knows them well)."""
        return self.data.users.raw(int(self.data.user_counts().argmax()))


def build_trained_shop(base: Path) -> TrainedShop:
    start = (pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=30)).floor("D")
    shop = generate_demo_shop(n_users=300, n_items=150, days=30, seed=3, start=start)
    with open_store(f"sqlite:///{base / 's.db'}") as store:
        for kind, frame in (("item", shop.items), ("user", shop.users), ("event", shop.events)):
            import_records(store, frame.to_dict("records"), kind)
        data = load_interactions(store).first_touch()
    return TrainedShop(base / "s.db", create("itemknn").fit(data), data, shop.items)


@pytest.fixture(scope="session")
def trained_shop(tmp_path_factory: pytest.TempPathFactory) -> TrainedShop:
    return build_trained_shop(tmp_path_factory.mktemp("shop"))


#: Deterministic defaults for tests: no exploration slot unless asked, no caching of top lists.
TEST_CONFIG = PipelineConfig(seed=0, refresh_seconds=0, explore=0)


@pytest.fixture()
def service(trained_shop: TrainedShop, tmp_path: Path) -> Iterator[RecommendationService]:
    shutil.copy(trained_shop.db, tmp_path / "s.db")
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    svc = RecommendationService.open(store, trained_shop.model, config=TEST_CONFIG)
    yield svc
    store.close()
