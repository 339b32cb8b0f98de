"""Loaded model versions: each model with its translation to catalog indices, swapped atomically.

A :class:`ModelBundle` is everything the pipeline needs from one trained model, prepared before it goes
live: the model, the arrays translating its item indices to catalog indices and back, unit item vectors
for diversity (when the model has them) and a small cache of ``similar_items`` answers.

:class:`ModelVersions` keeps the active bundle and a few previous ones. Activating a version is one
reference assignment, so a request that already picked up a bundle finishes with it and the next request
gets the new one - no request fails or mixes two models. ``rollback()`` re-activates the previous one.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

import numpy as np

from shopmind.errors import ShopmindError
from shopmind.models.base import Recommender, top_k
from shopmind.pipeline.catalog import Catalog

logger = logging.getLogger(__name__)


class ModelBundle:
    """One trained model ready to serve (see the module docs)."""

    def __init__(self, model: Recommender, catalog: Catalog, *, version: str | None = None,
                 source: str = "memory", similar_cache_size: int = 20_000) -> None:
        model._check_fitted()
        self.model = model
        self.version = version or f"{model.name}-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:4]}"
        self.source = source
        self.loaded_at = datetime.now(UTC).isoformat(timespec="seconds")
        # every item the model knows is recommendable, catalog row or not
        self.m2c = catalog.list_ids(model.items_.raw_ids).astype(np.int64)
        self.c2m = np.full(len(catalog), -1, dtype=np.int64)
        self.c2m[self.m2c] = np.arange(len(self.m2c))
        vectors = model.item_vectors()
        self.unit_vectors: np.ndarray | None = None
        if vectors is not None:
            vecs = np.asarray(vectors, dtype=np.float32)
            self.unit_vectors = vecs / (np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-12)
        self.supports_similar = self._probe_similar()
        self._similar_cache: OrderedDict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._cache_size = similar_cache_size
        self._lock = threading.Lock()

    def _probe_similar(self) -> bool:
        if self.model.n_items_ == 0:
            return False
        try:
            self.model.similar_items(0, 1)
        except (ShopmindError, NotImplementedError):
            return False
        return True

    @property
    def name(self) -> str:
        return self.model.name

    def model_index(self, catalog_idx: np.ndarray) -> np.ndarray:
        """Model item index of each catalog index (-1 when the model does not know the item)."""
        idx = np.asarray(catalog_idx, dtype=np.int64)
        out = np.full(len(idx), -1, dtype=np.int64)
        inside = idx < len(self.c2m)
        out[inside] = self.c2m[idx[inside]]
        return out

    def user_index(self, user_id: str) -> int:
        """The model's index of ``user_id``, or -1 for a user it was not trained on."""
        return self.model.users_.get(user_id, -1)

    def recommend(self, user: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` catalog indices and scores for a known user, training history filtered.

        Same ranking as ``model.recommend(user, N=k)`` (score, mask the history, top-k), but when the scores
        are sparse - item-kNN scores only the neighbours of the history - the top-k runs over the non-zero
        scores instead of the whole catalog, and zero-score filler is not proposed at all.
        """
        scores = self.model.score(np.array([user], dtype=np.int64))[0].astype(np.float32, copy=True)
        seen = self.model.seen_
        scores[seen.indices[seen.indptr[user]:seen.indptr[user + 1]]] = -np.inf
        nonzero = np.count_nonzero(scores)
        if nonzero > len(scores) // 4:  # dense scores (factor models): one partial sort over the catalog
            pos, top = top_k(scores[None, :], min(k, len(scores)))
            ok = (pos[0] >= 0) & np.isfinite(top[0])
            return self.m2c[pos[0][ok]], top[0][ok].astype(np.float64)
        pool = np.flatnonzero((scores != 0) & np.isfinite(scores))
        if len(pool) == 0:
            return np.empty(0, np.int64), np.empty(0, np.float64)
        pos, top = top_k(scores[pool][None, :], min(k, len(pool)))
        ok = pos[0] >= 0
        return self.m2c[pool[pos[0][ok]]], top[0][ok].astype(np.float64)

    def scores_for(self, user: int, catalog_idx: np.ndarray) -> np.ndarray:
        """Model scores of ``user`` for catalog items (NaN where the model does not know the item)."""
        m = self.model_index(catalog_idx)
        out = np.full(len(m), np.nan)
        known = m >= 0
        if known.any():
            row = self.model.score(np.array([user]))[0]
            out[known] = row[m[known]]
        return out

    def similar(self, catalog_idx: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Up to ``k`` catalog indices most similar to an item according to the model (cached)."""
        m = int(self.model_index(np.array([catalog_idx]))[0])
        if m < 0 or not self.supports_similar:
            return np.empty(0, np.int64), np.empty(0, np.float64)
        key = (m, k)
        hit = self._similar_cache.get(key)
        if hit is None:
            ids, scores = self.model.similar_items(m, N=min(k, max(1, self.model.n_items_ - 1)))
            ok = (ids >= 0) & np.isfinite(scores)
            hit = (self.m2c[ids[ok]], scores[ok].astype(np.float64))
            with self._lock:
                self._similar_cache[key] = hit
                if len(self._similar_cache) > self._cache_size:
                    self._similar_cache.popitem(last=False)
        return hit

    def similar_many(self, catalog_idx: list[int], k: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """:meth:`similar` for several items; the cache misses of a cosine model are answered by one matrix
        product (one pass over the item vectors instead of one per item: the catalog-size cost of a
        request with several anchors)."""
        out: list[tuple[np.ndarray, np.ndarray] | None] = [None] * len(catalog_idx)
        misses: list[tuple[int, int]] = []
        batchable = (self.unit_vectors is not None and self.supports_similar
                     and type(self.model).similar_items is Recommender.similar_items)
        for pos, c in enumerate(catalog_idx):
            m = int(self.model_index(np.array([c]))[0])
            hit = self._similar_cache.get((m, k)) if m >= 0 else None
            if hit is not None or m < 0 or not batchable:
                out[pos] = hit if hit is not None else self.similar(c, k)
            else:
                misses.append((pos, m))
        if misses:
            assert self.unit_vectors is not None
            rows = np.array([m for _, m in misses])
            sims = self.unit_vectors[rows] @ self.unit_vectors.T
            sims[np.arange(len(rows)), rows] = -np.inf
            ids, scores = top_k(sims, min(k, max(1, self.model.n_items_ - 1)))
            with self._lock:
                for (pos, m), i, s in zip(misses, ids, scores, strict=True):
                    ok = (i >= 0) & np.isfinite(s)
                    hit = (self.m2c[i[ok]], s[ok].astype(np.float64))
                    out[pos] = hit
                    self._similar_cache[(m, k)] = hit
                while len(self._similar_cache) > self._cache_size:
                    self._similar_cache.popitem(last=False)
        return [o if o is not None else (np.empty(0, np.int64), np.empty(0)) for o in out]

    def info(self) -> dict[str, Any]:
        fit = getattr(self.model, "fit_info_", {})
        return {"version": self.version, "model": self.name, "source": self.source, "loaded_at": self.loaded_at,
                "items": int(self.model.n_items_), "users": int(self.model.n_users_),
                "trained_at": fit.get("trained_at")}


class ModelVersions:
    """The active model bundle plus up to ``keep`` previous ones, for rollback."""

    def __init__(self, keep: int = 5) -> None:
        self.keep = keep
        self._history: list[ModelBundle] = []
        self._active: ModelBundle | None = None
        self._lock = threading.Lock()

    @property
    def active(self) -> ModelBundle | None:
        return self._active

    def activate(self, bundle: ModelBundle) -> ModelBundle:
        """Make ``bundle`` the active version (a single reference swap)."""
        with self._lock:
            self._history = [b for b in self._history if b.version != bundle.version]
            self._history.append(bundle)
            if len(self._history) > self.keep:
                self._history = self._history[-self.keep:]
            self._active = bundle
        logger.info("model %s (%s) is now active", bundle.version, bundle.name)
        return bundle

    def activate_version(self, version: str) -> ModelBundle:
        for b in self._history:
            if b.version == version:
                return self.activate(b)
        known = ", ".join(b.version for b in self._history) or "none"
        raise ShopmindError(f"unknown model version {version!r}; loaded versions: {known}")

    def rollback(self) -> ModelBundle:
        """Re-activate the version that was active before the current one."""
        with self._lock:
            if len(self._history) < 2:
                raise ShopmindError("no previous model version to roll back to")
            current = self._history.pop()
            self._history.insert(0, current)
            self._active = self._history[-1]
            bundle = self._active
        logger.info("rolled back from %s to %s", current.version, bundle.version)
        return bundle

    def list(self) -> list[dict[str, Any]]:
        """Loaded versions, oldest first, with ``active`` set on the serving one."""
        active = self._active.version if self._active else None
        return [{**b.info(), "active": b.version == active} for b in self._history]
