"""Train / validation / test splits over :class:`~shopmind.data.Interactions`.

All splits share the dataset's id mappings, so items that appear only in test are still ranked (full
ranking over the whole catalog).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from shopmind.data.interactions import Interactions
from shopmind.errors import ParameterError, check_float, check_int


@dataclass
class Split:
    """``train`` is what a model learns from while ``valid`` scores it (tuning, early stopping);
    the final test fits on :meth:`train_valid` and ranks ``test``."""

    name: str
    train: Interactions
    valid: Interactions
    test: Interactions
    #: The data the split was made from and each row's role (0 train, 1 valid, 2 test), when known.
    source: Interactions | None = field(default=None, repr=False)
    role: np.ndarray | None = field(default=None, repr=False)

    def train_valid(self) -> Interactions:
        """Everything but the test interactions, in chronological order.

        When the split knows its source, rows keep their original arrival order, so ties in time between a
        training and a validation row are ordered as the events arrived (not train-first).
        """
        if self.source is not None and self.role is not None:
            return self.source.take(self.role != 2)
        return self.train.concat(self.valid)

    def describe(self) -> dict[str, int | str]:
        """Sizes of the three parts and the number of test users."""
        return {"split": self.name, "train": len(self.train), "valid": len(self.valid),
                "test": len(self.test), "test_users": len(np.unique(self.test.user))}


def _make(name: str, data: Interactions, role: np.ndarray) -> Split:
    return Split(name, data.take(role == 0), data.take(role == 1), data.take(role == 2),
                 source=data, role=role)


def leave_one_out(data: Interactions, min_interactions: int = 3, targets: np.ndarray | None = None) -> Split:
    """Per user, by time: the last interaction is test, the second-last validation, the rest train.

    ``targets`` (a boolean per row) restricts test and validation to those rows - e.g. only ratings above a
    threshold, while lower ratings stay training data: per user the last target row is test and the
    second-last validation, users with fewer than ``min_interactions`` target rows are not evaluated, and the
    other rows later than a user's validation row are left out (they would show the model the future).

    Ties in time keep the original event order (``Interactions`` is stably ordered; sorting ties by item id
    would leak the answer). Users with fewer than ``min_interactions`` interactions keep everything in train
    and are not evaluated.

    Examples
    --------
    >>> data = Interactions.from_sequences({"a": ["x", "y", "z"], "b": ["x", "y"]})
    >>> s = leave_one_out(data)
    >>> data.items.raws(s.test.item), data.items.raws(s.valid.item), len(s.train)
    (['z'], ['y'], 3)
    """
    check_int("leave_one_out", "min_interactions", min_interactions, low=3)
    if targets is not None:
        return _leave_one_target_out(data, min_interactions, np.asarray(targets, dtype=bool))
    counts = data.user_counts()
    end = data.indptr[1:]  # one past each user's last row
    eligible = counts >= min_interactions
    test_rows = (end - 1)[eligible]
    valid_rows = (end - 2)[eligible]
    role = np.zeros(len(data), dtype=np.int8)
    role[valid_rows] = 1
    role[test_rows] = 2
    return _make("leave-one-out", data, role)


def _leave_one_target_out(data: Interactions, min_interactions: int, targets: np.ndarray) -> Split:
    if len(targets) != len(data):
        raise ParameterError("leave_one_out", "targets", len(targets), f"one flag per interaction ({len(data)})")
    rows = np.flatnonzero(targets)
    users = data.user.astype(np.int64)
    last = np.full(data.n_users, -1, np.int64)
    np.maximum.at(last, users[rows], rows)  # rows are ordered by user then time: the largest is the latest
    rest = rows[rows != last[users[rows]]]
    second = np.full(data.n_users, -1, np.int64)
    np.maximum.at(second, users[rest], rest)
    eligible = np.bincount(users[rows], minlength=data.n_users) >= min_interactions
    role = np.zeros(len(data), dtype=np.int8)
    role[second[eligible]] = 1
    role[last[eligible]] = 2
    late = ~targets & eligible[users] & (np.arange(len(data)) > second[users])
    keep = np.flatnonzero(~late)
    return _make("leave-one-out (targets only)", data.take(keep), role[keep])


def _check_fractions(owner: str, test_fraction: float, valid_fraction: float) -> None:
    check_float(owner, "test_fraction", test_fraction, low=0.0, high=0.9, low_open=True)
    check_float(owner, "valid_fraction", valid_fraction, low=0.0, high=0.9)
    if test_fraction + valid_fraction >= 1.0:
        raise ParameterError(owner, "valid_fraction", valid_fraction,
                             f"a number < {1.0 - test_fraction:g} so that some data is left to train on")


def temporal_split(data: Interactions, test_fraction: float = 0.2, valid_fraction: float = 0.1) -> Split:
    """Global split by time: the latest ``test_fraction`` of interactions is test, the slice before it
    validation, the rest train.

    Cut points are taken on the sorted timestamps, so the shares are exact up to rounding and ties: all
    interactions at a cut timestamp stay together on the earlier side. Users are not kept apart, so a test
    user may have no training history (full ranking still ranks every item for them).

    Examples
    --------
    >>> data = Interactions.from_sequences({"a": list("pqrst"), "b": list("uvwxy")})
    >>> temporal_split(data, test_fraction=0.2, valid_fraction=0.2).describe()["test"]
    2
    """
    _check_fractions("temporal_split", test_fraction, valid_fraction)
    ts = data.timestamp
    n = len(ts)
    role = np.zeros(n, dtype=np.int8)
    if n:
        ordered = np.sort(ts, kind="stable")
        n_test = round(n * test_fraction)
        n_valid = round(n * valid_fraction)

        def cut(n_after: int) -> float:
            """Timestamp such that the ``n_after`` latest interactions lie strictly after it."""
            pos = n - n_after - 1
            return float(ordered[pos]) if pos >= 0 else -np.inf

        t_test, t_valid = cut(n_test), cut(n_test + n_valid)
        role[ts > t_valid] = 1
        role[ts > t_test] = 2
    return _make("temporal", data, role)


def random_split(data: Interactions, test_fraction: float = 0.2, valid_fraction: float = 0.1,
                 seed: int = 0) -> Split:
    """Random ratio split of interactions (seeded, so the same seed gives the same split).

    Examples
    --------
    >>> data = Interactions.from_sequences({"a": list("pqrst"), "b": list("uvwxy")})
    >>> s = random_split(data, 0.3, 0.2, seed=1)
    >>> len(s.train) + len(s.valid) + len(s.test)
    10
    """
    _check_fractions("random_split", test_fraction, valid_fraction)
    check_int("random_split", "seed", seed, low=0)
    rng = np.random.default_rng(seed)
    r = rng.random(len(data))
    role = np.where(r < test_fraction, 2, np.where(r < test_fraction + valid_fraction, 1, 0)).astype(np.int8)
    return _make("random", data, role)


def targets_by_user(targets: Interactions) -> tuple[np.ndarray, list[np.ndarray]]:
    """Users that have targets, and each one's target items (in time order).

    >>> t = Interactions.from_sequences({"a": ["x"], "b": ["y", "z"]})
    >>> users, items = targets_by_user(t)
    >>> users.tolist(), [i.tolist() for i in items]
    ([0, 1], [[0], [1, 2]])
    """
    p = targets.indptr
    users = np.flatnonzero(np.diff(p) > 0)
    return users, [targets.item[p[u]:p[u + 1]] for u in users]


@dataclass
class CarvedValidation:
    """A validation split carved from training data: ``rest`` (what the model learns from), ``held`` (one
    held-out interaction per user in ``users``, ascending)."""

    rest: Interactions
    held: Interactions
    users: np.ndarray

    @property
    def targets(self) -> list[np.ndarray]:
        """Each held-out user's held-out item (one-element arrays, the shape of the ranking metrics)."""
        return targets_by_user(self.held)[1]


def last_rows(data: Interactions, users: np.ndarray) -> np.ndarray:
    """Row index of each of ``users``' newest interaction in ``data``."""
    return np.asarray(data.indptr[np.asarray(users) + 1] - 1, dtype=np.int64)


def carve_validation(data: Interactions, max_users: int, seed: int) -> CarvedValidation:
    """Hold out the newest interaction of up to ``max_users`` users (a seeded sample of those with 3+
    interactions): the split models choose their own settings on (early stopping, blend weights) when no
    validation data is given, so ``fit(train)`` never looks outside ``train``.

    Only the sampled users lose an interaction: everyone else's most recent item stays in the history the
    model learns from. (Holding out every user's last item cost the Amazon Beauty SASRec 7% of test
    NDCG@10: on short histories the newest interaction is the most informative one.)

    >>> data = Interactions.from_sequences({"a": list("pqr"), "b": list("st"), "c": list("uvwx")})
    >>> carved = carve_validation(data, max_users=10, seed=0)
    >>> carved.users.tolist(), data.items.raws([t[0] for t in carved.targets]), len(carved.rest)
    ([0, 2], ['r', 'x'], 7)
    """
    check_int("carve_validation", "max_users", max_users, low=1)
    users = np.flatnonzero(np.diff(data.indptr) >= 3)
    if len(users) > max_users:
        users = np.sort(np.random.default_rng(seed).choice(users, max_users, replace=False))
    held = np.zeros(len(data), dtype=bool)
    held[last_rows(data, users)] = True
    return CarvedValidation(data.take(~held), data.take(held), users)


SPLITS = {"leave-one-out": leave_one_out, "loo": leave_one_out, "temporal": temporal_split,
          "random": random_split}
