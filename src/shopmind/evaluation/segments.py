"""Per-segment breakdowns of an :class:`~shopmind.evaluation.protocol.EvalResult`.

User side: test users split by how active they were in training (cold / light / medium / heavy).
Item side: targets split by the popularity of their item (head = the most popular items, tail = the rest).
Both answer "where does a model win?", which a single average hides.

Examples
--------
>>> from shopmind.data.interactions import Interactions
>>> from shopmind.evaluation.protocol import evaluate
>>> from shopmind.training.splits import leave_one_out
>>> from shopmind.models.baselines import MostPopular
>>> data = Interactions.from_sequences({"a": ["x", "y", "z"], "b": ["x", "y", "z", "w"]})
>>> split = leave_one_out(data)
>>> res = evaluate(MostPopular().fit(split.train_valid()), split.train_valid(), split.test)
>>> activity_breakdown(res, split.train_valid())["cold"]["users"]
2
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from shopmind.data.interactions import Interactions
from shopmind.errors import ParameterError, check_float, check_int
from shopmind.evaluation.protocol import EvalResult

#: Labels of the activity segments, least active first; "cold" is always the first.
ACTIVITY_LABELS: tuple[str, ...] = ("cold", "light", "medium", "heavy")


def activity_segments(counts: np.ndarray, cold_max: int = 5,
                      quantiles: Sequence[float] = (1 / 3, 2 / 3),
                      labels: Sequence[str] = ACTIVITY_LABELS) -> np.ndarray:
    """Label each user by their number of training interactions.

    Users with ``counts <= cold_max`` are ``labels[0]`` ("cold"). The others are cut at the given
    ``quantiles`` of the non-cold users' counts: ``count <= q_1`` is ``labels[1]``, ``q_1 < count <= q_2``
    is ``labels[2]``, and so on, so ``len(labels) == len(quantiles) + 2``.

    Parameters
    ----------
    counts : training interactions of each evaluated user.
    cold_max : the most interactions a "cold" user has (``-1`` disables the cold segment).
    quantiles : increasing cut points in ``(0, 1)``.
    labels : segment names, least active first.

    Examples
    --------
    >>> activity_segments(np.array([1, 6, 7, 8, 9, 50]), cold_max=5, quantiles=(0.5,),
    ...                   labels=("cold", "light", "heavy")).tolist()
    ['cold', 'light', 'light', 'light', 'heavy', 'heavy']
    """
    check_int("activity_segments", "cold_max", cold_max, low=-1)
    qs = [float(q) for q in quantiles]
    if any(not 0.0 < q < 1.0 for q in qs) or any(b <= a for a, b in itertools.pairwise(qs)):
        raise ParameterError("activity_segments", "quantiles", tuple(quantiles),
                             "increasing numbers in (0, 1)")
    if len(labels) != len(qs) + 2:
        raise ParameterError("activity_segments", "labels", tuple(labels),
                             f"{len(qs) + 2} names (cold + one more than the {len(qs)} quantiles)")
    counts = np.asarray(counts)
    out = np.empty(len(counts), dtype=object)
    cold = counts <= cold_max
    out[cold] = labels[0]
    warm = counts[~cold]
    if len(warm):
        cuts = np.quantile(warm, qs) if qs else np.array([])
        # side="left": a count equal to a cut point belongs to the lower segment
        seg = np.searchsorted(cuts, warm, side="left")
        out[~cold] = np.asarray(labels[1:], dtype=object)[seg]
    return out


def segment_metrics(result: EvalResult, labels: np.ndarray, metrics: Sequence[str] | None = None,
                    order: Sequence[str] | None = None) -> dict[str, dict[str, float]]:
    """Mean of each per-user metric within each segment, plus the segment's user count.

    Parameters
    ----------
    result : an evaluation; ``labels`` has one entry per ``result.users``.
    metrics : per-user metric names (default: all of ``result.per_user``).
    order : segment names in output order (default: sorted; absent segments are reported with 0 users).

    Examples
    --------
    >>> res = EvalResult(np.arange(3), np.zeros((3, 1), int), [], {"hr@1": np.array([1.0, 0.0, 0.0])}, {})
    >>> segment_metrics(res, np.array(["a", "b", "b"]))
    {'a': {'users': 1, 'hr@1': 1.0}, 'b': {'users': 2, 'hr@1': 0.0}}
    """
    labels = np.asarray(labels, dtype=object)
    if len(labels) != len(result.users):
        raise ValueError(f"segment_metrics: {len(labels)} labels for {len(result.users)} evaluated users")
    names = list(metrics) if metrics is not None else list(result.per_user)
    missing = [m for m in names if m not in result.per_user]
    if missing:
        raise ParameterError("segment_metrics", "metrics", missing, f"names among {sorted(result.per_user)}")
    segs = list(order) if order is not None else sorted({str(x) for x in labels})
    out: dict[str, dict[str, float]] = {}
    for seg in segs:
        mask = labels == seg
        n = int(mask.sum())
        row: dict[str, float] = {"users": n}
        for m in names:
            row[m] = float(result.per_user[m][mask].mean()) if n else float("nan")
        out[seg] = row
    return out


def activity_breakdown(result: EvalResult, history: Interactions, cold_max: int = 5,
                       quantiles: Sequence[float] = (1 / 3, 2 / 3),
                       labels: Sequence[str] = ACTIVITY_LABELS,
                       metrics: Sequence[str] | None = None) -> dict[str, dict[str, float]]:
    """Metrics per user-activity segment, counting each test user's interactions in ``history``.

    See :func:`activity_segments` for the cut points. Returns ``{segment: {"users": n, "hr@10": ...}}`` in
    ``labels`` order.

    Examples
    --------
    >>> history = Interactions.from_sequences({"a": ["x", "y", "z"], "b": ["x"]})
    >>> res = EvalResult(np.arange(2), np.zeros((2, 1), int), [], {"hr@1": np.array([1.0, 0.0])}, {})
    >>> activity_breakdown(res, history, cold_max=1)["cold"]
    {'users': 1, 'hr@1': 0.0}
    """
    counts = history.user_counts()[result.users]
    seg = activity_segments(counts, cold_max=cold_max, quantiles=quantiles, labels=labels)
    return segment_metrics(result, seg, metrics=metrics, order=labels)


def head_items(item_popularity: np.ndarray, head_fraction: float = 0.2) -> np.ndarray:
    """Boolean mask of the "head": the ``head_fraction`` most popular of the items with any interaction.

    Items are ranked by popularity (ties broken by lower index); the head is the first
    ``ceil(head_fraction * n_active)`` of them. Items never interacted with are always tail.

    Examples
    --------
    >>> head_items(np.array([9, 0, 3, 5, 1, 1]), 0.4).tolist()
    [True, False, False, True, False, False]
    """
    check_float("head_items", "head_fraction", head_fraction, low=0.0, high=1.0, low_open=True)
    pop = np.asarray(item_popularity)
    active = int((pop > 0).sum())
    n_head = int(np.ceil(head_fraction * active))
    order = np.lexsort((np.arange(len(pop)), -pop))[:n_head]
    mask = np.zeros(len(pop), dtype=bool)
    mask[order] = True
    return mask


def popularity_breakdown(result: EvalResult, history: Interactions, k: int = 10,
                         head_fraction: float = 0.2) -> dict[str, dict[str, float]]:
    """Hit rate at ``k`` on targets whose item is in the popularity head vs the long tail.

    Popularity counts the distinct ``history`` users of each item; see :func:`head_items`. Each
    (user, target item) pair counts once: it is a hit when the item is in that user's top-``k``.
    Returns ``{"head": {"targets": n, "hr@k": ...}, "tail": {...}}``.

    Examples
    --------
    >>> history = Interactions.from_sequences({"a": ["x", "y"], "b": ["x", "z"], "c": ["x"]})
    >>> res = EvalResult(np.arange(2), np.array([[0], [2]]), [np.array([0]), np.array([1])], {}, {})
    >>> popularity_breakdown(res, history, k=1, head_fraction=0.2)  # head = {"x"}
    {'head': {'targets': 1, 'hr@1': 1.0}, 'tail': {'targets': 1, 'hr@1': 0.0}}
    """
    check_int("popularity_breakdown", "k", k, low=1)
    if k > result.topk.shape[1]:
        raise ParameterError("popularity_breakdown", "k", k,
                             f"an int <= {result.topk.shape[1]} (the evaluation's largest k)")
    item_users = np.diff(history.to_csr(weighted=False).tocsc().indptr)
    head = head_items(item_users, head_fraction)
    top = result.topk[:, :k]
    is_head: list[np.ndarray] = []
    is_hit: list[np.ndarray] = []
    for row, tgt in zip(top, result.targets, strict=True):
        t = np.unique(tgt)
        is_head.append(head[t])
        is_hit.append(np.isin(t, row))
    heads = np.concatenate(is_head) if is_head else np.zeros(0, dtype=bool)
    hits = np.concatenate(is_hit) if is_hit else np.zeros(0, dtype=bool)
    out: dict[str, dict[str, float]] = {}
    for name, mask in (("head", heads), ("tail", ~heads)):
        n = int(mask.sum())
        out[name] = {"targets": n, f"hr@{k}": float(hits[mask].mean()) if n else float("nan")}
    return out
