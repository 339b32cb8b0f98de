"""Splits: leave-one-out by time (ties keep arrival order), temporal and random splits, train_valid()."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopmind.data import Interactions
from shopmind.errors import ParameterError
from shopmind.training.splits import SPLITS, Split, leave_one_out, random_split, temporal_split


def frame(rows: list[tuple[str, str, int]]) -> Interactions:
    """Events in arrival order: (user, item, timestamp)."""
    return Interactions.from_frame(pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"]))


def raw_items(data: Interactions, part: Interactions, user: str) -> list[str]:
    u = data.users.index(user)
    return data.items.raws(part.item[part.user == u])


# ---------------------------------------------------------------- leave-one-out
def tied_data() -> Interactions:
    # User "v" comes first so that item "a" gets a LOWER dense index (and raw id) than "z".
    # User "u" then sees z and a at the same second, z arriving first: the last event is "a".
    # Sorting ties by item id (dense or raw) would put a before z and make "z" the test item.
    return frame([("v", "a", 1), ("v", "z", 2), ("v", "q", 3),
                  ("u", "b", 1), ("u", "z", 5), ("u", "a", 5)])


def test_loo_ties_in_time_keep_arrival_order() -> None:
    """Regression guard for the leak BENCHMARKS.md warns about: ties must never be sorted by item id."""
    data = tied_data()
    assert data.items.index("a") < data.items.index("z")  # the setup really contradicts id order
    split = leave_one_out(data)
    assert raw_items(data, split.test, "u") == ["a"]
    assert raw_items(data, split.valid, "u") == ["z"]
    assert raw_items(data, split.train, "u") == ["b"]


def test_loo_three_way_tie_at_the_end() -> None:
    data = frame([("u", "b", 1), ("u", "z", 5), ("u", "m", 5), ("u", "a", 5)])
    split = leave_one_out(data)
    assert raw_items(data, split.test, "u") == ["a"]
    assert raw_items(data, split.valid, "u") == ["m"]
    assert raw_items(data, split.train, "u") == ["b", "z"]


def test_loo_uses_time_not_file_order() -> None:
    data = frame([("u", "late", 9), ("u", "early", 1), ("u", "mid", 5)])
    split = leave_one_out(data)
    assert raw_items(data, split.test, "u") == ["late"]
    assert raw_items(data, split.valid, "u") == ["mid"]


def test_loo_users_with_fewer_than_three_interactions_stay_in_train() -> None:
    data = frame([("one", "a", 1), ("two", "a", 1), ("two", "b", 2),
                  ("three", "a", 1), ("three", "b", 2), ("three", "c", 3)])
    split = leave_one_out(data)
    for user in ("one", "two"):
        u = data.users.index(user)
        assert (split.train.user == u).sum() == len(data.history(u))
        assert u not in split.test.user and u not in split.valid.user
    assert raw_items(data, split.test, "three") == ["c"]
    assert len(split.train) + len(split.valid) + len(split.test) == len(data)


def test_loo_min_interactions_is_configurable_and_validated() -> None:
    data = frame([("u", "a", 1), ("u", "b", 2), ("u", "c", 3)])
    assert len(leave_one_out(data, min_interactions=4).test) == 0
    with pytest.raises(ParameterError, match="'min_interactions' parameter of leave_one_out"):
        leave_one_out(data, min_interactions=2)


def test_loo_one_test_and_one_valid_row_per_eligible_user(block_data: Interactions) -> None:
    split = leave_one_out(block_data)
    eligible = int((block_data.user_counts() >= 3).sum())
    assert np.bincount(split.test.user).max() == 1 and len(split.test) == eligible
    assert np.bincount(split.valid.user).max() == 1 and len(split.valid) == eligible
    d = split.describe()
    assert d["test_users"] == eligible and d["split"] == "leave-one-out"


def test_splits_share_the_id_mappings() -> None:
    data = tied_data()
    split = leave_one_out(data)
    for part in (split.train, split.valid, split.test):
        assert part.items is data.items and part.users is data.users


# ---------------------------------------------------------------- train_valid
def test_train_valid_is_everything_but_test_in_time_order() -> None:
    data = frame([("u", "b", 1), ("u", "z", 5), ("u", "a", 5), ("u", "c", 5), ("w", "x", 1),
                  ("w", "y", 2), ("w", "q", 3)])
    split = leave_one_out(data)
    tv = split.train_valid()
    assert raw_items(data, tv, "u") == ["b", "z", "a"]  # test "c" removed, tie order as it arrived
    assert raw_items(data, tv, "w") == ["x", "y"]
    assert len(tv) == len(data) - len(split.test)


def test_train_valid_keeps_arrival_order_of_ties_across_parts() -> None:
    """Regression: train_valid() used to concatenate train before valid, so a validation event that arrived
    before a training event at the same second moved behind it (random split)."""
    rows = [("u", f"i{j}", 7) for j in range(40)]  # all at the same second
    data = frame(rows)
    split = random_split(data, test_fraction=0.2, valid_fraction=0.3, seed=3)
    assert len(split.valid) and len(split.train)
    tv = split.train_valid()
    expected = [it for it in data.items.raws(data.item) if it not in set(data.items.raws(split.test.item))]
    assert data.items.raws(tv.item) == expected


def test_train_valid_without_source_falls_back_to_concat() -> None:
    data = tied_data()
    s = leave_one_out(data)
    bare = Split(s.name, s.train, s.valid, s.test)
    assert raw_items(data, bare.train_valid(), "u") == ["b", "z"]


# ---------------------------------------------------------------- temporal
def test_temporal_split_exact_shares() -> None:
    """Regression: the cut used np.quantile(method='higher') and gave 1 test row of 10 at
    test_fraction=0.2."""
    data = frame([(f"u{t % 3}", f"i{t}", t) for t in range(10)])
    split = temporal_split(data, test_fraction=0.2, valid_fraction=0.1)
    assert sorted(split.test.timestamp.tolist()) == [8, 9]
    assert split.valid.timestamp.tolist() == [7]
    assert sorted(split.train.timestamp.tolist()) == list(range(7))


def test_temporal_split_ties_at_cut_stay_on_earlier_side() -> None:
    ts = [0, 1, 2, 3, 4, 5, 6, 7, 7, 9]
    data = frame([(f"u{j % 2}", f"i{j}", t) for j, t in enumerate(ts)])
    split = temporal_split(data, test_fraction=0.2, valid_fraction=0.0)
    # 2 test rows wanted, but the second-latest timestamp (7) is shared with a third row: both 7s train
    assert split.test.timestamp.tolist() == [9]
    assert sorted(split.train.timestamp.tolist()) == [0, 1, 2, 3, 4, 5, 6, 7, 7]
    assert len(split.valid) == 0


def test_temporal_split_parts_are_ordered_in_time(block_data: Interactions) -> None:
    split = temporal_split(block_data, 0.2, 0.1)
    assert split.train.timestamp.max() <= split.valid.timestamp.min()
    assert split.valid.timestamp.max() < split.test.timestamp.min()
    assert len(split.train) + len(split.valid) + len(split.test) == len(block_data)


# ---------------------------------------------------------------- random
def test_random_split_is_seeded_and_partitions_rows() -> None:
    data = frame([(f"u{j % 50}", f"i{j % 97}", j) for j in range(2000)])
    a, b, c = random_split(data, seed=1), random_split(data, seed=1), random_split(data, seed=2)
    assert np.array_equal(a.test.item, b.test.item) and np.array_equal(a.test.user, b.test.user)
    assert not np.array_equal(a.role, c.role)
    assert len(a.train) + len(a.valid) + len(a.test) == len(data)
    assert len(a.test) / len(data) == pytest.approx(0.2, abs=0.03)
    assert len(a.valid) / len(data) == pytest.approx(0.1, abs=0.03)


@pytest.mark.parametrize("fn", [temporal_split, random_split])
def test_fractions_are_validated(fn: object) -> None:
    data = frame([("u", "a", 1), ("u", "b", 2)])
    with pytest.raises(ParameterError, match="test_fraction"):
        fn(data, test_fraction=0.0)  # type: ignore[operator]
    with pytest.raises(ParameterError, match="valid_fraction"):
        fn(data, test_fraction=0.6, valid_fraction=0.5)  # type: ignore[operator]


def test_split_registry_names() -> None:
    assert SPLITS["loo"] is leave_one_out and SPLITS["temporal"] is temporal_split


def test_carved_validation_holds_out_only_the_sampled_users_last_items(block_data):
    from shopmind.training.splits import carve_validation

    carved = carve_validation(block_data, max_users=5, seed=0)
    hist, users, targets = carved.rest, carved.users, carved.targets
    assert len(users) == 5 and len(hist) == len(block_data) - 5
    for u, t in zip(users, targets, strict=True):
        full = block_data.history(u)
        assert t.tolist() == [full[-1]]
        assert hist.history(u).tolist() == full[:-1].tolist()
    others = np.setdiff1d(np.arange(block_data.n_users), users)
    for u in others[:20]:  # everyone else keeps their newest item
        assert hist.history(u).tolist() == block_data.history(u).tolist()
    again = carve_validation(block_data, max_users=5, seed=0)
    assert np.array_equal(again.users, users)


def test_loo_with_targets_tests_only_target_rows_and_leaves_out_later_others() -> None:
    # u1: a(5) b(1) c(4) d(2) e(5) f(1)   -> targets a c e; test e, valid c; f is after the valid row: left out,
    #                                        d too; b stays in train
    # u2: x(5) y(1) z(5)                  -> only 2 targets: not evaluated, all in train
    df = pd.DataFrame({"user_id": ["u1"] * 6 + ["u2"] * 3, "item_id": list("abcdefxyz"),
                       "timestamp": [*range(6), *range(3)], "type": "rating", "value": [5, 1, 4, 2, 5, 1, 5, 1, 5]})
    data = Interactions.from_frame(df)
    targets = data.value > 2
    s = leave_one_out(data, targets=targets)
    assert data.items.raws(s.test.item) == ["e"] and data.items.raws(s.valid.item) == ["c"]
    assert sorted(data.items.raws(s.train.item)) == ["a", "b", "x", "y", "z"]
    assert len(s.train_valid()) == 6
    # without the low ratings, the plain split has the same test and validation rows
    pos = leave_one_out(data.take(targets))
    assert data.items.raws(pos.test.item) == ["e"] and data.items.raws(pos.valid.item) == ["c"]
    with pytest.raises(ParameterError, match="targets"):
        leave_one_out(data, targets=np.ones(3, bool))
