"""Live signals: sliding trending windows, popularity, bandit counts, co-occurrence and sessions."""

from __future__ import annotations

import numpy as np

from shopmind.pipeline.cooccurrence import CoOccurrence


def test_cooccurrence_skips_singletons_and_normalises():
    co = CoOccurrence.build(np.array([0, 0, 0, 1, 1, 2]), np.array([1, 2, 3, 1, 2, 4]), n_items=5)
    ids, scores = co.neighbours(1, 5)
    assert ids.tolist() == [2, 3] and scores[0] > scores[1]
    assert co.neighbours(4, 5)[0].tolist() == [] and co.neighbours(99, 5)[0].tolist() == []
