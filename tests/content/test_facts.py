"""Fact sheets: every kind of item record, both languages, prices and discounts."""

from __future__ import annotations

import pandas as pd
import pytest

from shopmind.content import extract_facts, format_discount, format_price
from shopmind.errors import DataError
from shopmind.schema import Item


def test_demo_row_gives_bilingual_facts(demo_items):
    f = extract_facts(demo_items.iloc[0])
    assert f.item_id == demo_items.iloc[0]["item_id"]
    assert f.title.en and f.title.zh and f.brand.en and f.brand.zh
    assert len(f.category) == 3 and all(c.en and c.zh for c in f.category)
    assert f.price == demo_items.iloc[0]["price"] and f.currency == "CNY"
    assert f.has_zh()
    labels = dict(f.lines("zh"))
    assert "品牌" in labels and "价格" in labels


def test_every_demo_colour_and_material_is_bilingual(demo_facts):
    for f in demo_facts:
        for attr in (*f.colours, *f.materials, *f.specs):
            assert attr.value.en and attr.value.zh, (f.item_id, attr)
        if f.origin is not None:
            assert f.origin.en and f.origin.zh


def test_english_only_item_gets_chinese_values_from_the_vocabulary():
    f = extract_facts({"item_id": "x", "title": "Linen Shirt", "category": "Men/Clothing/Shirts",
                       "attributes": {"colour": "Navy", "material": "Linen", "origin": "Italy"}})
    assert f.colours[0].value.zh == "藏青色"
    assert f.materials[0].value.zh == "亚麻"
    assert f.origin is not None and f.origin.zh == "意大利"
    assert f.leaf("en") == "Shirts"


def test_item_model_and_series_and_json_attributes():
    item = Item(item_id="sku-9", title="Tea", price=12.5, currency="usd", attributes={"weight": "250 g"})
    f = extract_facts(item)
    assert f.currency == "USD" and f.specs[0].value.en == "250 g"
    row = pd.Series({"item_id": "sku-10", "title": "Mug", "price": float("nan"),
                     "attributes": '{"colour": "Red", "colour_zh": "红色"}'})
    g = extract_facts(row)
    assert g.price is None and g.colours[0].value.zh == "红色"


@pytest.mark.parametrize(("attrs", "price", "discount", "original"), [
    ({"original_price": 400}, 300.0, 0.25, 400.0),
    ({"discount": "20% off"}, 80.0, 0.2, 100.0),
    ({"discount": "8折"}, 80.0, 0.2, 100.0),
    ({"sale_price": 60}, 60.0, 0.4, 100.0),
    ({}, 100.0, None, None),
])
def test_discounts(attrs, price, discount, original):
    base_price = 100.0 if "sale_price" in attrs else price
    f = extract_facts({"item_id": "d", "price": base_price, "currency": "CNY", "attributes": attrs})
    assert f.price == pytest.approx(price)
    assert (f.discount is None) if discount is None else f.discount == pytest.approx(discount)
    assert (f.original_price is None) if original is None else f.original_price == pytest.approx(original)


def test_new_arrival_relative_to_now():
    rec = {"item_id": "n", "created_at": "2026-06-20T10:00:00Z"}
    assert extract_facts(rec, now=pd.Timestamp("2026-06-25", tz="UTC")).is_new
    assert not extract_facts(rec, now=pd.Timestamp("2026-09-25", tz="UTC")).is_new
    assert not extract_facts(rec).is_new


def test_missing_item_id_is_a_clear_error():
    with pytest.raises(DataError, match="item_id"):
        extract_facts({"title": "no id"})


def test_price_and_discount_formats():
    assert format_price(2499.0, "CNY", "en") == "¥2,499"
    assert format_price(2499.0, "CNY", "zh") == "¥2499"
    assert format_price(59.9, "CNY", "zh") == "¥59.90"
    assert format_discount(0.2, "zh") == "8折" and format_discount(0.25, "en") == "25% off"
