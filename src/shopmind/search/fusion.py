"""Fusing ranked lists: reciprocal rank fusion (Cormack et al., 2009).

``score(d) = sum over lists of 1 / (k + rank(d))`` with ranks from 1 and ``k = 60`` by default; a document
missing from a list gets nothing from it. Ties keep the order of first appearance.

>>> import numpy as np
>>> docs, scores = rrf({"bm25": np.array([3, 1, 2]), "dense": np.array([1, 4])})
>>> docs.tolist()
[1, 3, 4, 2]
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def rrf(ranked: Mapping[str, np.ndarray], k: int = 60, weights: Mapping[str, float] | None = None
        ) -> tuple[np.ndarray, np.ndarray]:
    """Fuse ranked document-id lists (best first); returns ids and fused scores, best first."""
    score: dict[int, float] = {}
    for name, docs in ranked.items():
        w = 1.0 if weights is None else float(weights.get(name, 1.0))
        for rank, d in enumerate(np.asarray(docs).tolist(), 1):
            score[d] = score.get(d, 0.0) + w / (k + rank)
    if not score:
        return np.empty(0, np.int64), np.empty(0, np.float32)
    items = sorted(score.items(), key=lambda kv: -kv[1])
    return (np.array([d for d, _ in items], dtype=np.int64), np.array([s for _, s in items], dtype=np.float32))
