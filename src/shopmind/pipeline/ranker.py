"""The ranking stage of the live service: score the best merged candidates with a CTR ranker.

A ranker numbers users, items, categories and brands the way its training catalog did; the serving
catalog numbers them its own way (and grows while serving). :class:`RankerBundle` keeps translation arrays
from serving codes to training codes, extended incrementally as the catalog grows (indices never change).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from shopmind.data.catalog import Catalog
from shopmind.data.signals import ItemSignals
from shopmind.pipeline.candidates import Candidates, rescale
from shopmind.ranking.features import FIELDS, Context, UserProfile, dense_features, sparse_fields
from shopmind.ranking.models import Ranker

_ITEM, _CAT, _BRAND = FIELDS.index("item"), FIELDS.index("category"), FIELDS.index("brand")


class RankerBundle:
    """A fitted :class:`Ranker` plus the code translations for one serving catalog."""

    def __init__(self, ranker: Ranker, source: str = "memory") -> None:
        self.ranker = ranker
        self.source = source
        self._lock = threading.Lock()
        self._item = np.empty(0, np.int64)
        self._cat = np.empty(0, np.int64)
        self._brand = np.empty(0, np.int64)
        self._cat_index = {tuple(p): i for i, p in enumerate(ranker.category_paths_)}
        self._brand_index = {b: i for i, b in enumerate(ranker.brand_labels_)}

    def info(self) -> dict[str, Any]:
        r = self.ranker
        return {"ranker": r.name, "target": getattr(r, "target_", None), "source": self.source,
                "params": r.get_params()}

    def _sync(self, catalog: Catalog) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        item, cat, brand = self._item, self._cat, self._brand
        if len(item) == len(catalog) and len(cat) == len(catalog.category_paths) \
                and len(brand) == len(catalog.brand_labels):
            return item, cat, brand
        with self._lock:
            r = self.ranker
            if len(self._item) < len(catalog):
                new = [catalog.raw(i) for i in range(len(self._item), len(catalog))]
                self._item = np.concatenate([self._item, r.item_ids_.indices(new, missing="skip")])
            paths = catalog.category_paths
            if len(self._cat) < len(paths):
                extra = [self._cat_index.get(tuple(p), -1) for p in paths[len(self._cat):]]
                self._cat = np.concatenate([self._cat, np.asarray(extra, np.int64)])
            labels = catalog.brand_labels
            if len(self._brand) < len(labels):
                extra = [self._brand_index.get(b.lower(), -1) for b in labels[len(self._brand):]]
                self._brand = np.concatenate([self._brand, np.asarray(extra, np.int64)])
            return self._item, self._cat, self._brand

    def probabilities(self, catalog: Catalog, signals: ItemSignals, user_id: str | None, seen: np.ndarray,
                      items: np.ndarray, context: Mapping[str, Any] | None = None) -> np.ndarray:
        """Calibrated probabilities for ``items`` (serving catalog indices) shown to ``user_id`` now."""
        ctx = Context.from_mapping({**(context or {}), "position": None}, hour=time.gmtime().tm_hour)
        profile = UserProfile.build(catalog, seen)
        dense = dense_features(catalog, signals, profile, items, ctx)
        user_code = self.ranker.user_ids_.get(str(user_id), -1) if user_id is not None else -1
        fields = sparse_fields(catalog, user_code, items, ctx)

        def translate(col: int, table: np.ndarray) -> None:
            raw = fields[:, col]
            ok = (raw >= 0) & (raw < len(table))
            fields[:, col] = np.where(ok, table[np.clip(raw, 0, max(len(table) - 1, 0))] if len(table) else -1, -1)

        if self.ranker.uses_ids:
            item_map, cat_map, brand_map = self._sync(catalog)
            translate(_ITEM, item_map)
            translate(_CAT, cat_map)
            translate(_BRAND, brand_map)
        return self.ranker.predict_proba(dense, fields)

    def rank(self, cands: Candidates, catalog: Catalog, signals: ItemSignals, user_id: str | None,
             seen: np.ndarray, context: Mapping[str, Any] | None, top: int, weight: float) -> Candidates:
        """Re-score the ``top`` best candidates: ``(1 - weight) * merged + weight * rescaled probability``;
        the others keep ``(1 - weight) * merged`` (so they stay below)."""
        if len(cands) == 0 or weight <= 0:
            return cands
        order = np.argsort(-cands.scores, kind="stable")[:top]
        p = self.probabilities(catalog, signals, user_id, seen, cands.ids[order], context)
        scores = (1.0 - weight) * cands.scores / max(float(cands.scores.max()), 1e-12)
        scores[order] += weight * rescale(p)
        return Candidates(cands.ids, scores, cands.sources, cands.anchors)
