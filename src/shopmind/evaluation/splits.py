"""Train / validation / test splits over :class:`~shopmind.data.Interactions`.

All splits share the dataset's id mappings, so items that appear only in test are still ranked (full
ranking over the whole catalog).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shopmind.data.interactions import Interactions
from shopmind.errors import check_float, check_int


@dataclass
class Split:
    """``train`` is what a model learns from while ``valid`` scores it (tuning, early stopping);
    the final test fits on :meth:`train_valid` and ranks ``test``."""

    name: str
    train: Interactions
    valid: Interactions
    test: Interactions

    def train_valid(self) -> Interactions:
        """Everything but the test interactions, in chronological order."""
        return self.train.concat(self.valid)

    def describe(self) -> dict[str, int | str]:
        return {"split": self.name, "train": len(self.train), "valid": len(self.valid), "test": len(self.test),
                "test_users": int(len(np.unique(self.test.user)))}


def leave_one_out(data: Interactions, min_interactions: int = 3) -> Split:
    """Per user, by time: the last interaction is test, the second-last validation, the rest train.

    Ties in time keep the original event order (``Interactions`` is stably ordered). Users with fewer than
    ``min_interactions`` interactions keep everything in train and are not evaluated.
    """
    check_int("leave_one_out", "min_interactions", min_interactions, low=3)
    counts = data.user_counts()
    end = data.indptr[1:]  # one past each user's last row
    eligible = counts >= min_interactions
    test_rows = (end - 1)[eligible]
    valid_rows = (end - 2)[eligible]
    role = np.zeros(len(data), dtype=np.int8)
    role[valid_rows] = 1
    role[test_rows] = 2
    return Split("leave-one-out", data.take(role == 0), data.take(role == 1), data.take(role == 2))


def temporal_split(data: Interactions, test_fraction: float = 0.2, valid_fraction: float = 0.1) -> Split:
    """Global split by time: the latest ``test_fraction`` of interactions is test, the slice before it
    validation. Ties at a cut point stay together on the earlier side."""
    check_float("temporal_split", "test_fraction", test_fraction, low=0.0, high=0.9, low_open=True)
    check_float("temporal_split", "valid_fraction", valid_fraction, low=0.0, high=0.9)
    ts = data.timestamp
    t_test = np.quantile(ts, 1.0 - test_fraction, method="higher")
    t_valid = np.quantile(ts, 1.0 - test_fraction - valid_fraction, method="higher")
    role = np.where(ts > t_test, 2, np.where(ts > t_valid, 1, 0)).astype(np.int8)
    return Split("temporal", data.take(role == 0), data.take(role == 1), data.take(role == 2))


def random_split(data: Interactions, test_fraction: float = 0.2, valid_fraction: float = 0.1,
                 seed: int = 0) -> Split:
    """Random ratio split of interactions (seeded)."""
    check_float("random_split", "test_fraction", test_fraction, low=0.0, high=0.9, low_open=True)
    check_float("random_split", "valid_fraction", valid_fraction, low=0.0, high=0.9)
    rng = np.random.default_rng(seed)
    r = rng.random(len(data))
    role = np.where(r < test_fraction, 2, np.where(r < test_fraction + valid_fraction, 1, 0)).astype(np.int8)
    return Split("random", data.take(role == 0), data.take(role == 1), data.take(role == 2))


SPLITS = {"leave-one-out": leave_one_out, "loo": leave_one_out, "temporal": temporal_split,
          "random": random_split}
