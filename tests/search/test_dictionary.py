"""Chinese words an English catalog does not hold, read through CC-CEDICT (the package's own data file). The
words are ones the synonyms file does not pair, so the dictionary is what finds them."""

from __future__ import annotations

import pytest

from shopmind.search.dictionary import english_phrases
from shopmind.search.engine import SearchEngine
from shopmind.search.query import TRANSLATED
from shopmind.search.request import SearchRequest

ITEMS = [
    {"item_id": "eyeliner", "title": "Waterproof Liquid Eyeliner, Black", "category": "Beauty > Makeup > Eyeliner"},
    {"item_id": "lashes", "title": "10 Pairs Long False Eyelashes", "category": "Beauty > Tools > Fake Eyelashes"},
    {"item_id": "remover", "title": "Gentle Eye Makeup Remover Pads", "category": "Beauty > Makeup > Makeup Remover"},
    {"item_id": "monitor", "title": "27 inch IPS Monitor", "category": "Computers > Peripherals > Monitor"},
    {"item_id": "kettle", "title": "Stainless Steel Electric Kettle 1.7 L", "category": "Kitchen > Kettle"},
    {"item_id": "mask", "title": "Hydrating Facial Mask Sheets, 5 Pack", "category": "Beauty > Skin Care > Masks"},
    {"item_id": "gel", "title": "Strong Hold Hair Gel", "category": "Beauty > Hair Care > Styling"},
]


@pytest.fixture(scope="module")
def english_shop() -> SearchEngine:
    return SearchEngine.from_items(ITEMS)


def test_definitions_become_short_search_phrases() -> None:
    assert english_phrases("洗衣机") == ("washing machine", "washer")  # ";" separates renderings
    assert english_phrases("卸妆") == ("remove makeup",)  # "to remove makeup": the verb's "to" goes
    assert "facial mask" in english_phrases("面膜")
    assert not any("CL:" in p or "(" in p for p in english_phrases("洗衣机"))  # classifiers, brackets dropped
    assert english_phrases("顯示器") == english_phrases("显示器") == ("monitor",)  # traditional headwords too
    assert english_phrases("没有这个词语") == ()


@pytest.mark.parametrize(("query", "item"), [("眼线笔", "eyeliner"), ("面膜", "mask"), ("发胶", "gel")])
def test_a_chinese_word_finds_the_english_item_it_names(english_shop: SearchEngine, query: str, item: str) -> None:
    plan = english_shop.planner.plan(query)
    assert plan.clauses[0].alternatives[0].how == "dictionary" and not plan.not_in_catalog
    result = english_shop.search(SearchRequest(q=query, retriever="bm25"))
    assert [h.item_id for h in result.hits] == [item]


@pytest.mark.parametrize(("query", "item"), [("假睫毛", "lashes"), ("卸妆水", "remover"), ("电水壶", "kettle")])
def test_a_compound_the_dictionary_lacks_is_read_by_its_head(english_shop: SearchEngine, query: str,
                                                              item: str) -> None:
    """假睫毛 is not in CC-CEDICT, 睫毛 (eyelashes) is; 电水壶 ends in 水壶 (kettle)."""
    result = english_shop.search(SearchRequest(q=query, retriever="bm25"))
    assert [h.item_id for h in result.hits] == [item]


def test_a_product_the_english_shop_lacks_stays_not_in_the_catalog(english_shop: SearchEngine) -> None:
    for query in ("口红", "洗衣机", "猫粮"):  # lipstick, washing machine: words this shop does not hold
        assert english_shop.planner.plan(query).not_in_catalog, query
        assert english_shop.search(SearchRequest(q=query, retriever="bm25")).total == 0


def test_the_dense_side_reads_the_word_beside_its_rendering(english_shop: SearchEngine) -> None:
    assert english_shop.planner.plan("眼线笔").dense_text("眼线笔") == "眼线笔 eyeliner"


def test_the_result_says_how_the_word_was_read(english_shop: SearchEngine) -> None:
    """The console and `shopmind search` show "read as 眼线笔 -> eyeliner"."""
    assert english_shop.search(SearchRequest(q="眼线笔", retriever="bm25")).corrections == {"眼线笔": "eyeliner"}
    assert english_shop.search(SearchRequest(q="假睫毛", retriever="bm25")).corrections == {"假睫毛": "eyelashes"}


def test_a_bilingual_catalog_matches_its_own_chinese_words_first(engine: SearchEngine) -> None:
    """The demo shop holds 连衣裙 itself: no rendering is needed or used."""
    plan = engine.planner.plan("连衣裙")
    assert all(a.how != "dictionary" for c in plan.clauses for a in c.alternatives)


def test_at_most_eight_words_of_a_query_are_looked_up(english_shop: SearchEngine) -> None:
    """A long query of Chinese words the shop lacks stays cheap: the ninth and later words are not looked up."""
    words = ["眼线笔", "面膜", "发胶", "眼线笔", "面膜", "发胶", "眼线笔", "面膜", "发胶", "眼线笔"]
    plan = english_shop.planner.plan(" ".join(words))
    read = [c.word for c in plan.clauses if c.alternatives and c.alternatives[0].how == "dictionary"]
    assert read == words[:TRANSLATED] and plan.unknown == words[TRANSLATED:]
