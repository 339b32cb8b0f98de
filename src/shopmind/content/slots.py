"""Slot values for templates, taken only from the fact sheet (and the user's history for personal copy).

>>> from shopmind.content.facts import extract_facts
>>> f = extract_facts({"item_id": "m1", "title": "Brewmaster Drip Coffee Maker - Silver, 1.8 L",
...                    "brand": "Brewmaster", "price": 909, "currency": "CNY",
...                    "attributes": {"product_type": "Drip Coffee Maker", "capacity": "1.8 L",
...                                   "features": ["15-Bar Pressure", "Milk Frother"], "brand_zh": "酿师",
...                                   "product_type_zh": "滴滤咖啡机", "features_zh": ["15Bar压力", "自带奶泡"]}})
>>> s = item_slots(f, "en")
>>> s["product_brand"], s["features"], s["size_label"], s["size"], s["price"]
('Brewmaster drip coffee maker', '15-Bar Pressure and Milk Frother', 'Capacity', '1.8 L', '¥909')
>>> item_slots(f, "zh")["features"], item_slots(f, "zh")["product_brand"]
('15Bar压力、自带奶泡', '酿师滴滤咖啡机')
"""

from __future__ import annotations

from collections.abc import Sequence

from shopmind.content.facts import Attribute, FactSheet, format_discount, format_price
from shopmind.content.lexicon import Lang, lexicon
from shopmind.content.templates import sentence_case


def item_slots(f: FactSheet, lang: Lang) -> dict[str, str | None]:
    """Every slot one item can fill, in ``lang`` (None where the data has nothing)."""
    lex = lexicon()
    product = f.product_type.get(lang) if f.product_type else None
    if product is None and (leaf := f.leaf(lang)):
        product = _singular(leaf) if leaf.isascii() else leaf
    brand = f.brand.get(lang)
    slots: dict[str, str | None] = {
        "title": _title(f, lang),
        "brand": brand,
        "product": product,
        "product_brand": _product_brand(brand, product, lang) or _title(f, lang),
        "category": f.leaf(lang),
        "price": format_price(f.price, f.currency, lang) if f.price is not None else None,
        "discount": format_discount(f.discount, lang) if f.discount else None,
        "origin": f.origin.get(lang) if f.origin else None,
        "origin_label": lex.label("origin", lang),
    }
    materials = [a for a in f.materials if a.key.lower() not in ("ingredient", "ingredients", "成分")]
    ingredients = [a for a in f.materials if a not in materials]
    _put(slots, "material", materials, lang)
    _put(slots, "ingredient", ingredients, lang)
    _put(slots, "colour", list(f.colours), lang)
    _put(slots, "variant", list(f.variants), lang)
    _put(slots, "size", list(f.specs), lang)
    feats = [v for x in f.features if (v := x.get(lang))]
    slots["feature1"] = feats[0] if feats else None
    slots["feature2"] = feats[1] if len(feats) > 1 else None
    slots["features"] = join_list(feats, lang) if feats else None
    return slots


def anchor_name(f: FactSheet, lang: Lang) -> str | None:
    """How copy names a history item: brand + product type ("Ferro crossbody bag"), else its title."""
    product = f.product_type.get(lang) if f.product_type else None
    return _product_brand(f.brand.get(lang), product, lang) or _title(f, lang)


def join_list(values: Sequence[str], lang: Lang) -> str:
    """``a, b and c`` / ``a、b、c``."""
    if lang == "zh":
        return "、".join(values)
    if len(values) <= 2:
        return " and ".join(values)
    return ", ".join(values[:-1]) + " and " + values[-1]


def _title(f: FactSheet, lang: Lang) -> str | None:
    return f.title.get(lang)


def _product_brand(brand: str | None, product: str | None, lang: Lang) -> str | None:
    if not product:
        return None
    if lang == "zh":
        sep = " " if brand and brand[-1].isascii() and brand[-1].isalnum() and product[0].isascii() else ""
        return f"{brand or ''}{sep}{product}"
    return f"{brand} {sentence_case(product)}" if brand else sentence_case(product)


def _put(slots: dict[str, str | None], name: str, attrs: list[Attribute], lang: Lang) -> None:
    first = next((a for a in attrs if a.value.get(lang)), None)
    slots[name] = first.value.get(lang) if first else None
    slots[f"{name}_label"] = first.label.get(lang) if first else None


def _singular(word: str) -> str:
    w = word.strip()
    if w.lower().endswith(("sses", "shes", "ches", "xes")):
        return w[:-2]
    if w.lower().endswith("s") and not w.lower().endswith("ss"):
        return w[:-1]
    return w
