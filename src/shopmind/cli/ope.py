"""`shopmind ope`: estimate a policy's value (e.g. CTR) from a log written by another policy (IPW, SNIPW, DR)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from shopmind.cli.params import load_settings
from shopmind.data.fetch import fetch
from shopmind.errors import ParameterError
from shopmind.experiments.ope import ESTIMATORS, evaluate_policy, policy_distribution, read_log, wilson_interval

console = Console()
#: ``--log open-bandit:bts`` / ``open-bandit:random``: the Open Bandit samples, fetched from the obp wheel.
BUILTIN_PREFIX = "open-bandit:"


def _log_path(spec: str) -> Path:
    if spec.startswith(BUILTIN_PREFIX):
        policy = spec.removeprefix(BUILTIN_PREFIX)
        if policy not in ("bts", "random"):
            raise ParameterError("ope", "--log", spec, "open-bandit:bts, open-bandit:random or a file")
        root = fetch("open-bandit", load_settings().datasets_dir / "open-bandit")
        return root / policy / "all" / "all.csv"
    return Path(spec).expanduser()


def ope(
    log: Annotated[str, typer.Option("--log", help="Log file (an Open Bandit CSV, or CSV/Parquet with action, "
                                                   "reward, propensity) or open-bandit:bts / open-bandit:random.")],
    policy: Annotated[str, typer.Option("--policy", help="The policy to evaluate: uniform.")] = "uniform",
    truth: Annotated[str | None, typer.Option("--truth", help="A log of the evaluated policy itself: its "
                                                              "observed value is shown beside the estimates.")] = None,
    n_boot: Annotated[int, typer.Option("--n-boot", help="Bootstrap resamples.")] = 1000,
    seed: Annotated[int | None, typer.Option(help="Seed (default: $SHOPMIND_SEED).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
) -> None:
    """Off-policy evaluation with 95% bootstrap intervals: inverse propensity weighting, self-normalised IPW
    and doubly robust (cross-fitted logistic-regression reward model)."""
    settings = load_settings()
    data = read_log(_log_path(log))
    res = evaluate_policy(data, policy_distribution(policy, data), ESTIMATORS, n_boot=n_boot,
                          seed=settings.seed if seed is None else seed)
    if as_json:
        typer.echo(json.dumps({"estimators": {k: v.as_dict() for k, v in res.items()}, "rounds": data.rounds},
                              indent=2))
        return
    observed = None
    if truth is not None:
        on_policy = read_log(_log_path(truth))
        observed = on_policy.observed_value
        lo, hi = wilson_interval(on_policy.rewards.sum(), on_policy.rounds)
        console.print(f"{truth}: observed value {observed:.5f} (Wilson 95% [{lo:.5f}, {hi:.5f}], "
                      f"{on_policy.rounds:,} rounds)")
    table = Table("estimator", "value", "95% CI", "width", *(["contains observed"] if observed is not None else []),
                  title=f"policy '{policy}' estimated from {log} ({data.rounds:,} rounds, logged value "
                        f"{data.observed_value:.5f})")
    for name, est in res.items():
        row = [name.upper(), f"{est.value:.5f}", f"[{est.ci_low:.5f}, {est.ci_high:.5f}]", f"{est.width:.5f}"]
        if observed is not None:
            row.append("[green]yes[/]" if est.contains(observed) else "[red]no[/]")
        table.add_row(*row)
    console.print(table)
