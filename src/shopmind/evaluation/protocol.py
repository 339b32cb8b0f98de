"""Full-ranking evaluation: every model ranks ALL catalog items for every test user.

No sampled negatives. Items in the user's history (the interactions the model was fitted on) are
excluded when ``exclude_seen`` is set; a target that is itself in the history therefore counts as a miss.

Ties are broken against the held-out items (the pessimistic convention): a target that scores exactly as
much as another item is ranked after it, so a model that scores many items equally (popularity, a
constant fallback) cannot gain from the order in which ties happen to fall.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from shopmind.data.interactions import Interactions
from shopmind.errors import ParameterError, ShopmindError, check_int
from shopmind.training import metrics as M
from shopmind.training.scores import Scorer, mask_seen, top_k
from shopmind.training.splits import targets_by_user

PER_USER_METRICS = {
    "hr": M.hit_rate, "ndcg": M.ndcg, "mrr": M.mrr, "recall": M.recall, "precision": M.precision,
    "map": M.average_precision,
}


@dataclass
class EvalResult:
    """Per-user metric vectors (for intervals and paired tests), top-K lists and aggregates.

    Attributes
    ----------
    users : dense indices of the evaluated users (row order of everything below).
    topk : ``[n_users, max(ks)]`` recommended item ids (``-1`` = empty slot).
    targets : each user's target items.
    per_user : ``"hr@10" -> [n_users]`` vectors.
    metrics : ``"hr@10" -> mean`` plus catalog-level ``coverage@k`` and ``gini@k``.
    extra : ``n_items``, ``exclude_seen`` and ``ks`` of the run.
    """

    users: np.ndarray
    topk: np.ndarray
    targets: list[np.ndarray]
    per_user: dict[str, np.ndarray]
    metrics: dict[str, float]
    eval_seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def rank_all(model: Scorer, history: Interactions, users: np.ndarray, k: int,
             exclude_seen: bool = True, batch_size: int = 512,
             targets: Sequence[np.ndarray] | None = None) -> np.ndarray:
    """Top-``k`` item ids for each user over the whole catalog (``history.n_items`` items).

    Items in the user's ``history`` are excluded when ``exclude_seen``; NaN scores rank last. Slots left
    empty (fewer than ``k`` rankable items) hold ``-1``. Other ties go to the lower item index, except that
    with ``targets`` (each user's held-out items, aligned with ``users``) a target tied with other items is
    ranked after all of them (pessimistic).

    Examples
    --------
    >>> from shopmind.models.baselines import MostPopular
    >>> data = Interactions.from_sequences({"a": ["x", "y"], "b": ["x", "z"], "c": ["x"]})
    >>> model = MostPopular().fit(data)
    >>> rank_all(model, data, np.array([2]), k=2).tolist()  # "x" is c's history
    [[1, 2]]
    """
    check_int("rank_all", "k", k, low=1)
    check_int("rank_all", "batch_size", batch_size, low=1)
    seen = history.to_csr(weighted=False) if exclude_seen else None
    users = np.asarray(users, dtype=np.int64)
    out = np.empty((len(users), k), dtype=np.int64)
    for start in range(0, len(users), batch_size):
        ub = users[start:start + batch_size]
        scores = np.array(model.score(ub), dtype=np.float32, copy=True)
        if scores.shape != (len(ub), history.n_items):
            raise ShopmindError(
                f"{type(model).__name__}.score returned shape {scores.shape} for {len(ub)} users; full "
                f"ranking needs one score per catalog item ({history.n_items}). Fit the model on data that "
                "shares the evaluation data's item mapping (the splits of one Interactions do).")
        np.nan_to_num(scores, copy=False, nan=-np.inf)
        if seen is not None:
            mask_seen(scores, seen, ub)
        out[start:start + len(ub)] = top_k(scores, k)[0]
        if targets is not None:
            for row in range(len(ub)):
                _pessimistic_row(out, start + row, scores[row], targets[start + row], k)
    return out


def _pessimistic_row(out: np.ndarray, at: int, scores: np.ndarray, targets: np.ndarray, k: int) -> None:
    """Re-rank one user's top-``k`` (``out[at]``) so that each target tied with a non-target comes after it.

    Only users with such a tie are re-ranked (most have none): the rankable items scoring at least the k-th
    score are ordered by score (descending), then non-targets before targets, then item index.
    """
    t = np.asarray(targets, dtype=np.int64)
    if len(t) == 0:
        return
    ts = scores[t]
    ts = ts[np.isfinite(ts)]
    if len(ts) == 0:
        return
    is_target = np.zeros(len(scores), dtype=bool)
    is_target[t] = True
    tied = [s for s in np.unique(ts) if np.count_nonzero((scores == s) & ~is_target) > 0]
    if not tied:
        return
    kth = out[at, k - 1]
    floor = scores[kth] if kth >= 0 else -np.inf  # nothing below the k-th score can enter the list
    cand = np.flatnonzero((scores >= floor) & np.isfinite(scores))
    order = np.lexsort((cand, is_target[cand], -scores[cand]))[:k]
    ids = np.full(k, -1, dtype=np.int64)
    ids[:len(order)] = cand[order]
    out[at] = ids


def evaluate(model: Scorer, history: Interactions, targets: Interactions, ks: tuple[int, ...] = (10,),
             exclude_seen: bool = True, batch_size: int = 512,
             item_vectors: np.ndarray | None = None) -> EvalResult:
    """Rank all items for each user with targets and compute metrics at each ``k``.

    ``history`` must be what the model was fitted on (its rows are masked when ``exclude_seen``, so a target
    that is already in the history counts as a miss). Per-user vectors (``hr``, ``ndcg``, ``mrr``,
    ``recall``, ``precision``, ``map``, ``novelty`` and, given ``item_vectors``, ``ild``) are kept in
    ``per_user``; ``metrics`` holds their means plus ``coverage@k`` and ``gini@k``.

    Examples
    --------
    >>> from shopmind.training.splits import leave_one_out
    >>> from shopmind.models.baselines import MostPopular
    >>> data = Interactions.from_sequences({"a": ["x", "y", "z"], "b": ["x", "y", "z"], "c": ["y", "x", "z"]})
    >>> split = leave_one_out(data)
    >>> res = evaluate(MostPopular().fit(split.train_valid()), split.train_valid(), split.test, ks=(1, 10))
    >>> res.metrics["hr@1"], res.metrics["hr@10"]
    (1.0, 1.0)
    """
    if not ks or any(isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1 for k in ks):
        raise ParameterError("evaluate", "ks", ks, "a non-empty tuple of ints >= 1")
    t0 = time.perf_counter()
    users, tgts = targets_by_user(targets)
    kmax = int(max(ks))
    topk = rank_all(model, history, users, kmax, exclude_seen=exclude_seen, batch_size=batch_size, targets=tgts)
    per_user: dict[str, np.ndarray] = {}
    metrics: dict[str, float] = {}
    # novelty uses the share of training users who touched each item (distinct users, not events)
    item_users = np.diff(history.to_csr(weighted=False).tocsc().indptr)
    n_hist_users = max(1, int((history.user_counts() > 0).sum()))
    for k in (int(k) for k in ks):
        for name, fn in PER_USER_METRICS.items():
            per_user[f"{name}@{k}"] = fn(topk, tgts, k)
        per_user[f"novelty@{k}"] = M.novelty(topk, item_users, n_hist_users, k)
        if item_vectors is not None:
            per_user[f"ild@{k}"] = M.intra_list_diversity(topk, item_vectors, k)
        for key in [key for key in per_user if key.endswith(f"@{k}")]:
            v = per_user[key]
            metrics[key] = float(v.mean()) if len(v) else 0.0
        metrics[f"coverage@{k}"] = M.item_coverage(topk, history.n_items, k)
        metrics[f"gini@{k}"] = M.exposure_gini(topk, history.n_items, k)
    extra = {"n_items": history.n_items, "exclude_seen": exclude_seen, "ks": tuple(int(k) for k in ks)}
    return EvalResult(users, topk, tgts, per_user, metrics, time.perf_counter() - t0, extra)
