"""Facet counts over a result set: category tree, brands, price ranges and attribute values.

>>> import numpy as np
>>> table = FacetColumns()
>>> for i, (cat, brand, price) in enumerate([("A > B", "x", 10.0), ("A > C", "y", 120.0)]):
...     table.set(i, cat, brand, price, {"colour": "Red"})
>>> facets = table.count(np.array([0, 1]))
>>> facets["category"][0]["value"], facets["category"][0]["count"], facets["price"][0]
('A', 2, {'value': '0-50', 'min': 0.0, 'max': 50.0, 'count': 1})
"""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

import numpy as np

from shopmind.search.documents import category_path

#: Price range edges of the price facet.
PRICE_EDGES = (0.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0)
MAX_VALUES = 20
MAX_ATTRIBUTE_KEYS = 8


def _tree(counts: Counter[tuple[str, ...]], prefix: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    children = [(path, n) for path, n in counts.items() if len(path) == len(prefix) + 1 and path[:-1] == prefix]
    children.sort(key=lambda kv: (-kv[1], kv[0]))
    return [{"value": path[-1], "path": " > ".join(path), "count": n, "children": _tree(counts, path)}
            for path, n in children[:MAX_VALUES]]


class FacetColumns:
    """Per-document facet values, by document id (rows are overwritten when a document id is reused)."""

    def __init__(self) -> None:
        self.category: list[tuple[str, ...]] = []
        self.brand: list[str | None] = []
        self.price = np.zeros(0, dtype=np.float64)
        self.attributes: list[dict[str, str]] = []

    def set(self, doc: int, category: Any, brand: str | None, price: float | None, attributes: dict[str, str]) -> None:
        while len(self.category) <= doc:
            self.category.append(())
            self.brand.append(None)
            self.attributes.append({})
        if len(self.price) <= doc:
            grown = np.full(max(doc + 1, 2 * len(self.price), 1024), np.nan)
            grown[: len(self.price)] = self.price
            self.price = grown
        self.category[doc] = tuple(category_path(category))
        self.brand[doc] = brand
        self.price[doc] = np.nan if price is None else float(price)
        self.attributes[doc] = attributes

    def count(self, docs: np.ndarray) -> dict[str, Any]:
        """Facet counts over the documents ``docs``."""
        ids = docs.tolist()
        cats: Counter[tuple[str, ...]] = Counter()
        for d in ids:
            path = self.category[d]
            for k in range(1, len(path) + 1):
                cats[path[:k]] += 1
        brands = Counter(b for d in ids if (b := self.brand[d]))
        prices = self.price[docs] if len(docs) else np.empty(0)
        prices = prices[~np.isnan(prices)]
        ranges = []
        edges = [*PRICE_EDGES, np.inf]
        for lo, hi in itertools.pairwise(edges):
            n = int(((prices >= lo) & (prices < hi)).sum())
            if n:
                label = f"{lo:g}-{hi:g}" if np.isfinite(hi) else f"{lo:g}+"
                ranges.append({"value": label, "min": lo, "max": None if not np.isfinite(hi) else hi, "count": n})
        attrs: dict[str, Counter[str]] = {}
        for d in ids:
            for k, v in self.attributes[d].items():
                attrs.setdefault(k, Counter())[v] += 1
        keys = sorted(attrs, key=lambda k: -sum(attrs[k].values()))[:MAX_ATTRIBUTE_KEYS]
        return {
            "category": _tree(cats),
            "brand": [{"value": b, "count": n} for b, n in brands.most_common(MAX_VALUES)],
            "price": ranges,
            "attributes": {k: [{"value": v, "count": n} for v, n in attrs[k].most_common(MAX_VALUES)]
                           for k in keys},
        }
