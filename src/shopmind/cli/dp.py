"""`shopmind dp ...`: the epsilon budget of differentially private published lists (status, ledger) and what
the noise costs in list quality (utility)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from shopmind.cli.params import load_settings
from shopmind.errors import ParameterError
from shopmind.evaluation.privacy import dp_utility
from shopmind.evaluation.provenance import git_commit, machine, write_json
from shopmind.ingest.sources import load_data, load_event_frames
from shopmind.pipeline.state import BUY_TYPES
from shopmind.privacy.dp import BudgetLedger, private_group_sizes
from shopmind.storage import Store, open_store

dp_app = typer.Typer(help="Differential privacy: the epsilon budget ledger and the utility cost of noisy lists.",
                     no_args_is_help=True)
console = Console()
StoreOpt = Annotated[str | None, typer.Option("--store", help="Store URL (default: $SHOPMIND_STORE).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON only.")]


def parse_epsilons(text: str) -> list[float]:
    """``"0.5,1,4"`` -> ``[0.5, 1.0, 4.0]``; each must be a number > 0.

    >>> parse_epsilons("0.5, 1,4")
    [0.5, 1.0, 4.0]
    """
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        values = []
    if not values or any(not np.isfinite(v) or v <= 0 for v in values):
        raise ParameterError("shopmind dp utility", "epsilons", text, "comma-separated numbers > 0, e.g. 0.5,1,4")
    return values


@dp_app.command("status")
def status(store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """The epsilon budget of the current period (SHOPMIND_DP_BUDGET per SHOPMIND_DP_PERIOD): spent, remaining,
    releases, and when it renews."""
    settings = load_settings(store_url=store)
    with open_store(settings.store) as st:
        now = BudgetLedger(st, settings.dp.budget, settings.dp.period).status()
    body = {"enabled": settings.dp.enabled, "epsilon": settings.dp.epsilon, **now.as_dict()}
    if as_json:
        typer.echo(json.dumps(body, indent=2))
        return
    state = f"on, epsilon {settings.dp.epsilon} per release" if settings.dp.enabled else \
        "off (set SHOPMIND_DP_EPSILON to publish noisy lists)"
    console.print(f"differential privacy: {state}")
    console.print(f"period {now.period}: spent {now.spent:g} of {now.budget:g} ({now.remaining:g} left) in "
                  f"{now.queries} releases; renews at {now.resets_at}")


@dp_app.command("ledger")
def ledger(store: StoreOpt = None,
           period: Annotated[str | None, typer.Option(help="One period, e.g. 2026-12-06, 2026-W49, 2026-12.")] = None,
           as_json: JsonOpt = False) -> None:
    """Every paid release: period, query, epsilon and time, oldest first."""
    settings = load_settings(store_url=store)
    with open_store(settings.store) as st:
        frame = st.privacy_spends(period)
    rows = [{"period": r.period, "query": r.query, "epsilon": float(r.epsilon), "timestamp": r.timestamp.isoformat()}
            for r in frame.itertuples()]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("period", "query", "epsilon", "time", title=f"privacy ledger ({len(rows)} releases)")
    for r in rows:
        table.add_row(r["period"], r["query"], f"{r['epsilon']:g}", r["timestamp"])
    console.print(table)
    for name, total in frame.groupby("period")["epsilon"].sum().items() if len(frame) else []:
        console.print(f"{name}: {total:g} spent")


@dp_app.command("utility")
def utility(
    data: Annotated[str | None, typer.Option(help="Dataset name (ml-100k, demo-shop) or path; default: the store.")
                    ] = None,
    epsilons: Annotated[str, typer.Option(help="Comma-separated epsilons of one release each.")] = "0.5,1,4",
    max_items: Annotated[int, typer.Option(help="Contribution bound: distinct items per user in a release.")] = 20,
    repeats: Annotated[int, typer.Option(help="Fresh releases per epsilon (mean and sd reported).")] = 5,
    query_items: Annotated[int, typer.Option(help="Items whose bought-together lists are measured.")] = 100,
    store: StoreOpt = None,
    out: Annotated[Path | None, typer.Option(help="Write the JSON results here.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """NDCG@10 of the differentially private popularity and bought-together lists against the exact counts at
    each epsilon (and the leave-one-out NDCG@10 of the popularity list)."""
    eps = parse_epsilons(epsilons)
    settings = load_settings(store_url=store)
    events, _, name = load_event_frames(data, settings.store, settings.datasets_dir)
    weights = events["type"].map(settings.event_weights).fillna(0.0).to_numpy(np.float64)
    events = events[(weights > 0) & events["item_id"].notna()]
    users = pd.factorize(events["user_id"])[0]
    items, uniques = pd.factorize(events["item_id"])
    types = events["type"].astype(str)
    buy = types.isin(list(BUY_TYPES)).to_numpy()
    buy_rule = "purchase or add_to_cart events" if buy.any() else "every positive event (no purchase events)"
    inter = load_data(data, settings.store, settings.datasets_dir, event_weights=settings.event_weights)
    say = (lambda m: None) if as_json else (lambda m: console.print(f"[dim]{m}[/]"))
    res = dp_utility(users, items, len(uniques), buy=buy if buy.any() else None, interactions=inter,
                     epsilons=eps, max_items=max_items, repeats=repeats, query_items=query_items,
                     seed=settings.seed, progress=say)
    res = {"dataset": name, "command": f"shopmind dp utility --data {data or 'store'} --epsilons {epsilons} "
                                       f"--max-items {max_items} --repeats {repeats} --query-items {query_items}",
           "bought_together_from": buy_rule, **res, "commit": git_commit(), "machine": machine()}
    if out:
        write_json(out, res)
    if as_json:
        typer.echo(json.dumps(res, indent=2))
        return
    table = Table("epsilon", "popularity NDCG@10 vs exact", "popularity LOO NDCG@10", "bought-together NDCG@10",
                  title=f"{name}: DP lists against exact counts ({repeats} releases each; "
                        f"LOO NDCG@10 of exact popularity {res.get('popularity_loo_ndcg@10_exact', float('nan')):.4f})")
    for r in res["results"]:
        table.add_row(f"{r['epsilon']:g}", _cell(r["popularity_ndcg@10"]), _cell(r.get("popularity_loo_ndcg@10")),
                      _cell(r["bought_together_ndcg@10"]))
    console.print(table)
    if out:
        console.print(f"results: {out}")


def _cell(stat: dict[str, float | None] | None) -> str:
    if stat is None or stat["mean"] is None:
        return "-"
    return f"{stat['mean']:.4f} ± {stat['sd'] or 0.0:.4f}"


@dp_app.command("segments")
def segments(
    epsilon: Annotated[float | None, typer.Option(help="Epsilon of this release (default: SHOPMIND_DP_EPSILON).")
                       ] = None,
    max_segments: Annotated[int, typer.Option(help="Contribution bound: segments one user counts in.")] = 3,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The customer segments' sizes under differential privacy (`shopmind customers refresh` computes the
    segments): each user counts in at most MAX_SEGMENTS segments, Laplace noise is added, and the release is
    paid for from the period's budget (refused once it is spent)."""
    settings = load_settings(store_url=store)
    eps = epsilon if epsilon is not None else settings.dp.epsilon
    if eps is None:
        raise ParameterError("shopmind dp segments", "epsilon", None, "a number > 0 (or set SHOPMIND_DP_EPSILON)")
    with open_store(settings.store) as st:
        catalog = st.list_segments()
        members = {str(s["segment_id"]): _all_members(st, str(s["segment_id"])) for s in catalog}
        if not members:
            raise ParameterError("shopmind dp segments", "segments", 0,
                                 "segments in the store: run `shopmind customers refresh` first")
        ledger = BudgetLedger(st, settings.dp.budget, settings.dp.period)
        status = ledger.charge("segments", eps)
        names, sizes = private_group_sizes(members, eps, max_groups=max_segments)
    rows = [{"segment_id": n, "size": int(v)} for n, v in zip(names, sizes.values.tolist(), strict=True)]
    body = {"epsilon": eps, "sensitivity": sizes.sensitivity, "scale": sizes.scale, "segments": rows,
            "budget": status.as_dict()}
    if as_json:
        typer.echo(json.dumps(body, indent=2))
        return
    table = Table("segment", "noisy size", title=f"segment sizes, epsilon {eps:g} (Laplace scale {sizes.scale:g})")
    for r in rows:
        table.add_row(str(r["segment_id"]), f"{r['size']:,}")
    console.print(table)
    console.print(f"period {status.period}: {status.remaining:g} of {status.budget:g} left")


def _all_members(store: Store, segment_id: str, page: int = 10_000) -> list[str]:
    out: list[str] = []
    while True:
        chunk = store.segment_users(segment_id, limit=page, offset=len(out))
        out.extend(chunk)
        if len(chunk) < page:
            return out
