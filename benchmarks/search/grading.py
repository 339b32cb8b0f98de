"""The grading rule of the search benchmark: grades 0-3 computed from catalog fields, never from a system.

An intent says what the shopper wants, in catalog terms:

- ``category``: category path patterns ("Makeup > Nails > Nail Polish", or one segment "Nail Polish"); an item
  matches when its path contains the pattern's segments consecutively (case-insensitive);
- ``parent``: broader patterns that earn grade 1 (same family of products);
- ``keywords``: groups of alternative words; every group must occur in the item's title (English or Chinese
  title; whole words for Latin script);
- ``brand``: acceptable brand names (the brand field, or the first words of the title when a catalog has no
  brand field);
- ``price_min`` / ``price_max``;
- ``require_keywords``: the keywords are the need itself ("mirror *with lights*", "shampoo for *dandruff*"), so
  an item of the category without them is only grade 1, not 2.

Grades:

- 3: every stated condition holds (category, keywords, brand, price);
- 2: category, brand and price hold, a keyword group does not (the right product without the detail asked);
- 1: the category holds but the brand or the price does not, or only a ``parent`` pattern holds;
- 0: anything else. An intent without a category is graded on its keywords and brand (3 when all hold).

A query whose intent matches no item at grade > 0 is a "not in the catalog" query: the right answer is no
result.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any


def _segments(path: Any) -> list[str]:
    text = str(path or "")
    sep = ">" if ">" in text else "."
    return [p.strip().lower().replace("_", " ") for p in text.split(sep) if p.strip()]


def path_matches(path: Any, pattern: str) -> bool:
    segs, pat = _segments(path), _segments(pattern)
    if not pat or not segs:
        return False
    return any(segs[i:i + len(pat)] == pat for i in range(len(segs) - len(pat) + 1))


def has_word(text: str, word: str) -> bool:
    w = word.lower()
    if not w.isascii():
        return w in text
    return re.search(rf"(?<![a-z0-9]){re.escape(w)}(?![a-z0-9])", text) is not None


def grade(item: Mapping[str, Any], intent: Mapping[str, Any]) -> int:
    """The grade of ``item`` for ``intent`` (see the module docs)."""
    attrs = item.get("attributes") if isinstance(item.get("attributes"), Mapping) else {}
    title = " ".join(str(v) for v in (item.get("title"), attrs.get("title_zh")) if v).lower()
    category = item.get("category")
    cats: Sequence[str] = intent.get("category") or []
    has_cat = bool(cats)
    cat_ok = any(path_matches(category, c) for c in cats) if has_cat else True
    parent_ok = any(path_matches(category, c) for c in intent.get("parent") or [])
    groups: Sequence[Sequence[str]] = intent.get("keywords") or []
    kw_ok = all(any(has_word(title, w) for w in g) for g in groups)
    brands = [b.lower() for b in intent.get("brand") or []]
    brand = str(item.get("brand") or "").lower()
    brand_ok = not brands or brand in brands or any(title.startswith(b + " ") or title == b for b in brands)
    price = item.get("price")
    price_ok = True
    if intent.get("price_max") is not None:
        price_ok = price is not None and float(price) <= float(intent["price_max"])
    if intent.get("price_min") is not None:
        price_ok = price_ok and price is not None and float(price) >= float(intent["price_min"])
    if not has_cat and not groups and not brands:
        return 0
    if cat_ok and kw_ok and brand_ok and price_ok:
        return 3
    if has_cat and cat_ok and brand_ok and price_ok and not intent.get("require_keywords"):
        return 2
    if (has_cat and cat_ok) or parent_ok:
        return 1
    return 0


def judge(items: Sequence[Mapping[str, Any]], intent: Mapping[str, Any]) -> dict[str, int]:
    """Every item graded above 0 for ``intent``."""
    out = {}
    for item in items:
        g = grade(item, intent)
        if g > 0:
            out[str(item["item_id"])] = g
    return out
