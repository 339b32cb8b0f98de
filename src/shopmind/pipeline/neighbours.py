"""Nearest-neighbour table of a model's item vectors, built once per model version.

Anchored candidates ("because you viewed X") need each anchor's most similar items. Answering that per
request is a pass over every item vector per anchor - at 100,000 items that alone cost several
milliseconds a request - so a :class:`~shopmind.pipeline.versions.ModelBundle` builds the table of every
item's ``k`` nearest neighbours (cosine of unit item vectors) when the version is loaded, and a request
reads rows of it.

Up to ``exact_limit`` items the table is exact (the same top-k as ``Recommender.similar_items``: best
first, ties to the lower index), built by blocked matrix products. Above it an exact table costs
O(n^2) (about two minutes at 100,000 items on one core), so it is built with faiss' inverted-file index
instead (:class:`~shopmind.pipeline.ann.ItemIndex`): k-means splits the items into about sqrt(n) cells,
and each item is compared with the members of the ``probe`` cells whose centroids are nearest to it
(see :func:`recall` for how much of the exact table it finds).

>>> from shopmind.training.scores import unit_rows
>>> rng = np.random.default_rng(0)
>>> unit = unit_rows(rng.standard_normal((50, 8)).astype(np.float32))
>>> table = build_neighbours(unit, 5)
>>> ids, scores = table.row(3, 5)
>>> bool(np.all(np.diff(scores) <= 0)) and 3 not in ids.tolist()
True
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import cast

import numpy as np

from shopmind.pipeline.ann import ItemIndex
from shopmind.training.scores import top_k

logger = logging.getLogger(__name__)

#: Up to this many items the table is exact; above, it is built with the inverted-file index.
EXACT_LIMIT = 20_000
#: Entries of one similarity block (rows x columns) while building: bounds the memory of a build.
_BLOCK_ENTRIES = 1 << 23


def top_positions(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` largest entries of a 1-d array (no NaN), best first, ties to the lower
    position (also at the cut: of several entries equal to the k-th largest, the first ones are kept).

    Over a long array (a request's scores of the whole catalog) the ``k``-th largest value is first
    bounded from below on a strided sample, so that the selection runs over the few entries above the
    bound instead of the whole array (exact: when fewer than ``k`` entries pass the bound, it falls back to
    the whole array).

    >>> top_positions(np.array([0.5, 2.0, 1.0, 2.0, 1.0], np.float32), 3).tolist()
    [1, 3, 2]
    """
    n = len(scores)
    k = min(k, n)
    if k <= 0:
        return np.empty(0, np.int64)
    step = 16
    if n >= 64 * k and n >= 4096:
        sample = scores[::step]
        m = min(len(sample), 2 * k // step + 1)  # ~2k entries of the whole array are expected above the bound
        bound = np.partition(sample, len(sample) - m)[len(sample) - m]
        above = np.flatnonzero(scores >= bound)
        if len(above) >= k:
            return _top_of(scores, above, k)
    return _top_of(scores, np.arange(n), k)


def top_inner_product(queries: np.ndarray, items_t: np.ndarray, k: int, block: int | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-``k`` items by inner product for a batch of ``queries`` ``[b, d]`` against ``items_t``
    ``[d, n]`` (item vectors as contiguous columns): indices and scores ``[b, k]``, best first.

    The items are scored in blocks of ``block`` columns that stay in cache, keeping a running top-k per
    query: a block is only searched for the queries whose best score in it beats their current k-th
    best, which after the first blocks is almost none. On 1,000,000 x 64 vectors this costs about 1.1 ms
    per query in batches of 256 on this 2-core machine (faiss' flat index: 0.9 ms), where scoring the
    whole catalog first and partitioning every row costs 5-7 ms (the ``[b, n]`` score matrix does not fit
    in any cache).
    """
    q = np.ascontiguousarray(queries, dtype=np.float32)
    b, n = len(q), items_t.shape[1]
    k = min(k, n)
    if b == 0 or k <= 0:
        return np.empty((b, 0), np.int64), np.empty((b, 0), np.float32)
    block = block or (2048 if b >= 128 else 4096)
    first = min(n, max(block, 4 * k))
    scores = q @ items_t[:, :first]
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    best_s = np.take_along_axis(scores, part, 1)
    best_i = part.astype(np.int64)
    kth = best_s.min(axis=1)
    buf = np.empty((b, block), np.float32)
    for start in range(first, n, block):
        stop = min(n, start + block)
        blk = buf[:, : stop - start]
        np.matmul(q, items_t[:, start:stop], out=blk)
        hot = np.flatnonzero(blk.max(axis=1) > kth)
        if len(hot) == 0:
            continue
        sub = blk[hot]
        m = min(k, stop - start)
        p = np.argpartition(-sub, m - 1, axis=1)[:, :m]
        cand_s = np.concatenate([best_s[hot], np.take_along_axis(sub, p, 1)], axis=1)
        cand_i = np.concatenate([best_i[hot], p + start], axis=1)
        keep = np.argpartition(-cand_s, k - 1, axis=1)[:, :k]
        best_s[hot] = np.take_along_axis(cand_s, keep, 1)
        best_i[hot] = np.take_along_axis(cand_i, keep, 1)
        kth[hot] = best_s[hot].min(axis=1)
    order = np.argsort(-best_s, axis=1, kind="stable")
    return np.take_along_axis(best_i, order, 1), np.take_along_axis(best_s, order, 1)


def _top_of(scores: np.ndarray, positions: np.ndarray, k: int) -> np.ndarray:
    """:func:`top_positions` among ``positions`` (ascending, at least ``k`` of them)."""
    values = scores[positions]
    if k < len(positions):
        kth = np.partition(values, len(values) - k)[len(values) - k]
        above = values > kth
        ties = np.flatnonzero(values == kth)[: k - int(above.sum())]  # the lowest positions equal to the k-th
        above[ties] = True
        positions, values = positions[above], values[above]
    return positions[np.lexsort((positions, -values))]


@dataclass(frozen=True)
class NeighbourTable:
    """The ``k`` nearest neighbours of every item: ``ids[i]`` (model indices, best first, -1 padding) and
    their cosine ``scores[i]`` (-inf padding); ``counts[i]`` of them are real. ``exact`` says whether the
    table is exact."""

    ids: np.ndarray
    scores: np.ndarray
    exact: bool
    counts: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))

    def __post_init__(self) -> None:
        if len(self.counts) != len(self.ids):
            object.__setattr__(self, "counts", (self.ids >= 0).sum(axis=1))

    @property
    def k(self) -> int:
        return int(self.ids.shape[1])

    def row(self, item: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Up to ``k`` (<= :attr:`k`) neighbours of model item ``item``: ids (int64) and scores (float64)."""
        k = min(k, int(self.counts[item]))  # real neighbours come first
        return self.ids[item, :k].astype(np.int64), self.scores[item, :k].astype(np.float64)


def build_neighbours(unit: np.ndarray, k: int, *, exact_limit: int = EXACT_LIMIT, probe: int = 8,
                     seed: int = 0) -> NeighbourTable:
    """The neighbour table of unit item vectors ``unit`` (``[n, d]``), ``k`` per item (see the module docs).

    Items whose vector is zero (a factor model's items without interactions) have no direction: they get
    no neighbours and are nobody's neighbour (every cosine with them is 0, a tie with no meaning).
    """
    unit = np.ascontiguousarray(unit, dtype=np.float32)
    n = len(unit)
    t0 = time.perf_counter()
    valid = np.flatnonzero(np.einsum("ij,ij->i", unit, unit) > 1e-6)
    k = max(0, min(k, len(valid) - 1))
    ids = np.full((n, k), -1, np.int32)
    scores = np.full((n, k), -np.inf, np.float32)
    exact = len(valid) <= exact_limit
    if k > 0:
        sub = unit[valid]
        found, top = _exact(sub, k) if exact else _inverted_file(sub, k, probe, seed)
        ids[valid] = np.where(found >= 0, valid[np.maximum(found, 0)], -1)
        scores[valid] = top
    logger.info("neighbour table: %d items (%d with a vector) x %d, %s, in %.1fs", n, len(valid), k,
                "exact" if exact else "approximate", time.perf_counter() - t0)
    return NeighbourTable(ids, scores, exact)


def _exact(unit: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    n = len(unit)
    ids = np.empty((n, k), np.int32)
    scores = np.empty((n, k), np.float32)
    transposed = np.ascontiguousarray(unit.T)
    step = max(1, _BLOCK_ENTRIES // n)
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        sims = unit[lo:hi] @ transposed
        sims[np.arange(hi - lo), np.arange(lo, hi)] = -np.inf
        ids[lo:hi], scores[lo:hi] = top_k(sims, k)
    return ids, scores


def _inverted_file(unit: np.ndarray, k: int, probe: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """faiss' inverted file (:class:`~shopmind.pipeline.ann.ItemIndex` ``"ivf"``: k-means cells, about
    sqrt(n) of them), each item searched in its ``probe`` nearest cells; an item is never its own neighbour."""
    n = len(unit)
    clusters = int(np.clip(round(np.sqrt(n)), 1, n))
    index = ItemIndex.build(unit, "ivf", nlist=clusters, nprobe=min(probe, clusters), seed=seed)
    ids = np.full((n, k), -1, np.int64)
    scores = np.full((n, k), -np.inf, np.float32)
    step = max(1, _BLOCK_ENTRIES // (64 * (k + 1)))
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        found, top = index.search(unit[lo:hi], k + 1)
        top = np.where(found < 0, -np.inf, top).astype(np.float32)
        top[found == np.arange(lo, hi)[:, None]] = -np.inf  # never an item's own neighbour
        keep = _unsorted_top(top, k)
        ids[lo:hi] = np.take_along_axis(found, keep, axis=1)
        scores[lo:hi] = np.take_along_axis(top, keep, axis=1)
    order = np.lexsort((ids, -scores), axis=1)  # best first, ties to the lower index
    scores = np.take_along_axis(scores, order, axis=1)
    ids = np.where(np.isneginf(scores), -1, np.take_along_axis(ids, order, axis=1))
    return ids.astype(np.int32), scores


def _unsorted_top(scores: np.ndarray, k: int) -> np.ndarray:
    """Column positions of the ``k`` largest entries of each row, in no particular order (all columns
    when there are no more than ``k``)."""
    m = scores.shape[1]
    if m <= k:
        return np.broadcast_to(np.arange(m), scores.shape)
    return np.argpartition(scores, m - k, axis=1)[:, m - k:]


def recall(table: NeighbourTable, unit: np.ndarray, sample: int = 500, seed: int = 0) -> float:
    """Share of the exact ``table.k`` nearest neighbours that ``table`` holds, over a sample of the items
    that have neighbours (``unit`` as given to :func:`build_neighbours`)."""
    has = np.flatnonzero(table.ids[:, 0] >= 0) if table.k else np.empty(0, np.int64)
    if len(has) == 0:
        return 1.0
    rows = np.random.default_rng(seed).choice(has, min(sample, len(has)), replace=False)
    sims = unit[rows] @ unit[has].T
    sims[has[None, :] == rows[:, None]] = -np.inf
    exact = has[top_k(sims, table.k)[0]]
    hits = sum(len(np.intersect1d(e, t[t >= 0])) for e, t in zip(exact, table.ids[rows], strict=True))
    return cast("float", hits / exact.size)
