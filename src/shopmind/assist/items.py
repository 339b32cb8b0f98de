"""Questions about one item, answered from that item's record only - or "not stated".

The question is classified by the fact it asks for (colour, material, size, price, brand, origin, stock,
waterproofing); the answer quotes the record's value for it, and says the catalog does not state it when
the record has no such value. Nothing is inferred, so every answer is supported by the item's facts (the
grounding checker verifies it: see :func:`answer_item_question`).

>>> item = {"item_id": "s1", "title": "Stride Running Shoes - Black", "price": 399.0, "currency": "CNY",
...         "attributes": {"colour": "Black", "colour_zh": "黑色"}}
>>> answer_item_question("这款有几种颜色?", item).text
'颜色：黑色。'
>>> answer_item_question("is it waterproof?", item).text
'The catalog does not state whether it is waterproof.'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shopmind.content.facts import format_price
from shopmind.search.documents import attributes_of

#: fact -> (question pattern, attribute keys, English label, Chinese label)
FACTS: dict[str, tuple[re.Pattern[str], tuple[str, ...], str, str]] = {
    "colour": (re.compile(r"colou?rs?|shades?|颜色|色号|什么色", re.I), ("colour", "color", "shade", "颜色"),
               "Colour", "颜色"),
    "material": (re.compile(r"material|made of|fabric|ingredient|材质|面料|成分|什么做的", re.I),
                 ("material", "fabric", "ingredient", "材质"), "Material", "材质"),
    "size": (re.compile(r"\bsizes?\b|capacity|volume|how big|dimensions?|尺码|尺寸|容量|多大|规格|净含量", re.I),
             ("size", "capacity", "volume", "dimensions", "weight", "net_weight", "spec", "尺码", "容量"),
             "Size", "规格"),
    "price": (re.compile(r"price|how much|cost|多少钱|价格|价钱|几块", re.I), (), "Price", "价格"),
    "brand": (re.compile(r"brand|who makes|品牌|牌子", re.I), (), "Brand", "品牌"),
    "origin": (re.compile(r"made in|where .*made|origin|country|产地|哪里产|哪里生产|哪国", re.I),
               ("origin", "country_of_origin", "made_in", "产地"), "Origin", "产地"),
    "stock": (re.compile(r"in stock|available|有货|库存|有没有货|现货", re.I), (), "Stock", "库存"),
    "waterproof": (re.compile(r"waterproof|water[- ]resistant|water[- ]repellent|防水|防泼水", re.I), (),
                   "Waterproof", "防水"),
}
NOT_STATED = {"en": "The catalog does not state {what}.", "zh": "商品信息中没有说明{what}。"}
_WHAT = {"colour": ("the colour", "颜色"), "material": ("the material", "材质"), "size": ("the size", "规格"),
         "price": ("the price", "价格"), "brand": ("the brand", "品牌"), "origin": ("where it is made", "产地"),
         "stock": ("whether it is in stock", "库存"), "waterproof": ("whether it is waterproof", "是否防水")}


@dataclass
class ItemAnswer:
    fact: str | None
    text: str
    stated: bool


def _value(item: Mapping[str, Any], keys: tuple[str, ...], lang: str) -> str | None:
    attrs = attributes_of(item)
    for k in keys:
        for key in ((f"{k}_zh", k) if lang == "zh" else (k,)):
            v = attrs.get(key)
            if isinstance(v, list | tuple):
                v = "、".join(map(str, v)) if lang == "zh" else ", ".join(map(str, v))
            if v not in (None, ""):
                return str(v)
    return None


def answer_item_question(question: str, item: Mapping[str, Any], lang: str | None = None) -> ItemAnswer:
    """Answer ``question`` about ``item`` from its record only (see the module docs)."""
    lang = lang or ("zh" if re.search(r"[\u4e00-\u9fff]", question) else "en")
    fact = next((name for name, (pattern, *_) in FACTS.items() if pattern.search(question)), None)
    if fact is None:
        what = "that" if lang == "en" else "这一点"
        return ItemAnswer(None, NOT_STATED[lang].format(what=what), False)
    _, keys, label_en, label_zh = FACTS[fact]
    label = label_zh if lang == "zh" else label_en
    attrs = attributes_of(item)
    value: str | None = None
    if fact == "price" and item.get("price") is not None:
        value = format_price(float(item["price"]), item.get("currency"), "zh" if lang == "zh" else "en")
    elif fact == "brand":
        value = (attrs.get("brand_zh") if lang == "zh" else None) or item.get("brand")
    elif fact == "stock" and item.get("in_stock") is not None:
        value = ("有货" if item["in_stock"] else "暂时缺货") if lang == "zh" else (
            "in stock" if item["in_stock"] else "out of stock")
    elif fact == "waterproof":
        feats = " ".join(str(v) for v in (item.get("title"), attrs.get("features"), attrs.get("features_zh"))
                         if v is not None)
        found = re.search(r"waterproof|water[- ]resistant|water[- ]repellent|防水|防泼水", feats, re.I)
        if found:
            value = found.group(0)
    else:
        value = _value(item, keys, lang)
    if value is None:
        return ItemAnswer(fact, NOT_STATED[lang].format(what=_WHAT[fact][1 if lang == "zh" else 0]), False)
    sep = "：" if lang == "zh" else ": "
    end = "。" if lang == "zh" else "."
    return ItemAnswer(fact, f"{label}{sep}{value}{end}", True)
