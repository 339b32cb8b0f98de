"""Candidate generation: several sources, each candidate tagged with the source that produced it.

Sources (names as they appear in responses):

- ``model``: the trained model's top-N for a user it knows;
- ``similar``: items similar to the user's most recent items (the model's ``similar_items`` and
  "viewed together" co-occurrence), each remembering the item it is similar to - the anchor of
  "because you viewed X";
- ``trending``: most weighted events in a sliding window (24 h by default);
- ``new``: newest items by ``created_at``;
- ``popular``: most weighted events of all time (the cold-start backbone).

Each source's scores are rescaled to [0.1, 1] and multiplied by the source weight; an item proposed by
several sources gets the sum, and is labelled with the source that contributed most.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shopmind.pipeline.catalog import Catalog
from shopmind.pipeline.cooccurrence import CoOccurrence
from shopmind.pipeline.signals import ItemSignals
from shopmind.pipeline.versions import ModelBundle

#: Every source name, by code (the last three are assigned by the re-ranker; ``bought_together`` serves the
#: item endpoint of that name).
SOURCES = ("model", "similar", "bought_together", "trending", "new", "popular", "pinned", "promoted",
           "exploration")
SOURCE_CODE = {name: code for code, name in enumerate(SOURCES)}


@dataclass(frozen=True)
class SourceWeights:
    """How much each source counts when candidates are merged."""

    model: float = 1.0
    similar: float = 1.0
    trending: float = 0.35
    new: float = 0.2
    popular: float = 0.25


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

    def take(self, sel: np.ndarray) -> Candidates:
        return Candidates(self.ids[sel], self.scores[sel], self.sources[sel], self.anchors[sel])


def rescale(scores: np.ndarray) -> np.ndarray:
    """Min-max rescaling into [0.1, 1] (all equal -> 1)."""
    scores = np.asarray(scores, dtype=np.float64)
    if len(scores) == 0:
        return scores
    lo, hi = float(scores.min()), float(scores.max())
    if not np.isfinite(lo) or not np.isfinite(hi) or hi - lo < 1e-12:
        return np.ones(len(scores))
    return 0.1 + 0.9 * (scores - lo) / (hi - lo)


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

    def merge(self) -> Candidates:
        if not self._ids:
            return Candidates.empty()
        ids = np.concatenate(self._ids)
        contrib = np.concatenate(self._contrib)
        sources = np.concatenate(self._sources)
        anchors = np.concatenate(self._anchors)
        uniq, inverse = np.unique(ids, return_inverse=True)
        total = np.bincount(inverse, weights=contrib, minlength=len(uniq))
        # the entry contributing most names the source; the best entry with an anchor names the anchor
        best = np.lexsort((-contrib, inverse))
        first = best[np.searchsorted(inverse[best], np.arange(len(uniq)))]
        with_anchor = best[anchors[best] >= 0]
        anchor = np.full(len(uniq), -1, dtype=np.int64)
        if len(with_anchor):
            groups = inverse[with_anchor]
            starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
            anchor[groups[starts]] = anchors[with_anchor[starts]]
        return Candidates(uniq, total, sources[first], anchor)


# --------------------------------------------------------------------------- the sources
def model_source(bundle: ModelBundle, user: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The model's top-``k`` for a known user (catalog indices)."""
    return bundle.recommend(user, k)


def similar_source(anchors: list[tuple[int, str]], bundle: ModelBundle | None, viewed_together: CoOccurrence,
                   per_anchor: int, decay: float = 0.7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Items similar to each anchor (newest first, weights ``decay ** rank``): the model's similar items
    and co-viewed items, each rescaled per anchor. Returns ids, scores and the anchor of each."""
    ids: list[np.ndarray] = []
    scores: list[np.ndarray] = []
    anchor_of: list[np.ndarray] = []
    from_model = bundle.similar_many([item for item, _ in anchors], per_anchor) if bundle is not None else []
    for rank, (item, _kind) in enumerate(anchors):
        w = decay ** rank
        found = [viewed_together.neighbours(item, per_anchor)]
        if bundle is not None:
            found.insert(0, from_model[rank])
        for got, sc in found:
            if len(got) == 0:
                continue
            ids.append(got)
            scores.append(w * rescale(sc))
            anchor_of.append(np.full(len(got), item, dtype=np.int64))
    if not ids:
        return np.empty(0, np.int64), np.empty(0), np.empty(0, np.int64)
    return np.concatenate(ids), np.concatenate(scores), np.concatenate(anchor_of)


def trending_source(signals: ItemSignals, window: str, k: int) -> tuple[np.ndarray, np.ndarray]:
    ids = signals.trending_top(window, k)
    return ids, signals.trending_score(window, ids)


def popular_source(signals: ItemSignals, k: int) -> tuple[np.ndarray, np.ndarray]:
    ids = signals.popular_top(k)
    return ids, signals.popularity_of(ids)


def new_source(catalog: Catalog, newest: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` newest items (``newest`` is the catalog's cached newest-first list)."""
    ids = newest[:k]
    return ids, catalog.created[ids].astype(np.float64)
