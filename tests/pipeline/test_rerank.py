"""Re-ranking stages on a hand-made catalog: each stage changes the list in the way it promises."""

from __future__ import annotations

import time

import numpy as np
import pytest

from shopmind.data.catalog import Catalog
from shopmind.data.signals import ItemSignals
from shopmind.pipeline import Boost, Pin, Promotion, RequestError, RerankOptions, Rule
from shopmind.pipeline.candidates import SOURCE_CODE, SOURCES, CandidateMerger
from shopmind.pipeline.exploration import thompson_pick
from shopmind.pipeline.rerank import RerankInputs, assemble, rerank

NOW = int(time.time())


@pytest.fixture()
def catalog() -> Catalog:
    """20 items: 0-9 in 'Shoes > Running' (brand Acme), 10-14 'Home > Kitchen' (Potter), 15-19 'Beauty'
    (Dewy, new arrivals)."""
    cat = Catalog()
    rows = []
    for i in range(20):
        category, brand = (("Shoes > Running", "Acme") if i < 10 else ("Home > Kitchen", "Potter") if i < 15
                           else ("Beauty > Serums", "Dewy"))
        rows.append({"item_id": f"i{i}", "category": category, "brand": brand, "price": float(i),
                     "created_at": f"2026-01-{i + 1:02d}T00:00:00Z"})
    cat.upsert_records(rows)
    return cat


def _cands(n: int = 20):
    merger = CandidateMerger()
    merger.add("model", np.arange(n), np.linspace(1.0, 0.05, n), 1.0)  # score order = index order
    return merger.merge()


def _inputs(catalog: Catalog, excluded=(), explore_pool=(), promo_pool=(), signals=None, seed=0) -> RerankInputs:
    return RerankInputs(catalog, signals or ItemSignals({}), None, np.array(excluded, dtype=np.int64),
                        np.array(promo_pool, dtype=np.int64), np.array(explore_pool, dtype=np.int64),
                        np.random.default_rng(seed))


def _ids(slots) -> list[int]:
    return [s.item for s in slots]


def test_plain_order_and_exclusions(catalog):
    slots = rerank(_cands(), RerankOptions(), 5, _inputs(catalog, excluded=[0, 2]))
    assert _ids(slots) == [1, 3, 4, 5, 6]
    assert _ids(rerank(_cands(), RerankOptions(), 5, _inputs(catalog, excluded=[6, 2, 0, 2]))) == [1, 3, 4, 5, 7]
    catalog.upsert_records([{"item_id": "i1", "category": "Shoes > Running", "in_stock": False}])
    assert 1 not in _ids(rerank(_cands(), RerankOptions(), 5, _inputs(catalog)))


def test_filters_and_boosts(catalog):
    only_home = RerankOptions(filters=(Rule(category="Home"),))
    assert _ids(rerank(_cands(), only_home, 3, _inputs(catalog))) == [10, 11, 12]
    assert _ids(rerank(_cands(), RerankOptions(), 3, _inputs(catalog))) == [0, 1, 2]
    boosted = RerankOptions(boosts=(Boost(Rule(brands=("Dewy",)), 50.0),))
    assert _ids(rerank(_cands(), boosted, 3, _inputs(catalog))) == [15, 16, 17]


def test_pins_take_their_positions(catalog):
    options = RerankOptions(pins=(Pin("i19", 0), Pin("i18", 3)))
    slots = rerank(_cands(), options, 5, _inputs(catalog))
    assert _ids(slots) == [19, 0, 1, 18, 2]
    assert SOURCES[slots[0].source] == "pinned"
    with pytest.raises(RequestError, match="unknown item id 'nope'"):
        rerank(_cands(), RerankOptions(pins=(Pin("nope"),)), 5, _inputs(catalog))


def test_promotion_slots_are_reserved_and_filled_from_the_pool(catalog):
    options = RerankOptions(promotion=Promotion(Rule(brands=("Potter",)), share=0.4))
    slots = rerank(_cands(), options, 5, _inputs(catalog))
    promoted = [s.item for s in slots if SOURCES[s.source] == "promoted"]
    assert promoted == [10, 11] and len(slots) == 5
    # candidates without any match: the fallback pool supplies them
    merger = CandidateMerger()
    merger.add("model", np.arange(10), np.linspace(1, 0.1, 10), 1.0)
    slots = rerank(merger.merge(), options, 5, _inputs(catalog, promo_pool=[13, 14]))
    assert sorted(s.item for s in slots if SOURCES[s.source] == "promoted") == [13, 14]


def test_diversity_by_mmr_and_category_caps(catalog):
    plain = rerank(_cands(), RerankOptions(diversity=1.0), 6, _inputs(catalog))
    diverse = rerank(_cands(), RerankOptions(diversity=0.2), 6, _inputs(catalog))

    def categories(slots):
        return {catalog.category_text[s.item] for s in slots}

    assert len(categories(plain)) == 1 and len(categories(diverse)) == 3
    capped = rerank(_cands(), RerankOptions(max_per_category=2), 6, _inputs(catalog))
    counts = [sum(catalog.category_text[s.item] == c for s in capped) for c in categories(capped)]
    assert max(counts) == 2 and _ids(capped)[:2] == [0, 1]
    root_capped = rerank(_cands(), RerankOptions(max_per_category=1, category_level=1), 6, _inputs(catalog))
    assert len(root_capped) == 3  # only three root categories exist


def test_exploration_slot_uses_the_pool(catalog):
    options = RerankOptions(explore=1)
    slots = rerank(_cands(15), options, 5, _inputs(catalog, explore_pool=[15, 16, 17]))
    assert SOURCES[slots[-1].source] == "exploration" and slots[-1].item in (15, 16, 17)
    assert [SOURCES[s.source] for s in slots[:-1]] == ["model"] * 4


def test_thompson_sampling_prefers_items_that_earn_clicks():
    rng = np.random.default_rng(1)
    ids = np.array([1, 2, 3])
    impressions = np.array([500.0, 500.0, 0.0])
    rewards = np.array([0.0, 100.0, 0.0])
    picks = [int(thompson_pick(ids, impressions, rewards, 1, rng)[0]) for _ in range(300)]
    assert picks.count(1) == 0  # 500 impressions, no click: never explored again
    assert picks.count(3) > 150 and picks.count(2) > 0  # the unknown item is explored most


def test_assemble_layout():
    from shopmind.pipeline.rerank import Placed

    def p(i, src="model"):
        return Placed(i, 1.0, SOURCE_CODE[src])

    out = assemble(6, [(1, p(100, "pinned"))], [p(200, "promoted")], [p(300, "exploration")],
                   [p(i) for i in range(10)])
    assert [s.item for s in out] == [0, 100, 1, 200, 2, 300]
    assert [s.item for s in assemble(4, [], [], [], [p(1)])] == [1]  # short lists are not padded
