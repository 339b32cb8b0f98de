"""`shopmind bench`: train models side by side and evaluate them under one protocol.

Protocol (see ../shared/BENCHMARKS.md): leave-one-out by time (ties keep event order), the final numbers
fit on everything but each user's last item and rank that item against ALL items, with the user's
history excluded. Hyperparameters come from the model defaults or ``--param``; ``--tune`` searches them on
the validation split (second-last item) only - the test split is never looked at while choosing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from shopmind import __version__
from shopmind.data.interactions import Interactions
from shopmind.evaluation.protocol import EvalResult, evaluate
from shopmind.evaluation.provenance import git_commit, machine
from shopmind.evaluation.report import ModelResult, dataset_summary, write_report
from shopmind.evaluation.resources import measure
from shopmind.evaluation.tuning import tune as tune_model
from shopmind.models import create
from shopmind.training.executor import Executor, SerialExecutor
from shopmind.training.splits import Split, leave_one_out

log = logging.getLogger(__name__)


@dataclass
class ModelRun:
    """One model's outcome in a bench run."""

    model: str
    params: dict[str, Any]
    metrics: dict[str, float]
    train_seconds: float
    peak_rss_mb: float
    eval_seconds: float
    valid_metrics: dict[str, float] = field(default_factory=dict)
    result: EvalResult | None = None
    #: with ``--tune``: the search's leaderboard on the validation split, best first (one dict per trial)
    tuning: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = {"model": self.model, "params": self.params,
               "metrics": {k: round(v, 6) for k, v in self.metrics.items()},
               "train_seconds": round(self.train_seconds, 2), "peak_rss_mb": round(self.peak_rss_mb, 1),
               "eval_seconds": round(self.eval_seconds, 2)}
        if self.valid_metrics:
            out["valid_metrics"] = {k: round(v, 6) for k, v in self.valid_metrics.items()}
        if self.tuning:
            out["tuning"] = self.tuning
        return out


def run_model(name: str, params: Mapping[str, Any], split: Split, ks: Sequence[int] = (10,),
              validate: bool = False) -> ModelRun:
    """Fit ``name`` on train+valid and evaluate on test; with ``validate`` also report validation metrics
    (fit on train, rank the validation item)."""
    label, name = name, model_name(name)
    valid_metrics: dict[str, float] = {}
    if validate:
        vm = create(name, **params)
        vm.fit(split.train, split.valid)
        valid_metrics = evaluate(vm, split.train, split.valid, ks=tuple(ks)).metrics
        del vm
    model = create(name, **params)
    full = split.train_valid()
    with measure() as usage:
        model.fit(full)
    res = evaluate(model, full, split.test, ks=tuple(ks))
    return ModelRun(label, model.get_params(), res.metrics, usage.wall_seconds, usage.peak_rss_mb,
                    res.eval_seconds, valid_metrics, res)


def run_bench(data: Interactions, models: Sequence[tuple[str, dict[str, Any]]], ks: Sequence[int] = (10,),
              validate: bool = False, tune: bool = False, tune_trials: int = 12, seed: int = 0,
              on_result: Callable[[ModelRun], None] | None = None, targets: np.ndarray | None = None,
              executor: Executor | None = None) -> tuple[Split, list[ModelRun]]:
    """Run every model on one leave-one-out split of ``data`` (only ``targets`` rows as test and validation
    items when given, see :func:`leave_one_out`).

    The models are independent: ``executor`` (default: one after another in this process) may run them side
    by side, e.g. as Ray tasks; with ``tune`` each model's trials run on it first. ``runs`` keep the order of
    ``models``; ``on_result`` sees each as it finishes."""
    split = leave_one_out(data, targets=targets)
    executor = executor or SerialExecutor()
    specs, boards = [], []
    for name, params in models:
        p = dict(params)
        board: list[dict[str, Any]] = []
        if tune:
            best, table = tune_model(model_name(name), split, n_trials=tune_trials, seed=seed, fixed=p,
                                     executor=executor)
            p.update(best)
            board = [{k: _rounded(v) for k, v in row.items()} for row in table.to_dict("records")]
            log.info("tuned %s on validation: %s", name, best)
        specs.append((name, p))
        boards.append(board)
    log.info("training %s on the %s executor", ", ".join(n for n, _ in specs), executor.name)
    runs = executor.map(_run_spec, specs, common=(split, tuple(ks), validate),
                        on_result=(lambda _i, run: on_result(run)) if on_result else None)
    for run, board in zip(runs, boards, strict=True):
        run.tuning = board
    return split, runs


def _rounded(v: Any) -> Any:
    """A leaderboard cell as plain JSON: numpy scalars to Python, floats to 6 decimals."""
    v = v.item() if hasattr(v, "item") and getattr(v, "ndim", 1) == 0 else v
    return round(v, 6) if isinstance(v, float) else v


def _run_spec(common: tuple[Split, tuple[int, ...], bool], spec: tuple[str, dict[str, Any]]) -> ModelRun:
    """One model of a bench: the unit an executor runs."""
    split, ks, validate = common
    log.info("training %s %s", *spec)
    return run_model(spec[0], spec[1], split, ks, validate=validate)


def bench_payload(data: Interactions, split: Split, runs: Sequence[ModelRun], ks: Sequence[int],
                  executor: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The JSON document `shopmind bench --out` writes (``executor``: where the models ran and how long)."""
    d = data.describe()
    extra = {"executor": dict(executor)} if executor else {}
    return {**extra,
        "dataset": {"name": data.name, "users": d["users"], "items": d["items"], "interactions": d["interactions"]},
        "protocol": {"split": f"{split.name} by time (ties keep event order)", "ranking": "full (all items)",
                     "exclude_seen": True, "ks": list(ks), "test_users": len(set(split.test.user.tolist())),
                     "final_fit": "train+valid", "shopmind_version": __version__, "commit": git_commit(),
                     "machine": machine()},
        "results": [r.as_dict() for r in runs],
    }


def model_name(label: str) -> str:
    """The registered model of a bench label: ``"hybrid@text"`` -> ``"hybrid"`` (a ``@tag`` lets one run
    bench the same model twice with different ``-p hybrid@text.NAME=VALUE`` parameters)."""
    return label.split("@", 1)[0]


def write_bench_report(data: Interactions, split: Split, runs: Sequence[ModelRun], payload: Mapping[str, Any],
                       out_dir: Path) -> dict[str, Path]:
    """Write ``report.json``, ``report.md``, ``segments.json`` and plots for ``runs`` into ``out_dir``."""
    history = split.train_valid()
    results = [ModelResult.from_eval(r.model, r.result, r.params, r.train_seconds, r.peak_rss_mb, history=history)
               for r in runs if r.result is not None]
    pop = np.bincount(history.item, minlength=history.n_items)
    return write_report(results, dataset_summary(data), payload["protocol"], out_dir, item_popularity=pop)
