"""Loaded model versions: each model with its translation to catalog indices, swapped atomically.

A :class:`ModelBundle` is everything the pipeline needs from one trained model, prepared before it goes
live: the model, the arrays translating its item indices to catalog indices and back, unit item vectors
for diversity (when the model has them), the table of each item's nearest neighbours (or, for models
whose similarity is not the cosine of their item vectors, a small cache of ``similar_items`` answers),
for factor models the item vectors laid out for a fast scoring pass, and a cache of recent users' model
candidates. Everything a request reads is prepared here, once per version: no request does more than one
pass over the catalog.

:class:`ModelVersions` keeps the active bundle and a few previous ones. Activating a version is one
reference assignment, so a request that already picked up a bundle finishes with it and the next request
gets the new one - no request fails or mixes two models. ``rollback()`` re-activates the previous one.
"""

from __future__ import annotations

import copy
import logging
import threading
import uuid
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

import numpy as np

from shopmind.data.catalog import Catalog
from shopmind.errors import ShopmindError
from shopmind.models.base import Recommender
from shopmind.pipeline.ann import ItemIndex
from shopmind.pipeline.neighbours import NeighbourTable, build_neighbours, top_positions
from shopmind.training.scores import unit_rows

logger = logging.getLogger(__name__)


def bounded_top(vector: np.ndarray, reach: float, rows: np.ndarray, norms: np.ndarray, hidden: np.ndarray,
                k: int) -> tuple[np.ndarray, np.ndarray, int]:
    """The top-``k`` columns of ``vector @ rows`` (``rows``: ``[d, n]`` item vectors in decreasing order of
    ``norms``; ``reach``: the norm of ``vector``), ``hidden`` columns left out: positions and scores, best
    first, and how many columns were read.

    The columns are scored in growing chunks, stopping once no column left can reach the ``k``-th score:
    a score is at most ``reach * norm`` (Cauchy-Schwarz), so the answer is exact, and the long tail of
    short vectors (rarely bought items) is never read. On the ``bench-serve`` catalog a fifth of the
    vectors is read - the memory traffic that bounded a whole request.
    """
    n = len(norms)
    scores = np.empty(n, np.float32)
    done, end = 0, min(n, max(4096, 64 * k))
    while True:
        np.matmul(vector, rows[:, done:end], out=scores[done:end])
        scores[hidden[hidden < end]] = -np.inf
        pos = top_positions(scores[:end], k)
        if end == n:
            break
        kth = float(scores[pos[-1]]) if len(pos) == k else -np.inf
        # a margin over the float32 rounding of the products: whatever is left scores below the k-th
        if np.isfinite(kth) and reach * float(norms[end]) * (1 + 1e-4) + 1e-6 < kth:
            break
        done, end = end, min(n, 2 * end)
    return pos, scores[pos], end


class ModelBundle:
    """One trained model ready to serve (see the module docs).

    Prepared once per version, so that a request does at most one pass over the item vectors:

    - ``neighbours``: for a model whose ``similar_items`` is the cosine of its item vectors, the table of
      every item's ``neighbours`` nearest items (:mod:`shopmind.pipeline.neighbours`), read by
      :meth:`similar` and :meth:`similar_block` instead of a pass over all item vectors per anchor;
    - for a factor model (scores are user vector x item vectors), the item vectors transposed into
      contiguous ``[d, n_items]`` rows in decreasing order of norm, so that a user's top-k is a fast
      matrix-vector product over the few long vectors that can make it (:meth:`_linear_top`);
    - the model candidates (:meth:`recommend`) of the ``user_cache_size`` most recent users.
    """

    def __init__(self, model: Recommender, catalog: Catalog, *, version: str | None = None,
                 source: str = "memory", similar_cache_size: int = 20_000, neighbours: int = 50,
                 user_cache_size: int = 20_000, retrieval: str = "exact") -> None:
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
            self.unit_vectors = unit_rows(vectors)
        self.supports_similar = self._probe_similar()
        #: Precomputed nearest neighbours (model indices), when the model's similarity is the cosine.
        self.neighbours: NeighbourTable | None = None
        if (self.unit_vectors is not None and self.supports_similar
                and type(model).similar_items is Recommender.similar_items):
            self.neighbours = build_neighbours(self.unit_vectors, neighbours)
        self._prepare_linear(model)
        #: Approximate top-k index over a factor model's item vectors (``retrieval`` "hnsw" or "ivf": catalogs
        #: of millions); None: exact (:meth:`_linear_top`).
        self.ann: ItemIndex | None = None
        if retrieval != "exact" and self._user_vectors is not None:
            self.ann = ItemIndex.build(self._item_rows.T, retrieval)
        self._similar_cache: OrderedDict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._cache_size = similar_cache_size
        # (user, k) -> the model's top-k (catalog indices as int32, scores as float32), most recent last
        self._user_cache: OrderedDict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._user_cache_size = user_cache_size
        #: (user id, session version, k) -> top-k from the live fold-in vector (:meth:`recommend_live`)
        self._live_cache: OrderedDict[tuple[str, int, int], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self.live_fold_in = bool(getattr(model, "live_fold_in", False)) and self._user_vectors is not None
        self._lock = threading.Lock()

    def _probe_similar(self) -> bool:
        if self.model.n_items_ == 0:
            return False
        try:
            self.model.similar_items(0, 1)
        except (ShopmindError, NotImplementedError):
            return False
        return True

    def _prepare_linear(self, model: Recommender) -> None:
        """For a factor model whose scores are exactly user vector x item vectors (checked on one user):
        the user vectors and their norms, and the item vectors that have a direction as contiguous
        ``[d, n]`` rows in decreasing order of norm (see :meth:`_linear_top`; items whose vector is zero -
        no training interactions - score 0 for everyone and are left out)."""
        self._user_vectors: np.ndarray | None = None
        self._user_norms = np.empty(0)
        self._item_rows = np.empty((0, 0), np.float32)
        self._row_norms = np.empty(0)  # decreasing
        self._scored = np.empty(0, np.int64)  # model index of each row
        self._row_of = np.empty(0, np.int64)  # row of each model index, -1 for zero vectors
        factors = model.linear_factors()
        if factors is None or model.n_users_ == 0 or model.n_items_ == 0:
            return
        users, items = factors
        users = np.asarray(users, dtype=np.float32)
        items = np.asarray(items, dtype=np.float32)
        if not np.allclose(users[0] @ items.T, model.score(np.array([0]))[0], rtol=1e-4, atol=1e-5):
            return
        norms = np.linalg.norm(items.astype(np.float64), axis=1)
        order = np.argsort(-norms, kind="stable")  # equal norms keep the model's order
        self._scored = order[norms[order] > 0]
        self._row_norms = norms[self._scored]
        self._row_of = np.full(len(items), -1, np.int64)
        self._row_of[self._scored] = np.arange(len(self._scored))
        self._item_rows = np.ascontiguousarray(items[self._scored].T)
        self._user_norms = np.linalg.norm(users.astype(np.float64), axis=1)
        self._user_vectors = users

    def _linear_top(self, vector: np.ndarray, reach: float, k: int, history: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
        """Rows and scores of a factor model's top-``k`` for a user ``vector`` (norm ``reach``), the
        ``history`` (model indices) left out (:func:`bounded_top`); equal scores come lower model index
        first."""
        hidden = self._row_of[history]
        pos, top, _read = bounded_top(vector, reach, self._item_rows, self._row_norms, hidden[hidden >= 0], k)
        order = np.lexsort((self._scored[pos], -top))
        return pos[order], top[order]

    def _ann_top(self, index: ItemIndex, vector: np.ndarray, k: int, history: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`_linear_top` from an approximate ``index``: the history is left out of ``k + len(history)``."""
        hidden = self._row_of[history]
        hidden = hidden[hidden >= 0]
        rows, top = index.search(vector, k + len(hidden))
        rows, top = rows[0], top[0]
        keep = (rows >= 0) & ~np.isin(rows, hidden)
        return rows[keep][:k], top[keep][:k]

    def _vector_top(self, vector: np.ndarray, reach: float, k: int, history: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Catalog indices and scores of the top-``k`` of a factor model's user vector, or None when items
        without a vector (they score 0) could have made it and the caller must score densely."""
        if self.ann is not None:
            pos, top = self._ann_top(self.ann, vector, k, history)
        else:
            pos, top = self._linear_top(vector, reach, k, history)
        ok = np.isfinite(top)
        pos, top = pos[ok], top[ok]
        # items left out score exactly 0: the answer stands unless they would have made the top-k
        if len(self._scored) == self.model.n_items_ or (len(top) == k and top[-1] > 0):
            return self.m2c[self._scored[pos]], top.astype(np.float64)
        return None

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

        Same ranking as ``model.recommend(user, N=k)`` (score, mask the history, top-k). A factor model
        scores with matrix-vector products over the item vectors that can make the top-k
        (:meth:`_linear_top`). Otherwise, when
        the scores are sparse - item-kNN scores only the neighbours of the history - the top-k runs over
        the non-zero scores instead of the whole catalog, and zero-score filler is not proposed at all.

        The answer depends on nothing but the version and the user (live events act later, through
        exclusions and anchors), so the answers of the ``user_cache_size`` most recent users are kept.
        """
        key = (user, k)
        hit = self._user_cache.get(key)
        if hit is not None:
            with self._lock:
                if key in self._user_cache:
                    self._user_cache.move_to_end(key)
            return hit[0].astype(np.int64), hit[1].astype(np.float64)
        ids, scores = self._recommend(user, k)
        if self._user_cache_size > 0:
            with self._lock:
                self._user_cache[key] = (ids.astype(np.int32), scores.astype(np.float32))
                while len(self._user_cache) > self._user_cache_size:
                    self._user_cache.popitem(last=False)
        return ids, scores

    def _recommend(self, user: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        seen = self.model.seen_
        history = seen.indices[seen.indptr[user]:seen.indptr[user + 1]]
        if self._user_vectors is not None:
            found = self._vector_top(self._user_vectors[user], float(self._user_norms[user]), k, history)
            if found is not None:
                return found
        scores = self.model.score(np.array([user], dtype=np.int64))[0].astype(np.float32, copy=True)
        return self._top_of_scores(scores, history, k)

    def _top_of_scores(self, scores: np.ndarray, history: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        scores[history] = -np.inf
        if self._user_vectors is not None or np.count_nonzero(scores) > len(scores) // 4:
            pos = top_positions(scores, k)  # dense scores (factor models): one partial sort over the catalog
        else:
            pool = np.flatnonzero((scores != 0) & np.isfinite(scores))
            pos = pool[top_positions(scores[pool], k)]
        top = scores[pos]
        ok = np.isfinite(top)
        return self.m2c[pos[ok]], top[ok].astype(np.float64)

    def recommend_live(self, user: int, user_id: str, live: np.ndarray, version: int, k: int
                       ) -> tuple[np.ndarray, np.ndarray] | None:
        """Top-``k`` catalog indices and scores from a user vector folded in from the training history
        (``user``: model index, -1 for a user the model was not trained on) plus the ``live`` session's
        items (catalog indices, oldest first), all of them left out; None when the model cannot fold in
        cheaply (``live_fold_in``) or knows none of the live items.

        This is how an acknowledged event moves the user's own vector at once, and how a shopper the
        model has never seen gets model candidates from their first events. Answers are cached per
        (user, session ``version``, ``k``): a new event is a new version.
        """
        if not self.live_fold_in or self._user_vectors is None:
            return None
        new = self.model_index(live)
        new = new[new >= 0]
        if len(new) == 0:
            return None
        key = (user_id, version, k)
        hit = self._live_cache.get(key)
        if hit is not None:
            return hit[0].astype(np.int64), hit[1].astype(np.float64)
        vector = np.asarray(self.model.live_vector(user, new), dtype=np.float32)  # type: ignore[attr-defined]
        seen = self.model.seen_
        history = seen.indices[seen.indptr[user]:seen.indptr[user + 1]] if user >= 0 else np.empty(0, np.int64)
        history = np.union1d(history, new)
        found = self._vector_top(vector, float(np.linalg.norm(vector.astype(np.float64))), k, history)
        if found is None:
            scores = (vector @ np.asarray(self.model.item_vectors(), dtype=np.float32).T).astype(np.float32)
            found = self._top_of_scores(scores, history, k)
        with self._lock:
            self._live_cache[key] = (found[0].astype(np.int32), found[1].astype(np.float32))
            while len(self._live_cache) > self._user_cache_size:
                self._live_cache.popitem(last=False)
        return found

    def scores_for(self, user: int, catalog_idx: np.ndarray) -> np.ndarray:
        """Model scores of ``user`` for catalog items (NaN where the model does not know the item)."""
        m = self.model_index(catalog_idx)
        out = np.full(len(m), np.nan)
        known = m >= 0
        if known.any():
            if self._user_vectors is not None:
                rows = self._row_of[m[known]]
                values = np.zeros(len(rows))
                values[rows >= 0] = self._user_vectors[user] @ self._item_rows[:, rows[rows >= 0]]
                out[known] = values
            else:
                out[known] = self.model.score(np.array([user]))[0][m[known]]
        return out

    def similar(self, catalog_idx: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Up to ``k`` catalog indices most similar to an item according to the model: a row of the
        neighbour table, else the model's ``similar_items`` (cached)."""
        m = int(self.c2m[catalog_idx]) if 0 <= catalog_idx < len(self.c2m) else -1
        if m < 0 or not self.supports_similar:
            return np.empty(0, np.int64), np.empty(0, np.float64)
        table = self.neighbours
        if table is not None and k <= table.k:
            ids, scores = table.row(m, k)
            return self.m2c[ids], scores
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

    def similar_block(self, catalog_idx: list[int], k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`similar` for several items, as rows padded to ``k``: catalog indices ``[len(catalog_idx),
        k]``, scores (float64) and the number of real entries in each row (rows of the neighbour table are
        read in one gather)."""
        table = self.neighbours
        if table is None or k > table.k or not self.supports_similar:
            ids = np.zeros((len(catalog_idx), k), np.int64)
            scores = np.zeros((len(catalog_idx), k))
            counts = np.zeros(len(catalog_idx), np.int64)
            for r, c in enumerate(catalog_idx):
                got, sc = self.similar(c, k)
                counts[r] = len(got)
                ids[r, : len(got)], scores[r, : len(got)] = got, sc
            return ids, scores, counts
        m = self.model_index(np.asarray(catalog_idx, dtype=np.int64))
        rows = np.maximum(m, 0)
        counts = np.where(m >= 0, np.minimum(table.counts[rows], k), 0)
        ids = self.m2c[np.maximum(table.ids[rows, :k], 0)]  # padding (-1) lies past each row's count
        return ids, table.scores[rows, :k].astype(np.float64), counts

    def drop_user_cache(self) -> None:
        """Forget the cached model candidates (a version that stops serving keeps no per-user memory;
        its cache refills if it is activated again)."""
        with self._lock:
            self._user_cache.clear()
            self._live_cache.clear()

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
            previous = self._active
            self._history = [b for b in self._history if b.version != bundle.version]
            self._history.append(bundle)
            if len(self._history) > self.keep:
                self._history = self._history[-self.keep:]
            self._active = bundle
        if previous is not None and previous is not bundle:
            previous.drop_user_cache()
        logger.info("model %s (%s) is now active", bundle.version, bundle.name)
        return bundle

    def get(self, version: str) -> ModelBundle:
        """A loaded version without activating it (an experiment's variant serves it to its users)."""
        for b in self._history:
            if b.version == version:
                return b
        known = ", ".join(b.version for b in self._history) or "none"
        raise ShopmindError(f"unknown model version {version!r}; loaded versions: {known}")

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
        current.drop_user_cache()
        logger.info("rolled back from %s to %s", current.version, bundle.version)
        return bundle

    def forget_users(self, user_ids: list[str], catalog: Catalog, *, neighbours: int = 50,
                     user_cache_size: int = 20_000) -> list[dict[str, Any]]:
        """Remove users from every loaded version: each model that knows any of them is copied, the copy forgets
        them (:meth:`Recommender.forget_users`) and a bundle prepared from it replaces the old one under the same
        version name - requests in flight finish on the old bundle, the next ones get the new one. Returns
        ``{"version", "action"}`` per version (``exact``, ``user_removed`` or ``not_in_model``)."""
        out: list[dict[str, Any]] = []
        for bundle in list(self._history):
            known = np.array([bundle.model.users_.get(u, -1) for u in user_ids], dtype=np.int64)
            known = known[known >= 0]
            bundle.drop_user_cache()
            if len(known) == 0:
                out.append({"version": bundle.version, "action": "not_in_model"})
                continue
            model = copy.deepcopy(bundle.model)
            action = model.forget_users(known)
            fresh = ModelBundle(model, catalog, version=bundle.version, source=bundle.source,
                                neighbours=neighbours, user_cache_size=user_cache_size)
            with self._lock:
                self._history = [fresh if b is bundle else b for b in self._history]
                if self._active is bundle:
                    self._active = fresh
            out.append({"version": bundle.version, "action": action})
        return out

    def bundles(self) -> list[ModelBundle]:
        """The loaded bundles, oldest first."""
        return list(self._history)

    def list(self) -> list[dict[str, Any]]:
        """Loaded versions, oldest first, with ``active`` set on the serving one."""
        active = self._active.version if self._active else None
        return [{**b.info(), "active": b.version == active} for b in self._history]
