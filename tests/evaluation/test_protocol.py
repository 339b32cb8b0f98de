"""The full-ranking protocol: every catalog item is ranked, history is excluded, oracles score 1 and 0."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopmind.data import Interactions
from shopmind.errors import ParameterError, ShopmindError
from shopmind.evaluation.protocol import evaluate, rank_all, targets_by_user
from shopmind.models.base import Recommender
from shopmind.training.splits import leave_one_out


class TableModel(Recommender):
    """Test double (deliberately not registered): scores come from a fixed ``[n_users, n_items]`` table.

    ``answers`` maps a dense user to item ids that get ``boost`` (negative = ranked last); everything else
    scores by ``base`` (default 0).
    """

    name = "table"

    def __init__(self, answers: dict[int, list[int]] | None = None, boost: float = 10.0,
                 base: np.ndarray | None = None) -> None:
        self.answers = answers
        self.boost = boost
        self.base = base

    def _fit(self, train: Interactions, valid: Interactions | None) -> None:
        table = np.zeros((self.n_users_, self.n_items_), dtype=np.float32)
        if self.base is not None:
            table[:] = self.base
        for u, items in (self.answers or {}).items():
            table[u, items] = self.boost
        self.table_ = table

    def score(self, users: np.ndarray) -> np.ndarray:
        return self.table_[np.asarray(users)]


def oracle_for(split_test: Interactions, boost: float = 10.0) -> TableModel:
    users, tgts = targets_by_user(split_test)
    return TableModel({int(u): t.tolist() for u, t in zip(users, tgts, strict=True)}, boost=boost)


@pytest.fixture(scope="module")
def catalog_data() -> Interactions:
    """40 users over items i0..i29; users 0-4 end on an item that exists ONLY as their test item."""
    rng = np.random.default_rng(7)
    rows = []
    for u in range(40):
        seq = rng.choice(30, size=6, replace=False)
        rows += [(f"u{u}", f"i{it}", t) for t, it in enumerate(seq)]
        if u < 5:
            rows.append((f"u{u}", f"new{u}", 99))
    return Interactions.from_frame(pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"]))


def test_full_ranking_includes_items_only_present_in_test(catalog_data: Interactions) -> None:
    split = leave_one_out(catalog_data)
    tv = split.train_valid()
    new_items = [catalog_data.items.index(f"new{u}") for u in range(5)]
    assert all(np.sum(tv.item == i) == 0 for i in new_items)  # never seen in training
    model = oracle_for(split.test).fit(tv)
    res = evaluate(model, tv, split.test, ks=(1, 10))
    assert res.metrics["hr@1"] == 1.0 and res.metrics["ndcg@10"] == 1.0 and res.metrics["mrr@10"] == 1.0
    rows = {int(u): r for u, r in zip(res.users, res.topk, strict=True)}
    for u, item in enumerate(new_items):
        assert rows[u][0] == item


def test_perfect_oracle_scores_one_and_reversed_oracle_zero(catalog_data: Interactions) -> None:
    split = leave_one_out(catalog_data)
    tv = split.train_valid()
    good = evaluate(oracle_for(split.test).fit(tv), tv, split.test, ks=(10,))
    bad = evaluate(oracle_for(split.test, boost=-10.0).fit(tv), tv, split.test, ks=(10,))
    for name in ("hr@10", "ndcg@10", "mrr@10", "recall@10", "map@10"):
        assert good.metrics[name] == pytest.approx(1.0), name
        assert bad.metrics[name] == 0.0, name
    assert good.metrics["precision@10"] == pytest.approx(0.1)
    assert len(good.users) == 40


def test_history_is_excluded_when_flag_is_on(catalog_data: Interactions) -> None:
    split = leave_one_out(catalog_data)
    tv = split.train_valid()
    # a model that loves exactly what the user already has
    base = tv.to_csr(weighted=False).toarray()
    model = TableModel(base=base).fit(tv)
    users, _ = targets_by_user(split.test)
    on = rank_all(model, tv, users, k=10, exclude_seen=True)
    off = rank_all(model, tv, users, k=10, exclude_seen=False)
    for r, u in enumerate(users):
        hist = set(tv.history(u).tolist())
        assert not hist & set(on[r].tolist())
        assert set(off[r, :len(hist)].tolist()) == hist


def test_target_in_history_counts_as_miss_when_excluded() -> None:
    # u's last event repeats "a", which is also in the training history
    data = Interactions.from_sequences({"u": ["a", "b", "a"], "w": ["c", "d", "e", "f"]})
    split = leave_one_out(data)
    tv = split.train_valid()
    model = oracle_for(split.test).fit(tv)
    u = data.users.index("u")
    excl = evaluate(model, tv, split.test, ks=(1,))
    incl = evaluate(model, tv, split.test, ks=(1,), exclude_seen=False)
    row = int(np.flatnonzero(excl.users == u)[0])
    assert excl.per_user["hr@1"][row] == 0.0
    assert incl.per_user["hr@1"][row] == 1.0
    assert excl.extra["exclude_seen"] is True and incl.extra["exclude_seen"] is False


def test_metric_keys_and_means(block_data: Interactions) -> None:
    from shopmind.models.baselines import MostPopular

    split = leave_one_out(block_data)
    tv = split.train_valid()
    vecs = np.random.default_rng(0).normal(size=(block_data.n_items, 4))
    res = evaluate(MostPopular().fit(tv), tv, split.test, ks=(1, 5, 10), item_vectors=vecs)
    for k in (1, 5, 10):
        for name in ("hr", "ndcg", "mrr", "recall", "precision", "map", "novelty", "ild"):
            key = f"{name}@{k}"
            assert res.metrics[key] == pytest.approx(res.per_user[key].mean())
            assert len(res.per_user[key]) == len(res.users)
        assert 0.0 < res.metrics[f"coverage@{k}"] <= 1.0
        assert 0.0 <= res.metrics[f"gini@{k}"] < 1.0
    assert res.topk.shape == (len(res.users), 10)
    assert res.extra["n_items"] == block_data.n_items and res.extra["ks"] == (1, 5, 10)
    assert res.metrics["hr@1"] <= res.metrics["hr@5"] <= res.metrics["hr@10"]


def test_novelty_uses_distinct_users_per_item() -> None:
    """Regression: novelty was fed event counts, so an item one user clicked many times looked popular."""
    data = Interactions.from_sequences({"a": ["x"] * 6 + ["y", "z"], "b": ["y", "w", "z"],
                                        "c": ["w", "y", "z"], "d": ["v", "v", "v"]})
    split = leave_one_out(data)
    tv = split.train_valid()
    x, y = data.items.index("x"), data.items.index("y")
    order = np.full(data.n_items, -1.0, dtype=np.float32)
    order[x], order[y] = 2.0, 1.0
    model = TableModel(base=order).fit(tv)
    res = evaluate(model, tv, split.test, ks=(1,), exclude_seen=False)
    # all users get "x" first. tv users: a (x, y), b (y, w), c (w, y), d (v, v): 4 users;
    # x is touched by 1 of them -> p = 1/4 -> 2 bits (event counts would have said 6/4 -> negative)
    np.testing.assert_allclose(res.per_user["novelty@1"], 2.0)


def test_nan_scores_rank_last(catalog_data: Interactions) -> None:
    split = leave_one_out(catalog_data)
    tv = split.train_valid()
    base = np.arange(tv.n_items, dtype=np.float32)
    base[-1] = np.nan  # the would-be best item
    model = TableModel(base=base).fit(tv)
    top = rank_all(model, tv, np.array([0]), k=3, exclude_seen=False)
    assert top[0].tolist() == [tv.n_items - 2, tv.n_items - 3, tv.n_items - 4]


def test_batching_does_not_change_results(catalog_data: Interactions) -> None:
    split = leave_one_out(catalog_data)
    tv = split.train_valid()
    model = TableModel(base=np.random.default_rng(1).random(tv.n_items).astype(np.float32)).fit(tv)
    users, _ = targets_by_user(split.test)
    assert np.array_equal(rank_all(model, tv, users, 10, batch_size=3), rank_all(model, tv, users, 10))


def test_score_shape_mismatch_is_explained(catalog_data: Interactions) -> None:
    split = leave_one_out(catalog_data)
    tv = split.train_valid()

    class Truncated(TableModel):  # e.g. a model fitted on a mapping without the test-only items
        def score(self, users: np.ndarray) -> np.ndarray:
            return super().score(users)[:, :-5]

    model = Truncated().fit(tv)
    with pytest.raises(ShopmindError, match="one score per catalog item"):
        evaluate(model, tv, split.test)


@pytest.mark.parametrize("ks", [(), (0,), (10, -1), (True,)])
def test_ks_are_validated(catalog_data: Interactions, ks: tuple[int, ...]) -> None:
    split = leave_one_out(catalog_data)
    with pytest.raises(ParameterError, match="'ks' parameter of evaluate"):
        evaluate(TableModel().fit(split.train), split.train, split.valid, ks=ks)


def test_targets_by_user_skips_users_without_targets() -> None:
    data = Interactions.from_sequences({"a": ["x"], "b": [], "c": ["y", "z"]})
    users, tgts = targets_by_user(data)
    assert users.tolist() == [data.users.index("a"), data.users.index("c")]
    assert [len(t) for t in tgts] == [1, 2]


# ---------------------------------------------------------------------------------------------- ties
def test_a_tie_with_the_held_out_item_is_broken_against_it() -> None:
    """Pessimistic ties (issue 21): a constant scorer must not earn hits from the order ties fall in."""
    data = Interactions.from_sequences({f"u{i}": [f"i{(2 * i + j) % 30}" for j in range(4)] for i in range(20)})
    split = leave_one_out(data)
    flat = TableModel(base=np.zeros(data.n_items, dtype=np.float32)).fit(split.train_valid())
    res = evaluate(flat, split.train_valid(), split.test, ks=(1, 5, 10))
    # every rankable item (about 27) ties with the target, so the target is ranked after all of them
    assert res.metrics["hr@1"] == 0.0 and res.metrics["ndcg@10"] == 0.0 and res.metrics["hr@10"] == 0.0
    users, tgts = targets_by_user(split.test)
    for row, t in zip(res.topk, tgts, strict=True):
        listed = [i for i in row.tolist() if i >= 0]
        assert t[0] not in listed or listed.index(t[0]) == len(listed) - 1


def test_ties_only_move_the_target_behind_equal_scores() -> None:
    data = Interactions.from_sequences({"a": ["x", "y", "z", "w"], "b": ["x", "z", "v", "y"],
                                        "c": ["w", "v", "x", "z"]})
    split = leave_one_out(data)
    train = split.train_valid()
    users, tgts = targets_by_user(split.test)
    assert len(users) == 3
    n = train.n_items
    base = np.zeros((train.n_users, n), dtype=np.float32)
    for u, t in zip(users, tgts, strict=True):
        base[u, :] = np.arange(n, dtype=np.float32) / n  # distinct scores ...
        base[u, t[0]] = 2.0
        other = (t[0] + 1) % n
        base[u, other] = 2.0  # ... except one item tied with the target at the top
    model = TableModel(base=base).fit(train)
    res = evaluate(model, train, split.test, ks=(1, 2), exclude_seen=False)
    assert res.metrics["hr@1"] == 0.0 and res.metrics["hr@2"] == 1.0
    # the same table with the target strictly ahead is a hit at 1: only ties are affected
    for u, t in zip(users, tgts, strict=True):
        base[u, t[0]] = 2.5
    res = evaluate(TableModel(base=base).fit(train), train, split.test, ks=(1,), exclude_seen=False)
    assert res.metrics["hr@1"] == 1.0


def test_rank_all_without_targets_keeps_the_lower_index_first(catalog_data: Interactions) -> None:
    flat = TableModel(base=np.zeros(catalog_data.n_items, dtype=np.float32)).fit(catalog_data)
    top = rank_all(flat, catalog_data, np.array([0]), k=3, exclude_seen=False)
    assert top.tolist() == [[0, 1, 2]]
    top = rank_all(flat, catalog_data, np.array([0]), k=3, exclude_seen=False, targets=[np.array([1])])
    assert top.tolist() == [[0, 2, 3]]
