"""Hyperparameter search on the validation split (never on test).

Each trial fits a registered model on ``split.train`` and ranks ``split.valid`` with ``split.train`` as the
history (full ranking, history excluded: the benchmark protocol). The grid is a dict of parameter -> list
of values (or, for random search, anything with an ``rvs`` method such as a ``scipy.stats`` distribution).

>>> best, table = tune("itemknn", split, {"k": [50, 100], "shrink": [0, 10]})          # doctest: +SKIP
>>> best, table = tune("als", split, {"factors": [32, 64, 128]}, n_trials=2, seed=0)   # doctest: +SKIP

Defaults of the classic models (``DEFAULT_GRIDS`` are the spaces they were chosen from) were picked by
the validation NDCG@10 on ml-100k and Amazon Beauty under the leave-one-out protocol, as one setting
that does well on both. The largest single gain on both data sets is recency: weighting a user's history
by ``0.5 ** (events since / half_life)`` with a half-life of 1-3 events (item-kNN, EASE) or folding the
user vectors of ALS / BPR in from such a decayed history. Best per-data-set values differ mainly in
regularisation (EASE ``l2``: ~2000 on ml-100k, ~100 on Beauty), so on new data run :func:`tune`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from sklearn.model_selection import ParameterGrid, ParameterSampler

from shopmind.errors import ParameterError, check_int, check_param
from shopmind.evaluation.protocol import evaluate
from shopmind.models import available, create
from shopmind.training.splits import Split

log = logging.getLogger(__name__)

#: Search spaces used to choose the defaults of the classic models (a starting point for new data).
DEFAULT_GRIDS: dict[str, dict[str, list[Any]]] = {
    "itemknn": {"k": [20, 50, 100, 200, 400], "shrink": [0.0, 10.0, 20.0, 50.0, 100.0],
                "similarity": ["cosine", "asymmetric"], "alpha": [0.35, 0.5, 0.65],
                "recency": ["none", "position"], "half_life": [0.5, 1.0, 2.0, 5.0, 20.0]},
    "seqknn": {"k": [20, 50, 100, 200, 400], "shrink": [0.0, 10.0, 20.0, 50.0],
               "half_life": [0.5, 1.0, 2.0, 5.0, 20.0]},
    "userknn": {"k": [20, 50, 100, 200, 400], "shrink": [0.0, 10.0, 50.0]},
    "ease": {"l2": [50.0, 100.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0],
             "recency": ["none", "position"], "half_life": [1.0, 2.0, 3.0]},
    "als": {"factors": [64, 128, 256], "regularization": [1.0, 10.0, 30.0, 100.0],
            "alpha": [1.0, 5.0, 10.0, 20.0], "recency": ["none", "position"], "half_life": [1.0, 3.0, 5.0]},
    "bpr": {"factors": [64, 128], "learning_rate": [0.03, 0.05, 0.1],
            "regularization": [0.003, 0.01, 0.03], "epochs": [50, 100, 200],
            "recency": ["none", "position"], "half_life": [1.0, 2.0]},
    "mf": {"factors": [4, 8, 16, 32], "regularization": [0.02, 0.05, 0.1, 0.2]},
    "content": {"ngram_max": [1, 2], "min_df": [1, 2], "half_life": [1.0, 2.0, 5.0]},
}


def _parse_metric(metric: str) -> tuple[str, int]:
    name, _, k = metric.partition("@")
    check_param("tune", "metric", metric, bool(name) and k.isdigit() and int(k) >= 1,
                "a metric name with a cut-off such as 'ndcg@10'")
    return metric, int(k)


def tune(
    model_name: str,
    split: Split,
    grid: Mapping[str, Sequence[Any] | Any] | None = None,
    n_trials: int | None = None,
    metric: str = "ndcg@10",
    seed: int = 0,
    fixed: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Grid search (``n_trials=None``) or seeded random search over ``grid`` on the validation split.

    Parameters
    ----------
    model_name : a name registered with :func:`shopmind.models.register`.
    split : a :class:`~shopmind.training.splits.Split`; only ``train`` and ``valid`` are used.
    grid : parameter -> list of values (or a distribution with ``rvs`` for random search); ``None`` takes
        ``DEFAULT_GRIDS[model_name]``.
    n_trials : number of sampled configurations (random search); ``None`` tries the whole grid.
    metric : what to maximise, e.g. ``"ndcg@10"``, ``"hr@10"``, ``"mrr@20"``.
    seed : seeds the sampler (model seeds are hyperparameters, set them in ``fixed``).
    fixed : parameters passed to every trial unchanged.

    Returns
    -------
    ``(best_params, table)``: the best configuration (``fixed`` included) and one row per trial with its
    parameters, ``ndcg/hr/mrr`` at the metric's cut-off, the chosen metric and the fit seconds, best first.
    """

    registry = available()
    check_param("tune", "model_name", model_name, model_name in registry, f"one of {sorted(registry)}")
    metric, k = _parse_metric(metric)
    if grid is None:
        grid = DEFAULT_GRIDS.get(model_name)
        if grid is None:
            raise ParameterError("tune", "grid", None,
                                 f"a dict of parameter values ({model_name!r} has no default grid)")
    if n_trials is not None:
        check_int("tune", "n_trials", n_trials, low=1)
    check_int("tune", "seed", seed, low=0)
    fixed = dict(fixed or {})
    space = {p: (v if hasattr(v, "rvs") else list(v)) for p, v in grid.items()}
    if n_trials is None:
        if any(hasattr(v, "rvs") for v in space.values()):
            raise ParameterError("tune", "n_trials", None, "an int when the grid holds distributions")
        candidates = list(ParameterGrid(space))
    else:
        candidates = list(ParameterSampler(space, n_iter=n_trials, random_state=seed))
    ks = tuple(sorted({10, k}))
    rows: list[dict[str, Any]] = []
    tried: list[dict[str, Any]] = []
    log.info("tuning %s on %s: %d trials, maximising valid %s", model_name, split.train.name,
             len(candidates), metric)
    for t, params in enumerate(candidates, 1):
        full = {**fixed, **params}
        model = create(model_name, **full)
        t0 = time.perf_counter()
        model.fit(split.train, split.valid)
        fit_s = time.perf_counter() - t0
        result = evaluate(model, split.train, split.valid, ks=ks)
        if metric not in result.metrics:
            raise ParameterError("tune", "metric", metric, f"one of {sorted(result.metrics)}")
        row = {**full, **{f"{m}@{k}": result.metrics[f"{m}@{k}"] for m in ("ndcg", "hr", "mrr")},
               metric: result.metrics[metric], "fit_seconds": round(fit_s, 3)}
        rows.append(row)
        tried.append(full)
        best = max(r[metric] for r in rows)
        log.info("[%d/%d] %s %s=%.4f (best %.4f, %.1fs)", t, len(candidates), params, metric,
                 result.metrics[metric], best, fit_s)
    best_at = max(range(len(rows)), key=lambda i: rows[i][metric])  # first of equals wins
    table = pd.DataFrame(rows).sort_values(metric, ascending=False, kind="stable").reset_index(drop=True)
    return {p: _plain(v) for p, v in tried[best_at].items()}, table


def _plain(v: Any) -> Any:
    """numpy scalars (from sampled distributions) back to Python values, which the models' checks expect."""
    return v.item() if hasattr(v, "item") and getattr(v, "ndim", 1) == 0 else v
