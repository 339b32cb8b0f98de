"""The shopping assistant over a small demo catalog: clarify, search, refine, persist, never unsupported."""

from __future__ import annotations

import pandas as pd
import pytest

from shopmind.assist.chat import ShoppingAssistant
from shopmind.data.synth import generate_demo_shop
from shopmind.search.engine import SearchEngine
from shopmind.search.service import SearchService
from shopmind.storage import open_store


@pytest.fixture(scope="module")
def items() -> pd.DataFrame:
    return generate_demo_shop(n_items=600, seed=42, items_only=True).items


def test_a_conversation(items: pd.DataFrame, tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    with open_store(url) as st:
        bot = ShoppingAssistant(SearchService(st, SearchEngine.from_items(items), log_events=False), st)
        first = bot.chat("s", "hello")
        assert first["action"] == "clarify" and not first["items"]
        r = bot.chat("s", "running shoes under 900")
        assert r["items"] and all(i["price"] <= 900 and i["category"].endswith("Running Shoes") for i in r["items"])
        assert bot.check_reply(r["reply"], [i["item_id"] for i in r["items"]]) == 0
        top = max(i["price"] for i in r["items"])
        r = bot.chat("s", "cheaper")
        assert all(i["price"] < top for i in r["items"])
        r = bot.chat("s", "not black")
        assert all("black" not in (i["title"] or "").lower() for i in r["items"])
    with open_store(url) as st:  # the session survives a restart
        bot = ShoppingAssistant(SearchService(st, SearchEngine.from_items(items), log_events=False), st)
        assert bot.load("s").not_colours == ["black"]
        r = bot.chat("z", "汽车轮胎")
        assert r["items"] == [] and "没有" in r["reply"]
