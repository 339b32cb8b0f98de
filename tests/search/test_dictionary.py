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


BILINGUAL = [
    {"item_id": "helmet", "title": "Road Bike Helmet, Black", "category": "Sports > Cycling > Helmets",
     "attributes": {"product_type": "Road Bike Helmet", "product_type_zh": "公路骑行头盔",
                    "title_zh": "公路骑行头盔 黑色", "category_zh": "运动 > 骑行 > 头盔"}},
    {"item_id": "rice", "title": "Vacuum-Packed Jasmine Rice 5 kg", "category": "Food > Staples > Rice",
     "attributes": {"product_type": "Jasmine Rice", "product_type_zh": "茉莉香米", "title_zh": "真空包装 茉莉香米",
                    "category_zh": "食品 > 主食 > 大米"}},
    {"item_id": "pan", "title": "Cast Iron Frying Pan 28 cm", "category": "Home > Kitchen > Cookware",
     "attributes": {"product_type": "Frying Pan", "product_type_zh": "煎锅", "title_zh": "铸铁煎锅",
                    "category_zh": "家居 > 厨房 > 锅具"}},
    {"item_id": "dress", "title": "Silk Midi Dress, Red", "category": "Women > Clothing > Dresses",
     "attributes": {"material": "Silk", "material_zh": "丝绸", "title_zh": "丝绸 中长 连衣裙 红色",
                    "category_zh": "女装 > 服装 > 连衣裙"}},
]


def test_a_bilingual_shop_reads_a_foreign_chinese_word_only_as_what_a_product_is() -> None:
    """A catalog with Chinese words of its own lacks 自行车 and 吸尘器 because it does not sell them: their English
    synonyms ("bike", "vacuum") are words of bike-helmet and vacuum-packed rice titles, not what those items are,
    so the query stays not in the catalog. A rendering that names a product type (平底锅 -> frying pan) or an
    attribute value the catalog holds (真丝 -> silk) is still read."""
    shop = SearchEngine.from_items(BILINGUAL)
    for absent in ("自行车", "吸尘器"):
        plan = shop.planner.plan(absent)
        assert plan.not_in_catalog, absent
        assert shop.search(SearchRequest(q=absent, retriever="bm25")).hits == []
    assert [h.item_id for h in shop.search(SearchRequest(q="平底锅", retriever="bm25")).hits] == ["pan"]
    assert [h.item_id for h in shop.search(SearchRequest(q="真丝 连衣裙", retriever="bm25")).hits] == ["dress"]
    assert any(a.terms[-1] == "silk" for a in shop.planner.plan("真丝").clauses[0].alternatives)
    # an English catalog has no Chinese words of its own: there the synonym is how the shopper's word is read
    english = SearchEngine.from_items([{k: v for k, v in it.items() if k != "attributes"} for it in BILINGUAL])
    assert [h.item_id for h in english.search(SearchRequest(q="自行车", retriever="bm25")).hits] == ["helmet"]


def test_the_heads_follow_the_catalog() -> None:
    """A head counts while a live item names it: once the shop's only bike is deleted, 自行车 is not read as the
    bike of bike-helmet titles again; a value of an attribute that is not a material, colour or the like
    ("fits": "Bike") names nothing."""
    bike = {"item_id": "bike", "title": "City Bike, 7 Speed", "category": "Sports > Cycling > Bikes",
            "attributes": {"product_type": "City Bike", "product_type_zh": "城市自行车", "title_zh": "城市自行车",
                           "category_zh": "运动 > 骑行 > 自行车整车"}}
    bell = {"item_id": "bell", "title": "Loud Bell", "category": "Sports > Cycling > Accessories",
            "attributes": {"fits": "Bike", "product_type": "Bell", "product_type_zh": "车铃", "title_zh": "车铃"}}
    shop = SearchEngine.from_items([*BILINGUAL, bike, bell])
    assert shop.planner._names_a_product(("bike",))
    shop.delete(["bike"])
    assert not shop.planner._names_a_product(("bike",))
    assert shop.search(SearchRequest(q="自行车", retriever="bm25")).hits == []
    shop.upsert([dict(bike, item_id="bike2")])
    assert shop.planner._names_a_product(("bike",))
