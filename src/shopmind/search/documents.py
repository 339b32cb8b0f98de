"""What of an item record is searched: its text per field, for the lexical and the dense index.

Items follow the schema of :mod:`shopmind.schema`; Chinese companions in ``attributes`` (``title_zh``,
``brand_zh``, ``category_zh``, ``description_zh``, ``<key>_zh``) are searched with their field, so one
bilingual catalog answers queries in both languages.

>>> fields = item_fields({"item_id": "s1", "title": "Northpeak Running Shoes", "brand": "Northpeak",
...                       "category": "Men > Shoes > Running Shoes",
...                       "attributes": {"title_zh": "北峰 跑步鞋", "colour": "Black", "colour_zh": "黑色"}})
>>> fields["title"], fields["leaf"], fields["attributes"]
('Northpeak Running Shoes 北峰 跑步鞋', 'Running Shoes', 'Black 黑色')
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from shopmind.search.analysis import is_cjk, normalise

#: Attribute keys holding the Chinese version of a top-level field.
ZH_FIELDS = {"title": ("title_zh", "name_zh"), "brand": ("brand_zh",), "category": ("category_zh",),
             "description": ("description_zh",)}
_NOT_ATTRIBUTES = frozenset(k for keys in ZH_FIELDS.values() for k in keys) | {"image", "url", "sku"}
#: Attribute keys offered as facets when values are short strings (any key is filterable).
MAX_FACET_VALUE = 40


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, list | tuple | set):
        return " ".join(_text(v) for v in value)
    if isinstance(value, Mapping):
        return " ".join(_text(v) for v in value.values())
    return str(value).strip()


def attributes_of(item: Mapping[str, Any]) -> dict[str, Any]:
    attrs = item.get("attributes")
    return dict(attrs) if isinstance(attrs, Mapping) else {}


def category_path(category: Any) -> list[str]:
    """``"A > B > C"`` (or ``A/B/C``, ``a.b.c`` codes) as a list, root first."""
    text = _text(category)
    if not text:
        return []
    sep = ">" if ">" in text else "/" if "/" in text else "." if ("." in text and " " not in text) else ">"
    return [p.strip().replace("_", " ") for p in text.split(sep) if p.strip()]


def item_fields(item: Mapping[str, Any]) -> dict[str, str]:
    """The searchable text of each field of ``item`` (see the module docs)."""
    attrs = attributes_of(item)
    out = {}
    for name in ("title", "brand", "description"):
        zh = " ".join(t for t in (_text(attrs.get(k)) for k in ZH_FIELDS[name]) if t)
        out[name] = " ".join(p for p in (_text(item.get(name)), zh) if p)
    path, path_zh = category_path(item.get("category")), category_path(attrs.get("category_zh"))
    out["category"] = " ".join(path + path_zh)
    out["leaf"] = " ".join(p[-1] for p in (path, path_zh) if p)
    out["attributes"] = " ".join(_text(v) for k, v in attrs.items() if k not in _NOT_ATTRIBUTES)
    return out


def dense_text(item: Mapping[str, Any]) -> str:
    """The passage the dense encoder sees: title (both languages), brand and category, kept short so a
    catalog encodes fast and the title dominates."""
    f = item_fields(item)
    cat = category_path(item.get("category"))
    leaf = " > ".join(cat[-2:]) if cat else ""
    zh_cat = category_path(attributes_of(item).get("category_zh"))
    parts = [f["title"], _text(item.get("brand")), leaf, " > ".join(zh_cat[-1:])]
    return " | ".join(p for p in parts if p)[:300]


def english_text(item: Mapping[str, Any]) -> str:
    """The passage the English encoder (all-MiniLM-L6-v2) sees: the title and the whole category path, without
    Chinese (a part holding Chinese characters is left out) and without the brand (the lexical side finds
    brands; chosen on the tuning halves, ``docs/search.md``); ``""`` when nothing is English (the item is then
    not in the English index)."""
    parts = [_text(item.get("title")), " > ".join(category_path(item.get("category")))]
    text = " | ".join(p for p in parts if p and not is_cjk(p))
    return text if any(c.isascii() and c.isalpha() for c in text) else ""


def facet_attributes(item: Mapping[str, Any]) -> dict[str, str]:
    """Attributes that can be facets: short scalar strings, not the Chinese copies of top-level fields."""
    out = {}
    for k, v in attributes_of(item).items():
        if k in _NOT_ATTRIBUTES or k.endswith("_zh") or k in ("features", "description", "title"):
            continue
        if isinstance(v, str | int | float | bool) and not isinstance(v, float) and len(str(v)) <= MAX_FACET_VALUE:
            out[str(k)] = str(v)
    return out


def segmenter_words(item: Mapping[str, Any]) -> set[str]:
    """Names the Chinese segmenter should keep whole: brands, category names and short Chinese attribute
    values such as a product type (``充电宝``, ``咖啡机``), so that a query for them matches the whole word."""
    attrs = attributes_of(item)
    words = {_text(item.get("brand")), _text(attrs.get("brand_zh"))}
    words.update(category_path(attrs.get("category_zh")))
    for k, v in attrs.items():
        if k.endswith("_zh") and k not in _NOT_ATTRIBUTES and isinstance(v, str) and 2 <= len(v) <= 6 and " " not in v:
            words.add(v)
    return {w for w in words if w}


def product_names(item: Mapping[str, Any]) -> set[str]:
    """The Chinese names of what an item is - its category path and product type (``皮鞋``, ``手表``), not its
    brand: the words a lone character in a query may be the head of (``鞋``, ``表``)."""
    attrs = attributes_of(item)
    words = set(category_path(item.get("category"))) | set(category_path(attrs.get("category_zh")))
    for key in ("product_type", "product_type_zh"):
        value = attrs.get(key)
        if isinstance(value, str):
            words.add(value)
    return {normalise(w).strip() for w in words if w and is_cjk(w)}


#: Attribute keys whose values name what an item is made of or looks like ("Silk", "Black"): English heads a
#: Chinese word may be read as (see :func:`english_product_names`).
HEAD_ATTRIBUTES = ("material", "fabric", "colour", "color", "flavour", "flavor", "scent", "ingredient")


def english_product_names(item: Mapping[str, Any]) -> set[str]:
    """The English names of what an item is and is made of - its category path, product type and the values of
    its :data:`HEAD_ATTRIBUTES` ("Men", "Helmets", "Road Bike Helmet", "Silk"): their last word is a head a
    synonym or dictionary rendering of a Chinese word must name in a bilingual catalog (see ``QueryPlanner``)."""
    attrs = attributes_of(item)
    words = set(category_path(item.get("category")))
    value = attrs.get("product_type")
    if isinstance(value, str):
        words.add(value)
    for key, value in facet_attributes(item).items():
        if any(k in key.lower() for k in HEAD_ATTRIBUTES):
            words.add(value)
    return {w for w in words if w and not is_cjk(w)}
