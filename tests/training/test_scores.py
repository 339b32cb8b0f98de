"""Operations on score matrices: top-k with padding and deterministic ties."""

import numpy as np

from shopmind.training.scores import top_k


def test_top_k_pads_and_orders():
    ids, vals = top_k(np.array([[0.1, np.inf * -1, 0.3]]), 4)
    assert ids.tolist() == [[2, 0, -1, -1]]
    assert np.isneginf(vals[0, 2:]).all()
