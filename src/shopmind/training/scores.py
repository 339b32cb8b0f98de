"""Operations on score matrices ``[users, items]``: top-k, hiding seen items, per-user standardisation and
unit-length rows for cosine geometry.

Shared by the models (``recommend``, blends), the evaluation protocol and the serving pipeline, so that a
list ranked offline and a list served online break ties the same way.

>>> ids, scores = top_k(np.array([[0.1, 0.9, 0.5]], dtype=np.float32), 2)
>>> ids.tolist()
[[1, 2]]
"""

from __future__ import annotations

from typing import Protocol, cast

import numpy as np
import scipy.sparse as sp


class Scorer(Protocol):
    """Anything that scores all items for dense user indices (every recommender does)."""

    def score(self, users: np.ndarray) -> np.ndarray:
        """Scores ``[len(users), n_items]``, higher is better."""
        ...


def mask_seen(scores: np.ndarray, seen: sp.csr_matrix, users: np.ndarray) -> None:
    """Set the scores of items in each user's history to -inf (in place)."""
    sub = seen[users]
    rows = np.repeat(np.arange(len(users)), np.diff(sub.indptr))
    scores[rows, sub.indices] = -np.inf


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise top-k (descending) of a 2-d score array; -inf entries come back as id -1.

    Ties are broken by the lower item index so results are deterministic.
    """
    n = scores.shape[1]
    k_eff = min(k, n)
    part = np.argpartition(-scores, k_eff - 1, axis=1)[:, :k_eff] if k_eff < n else \
        np.tile(np.arange(n), (scores.shape[0], 1))
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -part_scores), axis=1)
    ids = np.take_along_axis(part, order, axis=1)
    vals = np.take_along_axis(part_scores, order, axis=1)
    ids = np.where(np.isneginf(vals), -1, ids)
    if k_eff < k:
        pad = k - k_eff
        ids = np.pad(ids, ((0, 0), (0, pad)), constant_values=-1)
        vals = np.pad(vals, ((0, 0), (0, pad)), constant_values=-np.inf)
    return ids.astype(np.int64), vals.astype(np.float32)


def standardise(scores: np.ndarray) -> np.ndarray:
    """Each row to zero mean and unit variance (float32 copy): scores of different models on one scale,
    for blending.

    >>> standardise(np.array([[1.0, 3.0]])).tolist()
    [[-1.0, 1.0]]
    """
    s = np.asarray(scores, dtype=np.float32).copy()
    s -= s.mean(axis=1, keepdims=True)
    s /= s.std(axis=1, keepdims=True) + 1e-8
    return s


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Row-normalised float32 copy of ``vectors`` (zero rows stay zero): the cosine geometry of
    ``similar_items`` and of the serving pipeline's neighbour tables."""
    vecs = np.asarray(vectors, dtype=np.float32)
    return cast("np.ndarray", vecs / (np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-12))


_UNIT_CACHE: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def cached_unit_rows(vecs: np.ndarray) -> np.ndarray:
    """:func:`unit_rows` of ``vecs``, cached per array: ``similar_items`` is called for every anchor of every
    request, and re-normalising a 100k-row matrix each time cost more than the product itself."""
    key = id(vecs)
    hit = _UNIT_CACHE.get(key)
    if hit is not None and hit[0] is vecs:
        return hit[1]
    unit = unit_rows(vecs)
    if len(_UNIT_CACHE) > 16:
        _UNIT_CACHE.clear()
    _UNIT_CACHE[key] = (vecs, unit)
    return unit
