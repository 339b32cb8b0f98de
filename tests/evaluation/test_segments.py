"""Per-segment breakdowns: user activity (cold / light / medium / heavy) and head vs tail targets."""

from __future__ import annotations

import numpy as np
import pytest

from shopmind.data import Interactions
from shopmind.errors import ParameterError
from shopmind.evaluation.protocol import EvalResult, evaluate
from shopmind.evaluation.segments import (
    activity_breakdown,
    activity_segments,
    head_items,
    popularity_breakdown,
    segment_metrics,
)
from shopmind.models.baselines import MostPopular
from shopmind.training.splits import leave_one_out


def test_activity_segments_cold_then_quantiles() -> None:
    counts = np.array([0, 5, 6, 7, 8, 9, 10, 30, 40])
    # cold: <= 5 -> the first two. Warm counts [6, 7, 8, 9, 10, 30, 40]: tertile cuts at
    # np.quantile(.., 1/3) = 8 and (.., 2/3) = 10 -> light <= 8 < medium <= 10 < heavy
    got = activity_segments(counts, cold_max=5).tolist()
    assert got == ["cold", "cold", "light", "light", "light", "medium", "medium", "heavy", "heavy"]


def test_activity_segments_configurable() -> None:
    counts = np.array([1, 2, 3, 4])
    # no cold segment, one cut at the median (2.5): {1, 2} low, {3, 4} high
    got = activity_segments(counts, cold_max=-1, quantiles=(0.5,), labels=("cold", "low", "high"))
    assert got.tolist() == ["low", "low", "high", "high"]
    assert activity_segments(np.array([1, 2]), cold_max=10).tolist() == ["cold", "cold"]


def test_activity_segments_validation() -> None:
    with pytest.raises(ParameterError, match="quantiles"):
        activity_segments(np.array([1]), quantiles=(0.7, 0.3))
    with pytest.raises(ParameterError, match="labels"):
        activity_segments(np.array([1]), quantiles=(0.5,))


def stub_result(values: list[float], users: list[int] | None = None) -> EvalResult:
    n = len(values)
    u = np.arange(n) if users is None else np.array(users)
    return EvalResult(u, np.zeros((n, 1), dtype=np.int64), [np.array([0])] * n,
                      {"hr@1": np.array(values, dtype=float)}, {"hr@1": float(np.mean(values))})


def test_segment_metrics_means_and_counts() -> None:
    res = stub_result([1.0, 0.0, 1.0, 1.0])
    got = segment_metrics(res, np.array(["a", "b", "b", "a"]), order=["a", "b", "c"])
    # a: users 0 and 3 -> (1 + 1) / 2; b: users 1 and 2 -> (0 + 1) / 2; c: empty -> NaN
    assert got["a"] == {"users": 2, "hr@1": 1.0}
    assert got["b"] == {"users": 2, "hr@1": 0.5}
    assert got["c"]["users"] == 0 and np.isnan(got["c"]["hr@1"])
    with pytest.raises(ParameterError, match="metrics"):
        segment_metrics(res, np.array(["a"] * 4), metrics=["ndcg@10"])
    with pytest.raises(ValueError, match="2 labels for 4"):
        segment_metrics(res, np.array(["a", "b"]))


def test_activity_breakdown_counts_training_interactions(block_data: Interactions) -> None:
    split = leave_one_out(block_data)
    tv = split.train_valid()
    res = evaluate(MostPopular().fit(tv), tv, split.test, ks=(10,))
    # every block user has 12 events -> 11 in train_valid: with cold_max=10 nobody is cold
    out = activity_breakdown(res, tv, cold_max=10, metrics=["hr@10", "ndcg@10"])
    assert list(out) == ["cold", "light", "medium", "heavy"]
    assert out["cold"]["users"] == 0
    assert sum(int(v["users"]) for v in out.values()) == len(res.users)
    all_cold = activity_breakdown(res, tv, cold_max=11)
    assert all_cold["cold"]["users"] == len(res.users)
    assert all_cold["cold"]["hr@10"] == pytest.approx(res.metrics["hr@10"])


def test_head_items_top_fraction_of_active_items() -> None:
    pop = np.array([9, 0, 3, 5, 1, 1])
    # 5 active items, 40% -> ceil(2.0) = 2 head items: the two most popular (indices 0 and 3)
    assert head_items(pop, 0.4).tolist() == [True, False, False, True, False, False]
    # 20% of 5 -> 1 item; ties broken by the lower index
    assert head_items(np.array([2, 2, 0]), 0.2).tolist() == [True, False, False]
    with pytest.raises(ParameterError, match="head_fraction"):
        head_items(pop, 0.0)


def test_popularity_breakdown_hand_example() -> None:
    # history: item 0 is used by 3 users, items 1, 2, 3 by one each -> 4 active items, 20% -> 1 head item (0)
    history = Interactions.from_sequences({"a": ["i0", "i1"], "b": ["i0", "i2"], "c": ["i0", "i3"]})
    i = {f"i{j}": history.items.index(f"i{j}") for j in range(4)}
    topk = np.array([[i["i0"], i["i3"]], [i["i1"], i["i2"]], [i["i2"], i["i3"]]])
    targets = [np.array([i["i0"], i["i1"]]), np.array([i["i0"]]), np.array([i["i3"], i["i3"]])]
    res = EvalResult(np.arange(3), topk, targets, {}, {})
    got = popularity_breakdown(res, history, k=2, head_fraction=0.2)
    # head targets: (user0, i0) hit, (user1, i0) miss -> 1/2
    # tail targets: (user0, i1) miss, (user2, i3) hit (the duplicate counts once) -> 1/2
    assert got == {"head": {"targets": 2, "hr@2": 0.5}, "tail": {"targets": 2, "hr@2": 0.5}}
    # k=1 keeps only the first slot: head (u0, i0) hit, (u1, i0) miss; tail both miss
    got1 = popularity_breakdown(res, history, k=1, head_fraction=0.2)
    assert got1["head"]["hr@1"] == 0.5 and got1["tail"]["hr@1"] == 0.0
    with pytest.raises(ParameterError, match="largest k"):
        popularity_breakdown(res, history, k=5)
