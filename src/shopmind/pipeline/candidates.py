"""Candidate generation: several sources, each candidate tagged with the source that produced it.

Sources (names as they appear in responses):

- ``model``: the trained model's top-N for a user it knows;
- ``similar``: items similar to the user's most recent items (the model's ``similar_items`` and
  "viewed together" co-occurrence), each remembering the item it is similar to - the anchor of
  "because you viewed X";
- ``trending``: most weighted events in a sliding window (24 h by default);
- ``new``: newest items by ``created_at``;
- ``popular``: most weighted events of all time (the cold-start backbone);
- ``segment``: the most popular items of the user's segment - the shoppers of the root category the user
  engages with most (the share of the user's recent items in it sets the weight).

Each source's scores are rescaled to [0.1, 1] and multiplied by the source weight; an item proposed by
several sources gets the sum, and is labelled with the source that contributed most.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np

from shopmind.data.catalog import Catalog
from shopmind.data.signals import ItemSignals
from shopmind.pipeline.cooccurrence import CoOccurrence
from shopmind.pipeline.versions import ModelBundle

#: Every source name, by code (the last three are assigned by the re-ranker; ``bought_together`` serves the
#: item endpoint of that name).
SOURCES = ("model", "similar", "bought_together", "trending", "new", "popular", "pinned", "promoted",
           "exploration", "segment")
SOURCE_CODE = {name: code for code, name in enumerate(SOURCES)}


@dataclass
class Candidates:
    """Merged candidates: catalog index, score, source code and anchor (catalog index or -1)."""

    ids: np.ndarray
    scores: np.ndarray
    sources: np.ndarray
    anchors: np.ndarray

    @classmethod
    def empty(cls) -> Candidates:
        return cls(np.empty(0, np.int64), np.empty(0), np.empty(0, np.int8), np.empty(0, np.int64))

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, sel: np.ndarray | slice) -> Candidates:
        """The candidates at ``sel`` (positions, a mask or a slice)."""
        return Candidates(self.ids[sel], self.scores[sel], self.sources[sel], self.anchors[sel])


def rescale(scores: np.ndarray) -> np.ndarray:
    """Min-max rescaling into [0.1, 1] (all equal -> 1)."""
    scores = np.asarray(scores, dtype=np.float64)
    if len(scores) == 0:
        return scores
    lo, hi = scores.min(), scores.max()
    if not np.isfinite(lo) or not np.isfinite(hi) or hi - lo < 1e-12:
        return np.ones(len(scores))
    return cast("np.ndarray", 0.1 + 0.9 * (scores - lo) / (hi - lo))


def member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """``np.isin(values, sorted_set)`` for an ascending ``sorted_set`` (duplicates allowed): one binary
    search instead of ``isin``'s set machinery, which dominates on the small arrays of one request.

    >>> member(np.array([3, 5, 9]), np.array([1, 5, 5, 7])).tolist()
    [False, True, False]
    """
    if len(sorted_set) == 0 or len(values) == 0:
        return np.zeros(len(values), dtype=bool)
    pos = np.searchsorted(sorted_set, values)
    return cast("np.ndarray", sorted_set[np.minimum(pos, len(sorted_set) - 1)] == values)


class CandidateMerger:
    """Collects ``(ids, scores)`` from sources and merges them (see the module docs)."""

    def __init__(self) -> None:
        self._ids: list[np.ndarray] = []
        self._contrib: list[np.ndarray] = []
        self._sources: list[np.ndarray] = []
        self._anchors: list[np.ndarray] = []

    def add(self, source: str, ids: np.ndarray, scores: np.ndarray, weight: float,
            anchors: np.ndarray | None = None, *, rescaled: bool = False) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) == 0 or weight <= 0:
            return
        self._ids.append(ids)
        self._contrib.append(weight * (np.asarray(scores, np.float64) if rescaled else rescale(scores)))
        self._sources.append(np.full(len(ids), SOURCE_CODE[source], dtype=np.int8))
        self._anchors.append(np.full(len(ids), -1, np.int64) if anchors is None else np.asarray(anchors, np.int64))

    def add_entries(self, entries: Candidates) -> None:
        """Add entries collected by another merger (:meth:`entries`), e.g. a cached block of sources."""
        if len(entries):
            self._ids.append(entries.ids)
            self._contrib.append(entries.scores)
            self._sources.append(entries.sources)
            self._anchors.append(entries.anchors)

    def entries(self) -> Candidates:
        """Everything added so far, not merged: one entry per source proposal, scored by its weighted
        contribution."""
        if not self._ids:
            return Candidates.empty()
        return Candidates(np.concatenate(self._ids), np.concatenate(self._contrib), np.concatenate(self._sources),
                          np.concatenate(self._anchors))

    def merge(self) -> Candidates:
        """One candidate per item, sorted by catalog index (see the module docs)."""
        if not self._ids:
            return Candidates.empty()
        ids = np.concatenate(self._ids)
        contrib = np.concatenate(self._contrib)
        order = np.lexsort((-contrib, ids))  # by item; the entry contributing most first (ties: added first)
        ids, contrib = ids[order], contrib[order]
        sources = np.concatenate(self._sources)[order]
        anchors = np.concatenate(self._anchors)[order]
        first = np.flatnonzero(np.concatenate([[True], ids[1:] != ids[:-1]]))
        total = np.add.reduceat(contrib, first)
        # the best entry with an anchor names the anchor
        anchored = np.where(anchors >= 0, np.arange(len(ids)), len(ids))
        best_anchored = np.minimum.reduceat(anchored, first)
        anchor = np.where(best_anchored < len(ids), anchors[np.minimum(best_anchored, len(ids) - 1)], -1)
        return Candidates(ids[first], total, sources[first], anchor)


# --------------------------------------------------------------------------- the sources
def model_source(bundle: ModelBundle, user: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The model's top-``k`` for a known user (catalog indices)."""
    return bundle.recommend(user, k)


def similar_source(anchors: list[tuple[int, str]], bundle: ModelBundle | None, viewed_together: CoOccurrence,
                   per_anchor: int, decay: float = 0.7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Items similar to each anchor (newest first, weights ``decay ** rank``): the model's similar items
    and co-viewed items, each rescaled per anchor. Returns ids, scores and the anchor of each (per anchor,
    the model's items first, best first)."""
    if not anchors or per_anchor <= 0:
        return np.empty(0, np.int64), np.empty(0), np.empty(0, np.int64)
    items = np.array([item for item, _ in anchors], dtype=np.int64)
    blocks = [viewed_together.neighbours_block(items, per_anchor)]
    if bundle is not None:
        blocks.insert(0, bundle.similar_block(items.tolist(), per_anchor))
    # [anchor, block, position], padded: every (anchor, block) row is one rescaled segment
    ids = np.stack([b[0] for b in blocks], axis=1)
    raw = np.stack([b[1] for b in blocks], axis=1).astype(np.float64)
    valid = np.arange(per_anchor) < np.stack([b[2] for b in blocks], axis=1)[:, :, None]
    lo = np.where(valid, raw, np.inf).min(axis=2, keepdims=True)
    span = np.where(valid, raw, -np.inf).max(axis=2, keepdims=True) - lo
    flat = ~np.isfinite(span) | (span < 1e-12)
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = np.where(flat, 1.0, 0.1 + 0.9 * (raw - lo) / span)
    scaled *= (decay ** np.arange(len(items)))[:, None, None]
    owner = np.broadcast_to(items[:, None, None], valid.shape)
    return ids[valid].astype(np.int64, copy=False), scaled[valid], owner[valid]


def trending_source(signals: ItemSignals, window: str, k: int) -> tuple[np.ndarray, np.ndarray]:
    ids = signals.trending_top(window, k)
    return ids, signals.trending_score(window, ids)


def popular_source(signals: ItemSignals, k: int) -> tuple[np.ndarray, np.ndarray]:
    ids = signals.popular_top(k)
    return ids, signals.popularity_of(ids)


def main_root(catalog: Catalog, items: np.ndarray) -> tuple[int, float]:
    """The root category code most of ``items`` belong to and its share of them (``(-1, 0.0)`` when none
    has a category): the user's segment."""
    roots = catalog.root[np.asarray(items, dtype=np.int64)] if len(items) else np.empty(0, np.int32)
    roots = roots[roots >= 0]
    if len(roots) == 0:
        return -1, 0.0
    if int(roots.max()) < 65_536:  # the usual case: a count per code is cheaper than np.unique's sort
        counts = np.bincount(roots)
        best = int(np.argmax(counts))  # ties: the lowest code, as below
        return best, float(counts[best]) / len(roots)
    codes, n = np.unique(roots, return_counts=True)
    best = int(np.argmax(n))
    return int(codes[best]), float(n[best]) / len(roots)


def segment_source(signals: ItemSignals, catalog: Catalog, root: int, k: int, pool: int = 5000
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` most popular items under root category ``root`` (from the ``pool`` most popular items)."""
    top = signals.popular_top(pool)
    ids = top[catalog.root[top] == root][:k]
    return ids, signals.popularity_of(ids)


def new_source(catalog: Catalog, newest: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` newest items (``newest`` is the catalog's cached newest-first list)."""
    ids = newest[:k]
    return ids, catalog.created[ids].astype(np.float64)
