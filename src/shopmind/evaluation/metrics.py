"""Ranking metrics as free functions over top-K lists and per-user target sets.

Per-user functions return one value per user so that bootstrap intervals and paired tests can use them.
``topk`` is an int array ``[n_users, K]`` of item ids (``-1`` = empty slot); ``targets`` is a list of
integer arrays, one per row of ``topk``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _hits(topk: np.ndarray, targets: Sequence[np.ndarray], k: int) -> np.ndarray:
    """Boolean ``[n_users, k]``: is the item at each rank one of the user's targets."""
    top = topk[:, :k]
    out = np.zeros(top.shape, dtype=bool)
    single = all(len(t) == 1 for t in targets)
    if single and len(targets):
        tgt = np.array([t[0] for t in targets])
        return top == tgt[:, None]
    for u, t in enumerate(targets):
        out[u] = np.isin(top[u], t) & (top[u] >= 0)
    return out


def hit_rate(topk: np.ndarray, targets: Sequence[np.ndarray], k: int) -> np.ndarray:
    """1 if any target is in the top-k, else 0."""
    return _hits(topk, targets, k).any(axis=1).astype(np.float64)


def recall(topk: np.ndarray, targets: Sequence[np.ndarray], k: int) -> np.ndarray:
    """Share of the user's targets found in the top-k."""
    n_t = np.array([max(1, len(t)) for t in targets], dtype=np.float64)
    return _hits(topk, targets, k).sum(axis=1) / n_t


def precision(topk: np.ndarray, targets: Sequence[np.ndarray], k: int) -> np.ndarray:
    """Share of the k slots that are targets."""
    return _hits(topk, targets, k).sum(axis=1) / float(k)


def ndcg(topk: np.ndarray, targets: Sequence[np.ndarray], k: int) -> np.ndarray:
    """Binary-relevance NDCG@k: DCG = sum over hits of 1/log2(rank+1), normalised by the ideal DCG."""
    hits = _hits(topk, targets, k)
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (hits * disc[: hits.shape[1]]).sum(axis=1)
    n_rel = np.array([min(len(t), k) for t in targets])
    idcg = np.cumsum(disc)[np.maximum(n_rel, 1) - 1]
    return np.where(n_rel > 0, dcg / idcg, 0.0)


def mrr(topk: np.ndarray, targets: Sequence[np.ndarray], k: int) -> np.ndarray:
    """Reciprocal rank of the first target within the top-k (0 if none)."""
    hits = _hits(topk, targets, k)
    first = hits.argmax(axis=1)
    return np.where(hits.any(axis=1), 1.0 / (first + 1), 0.0)


def average_precision(topk: np.ndarray, targets: Sequence[np.ndarray], k: int) -> np.ndarray:
    """AP@k = sum over hit ranks of precision@rank, divided by min(#targets, k)."""
    hits = _hits(topk, targets, k).astype(np.float64)
    prec_at = np.cumsum(hits, axis=1) / np.arange(1, hits.shape[1] + 1)
    n_rel = np.array([min(len(t), k) for t in targets], dtype=np.float64)
    return np.where(n_rel > 0, (prec_at * hits).sum(axis=1) / np.maximum(n_rel, 1), 0.0)


def item_coverage(topk: np.ndarray, n_items: int, k: int) -> float:
    """Share of the catalog that appears in at least one user's top-k."""
    top = topk[:, :k]
    return float(len(np.unique(top[top >= 0])) / max(1, n_items))


def exposure_gini(topk: np.ndarray, n_items: int, k: int) -> float:
    """Gini coefficient of how often each catalog item is shown in the top-k lists (0 = equal exposure,
    1 = all exposure on one item)."""
    top = topk[:, :k]
    counts = np.sort(np.bincount(top[top >= 0], minlength=n_items).astype(np.float64))
    n = len(counts)
    if n == 0 or counts.sum() == 0:
        return 0.0
    idx = np.arange(1, n + 1)
    return float((2 * idx - n - 1).dot(counts) / (n * counts.sum()))


def novelty(topk: np.ndarray, item_popularity: np.ndarray, n_users: int, k: int) -> np.ndarray:
    """Mean self-information -log2(p(i)) of recommended items, p(i) = share of users who interacted
    with i (unseen items get the count 1 to stay finite)."""
    top = topk[:, :k]
    p = np.maximum(item_popularity, 1) / max(1, n_users)
    info = -np.log2(p)
    vals = np.where(top >= 0, info[np.maximum(top, 0)], np.nan)
    return np.nan_to_num(np.nanmean(vals, axis=1))


def intra_list_diversity(topk: np.ndarray, item_vectors: np.ndarray, k: int) -> np.ndarray:
    """Mean pairwise cosine distance between the items of each list (needs >= 2 items)."""
    top = topk[:, :k]
    v = item_vectors / (np.linalg.norm(item_vectors, axis=1, keepdims=True) + 1e-12)
    out = np.zeros(len(top))
    for u, row in enumerate(top):
        row = row[row >= 0]
        if len(row) < 2:
            continue
        s = v[row] @ v[row].T
        m = len(row)
        out[u] = 1.0 - (s.sum() - np.trace(s)) / (m * (m - 1))
    return out
