"""`shopmind bench`: train models side by side and evaluate them under one protocol.

Protocol (see ../shared/BENCHMARKS.md): leave-one-out by time (ties keep event order), the final numbers
fit on everything but each user's last item and rank that item against ALL items, with the user's
history excluded. Hyperparameters come from the model defaults or ``--param``; ``--tune`` searches them on
the validation split (second-last item) only - the test split is never looked at while choosing.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shopmind.data.interactions import Interactions
from shopmind.evaluation.protocol import EvalResult, evaluate
from shopmind.evaluation.resources import measure
from shopmind.evaluation.splits import Split, leave_one_out
from shopmind.models import create

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

    def as_dict(self) -> dict[str, Any]:
        out = {"model": self.model, "params": self.params,
               "metrics": {k: round(v, 6) for k, v in self.metrics.items()},
               "train_seconds": round(self.train_seconds, 2), "peak_rss_mb": round(self.peak_rss_mb, 1),
               "eval_seconds": round(self.eval_seconds, 2)}
        if self.valid_metrics:
            out["valid_metrics"] = {k: round(v, 6) for k, v in self.valid_metrics.items()}
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
              on_result: Callable[[ModelRun], None] | None = None) -> tuple[Split, list[ModelRun]]:
    """Run every model on one leave-one-out split of ``data``."""
    split = leave_one_out(data)
    runs = []
    for name, params in models:
        p = dict(params)
        if tune:
            from shopmind.models.tuning import tune as tune_model

            best, _table = tune_model(model_name(name), split, n_trials=tune_trials, seed=seed, fixed=p)
            p.update(best)
            log.info("tuned %s on validation: %s", name, best)
        log.info("training %s %s", name, p)
        run = run_model(name, p, split, ks, validate=validate)
        runs.append(run)
        if on_result:
            on_result(run)
    return split, runs


def bench_payload(data: Interactions, split: Split, runs: Sequence[ModelRun], ks: Sequence[int]) -> dict[str, Any]:
    """The JSON document `shopmind bench --out` writes."""
    import platform

    from shopmind import __version__

    d = data.describe()
    return {
        "dataset": {"name": data.name, "users": d["users"], "items": d["items"], "interactions": d["interactions"]},
        "protocol": {"split": "leave-one-out by time (ties keep event order)", "ranking": "full (all items)",
                     "exclude_seen": True, "ks": list(ks), "test_users": len(set(split.test.user.tolist())),
                     "final_fit": "train+valid", "shopmind_version": __version__, "commit": _git_commit(),
                     "machine": {"python": platform.python_version(), "cpus": os.cpu_count()}},
        "results": [r.as_dict() for r in runs],
    }


def _git_commit() -> str | None:
    """The commit of the working tree the bench ran from (None outside a git checkout)."""
    import subprocess

    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, timeout=5, cwd=Path(__file__).resolve().parent)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def model_name(label: str) -> str:
    """The registered model of a bench label: ``"hybrid@text"`` -> ``"hybrid"`` (a ``@tag`` lets one run
    bench the same model twice with different ``-p hybrid@text.NAME=VALUE`` parameters)."""
    return label.split("@", 1)[0]


def parse_models(spec: str, params: Sequence[str] = ()) -> list[tuple[str, dict[str, Any]]]:
    """``"popular,itemknn"`` + ``["itemknn.k=50"]`` -> ``[("popular", {}), ("itemknn", {"k": 50})]``.
    Labels may carry a tag (``itemknn@big``) to run one model with several parameter sets."""
    from shopmind.errors import ParameterError

    names = [m.strip() for m in spec.split(",") if m.strip()]
    if not names:
        raise ParameterError("bench", "models", spec, "a comma-separated list of model names")
    out: dict[str, dict[str, Any]] = {n: {} for n in names}
    for p in params:
        if "=" not in p or "." not in p.split("=", 1)[0]:
            raise ParameterError("bench", "param", p, "MODEL.NAME=VALUE, e.g. itemknn.k=50")
        key, raw = p.split("=", 1)
        model, pname = key.split(".", 1)
        if model not in out:
            raise ParameterError("bench", "param", p, f"a parameter of one of the benched models {names}")
        out[model][pname] = _parse_value(raw)
    return [(n, out[n]) for n in names]


def _parse_value(raw: str) -> Any:
    low = raw.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    for conv in (int, float):
        try:
            return conv(raw)
        except ValueError:
            pass
    return raw


def save_payload(payload: Mapping[str, Any], out: Path) -> None:
    import json

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2, ensure_ascii=False))
