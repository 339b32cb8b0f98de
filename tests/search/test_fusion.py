import numpy as np

from shopmind.search.fusion import rrf


def test_rrf_rewards_agreement() -> None:
    docs, scores = rrf({"a": np.array([1, 2, 3]), "b": np.array([3, 1])}, k=60)
    assert docs.tolist()[:2] == [1, 3] and scores[0] > scores[-1]
    assert rrf({})[0].tolist() == []
