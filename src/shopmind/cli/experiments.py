"""`shopmind experiments ...`: create, list, stop and report A/B experiments; the A/A and A/B simulations; the
SRM check; CUPED on a log.

Registered by the main CLI as ``app.add_typer(experiments_app, name="experiments")``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from shopmind.cli.params import load_settings
from shopmind.errors import ParameterError
from shopmind.experiments.registry import (
    create_experiment,
    experiment_results,
    get_experiment,
    list_experiments,
    load_document,
    stop_experiment,
)
from shopmind.experiments.simulate import SimulationConfig, days_for_planned_size, simulate_experiments
from shopmind.experiments.stats import srm_test
from shopmind.pipeline.results import AttributionLog
from shopmind.storage import open_store

experiments_app = typer.Typer(help="A/B experiments: deterministic assignment, exposure log, analysis with "
                                   "always-valid sequential tests.", no_args_is_help=True)
console = Console()
StoreOpt = Annotated[str | None, typer.Option("--store", help="Store URL (default: $SHOPMIND_STORE or "
                                             "sqlite:///$SHOPMIND_HOME/shopmind.db).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON only.")]


def _print_json(payload: object) -> None:
    typer.echo(json.dumps(payload, indent=2, default=str))


@experiments_app.command("create")
def create(path: Annotated[Path, typer.Argument(help="Experiment document (JSON or YAML).")],
           store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """Create an experiment from a document (rejected, naming the field, when invalid or overlapping)."""
    doc = load_document(path.read_text(encoding="utf-8"), str(path))
    with open_store(load_settings(store_url=store).store) as st:
        exp = create_experiment(st, doc)
    if as_json:
        _print_json(exp.to_doc())
        return
    split = ", ".join(f"{k} {v:.0%}" for k, v in exp.shares().items())
    console.print(f"experiment [bold]{exp.experiment_id}[/] on {exp.surface}: buckets {list(exp.buckets)} "
                  f"({exp.traffic:.0%} of traffic), variants {split}")


@experiments_app.command("list")
def list_cmd(store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """Every experiment with its surface, status and traffic."""
    with open_store(load_settings(store_url=store).store) as st:
        exps = list_experiments(st)
    if as_json:
        _print_json([e.to_doc() for e in exps])
        return
    table = Table("experiment", "surface", "status", "traffic", "buckets", "variants")
    for e in exps:
        table.add_row(e.experiment_id, e.surface, e.status, f"{e.traffic:.0%}", str(list(e.buckets)),
                      ", ".join(e.variant_names))
    console.print(table)


@experiments_app.command("production")
def production(store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """Production counters by model version (lists served, attributed clicks and purchases), as the servers
    stored them."""
    with open_store(load_settings(store_url=store).store) as st:
        log = AttributionLog()
        log.load(st)
    rows = log.version_counters()
    if as_json:
        _print_json(rows)
        return
    table = Table("model version", "lists served", "clicks", "purchases", "CTR")
    for r in rows:
        table.add_row(r["model_version"], f"{r.get('recommendations', 0):,}", f"{r.get('click', 0):,}",
                      f"{r.get('purchase', 0):,}", f"{r['ctr']:.4f}" if r["ctr"] is not None else "-")
    console.print(table)


@experiments_app.command("stop")
def stop(experiment_id: str, store: StoreOpt = None) -> None:
    """Stop an experiment: nobody is assigned any more; its exposure log stays."""
    with open_store(load_settings(store_url=store).store) as st:
        exp = stop_experiment(st, experiment_id)
    console.print(f"{exp.experiment_id}: {exp.status}")


@experiments_app.command("report")
def report(experiment_id: str, store: StoreOpt = None, as_json: JsonOpt = False,
           attribution: Annotated[str, typer.Option(help="user (every event in the window) or recommendation "
                                                         "(events echoing an exposed recommendation id).")] = "user",
           plot: Annotated[Path | None, typer.Option(help="Write the effect-over-time plot (PNG) here.")] = None,
           ) -> None:
    """Per-variant conversion, CTR and revenue per user; fixed-horizon (with CUPED) and always-valid tests;
    the SRM check; the effect over time."""
    if attribution not in ("user", "recommendation"):
        raise ParameterError("experiments report", "--attribution", attribution, "user or recommendation")
    with open_store(load_settings(store_url=store).store) as st:
        exp = get_experiment(st, experiment_id)
        rep = experiment_results(st, experiment_id,
                                 attribution="user" if attribution == "user" else "recommendation")
    if plot is not None:
        # lazy: matplotlib takes a second to import; only the plot needs it
        from shopmind.experiments.plots import effect_over_time

        effect_over_time(rep.timeline, plot, title=f"{experiment_id}: {exp.metrics[0]}")
    if as_json:
        _print_json(rep.as_dict())
        return
    srm = rep.srm
    console.print(f"[bold]{experiment_id}[/] ({rep.status}): {rep.users:,} users; SRM p = {srm.p_value:.3g}"
                  + (" [red]SAMPLE RATIO MISMATCH: do not trust the results[/]" if srm.mismatch else " (ok)"))
    table = Table("variant", "users", "expected", "conversion", "CTR", "revenue/user", "clicks/user")
    for v in rep.variants:
        table.add_row(v.variant, f"{v.users:,}", f"{v.expected_share:.0%}", f"{v.conversion:.4f}", f"{v.ctr:.4f}",
                      f"{v.revenue_per_user:.2f}", f"{v.clicks_per_user:.3f}")
    console.print(table)
    comp = Table("metric", "treatment", "effect", "95% CI", "p (fixed)", "CUPED effect", "var. reduction",
                 "p (always valid)", title="treatment - control")
    for c in rep.comparisons:
        cup = c.cuped_fixed
        comp.add_row(c.metric, c.treatment, f"{c.fixed.value:+.4g}", f"[{c.fixed.ci_low:.4g}, {c.fixed.ci_high:.4g}]",
                     f"{c.fixed.p_value:.3g}", f"{cup.value:+.4g}" if cup else "-",
                     f"{c.variance_reduction:.1%}" if c.variance_reduction is not None else "-",
                     f"{c.sequential_p_value:.3g}")
    console.print(comp)
    if plot is not None:
        console.print(f"plot: {plot}")


@experiments_app.command("simulate")
def simulate(
    aa: Annotated[bool, typer.Option("--aa/--ab", help="A/A (no effect: false-positive rates) or A/B "
                                                      "(a true effect: power).")] = True,
    runs: Annotated[int, typer.Option(help="Simulated experiments.")] = 1000,
    days: Annotated[int | None, typer.Option(help="Days, checked after each (default 14 for A/A; for A/B "
                                                  "the days that reach the planned sample size).")] = None,
    users_per_day: Annotated[int, typer.Option(help="New users per arm per day.")] = 1000,
    baseline: Annotated[float, typer.Option(help="Control conversion rate.")] = 0.10,
    metric: Annotated[str, typer.Option(help="conversion or revenue.")] = "conversion",
    mde: Annotated[float, typer.Option(help="Relative effect the test is planned for.")] = 0.10,
    effect: Annotated[float | None, typer.Option(help="True relative effect for --ab (default: the mde).")] = None,
    alpha: Annotated[float, typer.Option(help="Significance level.")] = 0.05,
    seed: Annotated[int | None, typer.Option(help="Seed (default: $SHOPMIND_SEED).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Simulate experiments checked every day: the naive repeated t-test, the always-valid mSPRT and a single
    fixed-horizon test, side by side."""
    settings = load_settings()
    lift = 0.0 if aa else (mde if effect is None else effect)
    cfg = SimulationConfig(runs=runs, days=days or 14, users_per_day=users_per_day, baseline=baseline, metric=metric,
                           effect=lift, mde=mde, alpha=alpha, seed=settings.seed if seed is None else seed)
    if not aa and days is None:
        cfg = SimulationConfig(**{**cfg.__dict__, "days": days_for_planned_size(cfg)})
    res = simulate_experiments(cfg)
    if as_json:
        _print_json(res.aa_summary() if aa else {
            "power": {"sequential": res.sequential_rejection_rate, "naive_peeking": res.naive_peeking_rejection_rate,
                      "fixed_horizon": res.fixed_horizon_rejection_rate},
            "planned_users_per_arm": res.planned_users_per_arm, "users_per_arm": res.users_per_arm,
            "sequential_median_stop_day": res.sequential_median_stop_day, "days": cfg.days, "effect": lift,
            "runs": res.runs})
        return
    kind = "A/A false-positive rate" if aa else f"A/B power (true effect {lift:+.0%})"
    table = Table("test", kind, title=f"{runs:,} simulated experiments, {cfg.days} daily looks, "
                                      f"{users_per_day:,} users/arm/day ({metric}, alpha {alpha})")
    table.add_row("naive t-test, checked daily", f"{res.naive_peeking_rejection_rate:.1%}")
    table.add_row("mSPRT (always valid), checked daily", f"{res.sequential_rejection_rate:.1%}")
    table.add_row("fixed horizon (one test at the end)", f"{res.fixed_horizon_rejection_rate:.1%}")
    console.print(table)
    console.print(f"planned sample size for {mde:.0%} at 80% power: {res.planned_users_per_arm:,}/arm; "
                  f"simulated: {res.users_per_arm:,}/arm"
                  + (f"; sequential median stop: day {res.sequential_median_stop_day:g}"
                     if res.sequential_median_stop_day else ""))


@experiments_app.command("srm")
def srm(counts: Annotated[str, typer.Argument(help="Users per variant, e.g. 4800,5200.")],
        shares: Annotated[str | None, typer.Option(help="Planned shares, e.g. 0.5,0.5 (default equal).")] = None,
        as_json: JsonOpt = False) -> None:
    """The sample-ratio-mismatch check: chi-square of the users per variant against the planned shares,
    flagged at p < 0.001."""
    try:
        n = [int(c) for c in counts.split(",")]
        w = [float(s) for s in shares.split(",")] if shares else [1.0] * len(n)
    except ValueError:
        raise ParameterError("experiments srm", "counts", counts, "comma-separated integers") from None
    res = srm_test(n, w)
    if as_json:
        _print_json(res.as_dict())
        return
    console.print(f"chi-square {res.chi2:.2f}, p = {res.p_value:.3g}: "
                  + ("[red]sample ratio mismatch[/] (p < 0.001)" if res.mismatch else "no mismatch"))


@experiments_app.command("cuped")
def cuped_cmd(data: Annotated[str | None, typer.Option("--data", help="Builtin name (demo-shop), path, or "
                                                                       "(default) the store.")] = None,
              metric: Annotated[str, typer.Option(help="revenue_per_user, clicks_per_user or conversion.")] =
              "revenue_per_user",
              days: Annotated[float, typer.Option(help="Days of the experiment period (and of the pre-period).")]
              = 28.0,
              store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """CUPED's variance reduction on a log: an A/A split of the users active in the last DAYS, the same metric
    in the DAYS before as the covariate."""
    # lazy: reading a dataset pulls the ingest stack; only this command needs it
    from shopmind.experiments.analysis import cuped_on_log
    from shopmind.ingest.sources import load_event_frames

    settings = load_settings(store_url=store)
    events, items, name = load_event_frames(data, settings.store, settings.datasets_dir)
    res = cuped_on_log(events, items, pre_days=days, post_days=days, metric=metric)
    if as_json:
        _print_json({"data": name, **res})
        return
    console.print(f"{name}: {res['users']:,} users, {metric} over {days:g} days after {res['split'][:10]}; "
                  f"covariate: the same over the {days:g} days before")
    console.print(f"theta {res['theta']:.3f}, correlation {res['correlation']:.3f}: variance reduced by "
                  f"[bold]{res['variance_reduction']:.1%}[/] (standard error x{res['se_ratio']:.3f})")
