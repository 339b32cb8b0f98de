"""Histories as left-padded windows, training windows, batches of similar lengths, time-gap buckets."""

from __future__ import annotations

import numpy as np
import torch

from shopmind.models.sequential.windows import (
    TrainingWindows,
    bucketed_batches,
    history_tail,
    padded_windows,
    time_gap_buckets,
    training_windows,
)


def test_padded_windows_right_aligns_and_offsets_ids():
    flat = np.array([5, 6, 7, 8, 9])
    out = padded_windows(flat, np.array([0, 3]), np.array([3, 4]))
    assert out.tolist() == [[6, 7, 8], [0, 0, 9]]


def test_training_windows_cover_every_target_once():
    indptr = np.array([0, 7, 8, 10])  # lengths 7, 1 (no target), 2
    starts, ends = training_windows(indptr, max_len=3, all_windows=True)
    targets = sorted(i for s, e in zip(starts, ends, strict=True) for i in range(s + 1, e))
    assert targets == [1, 2, 3, 4, 5, 6, 9]
    assert all(e - s <= 4 for s, e in zip(starts, ends, strict=True))
    s_last, _ = training_windows(indptr, max_len=3, all_windows=False)
    assert len(s_last) == 2


def test_bucketed_batches_is_a_seeded_partition():
    lengths = np.random.default_rng(0).integers(1, 50, size=103)
    a = bucketed_batches(lengths, 10, np.random.default_rng(1), bucket=2)
    b = bucketed_batches(lengths, 10, np.random.default_rng(1), bucket=2)
    assert sorted(np.concatenate(a).tolist()) == list(range(103))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_time_gap_buckets_start_each_user_at_zero_and_grow_with_log_minutes():
    indptr = np.array([0, 4, 6])
    ts = np.array([0, 10, 70, 70 + 86_400, 5, 5 + 10 ** 9])
    assert time_gap_buckets(indptr, ts).tolist() == [0, 1, 2, 11, 0, 19]  # 10 s, 1 min, 1 day; capped


def test_history_tail_keeps_each_users_latest_items():
    indptr = np.array([0, 4, 5, 5])  # lengths 4, 1, 0
    flat = np.arange(10, 15)
    ptr, items, events = history_tail(indptr, flat, flat * 2, max_len=2)
    assert ptr.tolist() == [0, 2, 3, 3] and items.tolist() == [12, 13, 14] and events.tolist() == [24, 26, 28]


def test_training_window_batches_are_inputs_and_next_item_targets():
    windows = TrainingWindows.of(np.array([0, 4]), np.array([5, 6, 7, 8]), None, max_len=3, all_windows=True)
    assert len(windows) == 1 and windows.lengths().tolist() == [4]
    inp, tgt, ev = windows.batch(np.array([0]), torch.device("cpu"))
    assert inp.tolist() == [[6, 7, 8]] and tgt.tolist() == [[7, 8, 9]] and ev is None
