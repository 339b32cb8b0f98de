"""Facet counts by integer codes equal counting the documents one by one (ties in first-seen order)."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from typing import Any

import numpy as np

from shopmind.search.documents import category_path
from shopmind.search.facets import MAX_ATTRIBUTE_KEYS, MAX_VALUES, PRICE_EDGES, FacetColumns, _tree


def _reference(rows: dict[int, tuple[Any, str | None, float | None, dict[str, str]]], docs: list[int]) -> dict:
    """The facets of ``docs`` counted one document at a time (the plain definition)."""
    cats: Counter[tuple[str, ...]] = Counter()
    for d in docs:
        path = tuple(category_path(rows[d][0]))
        for k in range(1, len(path) + 1):
            cats[path[:k]] += 1
    brands = Counter(b for d in docs if (b := rows[d][1]))
    prices = np.array([p for d in docs if (p := rows[d][2]) is not None], dtype=float)
    ranges = []
    for lo, hi in itertools.pairwise([*PRICE_EDGES, np.inf]):
        n = int(((prices >= lo) & (prices < hi)).sum())
        if n:
            ranges.append({"value": f"{lo:g}-{hi:g}" if np.isfinite(hi) else f"{lo:g}+", "min": lo,
                           "max": None if not np.isfinite(hi) else hi, "count": n})
    attrs: dict[str, Counter[str]] = {}
    for d in docs:
        for k, v in rows[d][3].items():
            attrs.setdefault(k, Counter())[v] += 1
    keys = sorted(attrs, key=lambda k: -sum(attrs[k].values()))[:MAX_ATTRIBUTE_KEYS]
    return {"category": _tree(cats), "brand": [{"value": b, "count": n} for b, n in brands.most_common(MAX_VALUES)],
            "price": ranges,
            "attributes": {k: [{"value": v, "count": n} for v, n in attrs[k].most_common(MAX_VALUES)] for k in keys}}


def test_facets_by_codes_equal_counting_one_document_at_a_time() -> None:
    rng = np.random.default_rng(7)
    cats = ["A > B > C", "A > B", "A > D", "E", "E > F > G > H", "", "鞋 > 跑步鞋"]
    table = FacetColumns()
    rows: dict[int, tuple[Any, str | None, float | None, dict[str, str]]] = {}
    for step in range(3000):
        doc = int(rng.integers(0, 900))  # ids are reused: a row is overwritten, wider or narrower
        n_attr = int(rng.integers(0, 12))
        attrs = {f"k{int(rng.integers(0, 14))}": f"v{int(rng.integers(0, 30))}" for _ in range(n_attr)}
        brand = [None, "", "acme", "Brand B", "品牌"][int(rng.integers(0, 5))] if step % 7 else f"b{step}"
        price = None if rng.random() < 0.1 else float(rng.choice([0, 49.99, 50, 120, 999, 5000, 12_000, -5, np.inf]))
        rows[doc] = (cats[int(rng.integers(0, len(cats)))], brand, price, attrs)
        table.set(doc, *rows[doc])
    ids = sorted(rows)
    for size in (0, 1, 5, 60, len(ids)):
        docs = [ids[int(i)] for i in rng.permutation(len(ids))[:size]]
        facets = table.count(np.array(docs, dtype=np.int64))
        assert facets == _reference(rows, docs), size
        assert json.loads(json.dumps(facets)) == facets  # plain Python values: an API response serialises them
