"""A small bilingual demo catalog indexed lexically (no model: the dense side is tested with the hashing
encoder where it matters)."""

from __future__ import annotations

import pandas as pd
import pytest

from shopmind.data.synth import generate_demo_shop
from shopmind.search.engine import SearchEngine


@pytest.fixture(scope="session")
def search_items() -> pd.DataFrame:
    return generate_demo_shop(n_items=400, seed=42, items_only=True).items


@pytest.fixture(scope="session")
def engine(search_items: pd.DataFrame) -> SearchEngine:
    return SearchEngine.from_items(search_items)
