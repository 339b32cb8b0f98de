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
    """Per-document facet values, by document id (rows are overwritten when a document id is reused).

    Every value is kept as an integer code (category path prefixes, brands, attribute key/value pairs), so
    counting a result set of any size is a few ``numpy.bincount`` calls, not a loop over its documents.
    Ties keep the order of first appearance in ``docs`` (as counting them one by one would)."""

    def __init__(self) -> None:
        self._paths: dict[tuple[str, ...], int] = {}
        self._path_of: list[tuple[str, ...]] = []
        self._brands: dict[str, int] = {}
        self._brand_of: list[str] = []
        self._pairs: dict[tuple[str, str], int] = {}
        self._pair_of: list[tuple[str, str]] = []
        self._pair_key_list: list[int] = []  # the key code of each pair
        self._pair_key = np.zeros(0, dtype=np.int64)
        self._keys: dict[str, int] = {}
        self._key_of: list[str] = []
        self.cat_codes = np.full((0, 1), -1, dtype=np.int32)  # per doc: the code of each path prefix
        self.brand_codes = np.full(0, -1, dtype=np.int32)
        self.attr_codes = np.full((0, 1), -1, dtype=np.int32)  # per doc: its attribute pairs
        self.price = np.zeros(0, dtype=np.float64)

    @staticmethod
    def _code(table: dict[Any, int], values: list[Any], value: Any) -> int:
        code = table.get(value)
        if code is None:
            code = table[value] = len(values)
            values.append(value)
        return code

    def _grow(self, doc: int) -> None:
        if doc < len(self.brand_codes):
            return
        size = max(doc + 1, 2 * len(self.brand_codes), 1024)
        extra = size - len(self.brand_codes)
        self.cat_codes = np.vstack([self.cat_codes, np.full((extra, self.cat_codes.shape[1]), -1, np.int32)])
        self.attr_codes = np.vstack([self.attr_codes, np.full((extra, self.attr_codes.shape[1]), -1, np.int32)])
        self.brand_codes = np.concatenate([self.brand_codes, np.full(extra, -1, np.int32)])
        self.price = np.concatenate([self.price, np.full(extra, np.nan)])

    @staticmethod
    def _widen(codes: np.ndarray, width: int) -> np.ndarray:
        if width <= codes.shape[1]:
            return codes
        return np.hstack([codes, np.full((len(codes), width - codes.shape[1]), -1, np.int32)])

    def set(self, doc: int, category: Any, brand: str | None, price: float | None, attributes: dict[str, str]) -> None:
        self._grow(doc)
        path = tuple(category_path(category))
        cats = [self._code(self._paths, self._path_of, path[:k]) for k in range(1, len(path) + 1)]
        pairs = []
        for k, v in attributes.items():
            pair = self._code(self._pairs, self._pair_of, (k, v))
            if pair == len(self._pair_key_list):
                self._pair_key_list.append(self._code(self._keys, self._key_of, k))
            pairs.append(pair)
        self.cat_codes = self._widen(self.cat_codes, len(cats))
        self.attr_codes = self._widen(self.attr_codes, len(pairs))
        self.cat_codes[doc] = -1
        self.cat_codes[doc, : len(cats)] = cats
        self.attr_codes[doc] = -1
        self.attr_codes[doc, : len(pairs)] = pairs
        self.brand_codes[doc] = self._code(self._brands, self._brand_of, brand) if brand else -1
        self.price[doc] = np.nan if price is None else float(price)

    @staticmethod
    def _counted(codes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The codes present in ``codes`` (a flat array in document order, -1 = none), their counts and the
        position of their first appearance (among the codes >= 0), by code. One pass over the codes (no sort):
        ``size`` (> every code) is the number of codes known, a few hundred at most."""
        codes = codes[codes >= 0]
        if not len(codes):
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
        counts = np.bincount(codes, minlength=size)
        present = np.flatnonzero(counts)
        first = np.full(len(counts), len(codes), dtype=np.int64)
        np.minimum.at(first, codes, np.arange(len(codes), dtype=np.int64))
        return present, counts[present], first[present]

    @staticmethod
    def _ranked(present: np.ndarray, counts: np.ndarray, first: np.ndarray, limit: int | None
                ) -> list[tuple[int, int]]:
        order = np.lexsort((first, -counts))[:limit]
        return [(int(present[i]), int(counts[i])) for i in order]

    def count(self, docs: np.ndarray) -> dict[str, Any]:
        """Facet counts over the documents ``docs``."""
        docs = np.asarray(docs, dtype=np.int64)
        cat_flat = self.cat_codes[docs].ravel()
        cat_flat = cat_flat[cat_flat >= 0]
        cat_counts = np.bincount(cat_flat, minlength=len(self._path_of))
        present = np.flatnonzero(cat_counts)  # the tree orders paths by count and name: no first appearance
        cats = Counter({self._path_of[c]: int(n) for c, n in zip(present.tolist(), cat_counts[present].tolist(),
                                                                  strict=True)})
        brands = self._ranked(*self._counted(self.brand_codes[docs], len(self._brand_of)), MAX_VALUES)
        # price ranges [lo, hi): the prices >= lo less those >= hi (NaN and infinite prices are in none)
        prices = self.price[docs]
        prices = prices[prices < np.inf]
        at_least = [int(np.count_nonzero(prices >= lo)) for lo in PRICE_EDGES] + [0]
        ranges = []
        edges = [*PRICE_EDGES, np.inf]
        for i, (lo, hi) in enumerate(itertools.pairwise(edges)):
            n = at_least[i] - at_least[i + 1]
            if n:
                label = f"{lo:g}-{hi:g}" if np.isfinite(hi) else f"{lo:g}+"
                ranges.append({"value": label, "min": lo, "max": None if not np.isfinite(hi) else hi, "count": n})
        # attributes: keys by their documents' total count (ties: first seen), then each key's values
        if len(self._pair_key) != len(self._pair_key_list):
            self._pair_key = np.array(self._pair_key_list, dtype=np.int64)
        flat = self.attr_codes[docs].ravel()
        pairs, pair_counts, pair_first = self._counted(flat, len(self._pair_of))
        keys = self._pair_key[pairs] if len(pairs) else np.zeros(0, np.int64)
        key_totals = np.bincount(keys, weights=pair_counts, minlength=len(self._key_of)) if len(keys) else None
        key_first: dict[int, int] = {}
        for k, f in zip(keys.tolist(), pair_first.tolist(), strict=True):
            key_first[k] = min(f, key_first.get(k, f))
        top_keys = sorted(key_first, key=lambda k: (-key_totals[k], key_first[k]))[:MAX_ATTRIBUTE_KEYS] \
            if key_totals is not None else []
        attributes = {}
        for k in top_keys:
            mine = keys == k
            ranked = self._ranked(pairs[mine], pair_counts[mine], pair_first[mine], MAX_VALUES)
            attributes[self._key_of[k]] = [{"value": self._pair_of[p][1], "count": n} for p, n in ranked]
        return {
            "category": _tree(cats),
            "brand": [{"value": self._brand_of[b], "count": n} for b, n in brands],
            "price": ranges,
            "attributes": attributes,
        }
