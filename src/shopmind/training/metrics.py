"""Ranking metrics as free functions over top-K lists and per-user target sets.

Per-user functions return one value per user so that bootstrap intervals and paired tests can use them.
``topk`` is an int array ``[n_users, K]`` of item ids (``-1`` = empty slot); ``targets`` is a list of
integer arrays, one per row of ``topk``. Relevance is binary: a user's relevant set is the set of distinct
items in their targets (an item bought twice counts once). Asking for ``k`` larger than ``K`` uses the
``K`` columns there are; ``precision`` still divides by ``k`` slots.

>>> import numpy as np
>>> topk = np.array([[3, 1, 2]])
>>> float(hit_rate(topk, [np.array([1])], 2)[0]), float(mrr(topk, [np.array([1])], 3)[0])
(1.0, 0.5)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np

from shopmind.errors import check_int


def _check_k(fn: str, topk: np.ndarray, k: int) -> np.ndarray:
    check_int(fn, "k", int(k) if isinstance(k, np.integer) else k, low=1)
    top = np.asarray(topk)
    if top.ndim != 2:
        raise ValueError(f"{fn}: topk must be a 2-d array [n_users, K], got shape {top.shape}")
    return top[:, :k]


def _n_relevant(targets: Sequence[np.ndarray]) -> np.ndarray:
    """Number of distinct target items of each user."""
    return np.array([len(np.unique(t)) for t in targets], dtype=np.int64)


def _hits(topk: np.ndarray, targets: Sequence[np.ndarray], k: int, fn: str = "metric") -> np.ndarray:
    """Boolean ``[n_users, k]``: is the item at each rank one of the user's targets."""
    top = _check_k(fn, topk, k)
    if len(targets) != len(top):
        raise ValueError(f"{fn}: {len(targets)} target sets for {len(top)} top-k rows")
    if len(targets) and all(len(t) == 1 for t in targets):
        tgt = np.array([t[0] for t in targets], dtype=np.int64)
        return cast("np.ndarray", (top == tgt[:, None]) & (top >= 0))
    out = np.zeros(top.shape, dtype=bool)
    for u, t in enumerate(targets):
        out[u] = np.isin(top[u], t) & (top[u] >= 0)
    return out


def hit_rate(topk: np.ndarray, targets: Sequence[np.ndarray], k: int) -> np.ndarray:
    """HR@k: 1 if any target is in the top-k, else 0.

    >>> hit_rate(np.array([[5, 7]]), [np.array([7])], 1).tolist()
    [0.0]
    """
    return np.asarray(_hits(topk, targets, k, "hit_rate").any(axis=1), dtype=np.float64)


def recall(topk: np.ndarray, targets: Sequence[np.ndarray], k: int) -> np.ndarray:
    """Recall@k: share of the user's distinct targets found in the top-k (0 for a user without targets).

    >>> recall(np.array([[1, 2, 3]]), [np.array([1, 9])], 3).tolist()
    [0.5]
    """
    n_rel = _n_relevant(targets).astype(np.float64)
    found = _hits(topk, targets, k, "recall").sum(axis=1)
    return np.where(n_rel > 0, found / np.maximum(n_rel, 1.0), 0.0)


def precision(topk: np.ndarray, targets: Sequence[np.ndarray], k: int) -> np.ndarray:
    """Precision@k: share of the ``k`` slots that hold a target.

    >>> precision(np.array([[1, 2, 3, 4]]), [np.array([1, 9])], 4).tolist()
    [0.25]
    """
    return cast("np.ndarray", _hits(topk, targets, k, "precision").sum(axis=1) / float(k))


def ndcg(topk: np.ndarray, targets: Sequence[np.ndarray], k: int) -> np.ndarray:
    """Binary-relevance NDCG@k.

    DCG = sum over hit ranks r (1-based) of 1/log2(r+1); the ideal DCG places ``min(#targets, k)`` hits at
    the top ranks.

    >>> round(float(ndcg(np.array([[4, 1]]), [np.array([1])], 2)[0]), 4)  # 1/log2(3)
    0.6309
    """
    hits = _hits(topk, targets, k, "ndcg")
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (hits * disc[: hits.shape[1]]).sum(axis=1)
    n_rel = np.minimum(_n_relevant(targets), k)
    idcg = np.cumsum(disc)[np.maximum(n_rel, 1) - 1]
    return np.where(n_rel > 0, dcg / idcg, 0.0)


def mrr(topk: np.ndarray, targets: Sequence[np.ndarray], k: int) -> np.ndarray:
    """MRR@k: reciprocal rank of the first target within the top-k (0 if none).

    >>> mrr(np.array([[4, 5, 1]]), [np.array([1])], 3).tolist()
    [0.3333333333333333]
    """
    hits = _hits(topk, targets, k, "mrr")
    first = hits.argmax(axis=1)
    return np.where(hits.any(axis=1), 1.0 / (first + 1), 0.0)


def average_precision(topk: np.ndarray, targets: Sequence[np.ndarray], k: int) -> np.ndarray:
    """AP@k = sum over hit ranks of precision@rank, divided by ``min(#targets, k)`` (MAP@k is its mean).

    >>> average_precision(np.array([[1, 5, 2]]), [np.array([1, 2])], 3).tolist()  # (1/1 + 2/3) / 2
    [0.8333333333333333]
    """
    hits = _hits(topk, targets, k, "average_precision").astype(np.float64)
    prec_at = np.cumsum(hits, axis=1) / np.arange(1, hits.shape[1] + 1)
    n_rel = np.minimum(_n_relevant(targets), k).astype(np.float64)
    return np.where(n_rel > 0, (prec_at * hits).sum(axis=1) / np.maximum(n_rel, 1.0), 0.0)


def exposure_counts(topk: np.ndarray, n_items: int, k: int) -> np.ndarray:
    """How many top-k lists each catalog item appears in (length ``n_items``).

    >>> exposure_counts(np.array([[0, 2], [2, -1]]), 3, 2).tolist()
    [1, 0, 2]
    """
    top = _check_k("exposure_counts", topk, k)
    return np.bincount(top[top >= 0].ravel(), minlength=n_items)


def item_coverage(topk: np.ndarray, n_items: int, k: int) -> float:
    """Share of the catalog that appears in at least one user's top-k.

    >>> item_coverage(np.array([[0, 2], [2, -1]]), 4, 2)
    0.5
    """
    top = _check_k("item_coverage", topk, k)
    return float(len(np.unique(top[top >= 0])) / max(1, n_items))


def exposure_gini(topk: np.ndarray, n_items: int, k: int) -> float:
    """Gini coefficient of how often each catalog item is shown in the top-k lists.

    0 means every item is shown equally often; all exposure on one item gives ``(n_items - 1) / n_items``
    (the usual sample Gini, which tends to 1 for large catalogs).

    >>> round(exposure_gini(np.array([[0, 1], [1, 2]]), 3, 2), 4)  # counts 1, 2, 1
    0.1667
    """
    return gini(exposure_counts(topk, n_items, k))


def gini(counts: np.ndarray) -> float:
    """Sample Gini coefficient of non-negative counts (0 for an empty or all-zero vector).

    >>> gini(np.array([0, 0, 0, 3]))
    0.75
    """
    c = np.sort(np.asarray(counts, dtype=np.float64))
    n = len(c)
    if n == 0 or c.sum() == 0:
        return 0.0
    idx = np.arange(1, n + 1)
    return float((2 * idx - n - 1).dot(c) / (n * c.sum()))


def novelty(topk: np.ndarray, item_popularity: np.ndarray, n_users: int, k: int) -> np.ndarray:
    """Mean self-information ``-log2 p(i)`` of the recommended items of each list.

    ``p(i)`` is the share of the ``n_users`` training users who interacted with ``i``
    (``item_popularity`` must count distinct users, not events); items never seen get the count 1 to stay
    finite, and ``p`` is capped at 1. An empty list has novelty 0.

    >>> novelty(np.array([[0, 1]]), np.array([4, 1]), 4, 2).tolist()  # (log2(4/4) + log2(4/1)) / 2
    [1.0]
    """
    top = _check_k("novelty", topk, k)
    pop = np.asarray(item_popularity, dtype=np.float64)
    p = np.minimum(np.maximum(pop, 1.0) / max(1, n_users), 1.0)
    info = -np.log2(p)
    valid = top >= 0
    vals = np.where(valid, info[np.maximum(top, 0)], 0.0)
    n = valid.sum(axis=1)
    return np.where(n > 0, vals.sum(axis=1) / np.maximum(n, 1), 0.0)


def intra_list_diversity(topk: np.ndarray, item_vectors: np.ndarray, k: int) -> np.ndarray:
    """Mean pairwise cosine distance ``1 - cos(v_i, v_j)`` between the items of each list.

    Lists with fewer than two items get 0.

    >>> vecs = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    >>> intra_list_diversity(np.array([[0, 1], [0, 2]]), vecs, 2).tolist()
    [1.0, 0.0]
    """
    top = _check_k("intra_list_diversity", topk, k)
    vecs = np.asarray(item_vectors, dtype=np.float64)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    v = vecs / np.where(norms > 0, norms, 1.0)  # a zero vector is at distance 1 from everything
    out = np.zeros(len(top))
    for u, row in enumerate(top):
        items = row[row >= 0]
        if len(items) < 2:
            continue
        s = v[items] @ v[items].T
        m = len(items)
        out[u] = 1.0 - (s.sum() - np.trace(s)) / (m * (m - 1))
    return out


def held_out_ndcg(scores: np.ndarray, targets: np.ndarray, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Per-row NDCG@k and hit@k of one held-out target item per row of a full score matrix.

    The target's rank counts every item scored at least as high as it (ties count against the target, so a
    model that scores everything alike gets nothing); a target scored -inf (e.g. masked as already seen)
    is a miss. This is the early-stopping metric of the torch models (see
    :class:`shopmind.training.loop.HeldOutItems`); it needs no top-k list, only the target's score.

    >>> s = np.array([[0.9, 0.5, 0.1], [0.2, 0.2, 0.7]])
    >>> gain, hit = held_out_ndcg(s, np.array([1, 0]), k=2)
    >>> gain.round(4).tolist(), hit.tolist()  # rank 1 -> 1/log2(3); rank 2 (a tie with item 1) -> miss
    ([0.6309, 0.0], [True, False])
    """
    s = np.asarray(scores)
    t = np.asarray(targets, dtype=np.int64)
    ts = s[np.arange(len(t)), t]
    rank = (s >= ts[:, None]).sum(axis=1) - 1
    hit = (rank < k) & np.isfinite(ts)
    return np.where(hit, 1.0 / np.log2(rank + 2.0), 0.0), hit
