"""The data a sequence model reads: users' histories as left-padded windows of item indices.

A history is a slice of a user-sorted log (``Interactions.indptr``); a window holds item index + 1 so that
0 is padding, right-aligned so that the most recent item is always in the last column. Training cuts each
history into windows of ``max_len + 1`` items (input = all but the last, target = all but the first).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import torch

#: ``use_time``: buckets of the time since the user's previous event (0 = first event, then log2 minutes)
TIME_BUCKETS = 20


def padded_windows(flat: np.ndarray, starts: np.ndarray, ends: np.ndarray, width: int | None = None) -> np.ndarray:
    """Left-padded int64 matrix whose row r holds ``flat[starts[r]:ends[r]] + 1`` (0 = padding).

    ``width`` defaults to the longest window; the rows are right-aligned so that the most recent item is
    always in the last column.

    >>> padded_windows(np.array([5, 6, 7, 8, 9]), np.array([0, 3]), np.array([3, 4])).tolist()
    [[6, 7, 8], [0, 0, 9]]
    """
    lens = (ends - starts).astype(np.int64)
    width = int(lens.max(initial=0)) if width is None else width
    out = np.zeros((len(starts), max(width, 1)), dtype=np.int64)
    total = int(lens.sum())
    if total == 0:
        return out
    rows = np.repeat(np.arange(len(starts)), lens)
    offs = np.arange(total) - np.repeat(np.cumsum(lens) - lens, lens)
    cols = (out.shape[1] - lens)[rows] + offs
    out[rows, cols] = flat[np.repeat(starts, lens) + offs] + 1
    return out


def training_windows(indptr: np.ndarray, max_len: int, all_windows: bool) -> tuple[np.ndarray, np.ndarray]:
    """Windows ``[start, end)`` of at most ``max_len + 1`` items (input = all but the last, target = all
    but the first). Always the most recent window of each user; with ``all_windows`` also the earlier,
    non-overlapping ones so that every interaction is a target once per epoch."""
    starts, ends = [], []
    for u in range(len(indptr) - 1):
        lo, hi = int(indptr[u]), int(indptr[u + 1])
        end = hi
        while end - lo >= 2:
            starts.append(max(lo, end - max_len - 1))
            ends.append(end)
            if not all_windows:
                break
            end -= max_len
    return np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)


def time_gap_buckets(indptr: np.ndarray, timestamp: np.ndarray, n_buckets: int = TIME_BUCKETS) -> np.ndarray:
    """Per row of a user-sorted log: 0 for each user's first event, else ``1 + floor(log2(1 + minutes since
    the user's previous event))``, capped at ``n_buckets - 1`` (the last bucket is 2^(n_buckets-2) minutes
    and more: about six months for the default 20).

    >>> time_gap_buckets(np.array([0, 3, 4]), np.array([0, 30, 3630, 99])).tolist()
    [0, 1, 6, 0]
    """
    ts = np.asarray(timestamp, dtype=np.float64)
    out = np.zeros(len(ts), dtype=np.int64)
    if len(ts) < 2:
        return out
    minutes = np.maximum(np.diff(ts), 0.0) / 60.0
    out[1:] = 1 + np.minimum(np.floor(np.log2(1.0 + minutes)), n_buckets - 2).astype(np.int64)
    starts = np.asarray(indptr[:-1])[np.diff(indptr) > 0]
    out[starts] = 0
    return out


def bucketed_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator,
                     bucket: int = 32) -> list[np.ndarray]:
    """Shuffled batches of similar lengths (less padding): shuffle, sort chunks of ``bucket`` batches by
    length, cut into batches, shuffle the batch order."""
    order = rng.permutation(len(lengths))
    chunk = batch_size * bucket
    batches: list[np.ndarray] = []
    for s in range(0, len(order), chunk):
        part = order[s:s + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches.extend(part[i:i + batch_size] for i in range(0, len(part), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


def history_tail(indptr: np.ndarray, flat: np.ndarray, events: np.ndarray | None,
                 max_len: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The last ``max_len`` items (and side codes) of each user as a ragged (indptr, values) table: the
    histories a fitted model scores from."""
    lens = np.minimum(np.diff(indptr), max_len)
    starts = indptr[1:] - lens
    idx = np.concatenate([np.arange(s, s + n) for s, n in zip(starts, lens, strict=True)]) if len(lens) else \
        np.zeros(0, dtype=np.int64)
    idx = idx.astype(np.int64)
    new_ptr = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    return new_ptr, flat[idx].copy(), None if events is None else events[idx].copy()


@dataclass(frozen=True)
class TrainingWindows:
    """The training windows of a log: item indices ``flat`` (and per-event side codes ``events``) of the
    user-sorted log, and each window's ``[start, end)`` rows."""

    flat: np.ndarray
    events: np.ndarray | None
    starts: np.ndarray
    ends: np.ndarray

    @classmethod
    def of(cls, indptr: np.ndarray, flat: np.ndarray, events: np.ndarray | None, max_len: int,
           all_windows: bool) -> TrainingWindows:
        """The windows of :func:`training_windows` over a log."""
        return cls(flat, events, *training_windows(indptr, max_len, all_windows))

    def __len__(self) -> int:
        return len(self.starts)

    def lengths(self) -> np.ndarray:
        """Items per window (input and target together)."""
        return cast("np.ndarray", self.ends - self.starts)

    def batch(self, rows: np.ndarray, device: torch.device
              ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Inputs, next-item targets and side codes of windows ``rows`` as left-padded tensors."""
        starts, ends = self.starts[rows], self.ends[rows]
        inp = torch.from_numpy(padded_windows(self.flat, starts, ends - 1)).to(device)
        tgt = torch.from_numpy(padded_windows(self.flat, starts + 1, ends)).to(device)
        ev = None if self.events is None else torch.from_numpy(padded_windows(self.events, starts, ends - 1)).to(device)
        return inp, tgt, ev
