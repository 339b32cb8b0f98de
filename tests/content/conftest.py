"""Shared fixtures: one small generated demo catalog (tests never read ../shared)."""

from __future__ import annotations

import pandas as pd
import pytest

from shopmind.content import ContentService, FactSheet, GroundingChecker, extract_facts
from shopmind.data.synth import generate_demo_shop


@pytest.fixture(scope="session")
def demo_items() -> pd.DataFrame:
    """About 100 items of the synthetic bilingual demo shop."""
    return generate_demo_shop(n_users=20, n_items=100, days=10, seed=11, items_only=True).items


@pytest.fixture(scope="session")
def now(demo_items: pd.DataFrame) -> pd.Timestamp:
    return demo_items["created_at"].max()


@pytest.fixture(scope="session")
def demo_facts(demo_items: pd.DataFrame, now: pd.Timestamp) -> list[FactSheet]:
    return [extract_facts(r, now=now) for r in demo_items.to_dict("records")]


@pytest.fixture(scope="session")
def checker(demo_items: pd.DataFrame) -> GroundingChecker:
    return GroundingChecker.from_items(demo_items)


@pytest.fixture()
def service(checker: GroundingChecker, now: pd.Timestamp) -> ContentService:
    return ContentService(checker=checker, now=now.to_pydatetime())
