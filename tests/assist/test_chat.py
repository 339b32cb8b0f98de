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


def test_tool_turns_compare_similar_facts_coupons_recommend(items: pd.DataFrame, tmp_path: object) -> None:
    """After a search: compare two of the items shown, answer a question about one from its facts, find
    similar ones (same category, within the budget, the item itself left out), and later references are to
    what similar showed; coupons and "recommend me something" call their tools. No reply makes a claim the
    facts of the items it shows do not support."""
    from shopmind.pipeline import RecommendationService
    from shopmind.settings import PipelineSettings

    url = f"sqlite:///{tmp_path}/t.db"
    with open_store(url) as st:
        st.upsert_items(items)
        popular = items["item_id"].tolist()[:5]
        st.append_events([{"user_id": f"v{k}", "item_id": i, "type": "purchase",
                           "timestamp": pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(minutes=k)}
                          for k, i in enumerate(popular * 3)])
        recs = RecommendationService.open(st, None, config=PipelineSettings(seed=0, refresh_seconds=0, explore=0))
        held = [{"code": "TEA-X", "offer": "20% off over 15.00 on Food > Tea", "valid_until": "2026-03-20"}]
        bot = ShoppingAssistant(SearchService(st, SearchEngine.from_items(items), recs, log_events=False), st,
                                coupons=lambda user: held if user == "u1" else [])

        def turn(text: str, user: str | None = "u1") -> dict[str, object]:
            r = bot.chat("t", text, user)
            assert bot.check_reply(str(r["reply"]), [i["item_id"] for i in r["items"]]) == 0, r["reply"]
            return r

        shown = turn("running shoes under 900")["items"]
        assert len(shown) == 3
        r = turn("compare the first and the third")
        assert r["action"] == "compare" and [i["item_id"] for i in r["items"]] == [shown[0]["item_id"],
                                                                                     shown[2]["item_id"]]
        cheapest = min((shown[0], shown[2]), key=lambda i: i["price"])
        assert f"#{shown.index(cheapest) + 1} " in str(r["reply"]).splitlines()[-1]
        r = turn("is the second one waterproof?")
        assert r["action"] == "facts" and r["items"][0]["item_id"] == shown[1]["item_id"]
        r = turn("more like the second one")
        assert r["action"] == "similar" and r["items"]
        assert shown[1]["item_id"] not in [i["item_id"] for i in r["items"]]
        assert all(i["category"] == shown[1]["category"] and i["price"] <= 900 for i in r["items"])
        again = turn("what is the first one made of?")
        assert again["items"][0]["item_id"] == r["items"][0]["item_id"]  # the list similar showed
        assert "TEA-X" in str(turn("any coupons?")["reply"])
        assert "TEA-X" not in str(turn("any coupons?", "u2")["reply"])
        assert turn("有优惠券吗", None)["reply"] == "登录后我可以帮您查看优惠券。"
        r = bot.chat("fresh", "recommend me something", "u1")
        assert r["action"] == "recommend" and {i["item_id"] for i in r["items"]} <= set(popular)
        assert bot.chat("fresh2", "recommend me some running shoes", "u1")["action"] == "search"


def test_similar_by_the_dense_vectors(items: pd.DataFrame, tmp_path: object) -> None:
    """With an encoder the similar tool ranks the category by the base item's vector: its nearest items, the
    item itself and other categories left out."""
    import numpy as np

    from shopmind.text.encoders import get_encoder

    with open_store(f"sqlite:///{tmp_path}/d.db") as st:
        engine = SearchEngine.from_items(items, get_encoder("hashing"))
        bot = ShoppingAssistant(SearchService(st, engine, log_events=False), st)
        shown = bot.chat("d", "running shoes")["items"]
        r = bot.chat("d", "more like the first one")
        base = engine.doc_of[shown[0]["item_id"]]
        got = [engine.doc_of[i["item_id"]] for i in r["items"]]
        assert r["action"] == "similar" and got and base not in got
        assert all(i["category"] == shown[0]["category"] for i in r["items"])
        same = [d for d, rec in enumerate(engine.records) if rec.get("category") == shown[0]["category"]
                and d != base and rec.get("in_stock", True)]
        cos = engine.dense.vectors[same] @ engine.dense.vectors[base]  # type: ignore[union-attr]
        assert got == [same[k] for k in np.argsort(-cos, kind="stable")[:len(got)]]


def test_a_gift_without_a_product_gets_popular_ideas_for_the_recipient(items: pd.DataFrame, tmp_path: object) -> None:
    with open_store(f"sqlite:///{tmp_path}/g.db") as st:
        bot = ShoppingAssistant(SearchService(st, SearchEngine.from_items(items), log_events=False), st)
        r = bot.chat("g", "a gift for my mother under 300")
        assert r["action"] == "gift" and r["items"]
        assert all(i["price"] <= 300 and "men's" not in (i["title"] or "").lower().replace("women's", "")
                   for i in r["items"])
        assert len({i["category"] for i in r["items"]}) == len(r["items"])  # different kinds of thing
        assert bot.check_reply(r["reply"], [i["item_id"] for i in r["items"]]) == 0
        r = bot.chat("h", "送爸爸的礼物 500元以内")
        assert r["action"] == "gift" and all(i["price"] <= 500 and "女款" not in str(i["title"]) for i in r["items"])
        assert bot.chat("i", "hello")["action"] == "clarify"  # no recipient, no gift: one question
        assert bot.chat("i", "running shoes")["action"] == "search"
