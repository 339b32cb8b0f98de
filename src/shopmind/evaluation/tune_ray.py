"""Hyperparameter trials on Ray Tune (``shopmind bench --tune --executor ray``): the Ray side of
:func:`shopmind.evaluation.tuning.tune`.

A grid runs as one Ray Tune trial per combination (``tune.grid_search`` over the combinations in
:class:`~sklearn.model_selection.ParameterGrid` order, so the leaderboard's ties break as in the serial
search); a sampled search runs through Ray Tune's ``OptunaSearch`` with the seeded TPE sampler of the serial
search. Each trial gets ``cpus_per_task`` CPUs and runs on as many threads; Ray Tune runs as many at once
as the cluster has room for (at most ``max_concurrent``). Nothing is written outside a temporary directory.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from typing import Any

from sklearn.model_selection import ParameterGrid

from shopmind.errors import ShopmindError
from shopmind.evaluation.tuning import TuningTrial, optuna_distributions, tpe_sampler

_ROW = "shopmind_row"


def _trainable(config: dict[str, Any], job: TuningTrial, threads: int, candidates: list[dict[str, Any]] | None) -> None:
    """One Ray Tune trial: the leaderboard row of its configuration, reported once."""
    from ray import tune  # lazy: runs inside a Ray worker; importing this module must not import Ray

    params = candidates[config["candidate"]] if candidates is not None else config
    row = job.run(params, threads=threads)
    tune.report({job.metric: row[job.metric], _ROW: json.dumps(row)})


def run_on_ray_tune(job: TuningTrial, space: Mapping[str, Any], n_trials: int | None, seed: int, cpus_per_task: int,
                    max_concurrent: int) -> list[dict[str, Any]]:
    """The leaderboard rows of a grid (``n_trials=None``) or TPE search on Ray Tune, in trial order."""
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # verbose=0 silences the classic reporter
    # lazy: Ray only for --executor ray (after the environment above is set)
    from ray import tune
    from ray.tune.search.optuna import OptunaSearch

    candidates = list(ParameterGrid(space)) if n_trials is None else None
    trainable = tune.with_resources(
        tune.with_parameters(_trainable, job=job, threads=cpus_per_task, candidates=candidates), {"cpu": cpus_per_task})
    if candidates is not None:
        param_space: dict[str, Any] = {"candidate": tune.grid_search(list(range(len(candidates))))}
        tune_config = tune.TuneConfig(num_samples=1, max_concurrent_trials=max_concurrent, reuse_actors=True)
    else:
        param_space = {}
        search = OptunaSearch(space=optuna_distributions(space), metric=job.metric, mode="max",
                              sampler=tpe_sampler(seed))
        tune_config = tune.TuneConfig(search_alg=search, num_samples=n_trials or 1,
                                      max_concurrent_trials=max_concurrent, reuse_actors=True)
    with tempfile.TemporaryDirectory(prefix="shopmind-tune-") as tmp:
        tuner = tune.Tuner(trainable, param_space=param_space, tune_config=tune_config,
                           run_config=tune.RunConfig(storage_path=tmp, name="shopmind", verbose=0))
        results = tuner.fit()
    if results.errors:
        raise ShopmindError(f"{len(results.errors)} Ray Tune trial(s) failed; the first: {results.errors[0]}")
    done = []
    for i in range(len(results)):
        result = results[i]
        metrics = result.metrics or {}
        order = (result.config or {}).get("candidate")
        if order is None:
            order = _trial_number(str(result.path), str(metrics.get("trial_id", "")))
        done.append((order, json.loads(metrics[_ROW])))
    return [row for _, row in sorted(done, key=lambda t: t[0])]


def _trial_number(path: str, trial_id: str) -> int:
    """The creation counter of a Ray Tune trial, from its directory ``<trainable>_<id>_<counter>_<params>_<date>``.

    >>> _trial_number("/tmp/x/_trainable_1ba81815_2_l2=1000.0000_2026-12-06_15-46-38", "1ba81815")
    2
    """
    tail = os.path.basename(path).partition(f"{trial_id}_")[2].partition("_")[0]
    return int(tail) if tail.isdigit() else 0
