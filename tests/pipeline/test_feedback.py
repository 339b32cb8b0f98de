"""NegativeFeedback: per-user hidden items and their near-duplicates."""

from __future__ import annotations

from shopmind.data.catalog import Catalog
from shopmind.pipeline.feedback import NegativeFeedback, title_stem


def _catalog() -> Catalog:
    catalog = Catalog()
    catalog.upsert_records([
        {"item_id": "a", "title": "Milk Chocolate - Matcha, 100 g", "brand": "Daily", "category": "Food > Sweets"},
        {"item_id": "b", "title": "Milk Chocolate - Orange, 100 g", "brand": "Daily", "category": "Food > Sweets"},
        {"item_id": "c", "title": "Milk Chocolate - Mint", "brand": "Other", "category": "Food > Sweets"},
        {"item_id": "d", "title": "Dark Chocolate - Mint", "brand": "Daily", "category": "Food > Sweets"},
        {"item_id": "e", "title": "Milk Chocolate - Plain", "brand": "Daily", "category": "Food > Gifts"},
    ])
    return catalog


def test_title_stem_drops_the_variant() -> None:
    assert title_stem("Milk Chocolate - Matcha, 100 g") == "milk chocolate"
    assert title_stem("Tea, 20 bags") == "tea" and title_stem(None) == ""


def test_hidden_items_per_user_and_their_near_duplicates() -> None:
    catalog, feedback = _catalog(), NegativeFeedback()
    feedback.add(["u1", "u1", "u2"], [0, 0, 3])
    assert feedback.items("u1") == [0] and feedback.items("u2") == [3] and feedback.items("u3") == []
    assert feedback.hidden("u1", catalog).tolist() == [0]
    # same brand, category and title stem: b is a twin of a; c (other brand), d (other stem), e (other category)
    assert catalog.ids.raws(feedback.hidden("u1", catalog, near_duplicates=True).tolist()) == ["a", "b"]
    feedback.forget(["u1"])
    assert feedback.items("u1") == [] and len(feedback) == 1
