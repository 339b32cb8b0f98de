"""Tokenisation, typos, pinyin, synonyms, filters, facets, incremental indexing and deletion end to end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopmind.errors import ParameterError
from shopmind.search import engine as engine_module
from shopmind.search.engine import SearchEngine
from shopmind.search.fusion import FusionInput, RRFFusion
from shopmind.search.request import SearchRequest
from shopmind.text.encoders import get_encoder


def top_leaves(engine: SearchEngine, q: str, n: int = 5, **kw: object) -> list[str]:
    result = engine.search(SearchRequest(q=q, retriever="bm25", limit=n, **kw))  # type: ignore[arg-type]
    return [str(h.category).split(" > ")[-1] for h in result.hits]


@pytest.mark.parametrize("query", ["连衣裙", "連衣裙", "lianyiqun", "lyq", "莲衣裙", "dress", "裙子"])
def test_every_way_of_asking_for_a_dress_finds_dresses(engine: SearchEngine, query: str) -> None:
    assert top_leaves(engine, query) == ["Dresses"] * 5


def test_backpacks_rank_above_blouses_for_womens_backpack(engine: SearchEngine) -> None:
    """The bug that opened issue 24: "女士双肩包" ranked blouses above bags."""
    result = engine.search(SearchRequest(q="女士双肩包", retriever="bm25", limit=3))
    assert all("双肩包" in h.highlight or "Daypack" in (h.title or "") for h in result.hits)


def test_typos_are_tolerated_by_length(engine: SearchEngine) -> None:
    assert top_leaves(engine, "runing shoes", 3) == ["Running Shoes"] * 3
    result = engine.search(SearchRequest(q="smartphnes", retriever="bm25", limit=1))
    assert result.corrections and result.hits[0].category.endswith("Smartphones")


def test_price_in_the_query_filters(engine: SearchEngine) -> None:
    result = engine.search(SearchRequest(q="跑步鞋 800元以下", retriever="bm25", limit=50))
    assert result.hits and all(h.price is not None and h.price <= 800 for h in result.hits)
    assert result.constraints == {"price_max": 800.0}


def test_not_in_the_catalog_returns_nothing_and_says_so(engine: SearchEngine) -> None:
    for q in ("汽车轮胎", "狗粮", "guitar strings"):
        result = engine.search(SearchRequest(q=q, retriever="bm25"))
        assert result.total == 0 and result.not_in_catalog and result.message()


def test_filters_and_facets(engine: SearchEngine) -> None:
    result = engine.search(SearchRequest(q="", category="Women", price_max=300, sort="price_asc", limit=200))
    assert result.total > 0
    assert all(h.category.startswith("Women") and h.price <= 300 for h in result.hits)
    prices = [h.price for h in result.hits]
    assert prices == sorted(prices)
    facets = result.facets
    assert facets["category"][0]["value"] == "Women"
    assert sum(r["count"] for r in facets["price"]) == result.total
    assert {"category", "brand", "price", "attributes"} <= set(facets)


def test_attribute_and_brand_filters(engine: SearchEngine, search_items: pd.DataFrame) -> None:
    item = search_items.iloc[0]
    result = engine.search(SearchRequest(q="", brand=[item["brand"]], limit=200))
    assert result.total and all(h.brand == item["brand"] for h in result.hits)
    colour = next((k for k in ("colour", "shade") if k in item["attributes"]), None)
    if colour:
        result = engine.search(SearchRequest(q="", attributes={colour: item["attributes"][colour]}, limit=200))
        assert item["item_id"] in result.item_ids


def test_upsert_is_searchable_at_once_and_delete_hides_at_once(search_items: pd.DataFrame) -> None:
    engine = SearchEngine.from_items(search_items.head(50))
    assert engine.search(SearchRequest(q="zorblax", retriever="bm25")).total == 0
    engine.upsert([{"item_id": "N1", "title": "Zorblax Teapot", "category": "Home > Kitchen > Teapots", "price": 9}])
    assert engine.search(SearchRequest(q="zorblax", retriever="bm25")).item_ids == ["N1"]
    engine.upsert([{"item_id": "N1", "title": "Quibble Teapot", "category": "Home > Kitchen > Teapots", "price": 9}])
    assert engine.search(SearchRequest(q="zorblax", retriever="bm25")).total == 0
    assert engine.search(SearchRequest(q="quibble", retriever="bm25")).item_ids == ["N1"]
    engine.delete(["N1"])
    assert engine.search(SearchRequest(q="quibble", retriever="bm25")).total == 0
    assert engine.item("N1") is None


def test_the_leaf_boost_follows_upserts_and_deletes() -> None:
    """The documents of a category leaf are kept as an array between queries: a write to the leaf is seen at once
    (the same scores as with nothing kept)."""
    items = [{"item_id": f"t{i}", "title": f"Teapot {i}", "category": "Home > Kitchen > Teapots"} for i in range(3)]
    items.append({"item_id": "m", "title": "Teapot Mug", "category": "Home > Kitchen > Mugs"})
    engine = SearchEngine.from_items(items)

    def scores() -> list[tuple[str, float]]:
        return [(h.item_id, h.score) for h in engine.search(SearchRequest(q="teapots", retriever="bm25")).hits]

    def fresh() -> list[tuple[str, float]]:
        kept = dict(engine._leaf_arrays)
        engine._leaf_arrays.clear()
        try:
            return scores()
        finally:
            engine._leaf_arrays.update(kept)

    first = scores()
    assert first[-1][0] == "m" and first == fresh()  # the mug is not filed under Teapots
    engine.upsert([{"item_id": "m", "title": "Teapot Mug", "category": "Home > Kitchen > Teapots"}])
    assert dict(scores())["m"] > dict(first)["m"] and scores() == fresh()
    engine.delete(["t0"])
    engine.upsert([{"item_id": "t1", "title": "Teapot 1", "category": "Home > Kitchen > Mugs"}])
    assert scores()[-1][0] == "t1" and scores() == fresh()


@pytest.mark.parametrize("query", ['"*', "NEAR OR AND", "title:(x", "😀🛍", "\x00\x01", "a" * 1000, "-1 OR 1=1; --"])
def test_hostile_queries_never_raise(engine: SearchEngine, query: str) -> None:
    engine.search(SearchRequest(q=query))


def test_bad_requests_name_the_parameter() -> None:
    with pytest.raises(ParameterError, match="price_min"):
        SearchRequest(q="x", price_min=-1).validate()
    with pytest.raises(ParameterError, match="sort"):
        SearchRequest(q="x", sort="random").validate()
    with pytest.raises(ParameterError, match="q"):
        SearchRequest(q="a" * 10_001).validate()


def test_hybrid_with_an_encoder(search_items: pd.DataFrame) -> None:
    engine = SearchEngine.from_items(search_items.head(120), get_encoder("hashing"))
    result = engine.search(SearchRequest(q="dress", retriever="hybrid", limit=5))
    assert result.hits and any("bm25" in h.sources for h in result.hits)
    assert engine.search(SearchRequest(q="dress", retriever="dense", limit=5)).hits


class _Constant:
    """An encoder that puts queries at a fixed cosine ``cos`` from every item (items share one direction)."""

    name = "constant"
    dim = 2

    def __init__(self, cos: float) -> None:
        self.cos = cos

    def encode(self, texts: list[str], kind: str = "passage", batch_size: int = 64,
               progress: bool = False) -> np.ndarray:
        if kind == "query":
            v = np.array([self.cos, (1 - self.cos ** 2) ** 0.5], dtype=np.float32)
        else:
            v = np.array([1.0, 0.0], dtype=np.float32)
        return np.tile(v, (len(texts), 1))


@pytest.mark.parametrize(("cos", "answered"), [(0.95, True), (0.5, False)])
def test_hybrid_answers_a_need_with_one_known_word_only_when_dense_is_close(
        search_items: pd.DataFrame, cos: float, answered: bool) -> None:
    engine = SearchEngine.from_items(search_items.head(200), _Constant(cos))  # type: ignore[arg-type]
    need = "送女朋友 口红 生日惊喜 浪漫"  # one word the shop knows (口红), the rest the shopper's
    assert engine.search(SearchRequest(q=need, retriever="bm25")).not_in_catalog
    result = engine.search(SearchRequest(q=need, retriever="hybrid"))
    assert bool(result.hits) is answered and result.not_in_catalog is not answered


@pytest.mark.parametrize(("cos", "answered"), [(0.95, True), (0.5, False)])
def test_hybrid_answers_a_need_described_in_several_unknown_words_when_dense_is_close(
        search_items: pd.DataFrame, cos: float, answered: bool) -> None:
    engine = SearchEngine.from_items(search_items.head(200), _Constant(cos))  # type: ignore[arg-type]
    need = "夏天 出门 怕晒黑"  # a need: three words, none of them the catalog's
    plan = engine.planner.plan(need)
    assert not plan.resolved and plan.described
    result = engine.search(SearchRequest(q=need, retriever="hybrid"))
    assert bool(result.hits) is answered and result.not_in_catalog is not answered


def test_a_product_named_in_unknown_words_needs_the_higher_floor(search_items: pd.DataFrame) -> None:
    """One or two words none of which the catalog knows: a product the shop lacks ("汽车轮胎") or one in words
    the catalog does not use ("graphics card" for videocards). Only a dense cosine above NAMED_FLOOR answers it;
    a need (three words, or one known word) needs ANSWER_FLOOR only."""
    between = (engine_module.ANSWER_FLOOR + engine_module.NAMED_FLOOR) / 2
    engine = SearchEngine.from_items(search_items.head(200), _Constant(between))  # type: ignore[arg-type]
    assert engine.search(SearchRequest(q="夏天 出门 怕晒黑", retriever="hybrid")).hits
    for absent in ("汽车轮胎", "婴儿 纸尿裤", "汽车 机油"):
        assert not engine.planner.plan(absent).described and not engine.planner.plan(absent).resolved
        assert engine.search(SearchRequest(q=absent, retriever="hybrid")).not_in_catalog
    close = SearchEngine.from_items(search_items.head(200),
                                    _Constant(engine_module.NAMED_FLOOR + 0.03))  # type: ignore[arg-type]
    result = close.search(SearchRequest(q="汽车轮胎", retriever="hybrid"))
    assert result.hits and not result.not_in_catalog
    # BM25 alone has nothing to go on
    assert close.search(SearchRequest(q="汽车轮胎", retriever="bm25")).not_in_catalog


def test_a_lone_character_stands_for_the_catalog_names_it_ends(engine: SearchEngine) -> None:
    """Chinese compounds put the head noun last: 鞋 is the head of 跑步鞋 and 皮鞋 (catalog names), 表 of 手表."""
    plan = engine.planner.plan("跑马拉松 穿的 鞋")
    shoes = [c for c in plan.clauses if c.word == "鞋"]
    assert shoes and shoes[0].alternatives and all(a.how == "head" and a.terms[0].endswith("鞋")
                                                   for a in shoes[0].alternatives)
    assert top_leaves(engine, "鞋", 5) and all("Shoes" in leaf or leaf in ("Boots", "Sandals", "Sneakers")
                                                for leaf in top_leaves(engine, "鞋", 5))
    # a lone character that ends no catalog name is still no clause of its own
    assert not [c for c in engine.planner.plan("块").clauses if c.alternatives]


def test_a_homophone_typo_keeps_all_but_one_character(engine: SearchEngine) -> None:
    """连衣群 is a typo of 连衣裙 (same sound, one character changed); 超过 is not a typo of 炒锅 (same sound,
    no character in common); 垫子 is a 垫 (瑜伽垫), not 电子."""
    assert [a.terms for a in engine.planner.plan("连衣群").clauses[0].alternatives][:1] == [("连衣裙",)]
    assert all(a.terms != ("炒锅",) for c in engine.planner.plan("不超过").clauses for a in c.alternatives)
    mat = engine.planner.plan("瑜伽 垫子").clauses[-1]
    assert mat.alternatives and all(a.how == "head" and a.terms[0].endswith("垫") for a in mat.alternatives)


def test_the_dense_side_reads_the_query_as_written_with_corrections_in_place(engine: SearchEngine) -> None:
    plan = engine.planner.plan("送 女朋友 的 lianyiqun")
    assert plan.dense_text("送 女朋友 的 lianyiqun") == "送 女朋友 的 连衣裙"
    joined = engine.planner.plan("莲 衣裙 for summer")
    assert joined.dense_text("莲 衣裙 for summer") == "连衣裙 for summer"


def test_swapped_letters_are_one_typo_and_a_plural_english_word_is_none(engine: SearchEngine) -> None:
    result = engine.search(SearchRequest(q="rnuning shoes", retriever="bm25", limit=3))
    assert result.corrections and [str(h.category).split(" > ")[-1] for h in result.hits] == ["Running Shoes"] * 3
    assert "tongs" not in engine.planner.plan("tongs").corrections()


def test_a_misspelt_word_is_encoded_beside_its_correction(engine: SearchEngine) -> None:
    plan = engine.planner.plan("runing shoes")
    words = plan.dense_text("runing shoes").split()
    assert words[0] == "runing" and "running" in words


def test_a_typo_prefers_the_word_with_its_first_letter() -> None:
    """"wasing" is one edit from both "casing" and "washing": the shopper meant washing (and the choice must not
    depend on the order of a set)."""
    items = [{"item_id": "c", "title": "phone casing"}, {"item_id": "w", "title": "washing powder"}]
    engine = SearchEngine.from_items(items)
    result = engine.search(SearchRequest(q="wasing", retriever="bm25"))
    assert [h.item_id for h in result.hits] == ["w"]


def _record_fusion(engine: SearchEngine) -> list[FusionInput]:
    """The inputs of every fusion the engine runs from now on (plain RRF still fuses them)."""
    seen: list[FusionInput] = []

    def record(inp: FusionInput) -> tuple[np.ndarray, np.ndarray]:
        seen.append(inp)
        return RRFFusion()(inp)

    engine.fusion = record
    return seen


def test_the_english_side_reorders_english_queries_only(search_items: pd.DataFrame) -> None:
    items = search_items.head(150)
    english = get_encoder("hashing", dim=64)
    engine = SearchEngine.from_items(items, get_encoder("hashing"), english_encoder=english)
    assert engine.english is not None and int(engine.english.alive.sum()) == len(items)
    seen = _record_fusion(engine)
    result = engine.search(SearchRequest(q="red dress", limit=5))
    assert seen[-1].english_docs is not None and any("english" in h.sources for h in result.hits)
    candidates = set(seen[-1].lex_docs.tolist()) | set(seen[-1].dense_docs.tolist())
    assert set(seen[-1].english_docs.tolist()) <= candidates
    engine.search(SearchRequest(q="连衣裙", limit=5))
    assert seen[-1].english_docs is None  # a Chinese query: the fusion of two lists, unchanged
    # the dense and bm25 retrievers do not use it; an upsert re-indexes, a delete hides
    assert all("english" not in h.sources for h in engine.search(SearchRequest(q="red dress", retriever="dense")).hits)
    first = result.hits[0].item_id
    engine.delete([first])
    doc = engine.ids.index(first)
    assert not engine.english.alive[doc]


def test_the_chinese_side_reorders_chinese_queries_only(search_items: pd.DataFrame) -> None:
    items = search_items.head(150)
    engine = SearchEngine.from_items(items, get_encoder("hashing"), english_encoder=get_encoder("hashing", dim=64),
                                     chinese_encoder=get_encoder("hashing", dim=48))
    assert engine.chinese is not None and int(engine.chinese.alive.sum()) == len(items)
    seen = _record_fusion(engine)
    result = engine.search(SearchRequest(q="连衣裙", limit=5))
    assert seen[-1].chinese_docs is not None and seen[-1].english_docs is None
    assert any("chinese" in h.sources for h in result.hits)
    candidates = set(seen[-1].lex_docs.tolist()) | set(seen[-1].dense_docs.tolist())
    assert set(seen[-1].chinese_docs.tolist()) <= candidates
    engine.search(SearchRequest(q="red dress", limit=5))
    assert seen[-1].chinese_docs is None and seen[-1].english_docs is not None
    assert all("chinese" not in h.sources for h in engine.search(SearchRequest(q="连衣裙", retriever="dense")).hits)
    first = result.hits[0].item_id
    engine.delete([first])
    assert not engine.chinese.alive[engine.ids.index(first)]
    assert first not in engine.search(SearchRequest(q="连衣裙", limit=50)).item_ids


def test_the_chinese_list_is_fused_with_its_own_weight() -> None:
    """The Chinese list is one more RRF list: at the default weight (1.0) it does not overturn two lists that
    agree, a larger weight puts its first candidate first, weight 0 leaves the two lists' order."""
    lex = np.array([0, 1, 2, 3], dtype=np.int64)
    inp = FusionInput(lex, np.array([4.0, 3.0, 2.0, 1.0], dtype=np.float32), 4, lex.copy(),
                      np.array([0.9, 0.89, 0.88, 0.87], dtype=np.float32), chinese_docs=np.array([3, 2, 1, 0]))
    plain = RRFFusion()(FusionInput(inp.lex_docs, inp.lex_scores, 4, inp.dense_docs, inp.dense_cos))[0]
    fused = RRFFusion()(inp)[0]
    assert plain.tolist() == [0, 1, 2, 3] and fused.tolist()[0] == 0
    assert RRFFusion(chinese=3.0)(inp)[0].tolist()[0] == 3  # the weight is the Chinese list's
    assert RRFFusion(chinese=0.0)(inp)[0].tolist() == [0, 1, 2, 3]


def test_an_item_with_no_english_text_is_left_out_of_the_english_side() -> None:
    items = [{"item_id": "en", "title": "Red Summer Dress", "category": "Women > Dresses"},
             {"item_id": "zh", "title": "红色 连衣裙", "category": "女装 > 连衣裙"}]
    engine = SearchEngine.from_items(items, get_encoder("hashing"), english_encoder=get_encoder("hashing", dim=64))
    assert engine.english is not None and engine.english.alive[:2].tolist() == [True, False]
    assert engine.search(SearchRequest(q="red dress")).item_ids[0] == "en"


def test_english_ties_keep_the_order_of_the_candidates() -> None:
    """Items with the same English text (REES46: a category and no title) tie; the lexical order decides."""
    items = [{"item_id": str(i), "title": "Water Heater", "category": "Appliances > Water Heaters"} for i in range(5)]
    engine = SearchEngine.from_items(items, get_encoder("hashing"), english_encoder=get_encoder("hashing", dim=64))
    ranked = engine.english_ranking("water heater", np.array([3, 1, 4, 3, 0]))
    assert ranked is not None and ranked.tolist() == [3, 1, 4, 0]
