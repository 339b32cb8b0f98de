"""`shopmind bandit ...`: simulate the bandit policies (regret curves); create and inspect shared bandits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from shopmind.cli.params import load_settings
from shopmind.errors import ParameterError
from shopmind.experiments.registry import load_document
from shopmind.marketing.bandits import ENVIRONMENTS
from shopmind.marketing.bandits import simulate as run_simulation
from shopmind.marketing.state import SharedBandit
from shopmind.storage import open_store

bandit_app = typer.Typer(help="Bandits over creatives and slots: Thompson sampling, epsilon-greedy, UCB1, LinUCB.",
                         no_args_is_help=True)
console = Console()
StoreOpt = Annotated[str | None, typer.Option("--store", help="Store URL (default: $SHOPMIND_STORE or "
                                             "sqlite:///$SHOPMIND_HOME/shopmind.db).")]


@bandit_app.command("simulate")
def simulate(
    rounds: Annotated[int, typer.Option(help="Rounds (users) per policy.")] = 100_000,
    environment: Annotated[str, typer.Option(help="creatives (one clearly better creative), close-creatives "
                                                  "(5%..1%), or segments (contextual).")] = "creatives",
    seed: Annotated[int | None, typer.Option(help="Seed (default: $SHOPMIND_SEED).")] = None,
    plot: Annotated[Path | None, typer.Option(help="Write the regret curves (PNG) here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
) -> None:
    """Every policy on the same simulated users with known click rates; final cumulative regret (expected
    clicks lost against always showing each user's best arm)."""
    if environment not in ENVIRONMENTS:
        raise ParameterError("bandit simulate", "--environment", environment, f"one of {', '.join(ENVIRONMENTS)}")
    settings = load_settings()
    env = ENVIRONMENTS[environment]()
    run = run_simulation(env, rounds, seed=settings.seed if seed is None else seed)
    if plot is not None:
        # lazy: matplotlib takes a second to import; only the plot needs it
        from shopmind.marketing.plots import regret_curves

        regret_curves(run, plot)
    if as_json:
        typer.echo(json.dumps(run.summary(), indent=2))
        return
    table = Table("policy", "regret", "clicks", "seconds", title=f"{env.description}: {rounds:,} rounds")
    for name, value in sorted(run.regret.items(), key=lambda kv: kv[1]):
        table.add_row(name, f"{value:,.1f}", f"{run.clicks[name]:,}", f"{run.seconds[name]:.1f}")
    console.print(table)
    ratio = run.regret["thompson"] / run.regret["epsilon_greedy"]
    console.print(f"Thompson / epsilon-greedy(0.1) regret: {ratio:.2f}")
    if plot is not None:
        console.print(f"plot: {plot}")


@bandit_app.command("create")
def create(path: Annotated[Path, typer.Argument(help="Bandit document (JSON or YAML): bandit_id, arms, policy, "
                                                     "params, features.")], store: StoreOpt = None) -> None:
    """Create a bandit shared by every worker through the store."""
    doc = load_document(path.read_text(encoding="utf-8"), str(path))
    with open_store(load_settings(store_url=store).store) as st:
        bandit = SharedBandit.create(st, doc)
    console.print(f"bandit {bandit.spec.bandit_id}: {bandit.spec.policy} over {', '.join(bandit.spec.arms)}")


@bandit_app.command("show")
def show(bandit_id: str, store: StoreOpt = None,
         as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False) -> None:
    """A bandit's arms: pulls, rewards, mean reward."""
    with open_store(load_settings(store_url=store).store) as st:
        summary = SharedBandit.load(st, bandit_id).summary()
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    table = Table("arm", "pulls", "rewards", "mean", title=f"{bandit_id} ({summary['policy']})")
    for a in summary["arms_state"]:
        table.add_row(a["arm"], f"{a['pulls']:,.0f}", f"{a['rewards']:,.1f}", f"{a['mean']:.4f}")
    console.print(table)
