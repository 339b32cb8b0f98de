"""What privacy costs: the utility of differentially private published lists against the exact counts, and
federated matrix factorisation against centralised ALS under the full-ranking leave-one-out protocol.

**DP utility** (:func:`dp_utility`). For each epsilon, over ``repeats`` fresh releases:

- *popularity*: the top-10 items by noisy user counts (each user bounded to ``max_items`` items, OpenDP
  Laplace noise) scored by NDCG@10 against the exact ranking (graded gain = the item's exact count of users;
  ideal = the exact top-10), and the leave-one-out NDCG@10 of recommending that list to every test user
  (``shopmind.evaluation.protocol``), next to the same for the exact counts;
- *bought together*: for the ``query_items`` items with the most co-buyers, the top-10 of the noisy
  co-occurrence row (users who bought both) scored by NDCG@10 against the exact row.

**Federated** (:func:`federated_vs_als`): leave-one-out split, :class:`~shopmind.privacy.federated.FederatedMF`
and ALS (``implicit``) with the same factors, regularisation, alpha and recency fitted on train+valid, both
ranked over all items; NDCG@10, the ratio and the bytes exchanged per round.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from shopmind.data.interactions import Interactions
from shopmind.evaluation.protocol import evaluate
from shopmind.models import create
from shopmind.privacy.dp import (
    bound_contributions,
    cooccurrence_row,
    noisy_counts,
    private_item_counts,
    user_item_counts,
)
from shopmind.privacy.federated import FederatedMF
from shopmind.training.splits import leave_one_out

K = 10


def list_ndcg(ranked: np.ndarray, exact: np.ndarray, k: int = K) -> float:
    """NDCG@k of the item list ``ranked`` when item i's gain is ``exact[i]`` (its exact count); the ideal is
    the exact top-k.

    >>> list_ndcg(np.array([2, 1, 0]), np.array([1.0, 2.0, 3.0]), k=3)
    1.0
    >>> round(list_ndcg(np.array([0, 1, 2]), np.array([1.0, 2.0, 3.0]), k=3), 4)
    0.79
    """
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    gains = exact[np.asarray(ranked[:k], dtype=np.int64)]
    ideal = np.sort(exact)[::-1][:k]
    idcg = float((ideal * discounts[:len(ideal)]).sum())
    return float((gains * discounts[:len(gains)]).sum() / idcg) if idcg > 0 else 0.0


def top_by(values: np.ndarray, k: int = K, exclude: int | None = None) -> np.ndarray:
    """Indices of the ``k`` largest values, best first (ties: lower index), without ``exclude``."""
    idx = np.arange(len(values))
    if exclude is not None:
        idx = idx[idx != exclude]
    return idx[np.lexsort((idx, -values[idx]))][:k]


class CountScorer:
    """A recommender that gives every user the same item scores (popularity from some counts)."""

    def __init__(self, counts: np.ndarray) -> None:
        self.counts = np.asarray(counts, dtype=np.float32)

    def score(self, users: np.ndarray) -> np.ndarray:
        return np.tile(self.counts, (len(users), 1))


def dp_utility(users: np.ndarray, items: np.ndarray, n_items: int, *, buy: np.ndarray | None = None,
               interactions: Interactions | None = None, epsilons: Sequence[float] = (0.5, 1.0, 4.0),
               max_items: int = 20, repeats: int = 5, query_items: int = 100, seed: int = 0,
               progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """NDCG@10 of DP popularity and bought-together lists against the exact counts (see the module docs).

    ``users``/``items`` are codes of the positive events (any number per pair); ``buy`` marks the events
    that count for bought-together (default: all); ``interactions`` (with its own codes) adds the
    leave-one-out NDCG@10 of the popularity list."""
    users, items = np.asarray(users, np.int64), np.asarray(items, np.int64)
    buy = np.ones(len(users), bool) if buy is None else np.asarray(buy, bool)
    pairs = np.unique(np.stack([users, items], 1), axis=0)
    exact_pop = user_item_counts(pairs[:, 0], pairs[:, 1], n_items).astype(np.float64)
    bpairs = np.unique(np.stack([users[buy], items[buy]], 1), axis=0)
    b_users, b_items = bpairs[:, 0], bpairs[:, 1]
    buyers = np.bincount(b_items, minlength=n_items)
    queries = top_by(buyers.astype(np.float64), query_items)
    exact_rows = {int(q): cooccurrence_row(b_users, b_items, int(q), n_items).astype(np.float64) for q in queries}
    queries = np.array([q for q in queries if exact_rows[int(q)].sum() > 0], dtype=np.int64)

    loo: dict[str, Any] | None = None
    if interactions is not None:
        split = leave_one_out(interactions)
        history = split.train_valid()
        h_pairs = np.unique(np.stack([history.user, history.item], 1), axis=0)
        loo = {"history": history, "test": split.test, "users": h_pairs[:, 0], "items": h_pairs[:, 1]}
        loo["exact"] = float(evaluate(CountScorer(user_item_counts(h_pairs[:, 0], h_pairs[:, 1], history.n_items)),
                                      history, split.test).metrics[f"ndcg@{K}"])

    results = []
    for eps in epsilons:
        pop, loo_ndcg, together = [], [], []
        for r in range(repeats):
            if progress is not None:
                progress(f"epsilon {eps}: release {r + 1}/{repeats}")
            rs = seed + 1000 * r
            noisy = private_item_counts(pairs[:, 0], pairs[:, 1], n_items, eps, max_items=max_items, seed=rs)
            pop.append(list_ndcg(noisy.top(K), exact_pop))
            if loo is not None:
                h = private_item_counts(loo["users"], loo["items"], loo["history"].n_items, eps,
                                        max_items=max_items, seed=rs)
                loo_ndcg.append(float(evaluate(CountScorer(h.values), loo["history"], loo["test"])
                                      .metrics[f"ndcg@{K}"]))
            bu, bi, _ = bound_contributions(b_users, b_items, max_items=max_items, seed=rs)
            for q in queries:
                row = noisy_counts(cooccurrence_row(bu, bi, int(q), n_items), eps, max(1, max_items - 1))
                together.append(list_ndcg(top_by(row.values.astype(np.float64), K, exclude=int(q)),
                                          exact_rows[int(q)]))
        entry: dict[str, Any] = {
            "epsilon": eps, "popularity_ndcg@10": _mean_sd(pop), "bought_together_ndcg@10": _mean_sd(together)}
        if loo is not None:
            entry["popularity_loo_ndcg@10"] = _mean_sd(loo_ndcg)
        results.append(entry)
    out: dict[str, Any] = {
        "protocol": {"max_items_per_user": max_items, "repeats": repeats, "query_items": len(queries),
                     "sensitivity": {"popularity": max_items, "bought_together": max(1, max_items - 1)},
                     "list_ndcg": "NDCG@10 of the DP top-10 with gain = exact count, ideal = exact top-10",
                     "mechanism": "OpenDP discrete Laplace, scale = sensitivity / epsilon, per release"},
        "data": {"users": len(np.unique(users)), "items": int(n_items), "events": len(users),
                 "buy_pairs": len(bpairs)},
        "results": results,
    }
    if loo is not None:
        out["popularity_loo_ndcg@10_exact"] = loo["exact"]
    return out


def _mean_sd(values: Sequence[float]) -> dict[str, float | None]:
    arr = np.asarray(values, dtype=np.float64)
    if len(arr) == 0:
        return {"mean": None, "sd": None, "n": 0}
    return {"mean": round(float(arr.mean()), 4), "sd": round(float(arr.std(ddof=1)) if len(arr) > 1 else 0.0, 4),
            "n": len(arr)}


def federated_vs_als(data: Interactions, *, factors: int = 64, regularization: float = 30.0, alpha: float = 20.0,
                     rounds: int = 60, lr: float = 0.05, clients_per_round: int | None = None,
                     secure_aggregation: bool = False, recency: str = "none", half_life: float = 3.0,
                     seed: int = 0, als: bool = True, eval_every: int = 0,
                     progress: Callable[[int, dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Federated MF against centralised ALS on one leave-one-out split (see the module docs).

    ``eval_every`` > 0 also measures the federated model's NDCG@10 every that many rounds (the learning
    curve; a measurement only, it does not feed back into training)."""
    split = leave_one_out(data)
    history, test = split.train_valid(), split.test
    out: dict[str, Any] = {"protocol": {"split": "leave-one-out by time", "ranking": "full (all items)",
                                        "exclude_seen": True, "test_users": len(set(test.user.tolist()))},
                           "params": {"factors": factors, "regularization": regularization, "alpha": alpha,
                                      "rounds": rounds, "lr": lr, "clients_per_round": clients_per_round,
                                      "secure_aggregation": secure_aggregation, "recency": recency,
                                      "half_life": half_life, "seed": seed}}
    if als:
        t0 = time.perf_counter()
        model = create("als", factors=factors, regularization=regularization, alpha=alpha, recency=recency,
                       half_life=half_life, seed=seed).fit(history)
        out["als"] = {"ndcg@10": evaluate(model, history, test).metrics["ndcg@10"],
                      "train_seconds": round(time.perf_counter() - t0, 1)}
    curve: list[dict[str, float]] = []
    fed = FederatedMF(factors=factors, regularization=regularization, alpha=alpha, rounds=rounds, lr=lr,
                      clients_per_round=clients_per_round, secure_aggregation=secure_aggregation,
                      recency=recency, half_life=half_life, seed=seed)

    def on_round(t: int, stats: dict[str, Any]) -> None:
        if progress is not None:
            progress(t, stats)
        if eval_every and t % eval_every == 0 and t < rounds:
            curve.append({"round": t, "ndcg@10": round(evaluate(fed.snapshot(), history, test)
                                                       .metrics["ndcg@10"], 4)})

    t0 = time.perf_counter()
    fed.fit(history, progress=on_round)
    seconds = time.perf_counter() - t0
    ndcg = evaluate(fed, history, test).metrics["ndcg@10"]
    per_round = fed.bytes_per_round()
    out["federated"] = {"ndcg@10": ndcg, "train_seconds": round(seconds, 1), "curve": curve,
                        "clients": int((history.user_counts() > 0).sum()),
                        "bytes_per_round": {"down": per_round["down"], "up": per_round["up"],
                                            "per_client_up": fed.history_[-1]["bytes_up"]
                                            / max(1, fed.history_[-1]["clients"])}}
    if als:
        out["ratio_to_als"] = round(ndcg / out["als"]["ndcg@10"], 4) if out["als"]["ndcg@10"] else None
    return out
