"""`shopmind uplift simulate`: who should get the coupon - uplift targeting against propensity targeting on a
simulated shop with known per-user effects."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from shopmind.cli.params import load_settings
from shopmind.marketing.uplift import LEARNERS, compare_targeting, simulate_shop

uplift_app = typer.Typer(help="Uplift modelling: target the users a coupon changes, not those who buy anyway.",
                         no_args_is_help=True)
console = Console()


@uplift_app.command("simulate")
def simulate(
    users: Annotated[int, typer.Option(help="Users in the randomised campaign log (and again in the test "
                                            "population).")] = 40_000,
    share: Annotated[float, typer.Option(help="Share of users who get a coupon.")] = 0.2,
    max_iter: Annotated[int, typer.Option(help="Boosting rounds of each base learner.")] = 150,
    seed: Annotated[int | None, typer.Option(help="Seed (default: $SHOPMIND_SEED).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
) -> None:
    """Train each uplift learner and a purchase-propensity model on a randomised campaign log, target the top
    SHARE of a fresh population by each, and count the true incremental purchases per coupon."""
    s = load_settings().seed if seed is None else seed
    res = compare_targeting(simulate_shop(users, seed=s), simulate_shop(users, seed=s + 1), share=share,
                            learners=tuple(LEARNERS), seed=s, max_iter=max_iter)
    if as_json:
        typer.echo(json.dumps(res, indent=2))
        return
    table = Table("targeting", "incremental purchases / coupon", "Qini", f"uplift@{share:.0%}",
                  title=f"top {share:.0%} of {users:,} users; true mean effect {res['true_effect']['mean']:+.4f}, "
                        f"{res['true_effect']['negative_share']:.0%} of users hurt by a coupon")
    for name, r in [*res["targeting"].items(), ("oracle (true effect)", res["oracle"])]:
        table.add_row(name, f"{r['incremental_per_coupon']:+.4f}", f"{r['qini']:+.5f}", f"{r['uplift_at_20']:+.4f}")
    console.print(table)
    console.print(f"best uplift learner ({res['best']}) / propensity: "
                  f"[bold]{res['ratio_best_uplift_to_propensity']:.2f}x[/] incremental purchases per coupon")
