"""Vectorised sampling and grouped running sums used by the simulator."""

from __future__ import annotations

from typing import cast

import numpy as np


class GroupSampler:
    """Draw items within groups (a leaf, a leaf x brand pair, ...) with probability proportional to weight."""

    def __init__(self, groups: np.ndarray, n_groups: int, weights: np.ndarray) -> None:
        self.order = np.argsort(groups, kind="stable")
        self.cum = np.cumsum(weights[self.order])
        counts = np.bincount(groups, minlength=n_groups)
        self.stop = np.cumsum(counts)
        self.start = self.stop - counts
        base = np.concatenate([[0.0], self.cum])
        self.lo, self.hi = base[self.start], base[self.stop]

    def sample(self, group: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One item per entry of ``group`` (-1 where the group is empty or negative).

        >>> s = GroupSampler(np.array([0, 0, 2]), 3, np.array([1.0, 0.0, 1.0]))
        >>> s.sample(np.array([0, 1, 2, -1]), np.random.default_rng(0)).tolist()
        [0, -1, 2, -1]
        """
        g = np.maximum(group, 0)
        target = self.lo[g] + rng.random(len(g)) * (self.hi[g] - self.lo[g])
        pos = np.clip(np.searchsorted(self.cum, target, side="right"), self.start[g],
                      np.maximum(self.stop[g] - 1, self.start[g]))
        ok = (group >= 0) & (self.stop[g] > self.start[g])
        return np.where(ok, self.order[np.minimum(pos, len(self.order) - 1)], -1)


def runs(group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For a sorted group array: the run index of each row and the first row of each run."""
    first = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if len(group) else np.zeros(0, np.int64)
    run = np.cumsum(np.r_[True, group[1:] != group[:-1]]) - 1 if len(group) else np.zeros(0, np.int64)
    return run, first


def exclusive_cumsum(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Running total of ``values`` before each row, restarting at every new (contiguous) group.

    >>> exclusive_cumsum(np.array([1.0, 2.0, 3.0, 4.0]), np.array([0, 0, 1, 1])).tolist()
    [0.0, 1.0, 0.0, 3.0]
    """
    c = np.cumsum(values) - values
    run, first = runs(group)
    return cast("np.ndarray", c - c[first][run] if len(values) else c)


def rank_within(group: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each contiguous group.

    >>> rank_within(np.array([5, 5, 7, 7, 7, 9])).tolist()
    [0, 1, 0, 1, 2, 0]
    """
    run, first = runs(group)
    return np.arange(len(group)) - first[run] if len(group) else np.zeros(0, np.int64)
