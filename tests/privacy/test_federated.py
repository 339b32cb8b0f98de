"""Federated MF: secure aggregation cancels exactly, client updates are the gradient of the client's loss,
and training learns (better than random on two taste blocks; close to the same model without masking)."""

from __future__ import annotations

import numpy as np
import pytest

from shopmind.errors import ParameterError
from shopmind.evaluation.protocol import evaluate
from shopmind.privacy.federated import Client, FederatedMF, SecureAggregator, from_fixed, to_fixed
from shopmind.training.splits import leave_one_out


def test_secure_aggregation_sum_equals_the_unmasked_sum_and_hides_each_update() -> None:
    rng = np.random.default_rng(0)
    updates = [rng.normal(0, 3, size=(7, 5)) for _ in range(9)]
    agg = SecureAggregator(neighbours=4, seed=1)
    masked = agg.mask_all(updates)
    plain = np.zeros(35, np.uint64)
    for u in updates:
        plain += to_fixed(u).ravel()
    assert np.array_equal(agg.aggregate(masked), plain)  # exact: the masks cancel modulo 2^64
    assert np.allclose(from_fixed(plain).reshape(7, 5), np.sum(updates, axis=0), atol=9 * 2.0**-24)
    for m, u in zip(masked, updates, strict=True):
        assert not np.array_equal(m, to_fixed(u).ravel())  # every client is masked
        assert np.abs(from_fixed(m)).max() > 1e6  # and its masked update looks like noise, not like u


def test_streamed_masked_sum_equals_the_batch_one() -> None:
    rng = np.random.default_rng(2)
    updates = [rng.normal(size=12) for _ in range(6)]
    batch = SecureAggregator(neighbours=2, seed=5).aggregate(SecureAggregator(neighbours=2, seed=5).mask_all(updates))
    streamed = SecureAggregator(neighbours=2, seed=5).masked_sum(6, lambda i: updates[i])
    assert np.array_equal(batch, streamed)


def test_ring_pairs_give_each_client_its_neighbours() -> None:
    pairs = SecureAggregator(neighbours=4).pairs(10)
    degree = np.bincount(np.array(pairs).ravel(), minlength=10)
    assert degree.tolist() == [4] * 10 and all(a < b for a, b in pairs)


def test_client_update_is_the_gradient_of_its_own_loss() -> None:
    rng = np.random.default_rng(3)
    y = rng.normal(0, 0.3, size=(6, 3))
    client = Client(items=np.array([1, 4]), confidence=np.array([5.0, 5.0]), fold_weights=np.array([5.0, 5.0]))
    reg = 0.7
    x = client.solve(y, y.T @ y, reg)
    p = np.zeros(6)
    p[[1, 4]] = 1
    c = np.ones(6)
    c[[1, 4]] = 6.0

    def loss(yy: np.ndarray) -> float:  # the user's loss at fixed x
        return float((c * (p - yy @ x) ** 2).sum())

    grad = client.update(y, y.T @ y, reg)
    num = np.zeros_like(y)
    for idx in np.ndindex(*y.shape):
        e = np.zeros_like(y)
        e[idx] = 1e-6
        num[idx] = (loss(y + e) - loss(y - e)) / 2e-6
    assert np.allclose(grad, num, atol=1e-5)
    # the user step is the exact minimiser: the gradient in x vanishes
    gx = -2 * (y.T * c) @ (p - y @ x) + 2 * reg * x
    assert np.allclose(gx, 0, atol=1e-9)


def test_federated_training_beats_random_and_secure_aggregation_changes_nothing(block_data) -> None:
    split = leave_one_out(block_data)
    history = split.train_valid()
    fed = FederatedMF(factors=8, regularization=1.0, alpha=10.0, rounds=40, lr=0.05, seed=0).fit(history)
    ndcg = evaluate(fed, history, split.test).metrics["ndcg@10"]

    class Random:
        def score(self, users: np.ndarray) -> np.ndarray:
            return np.random.default_rng(0).random((len(users), history.n_items))

    random = evaluate(Random(), history, split.test).metrics["ndcg@10"]
    assert ndcg > 2 * random and ndcg > 0.3
    assert fed.history_[-1]["grad_norm"] < fed.history_[0]["grad_norm"]
    masked = FederatedMF(factors=8, regularization=1.0, alpha=10.0, rounds=40, lr=0.05, seed=0,
                         secure_aggregation=True).fit(history)
    assert np.allclose(masked.item_factors_, fed.item_factors_, atol=1e-3)  # only fixed-point rounding differs
    n_items, k = history.n_items, 8
    assert masked.history_[0]["bytes_up"] == len(fed._clients) * n_items * k * 8
    assert fed.history_[0]["bytes_up"] == len(fed._clients) * n_items * k * 4


def test_client_sampling_and_bad_parameters(block_data) -> None:
    fed = FederatedMF(factors=4, rounds=3, clients_per_round=10).fit(block_data)
    assert {h["clients"] for h in fed.history_} == {10}
    with pytest.raises(ParameterError, match="rounds"):
        FederatedMF(rounds=0).fit(block_data)
    with pytest.raises(ParameterError, match="recency"):
        FederatedMF(recency="yesterday").fit(block_data)
