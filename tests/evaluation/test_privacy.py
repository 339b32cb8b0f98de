"""The privacy benchmarks at a small size: DP list utility rises with epsilon; federated MF vs ALS."""

from __future__ import annotations

import numpy as np

from shopmind.evaluation.privacy import dp_utility, federated_vs_als, list_ndcg, top_by


def test_list_ndcg_is_one_for_the_exact_ranking_and_lower_otherwise() -> None:
    exact = np.array([5.0, 9.0, 1.0, 7.0])
    assert list_ndcg(top_by(exact, 3), exact, 3) == 1.0
    assert list_ndcg(np.array([2, 0, 3]), exact, 3) < 0.8
    assert top_by(np.array([1.0, 3.0, 3.0]), 2, exclude=1).tolist() == [2, 0]


def test_dp_utility_rises_with_epsilon(block_data) -> None:
    rng = np.random.default_rng(0)
    users = rng.integers(0, 400, 6000)
    items = np.minimum(rng.zipf(1.6, 6000) - 1, 59)  # a long-tailed catalog of 60 items
    res = dp_utility(users, items, 60, interactions=block_data, epsilons=(0.05, 1000.0), max_items=5, repeats=3,
                     query_items=5, seed=0)
    low, high = res["results"]
    assert high["popularity_ndcg@10"]["mean"] > 0.97 and high["bought_together_ndcg@10"]["mean"] > 0.9
    assert low["popularity_ndcg@10"]["mean"] < high["popularity_ndcg@10"]["mean"]
    assert low["bought_together_ndcg@10"]["mean"] < high["bought_together_ndcg@10"]["mean"]
    assert high["popularity_loo_ndcg@10"]["n"] == 3 and "popularity_loo_ndcg@10_exact" in res
    assert res["protocol"]["sensitivity"] == {"popularity": 5, "bought_together": 4}


def test_federated_vs_als_reports_ndcg_ratio_and_bytes(block_data) -> None:
    res = federated_vs_als(block_data, factors=8, regularization=1.0, alpha=10.0, rounds=30, lr=0.05,
                           eval_every=10)
    assert 0.5 < res["ratio_to_als"] < 1.5
    assert [c["round"] for c in res["federated"]["curve"]] == [10, 20]
    clients = res["federated"]["clients"]
    assert res["federated"]["bytes_per_round"]["up"] == clients * block_data.n_items * 8 * 4
