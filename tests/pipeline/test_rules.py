"""Business rules: expressions, their errors, and matching on catalog columns."""

from __future__ import annotations

import numpy as np
import pytest

from shopmind.data.catalog import Catalog
from shopmind.pipeline import RequestError, Rule, parse_boost, parse_pin, parse_rule


@pytest.fixture()
def catalog() -> Catalog:
    cat = Catalog()
    cat.upsert_records([
        {"item_id": "a", "category": "Beauty > Skin Care > Serums", "brand": "Acme", "price": 10.0,
         "attributes": {"colour": "Red", "features": ["Vegan", "Organic"]}},
        {"item_id": "b", "category": "Beauty Tools > Brushes", "brand": "acme", "price": 60.0},
        {"item_id": "c", "category": "Home > Kitchen", "brand": "Potter", "price": None, "in_stock": False},
        {"item_id": "d", "category": "Beauty", "brand": "Nordhaus", "price": 25.0, "attributes": {"colour": "red"}},
    ])
    return cat


def _match(rule: Rule, catalog: Catalog) -> list[str]:
    idx = np.arange(len(catalog))
    return [catalog.raw(i) for i in idx[rule.mask(catalog, idx)]]


def test_expression_round_trip():
    rule = parse_rule("category:Beauty > Skin Care; brand:Acme|Nordhaus; price:10..50; attr.colour:Red; item:a|b")
    assert rule == Rule("Beauty > Skin Care", ("Acme", "Nordhaus"), 10.0, 50.0, (("colour", "Red"),), ("a", "b"))
    assert parse_rule(rule.describe()) == rule


@pytest.mark.parametrize("expr, message", [
    ("colour:red", "unknown condition 'colour'"),
    ("price:cheap", "price range must look like"),
    ("price:50..10", "is empty"),
    ("price:a..10", "not a number"),
    ("brand", "expected KEY:VALUE"),
    ("  ;  ", "empty rule"),
])
def test_bad_expressions_name_the_field(expr, message):
    with pytest.raises(RequestError) as e:
        parse_rule(expr, "filter")
    assert e.value.field == "filter" and message in str(e.value)


def test_boost_and_pin_expressions():
    assert parse_boost("brand:Acme^2").weight == 2.0
    assert parse_boost("brand:Acme").weight == 0.5
    assert parse_pin("SKU1@3", 0).position == 3 and parse_pin("SKU1", 4).position == 4
    with pytest.raises(RequestError, match="ITEM_ID@POSITION"):
        parse_pin("SKU1@x", 0)


def test_category_prefix_is_path_aware(catalog):
    assert _match(Rule(category="Beauty"), catalog) == ["a", "d"]  # not "Beauty Tools"
    assert _match(Rule(category="beauty/skin care"), catalog) == ["a"]


def test_brand_price_attribute_and_ids(catalog):
    assert _match(Rule(brands=("ACME",)), catalog) == ["a", "b"]
    assert _match(Rule(min_price=20, max_price=60), catalog) == ["b", "d"]  # unknown price never matches
    assert _match(Rule(attributes=(("colour", "RED"),)), catalog) == ["a", "d"]
    assert _match(Rule(attributes=(("features", "organic"),)), catalog) == ["a"]
    assert _match(Rule(item_ids=("b", "zzz")), catalog) == ["b"]
    assert _match(Rule(), catalog) == ["a", "b", "c", "d"]


def test_availability(catalog):
    assert catalog.is_available(np.arange(4)).tolist() == [True, True, False, True]
    catalog.delete(["a"])
    assert not catalog.is_known("a") and catalog.is_available(np.arange(4)).tolist() == [False, True, False, True]
    catalog.upsert_records([{"item_id": "a"}])
    assert catalog.is_known("a")
