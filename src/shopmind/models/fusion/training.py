"""The next-item task the fusion model's attention learns from.

For a target event (``samples_per_user`` random ones per user and epoch, or all), the recency- and
event-weighted profile of the ``max_len`` events before it must pick the target out of the catalog: a
softmax over the cosines times a learned scale; above :data:`FULL_SOFTMAX_MAX_ITEMS` items (or with
``n_negatives``) over shared random negatives plus the batch's targets. The window's own items are not
negatives (scoring filters seen items), nor are items without any interaction - else the model would learn
to push exactly the cold items it is meant for away from everyone.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from shopmind.data.interactions import Interactions
from shopmind.models.fusion.blocks import net_inputs
from shopmind.models.fusion.network import FusionNet, pool
from shopmind.models.sequential.windows import padded_windows

#: ``n_negatives=None``: full softmax up to this many items, sampled above.
FULL_SOFTMAX_MAX_ITEMS = 5000
AUTO_NEGATIVES = 2048


@dataclass
class NextItemTask:
    """The training examples of one fit: the user-sorted log (items, event weights, times), the target
    positions (every event after a user's first), and the candidate items."""

    flat: np.ndarray
    weights: np.ndarray
    ts: np.ndarray
    targets: np.ndarray
    target_users: np.ndarray
    user_start: np.ndarray  # per row of the log: the row of its user's first event
    active: np.ndarray  # candidates: the items with interactions
    full_softmax: bool
    n_negatives: int
    max_len: int
    recency: str
    half_life: float
    samples_per_user: int | None
    batch_size: int

    @classmethod
    def of(cls, data: Interactions, full: Interactions, *, weighted: bool, recency: str, half_life: float,
           max_len: int, samples_per_user: int | None, n_negatives: int | None, batch_size: int) -> NextItemTask:
        """Examples from ``data`` (the training log, maybe without held-out items); candidates are the items
        with interactions in ``full``."""
        p = data.indptr
        first = np.repeat(p[:-1], np.diff(p))
        pos = np.arange(len(data), dtype=np.int64)
        targets = pos[pos > first]
        w = data.weight.astype(np.float32) if weighted else np.ones(len(data), np.float32)
        active = np.flatnonzero(full.item_counts() > 0)
        return cls(flat=data.item.astype(np.int64), weights=w, ts=data.timestamp.astype(np.int64), targets=targets,
                   target_users=data.user[targets].astype(np.int64), user_start=first, active=active,
                   full_softmax=n_negatives is None and len(active) <= FULL_SOFTMAX_MAX_ITEMS,
                   n_negatives=min(len(active), n_negatives or AUTO_NEGATIVES), max_len=max_len, recency=recency,
                   half_life=half_life, samples_per_user=samples_per_user, batch_size=batch_size)

    def steps_per_epoch(self) -> int:
        per_epoch = (len(self.targets) if self.samples_per_user is None else
                     int(np.minimum(np.bincount(self.target_users), self.samples_per_user).sum()))
        return max(1, math.ceil(per_epoch / self.batch_size))

    def batches(self, rng: np.random.Generator) -> Iterator[np.ndarray]:
        """This epoch's target positions, shuffled, ``batch_size`` at a time: all of them, or
        ``samples_per_user`` random ones per user."""
        targets, users = self.targets, self.target_users
        if self.samples_per_user is None:
            chosen = targets[rng.permutation(len(targets))]
        else:
            keys = rng.random(len(targets))
            order = np.lexsort((keys, users))
            starts = np.searchsorted(users[order], users[order], side="left")
            keep = order[(np.arange(len(order)) - starts) < self.samples_per_user]
            chosen = targets[keep[rng.permutation(len(keep))]]
        for s in range(0, len(chosen), self.batch_size):
            yield chosen[s:s + self.batch_size]

    def windows(self, tpos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Left-padded history items (-1 = padding) ``[B, L]`` before each target and their recency x event
        weights."""
        starts = np.maximum(self.user_start[tpos], tpos - self.max_len)
        idx = padded_windows(np.arange(len(self.flat), dtype=np.int64), starts, tpos) - 1  # -1 = padding
        valid = idx >= 0
        safe = np.where(valid, idx, 0)
        items = np.where(valid, self.flat[safe], -1)
        wt = np.where(valid, self.weights[safe], 0.0).astype(np.float64)
        if self.recency != "none" and self.half_life > 0:
            if self.recency == "position":
                age = (idx.shape[1] - 1 - np.arange(idx.shape[1]))[None, :].astype(np.float64)
            else:
                last = self.ts[tpos - 1][:, None]
                age = (last - self.ts[safe]).astype(np.float64) / 86400.0
            wt = wt * np.power(0.5, age / self.half_life)
        return items, wt.astype(np.float32)

    def loss(self, net: FusionNet, blocks: Sequence[Any], mask: torch.Tensor, tpos: np.ndarray,
             rng: np.random.Generator) -> tuple[torch.Tensor, int]:
        """Mean softmax cross-entropy of a batch of targets ``tpos`` and how many it averages."""
        n = len(mask)
        hist, hw = self.windows(tpos)
        tgt = self.flat[tpos]
        if self.full_softmax:
            cand = rows = self.active
        else:
            negs = (rng.choice(self.active, self.n_negatives, replace=False) if self.n_negatives < len(self.active)
                    else self.active)
            cand = np.union1d(tgt, negs)
            rows = np.union1d(cand, hist[hist >= 0])
        lookup = np.full(n, -1, dtype=np.int64)
        lookup[rows] = np.arange(len(rows))
        sub_mask = mask[torch.from_numpy(rows)]
        hm = net.modality_vectors(net_inputs(blocks, rows), sub_mask)
        base = net.base_logits(hm)
        a = net.attend(base, sub_mask)
        fused = F.normalize((a.unsqueeze(-1) * hm).sum(1), dim=-1)
        hrow = np.where(hist >= 0, lookup[np.maximum(hist, 0)], -1)
        prof = F.normalize(pool(hrow, hw, fused), dim=-1)
        crow_t = None if self.full_softmax else torch.from_numpy(lookup[cand])
        if net.user_query is not None:
            logits = (net.user_scores(prof, hm, base, sub_mask) if crow_t is None else
                      net.user_scores(prof, hm[crow_t], base[crow_t], sub_mask[crow_t]))
        else:
            logits = net.taste(prof) @ (fused if crow_t is None else fused[crow_t]).T
        logits = logits * net.log_scale.exp().clamp(max=100.0)
        # the window's own items are not negatives (scoring filters seen items)
        cpos = np.full(n, -1, dtype=np.int64)
        cpos[cand] = np.arange(len(cand))
        b_idx, l_idx = np.nonzero(hist >= 0)
        cols = cpos[hist[b_idx, l_idx]]
        seen_mask = np.zeros((len(tpos), len(cand)), dtype=bool)
        seen_mask[b_idx[cols >= 0], cols[cols >= 0]] = True
        seen_mask[np.arange(len(tpos)), cpos[tgt]] = False
        logits = logits.masked_fill(torch.from_numpy(seen_mask), float("-inf"))
        return F.cross_entropy(logits, torch.from_numpy(cpos[tgt])), len(tpos)
