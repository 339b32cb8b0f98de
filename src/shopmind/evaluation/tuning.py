"""Hyperparameter search on the validation split (never on test).

Each trial fits a registered model on ``split.train`` and ranks ``split.valid`` with ``split.train`` as the
history (full ranking, history excluded: the benchmark protocol). The grid is a dict of parameter -> list
of values (or, for a sampled search, an Optuna distribution such as ``FloatDistribution(1, 1e4, log=True)``).

Without ``n_trials`` every combination of the grid is tried; with it, Optuna's TPE sampler (seeded) picks
``n_trials`` configurations. Trials run one after another in this process, or with a Ray executor
(:class:`~shopmind.training.executor.RayExecutor`) on Ray Tune side by side, each on its share of the
cores: the grid then runs as one Ray Tune trial per combination, the sampled search through Ray Tune's
``OptunaSearch`` with the same seeded sampler. Both return the same leaderboard: the grid's trials and
the sampler's first ``n_startup_trials`` (10) are the same configurations with the same metrics; later TPE
suggestions depend on which results have arrived, which differs once trials run concurrently.

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
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
from sklearn.model_selection import ParameterGrid

from shopmind.errors import ParameterError, check_int, check_param
from shopmind.evaluation.protocol import evaluate
from shopmind.models import available, create
from shopmind.training.executor import Executor, SerialExecutor
from shopmind.training.splits import Split
from shopmind.training.threads import limit_threads

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
    executor: Executor | None = None,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Grid search (``n_trials=None``) or seeded Optuna TPE search over ``grid`` on the validation split.

    Parameters
    ----------
    model_name : a name registered with :func:`shopmind.models.register`.
    split : a :class:`~shopmind.training.splits.Split`; only ``train`` and ``valid`` are used.
    grid : parameter -> list of values (or an Optuna distribution for a sampled search); ``None`` takes
        ``DEFAULT_GRIDS[model_name]``.
    n_trials : number of sampled configurations (Optuna TPE); ``None`` tries the whole grid.
    metric : what to maximise, e.g. ``"ndcg@10"``, ``"hr@10"``, ``"mrr@20"``.
    seed : seeds the sampler (model seeds are hyperparameters, set them in ``fixed``).
    fixed : parameters passed to every trial unchanged.
    executor : where trials run (default: this process, one after another); a started
        :class:`~shopmind.training.executor.RayExecutor` runs them on Ray Tune.

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
    space = {p: _dimension(p, v) for p, v in grid.items()}
    sampled = any(not isinstance(v, list) for v in space.values())
    if n_trials is None and sampled:
        raise ParameterError("tune", "n_trials", None, "an int when the grid holds distributions")
    job = TuningTrial(model_name, split, fixed, metric, tuple(sorted({10, k})))
    executor = executor or SerialExecutor()
    log.info("tuning %s on %s: %s, maximising valid %s, %s executor", model_name, split.train.name,
             f"{n_trials} TPE trials" if n_trials else f"grid of {len(ParameterGrid(space))}", metric, executor.name)
    if executor.name == "ray":
        from shopmind.evaluation.tune_ray import run_on_ray_tune  # lazy: Ray only for --executor ray

        rows = run_on_ray_tune(job, space, n_trials, seed, getattr(executor, "cpus_per_task", 1), executor.workers)
    elif n_trials is None:
        rows = [job.run(params) for params in ParameterGrid(space)]
    else:
        rows = _optuna_serial(job, space, n_trials, seed)
    best_at = max(range(len(rows)), key=lambda i: rows[i][metric])  # first of equals wins
    best = {p: _plain(rows[best_at][p]) for p in {**fixed, **space}}
    table = pd.DataFrame(rows).sort_values(metric, ascending=False, kind="stable").reset_index(drop=True)
    return best, table


class TuningTrial:
    """One trial: fit on train, rank the validation items; a plain object so Ray can ship it to a worker."""

    def __init__(self, model_name: str, split: Split, fixed: dict[str, Any], metric: str, ks: tuple[int, ...]):
        self.model_name, self.split, self.fixed, self.metric, self.ks = model_name, split, fixed, metric, ks

    def run(self, params: Mapping[str, Any], threads: int | None = None) -> dict[str, Any]:
        """The leaderboard row of ``params`` (on at most ``threads`` threads when given)."""
        full = {**self.fixed, **{p: _plain(v) for p, v in params.items()}}
        if threads is not None:
            with limit_threads(threads):
                return self._run(full)
        return self._run(full)

    def _run(self, full: dict[str, Any]) -> dict[str, Any]:
        model = create(self.model_name, **full)
        t0 = time.perf_counter()
        model.fit(self.split.train, self.split.valid)
        fit_s = time.perf_counter() - t0
        result = evaluate(model, self.split.train, self.split.valid, ks=self.ks)
        if self.metric not in result.metrics:
            raise ParameterError("tune", "metric", self.metric, f"one of {sorted(result.metrics)}")
        k = self.metric.partition("@")[2]
        row = {**full, **{f"{m}@{k}": result.metrics[f"{m}@{k}"] for m in ("ndcg", "hr", "mrr")},
               self.metric: result.metrics[self.metric], "fit_seconds": round(fit_s, 3)}
        log.info("%s %s=%.4f (%.1fs)", full, self.metric, result.metrics[self.metric], fit_s)
        return row


def _dimension(name: str, values: Any) -> Any:
    """A grid entry as a list of values or an Optuna distribution."""
    if _is_distribution(values):
        return values
    listed = isinstance(values, Iterable) and not isinstance(values, str | Mapping)
    choices = [_plain(v) for v in values] if listed else []
    check_param("tune", f"grid[{name!r}]", values, len(choices) > 0,
                "a non-empty list of values or an optuna distribution (e.g. FloatDistribution(1, 100, log=True))")
    return choices


def _is_distribution(values: Any) -> bool:
    return type(values).__module__.startswith("optuna.distributions")


def optuna_distributions(space: Mapping[str, Any]) -> dict[str, Any]:
    """Optuna distributions for a search space (lists become categorical choices)."""
    from optuna.distributions import CategoricalDistribution  # lazy: only sampled searches need Optuna

    return {p: v if _is_distribution(v) else CategoricalDistribution(v) for p, v in space.items()}


def tpe_sampler(seed: int) -> Any:
    """The seeded TPE sampler both executors search with."""
    import optuna  # lazy: a grid search needs no Optuna (and its import takes a while)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.samplers.TPESampler(seed=seed)


def _optuna_serial(job: TuningTrial, space: Mapping[str, Any], n_trials: int, seed: int) -> list[dict[str, Any]]:
    """A seeded TPE search, one trial after another (Optuna's ask/tell)."""
    import optuna  # lazy: a grid search needs no Optuna

    study = optuna.create_study(direction="maximize", sampler=tpe_sampler(seed))
    dists = optuna_distributions(space)
    rows = []
    for t in range(n_trials):
        trial = study.ask(dists)
        row = job.run(trial.params)
        study.tell(trial, row[job.metric])
        rows.append(row)
        log.info("[%d/%d] best %s=%.4f", t + 1, n_trials, job.metric, study.best_value)
    return rows


def _plain(v: Any) -> Any:
    """numpy scalars back to Python values, which the models' checks expect."""
    return v.item() if hasattr(v, "item") and getattr(v, "ndim", 1) == 0 else v
