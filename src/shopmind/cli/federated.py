"""`shopmind federated simulate`: matrix factorisation trained by federated averaging, one client per user,
against centralised ALS under the leave-one-out full-ranking protocol."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from threadpoolctl import threadpool_limits

from shopmind.cli.params import load_settings
from shopmind.errors import ParameterError
from shopmind.evaluation.privacy import federated_vs_als
from shopmind.evaluation.provenance import git_commit, machine, write_json
from shopmind.ingest.sources import load_data

federated_app = typer.Typer(help="Federated learning: train without the server seeing any user's events.",
                            no_args_is_help=True)
console = Console()


@federated_app.command("simulate")
def simulate(
    data: Annotated[str | None, typer.Option(help="Dataset name (ml-100k, demo-shop) or path; default: the store.")
                    ] = None,
    clients: Annotated[str, typer.Option(help="Who is a client: 'users' (each user's device).")] = "users",
    factors: Annotated[int, typer.Option(help="Latent factors (the same for ALS).")] = 64,
    regularization: Annotated[float, typer.Option(help="L2 regularisation (implicit's).")] = 30.0,
    alpha: Annotated[float, typer.Option(help="Confidence 1 + alpha of a touched item.")] = 20.0,
    rounds: Annotated[int, typer.Option(help="Communication rounds.")] = 100,
    lr: Annotated[float, typer.Option(help="Server Adam learning rate.")] = 0.05,
    clients_per_round: Annotated[int | None, typer.Option(help="Clients sampled per round (default: all).")] = None,
    secure_aggregation: Annotated[bool, typer.Option(
        "--secure-aggregation/--no-secure-aggregation", help="Mask each update with pairwise masks that cancel in "
                                                             "the sum (the server sees only the sum).")] = False,
    recency: Annotated[str, typer.Option(help="On-device fold-in of the final user vectors: none, position or "
                                              "time (ALS uses the same).")] = "none",
    eval_every: Annotated[int, typer.Option(help="Also measure NDCG@10 every N rounds (0: only at the end).")] = 0,
    als: Annotated[bool, typer.Option("--als/--no-als", help="Also train centralised ALS to compare.")] = True,
    out: Annotated[Path | None, typer.Option(help="Write the JSON results here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
) -> None:
    """Train matrix factorisation by federated averaging: each user's device keeps its events and its vector,
    the server keeps the item factors and sees only (masked) sums of updates; report NDCG@10 against ALS and
    the bytes exchanged per round."""
    if clients != "users":
        raise ParameterError("shopmind federated simulate", "clients", clients, "'users' (one client per user)")
    settings = load_settings()
    inter = load_data(data, settings.store, settings.datasets_dir, event_weights=settings.event_weights)
    with Progress(TextColumn("federated rounds"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.fields[note]}"), console=Console(stderr=True), disable=as_json,
                  transient=True) as bar, threadpool_limits(1, "blas"):
        task = bar.add_task("rounds", total=rounds, note="")

        def on_round(t: int, stats: dict[str, Any]) -> None:
            bar.update(task, completed=t, note=f"|grad| {stats['grad_norm']:.0f}")

        res = federated_vs_als(inter, factors=factors, regularization=regularization, alpha=alpha, rounds=rounds,
                               lr=lr, clients_per_round=clients_per_round, secure_aggregation=secure_aggregation,
                               recency=recency, seed=settings.seed, als=als, eval_every=eval_every,
                               progress=on_round)
    res = {"dataset": inter.name, "clients": clients, **res, "commit": git_commit(), "machine": machine()}
    if out:
        write_json(out, res)
    if as_json:
        typer.echo(json.dumps(res, indent=2))
        return
    fed = res["federated"]
    mb = fed["bytes_per_round"]
    console.print(f"federated MF ({fed['clients']:,} clients, {rounds} rounds): NDCG@10 [bold]{fed['ndcg@10']:.4f}[/]"
                  f" in {fed['train_seconds']:.0f} s")
    if "als" in res:
        console.print(f"centralised ALS (implicit): NDCG@10 {res['als']['ndcg@10']:.4f}; federated / ALS = "
                      f"[bold]{res['ratio_to_als']:.3f}[/]")
    console.print(f"bytes per round: {mb['down'] / 1e6:,.1f} MB down, {mb['up'] / 1e6:,.1f} MB up "
                  f"({fed['bytes_per_round']['per_client_up'] / 1e3:,.0f} kB per client)")
    if out:
        console.print(f"results: {out}")
