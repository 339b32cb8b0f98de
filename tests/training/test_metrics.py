"""Ranking and beyond-accuracy metrics against examples computed by hand (the arithmetic is in comments)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from shopmind.errors import ParameterError
from shopmind.training import metrics as M


def T(*items: int) -> np.ndarray:
    return np.array(items, dtype=np.int64)


# ---------------------------------------------------------------- hit rate
def test_hit_rate_counts_a_target_anywhere_in_the_top_k() -> None:
    topk = np.array([[3, 1, 2], [4, 5, 6]])
    targets = [T(1), T(9)]
    # user 0: target 1 sits at rank 2 -> hit at k>=2, miss at k=1; user 1: target 9 never shown
    assert M.hit_rate(topk, targets, 1).tolist() == [0.0, 0.0]
    assert M.hit_rate(topk, targets, 2).tolist() == [1.0, 0.0]
    assert M.hit_rate(topk, targets, 3).tolist() == [1.0, 0.0]


def test_hit_rate_multi_target_and_empty_slots() -> None:
    topk = np.array([[7, -1, -1], [-1, -1, -1]])
    # user 0 has targets {2, 7}: 7 at rank 1 -> 1; user 1 got an empty list -> 0
    assert M.hit_rate(topk, [T(2, 7), T(3, 4)], 3).tolist() == [1.0, 0.0]


# ---------------------------------------------------------------- NDCG
def test_ndcg_single_target_log2_discount() -> None:
    topk = np.array([[5, 1, 2], [1, 5, 2], [5, 2, 3]])
    targets = [T(1), T(1), T(1)]
    # rank 2 -> 1/log2(3) = 0.63093; rank 1 -> 1/log2(2) = 1; absent -> 0 (IDCG = 1 for one target)
    got = M.ndcg(topk, targets, 3)
    np.testing.assert_allclose(got, [1 / math.log2(3), 1.0, 0.0])


def test_ndcg_multi_target_uses_ideal_dcg_of_min_targets_k() -> None:
    topk = np.array([[1, 7, 2, 8]])
    targets = [T(1, 2, 3)]
    # k=4: hits at ranks 1 and 3 -> DCG = 1/log2(2) + 1/log2(4) = 1 + 0.5 = 1.5
    #      IDCG with min(3, 4) = 3 hits = 1 + 1/log2(3) + 1/log2(4) = 2.130930 -> 1.5 / 2.130930 = 0.703918
    np.testing.assert_allclose(M.ndcg(topk, targets, 4), [1.5 / (1 + 1 / math.log2(3) + 0.5)])
    np.testing.assert_allclose(M.ndcg(topk, targets, 4), [0.703918], atol=1e-6)
    # k=2: one hit at rank 1 -> DCG = 1; IDCG with min(3, 2) = 2 hits = 1 + 0.630930 -> 0.613147
    np.testing.assert_allclose(M.ndcg(topk, targets, 2), [0.613147], atol=1e-6)


def test_ndcg_perfect_multi_target_ranking_is_one() -> None:
    # both targets at ranks 1 and 2 = the ideal ranking
    np.testing.assert_allclose(M.ndcg(np.array([[4, 2, 9]]), [T(2, 4)], 3), [1.0])


def test_ndcg_duplicate_targets_count_once() -> None:
    """Regression: a target item repeated in the test set (bought twice) inflated the ideal DCG, so a perfect
    ranking scored 1 / (1 + 1/log2 3) = 0.613 instead of 1."""
    np.testing.assert_allclose(M.ndcg(np.array([[1, 5]]), [T(1, 1)], 2), [1.0])


# ---------------------------------------------------------------- MRR
def test_mrr_is_reciprocal_rank_of_first_hit_within_k() -> None:
    topk = np.array([[4, 5, 1], [2, 3, 1], [9, 8, 7]])
    targets = [T(1), T(3, 1), T(1)]
    # user 0: first hit at rank 3 -> 1/3; user 1: first of {3, 1} at rank 2 -> 1/2; user 2: none -> 0
    np.testing.assert_allclose(M.mrr(topk, targets, 3), [1 / 3, 1 / 2, 0.0])
    # k=2 cuts user 0's hit off
    np.testing.assert_allclose(M.mrr(topk, targets, 2), [0.0, 1 / 2, 0.0])


# ---------------------------------------------------------------- recall / precision
def test_recall_is_share_of_distinct_targets_found() -> None:
    topk = np.array([[1, 2, 3], [1, 2, 3]])
    # user 0: {1, 9} -> found 1 of 2 = 0.5; user 1: {1, 1, 9} is the set {1, 9} -> 0.5 as well
    # (regression: duplicates used to divide by 3 and give 1/3)
    np.testing.assert_allclose(M.recall(topk, [T(1, 9), T(1, 1, 9)], 3), [0.5, 0.5])


def test_recall_of_user_without_targets_is_zero() -> None:
    assert M.recall(np.array([[1, 2]]), [T()], 2).tolist() == [0.0]


def test_precision_divides_by_k_slots() -> None:
    topk = np.array([[1, 2, 3, 4]])
    # targets {1, 2, 9}: 2 hits in 4 slots = 0.5; at k=1: 1 hit in 1 slot = 1.0
    np.testing.assert_allclose(M.precision(topk, [T(1, 2, 9)], 4), [0.5])
    np.testing.assert_allclose(M.precision(topk, [T(1, 2, 9)], 1), [1.0])
    # asking k=8 of a 4-column list: still 2 hits, now over 8 slots = 0.25
    np.testing.assert_allclose(M.precision(topk, [T(1, 2, 9)], 8), [0.25])


# ---------------------------------------------------------------- MAP
def test_average_precision_hand_examples() -> None:
    topk = np.array([[1, 5, 2], [5, 1, 6]])
    targets = [T(1, 2), T(1, 2, 3)]
    # user 0: hits at ranks 1 and 3 -> P@1 = 1, P@3 = 2/3 -> (1 + 2/3) / min(2, 3) = 0.833333
    # user 1: one hit at rank 2 -> P@2 = 1/2 -> 0.5 / min(3, 3) = 0.166667
    got = M.average_precision(topk, targets, 3)
    np.testing.assert_allclose(got, [(1 + 2 / 3) / 2, 0.5 / 3])
    # MAP@3 = mean = (0.833333 + 0.166667) / 2 = 0.5
    assert got.mean() == pytest.approx(0.5)


def test_average_precision_normalises_by_min_targets_k() -> None:
    # 3 targets, k=2, both slots hit: P@1 = 1, P@2 = 1 -> 2 / min(3, 2) = 1
    np.testing.assert_allclose(M.average_precision(np.array([[1, 2]]), [T(1, 2, 3)], 2), [1.0])


# ---------------------------------------------------------------- catalog metrics
def test_item_coverage_share_of_catalog_shown() -> None:
    topk = np.array([[0, 1], [2, 3], [0, -1]])
    # k=1: items {0, 2} of 5 -> 0.4; k=2: {0, 1, 2, 3} of 5 -> 0.8 (the -1 empty slot is not an item)
    assert M.item_coverage(topk, 5, 1) == pytest.approx(0.4)
    assert M.item_coverage(topk, 5, 2) == pytest.approx(0.8)


def test_exposure_gini_hand_examples() -> None:
    # exposure counts [1, 2, 1] -> sorted [1, 1, 2], n = 3, total 4:
    # G = sum_i (2i - n - 1) x_i / (n * total) = ((-2)*1 + 0*1 + 2*2) / 12 = 2/12 = 1/6
    assert M.exposure_gini(np.array([[0, 1], [1, 2]]), 3, 2) == pytest.approx(1 / 6)
    # every item shown once -> 0
    assert M.exposure_gini(np.array([[0, 1], [2, 3]]), 4, 2) == pytest.approx(0.0)
    # everything on one item of 4: counts [0, 0, 0, 3] -> (3 * 3) / (4 * 3) = 3/4
    assert M.exposure_gini(np.array([[2], [2], [2]]), 4, 1) == pytest.approx(0.75)
    # nothing shown -> 0 by convention
    assert M.exposure_gini(np.array([[-1]]), 4, 1) == 0.0


def test_exposure_counts() -> None:
    assert M.exposure_counts(np.array([[0, 2], [2, -1]]), 4, 2).tolist() == [1, 0, 2, 0]


# ---------------------------------------------------------------- novelty / diversity
def test_novelty_is_mean_self_information() -> None:
    # 4 training users; item 0 touched by 4 (p=1 -> 0 bits), item 1 by 1 (p=1/4 -> 2 bits),
    # item 2 by 2 (p=1/2 -> 1 bit), item 3 by nobody (counted as 1 -> 2 bits)
    pop = np.array([4, 1, 2, 0])
    topk = np.array([[0, 1], [1, 2], [3, -1], [-1, -1]])
    # [0, 1] -> (0 + 2) / 2 = 1; [1, 2] -> (2 + 1) / 2 = 1.5; [3] -> 2; empty list -> 0
    np.testing.assert_allclose(M.novelty(topk, pop, 4, 2), [1.0, 1.5, 2.0, 0.0])


def test_novelty_never_negative_when_counts_exceed_users() -> None:
    """Regression: the protocol passed event counts, so an item with 10 events from 4 users had
    p = 10/4 > 1 and a negative self-information."""
    np.testing.assert_allclose(M.novelty(np.array([[0]]), np.array([10]), 4, 1), [0.0])


def test_intra_list_diversity_mean_pairwise_cosine_distance() -> None:
    vecs = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 0.0], [1.0, 1.0]])
    topk = np.array([[0, 1, -1], [0, 2, -1], [0, 1, 2], [0, -1, -1]])
    # [0, 1]: orthogonal -> distance 1; [0, 2]: same direction -> 0
    # [0, 1, 2]: pairs (0,1)=1, (0,2)=0, (1,2)=1 -> 2/3; a single item -> 0
    np.testing.assert_allclose(M.intra_list_diversity(topk, vecs, 3), [1.0, 0.0, 2 / 3, 0.0], atol=1e-12)
    # [0, 3]: cos 45 degrees = 0.707107 -> distance 0.292893
    np.testing.assert_allclose(M.intra_list_diversity(np.array([[0, 3]]), vecs, 2), [1 - 1 / math.sqrt(2)])


# ---------------------------------------------------------------- input checks
def test_metrics_reject_bad_k_and_mismatched_targets() -> None:
    topk = np.array([[1, 2]])
    with pytest.raises(ParameterError, match="'k' parameter of ndcg"):
        M.ndcg(topk, [T(1)], 0)
    with pytest.raises(ValueError, match="2 target sets for 1"):
        M.hit_rate(topk, [T(1), T(2)], 2)
    with pytest.raises(ValueError, match="2-d"):
        M.mrr(np.array([1, 2]), [T(1)], 2)


def test_numpy_integer_k_is_accepted() -> None:
    assert M.hit_rate(np.array([[1, 2]]), [T(2)], np.int64(2)).tolist() == [1.0]


def test_empty_inputs_give_empty_vectors() -> None:
    empty = np.zeros((0, 3), dtype=np.int64)
    for fn in (M.hit_rate, M.ndcg, M.mrr, M.recall, M.precision, M.average_precision):
        assert fn(empty, [], 3).shape == (0,)
