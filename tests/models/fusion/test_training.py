"""The next-item task of the fusion attention: targets, per-user sampling, recency-weighted windows."""

from __future__ import annotations

import numpy as np

from shopmind.data import Interactions
from shopmind.models.fusion.training import NextItemTask


def _task(**kw: object) -> tuple[NextItemTask, Interactions]:
    data = Interactions.from_sequences({"a": list("pqrst"), "b": list("pq"), "c": list("r")})
    params = {"weighted": False, "recency": "position", "half_life": 1.0, "max_len": 2, "samples_per_user": None,
              "n_negatives": None, "batch_size": 3, **kw}
    return NextItemTask.of(data, data, **params), data  # type: ignore[arg-type]


def test_every_event_after_a_users_first_is_a_target():
    task, data = _task()
    assert task.targets.tolist() == [1, 2, 3, 4, 6] and task.full_softmax and task.steps_per_epoch() == 2
    batches = list(task.batches(np.random.default_rng(0)))
    assert sorted(np.concatenate(batches).tolist()) == [1, 2, 3, 4, 6] and [len(b) for b in batches] == [3, 2]


def test_samples_per_user_caps_each_users_targets():
    task, _ = _task(samples_per_user=1)
    picked = np.concatenate(list(task.batches(np.random.default_rng(0))))
    assert len(picked) == 2 and len(set(task.target_users[np.searchsorted(task.targets, picked)])) == 2
    assert task.steps_per_epoch() == 1


def test_windows_hold_the_max_len_events_before_the_target_with_recency_weights():
    task, data = _task()
    items, weights = task.windows(np.array([4, 6]))
    assert items.tolist() == [[data.item[2], data.item[3]], [-1, data.item[5]]]
    assert weights.tolist() == [[0.5, 1.0], [0.0, 1.0]]  # half-life of one position
