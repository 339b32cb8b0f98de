"""`shopmind ctr ...`: train and benchmark the click-through / conversion rankers of the ranking stage.

Registered by the main CLI as ``app.add_typer(ctr_app, name="ctr")``; user mistakes raise
:class:`~shopmind.errors.ShopmindError`, printed by the main CLI as one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from shopmind.cli.params import load_settings, parse_model_params
from shopmind.errors import ParameterError
from shopmind.evaluation.provenance import write_json
from shopmind.ingest.sources import load_event_frames

if TYPE_CHECKING:
    from shopmind.ranking import CTRDataset

ctr_app = typer.Typer(help="CTR / conversion rankers (logistic regression, factorization machine, boosted "
                           "trees) for the ranking stage of `shopmind serve`.", no_args_is_help=True)
console = Console()

DataOpt = Annotated[str | None, typer.Option("--data", help="Builtin name (demo-shop), path, or (default) the "
                                                           "store.")]
TargetOpt = Annotated[str, typer.Option("--target", help="click (impression -> engagement) or conversion "
                                                         "(view -> cart/purchase).")]
StoreOpt = Annotated[str | None, typer.Option("--store", help="Store URL (default: $SHOPMIND_STORE or "
                                             "sqlite:///$SHOPMIND_HOME/shopmind.db).")]
ParamOpt = Annotated[list[str] | None, typer.Option("--param", "-p", help="MODEL.NAME=VALUE, e.g. fm.k=16")]


def _dataset(data: str | None, store: str | None, target: str, warmup: float) -> tuple[CTRDataset, str]:
    from shopmind.ranking import build_dataset  # lazy: scikit-learn takes most of a second to import

    settings = load_settings(store_url=store)
    events, items, name = load_event_frames(data, settings.store, settings.datasets_dir)
    ds = build_dataset(events, items, target=target, warmup=warmup, progress=True)
    d = ds.describe()
    console.print(f"[bold]{name}[/] ({target}): {d['rows']:,} exposures, {d['positives']:,} positive "
                  f"({d['positive_rate']:.2%}), {d['users']:,} users")
    return ds, name


@ctr_app.command("bench")
def bench(
    data: DataOpt = None,
    models: Annotated[str, typer.Option("--models", "-m", help="Comma-separated rankers.")] = "lr,fm,gbdt",
    target: TargetOpt = "click",
    param: ParamOpt = None,
    warmup: Annotated[float, typer.Option(help="Share of the log that only builds feature state.")] = 0.3,
    out: Annotated[Path | None, typer.Option(help="Write the results JSON here.")] = None,
    store: StoreOpt = None,
) -> None:
    """AUC, log-loss and calibration (ECE) of the rankers on the newest 20% of exposures, against a constant
    and an item-CTR baseline (train on the oldest 70%, calibrate on the next 10%)."""
    from shopmind.evaluation.ctr import bench_payload, run_ctr_bench  # lazy: scikit-learn takes most of a second
    from shopmind.ranking import RANKERS

    names = [m.strip() for m in models.split(",") if m.strip()]
    unknown = [m for m in names if m not in RANKERS]
    if unknown or not names:
        raise ParameterError("ctr bench", "--models", models, f"comma-separated names from {sorted(RANKERS)}")
    ds, name = _dataset(data, store, target, warmup)
    runs = run_ctr_bench(ds, names, dict(parse_model_params(models, param or [], "ctr bench")))
    table = Table(title=f"{name}: {target} rankers, newest 20% of exposures")
    for col in ("model", "AUC", "log-loss", "ECE", "train s", "µs/row"):
        table.add_column(col, justify="left" if col == "model" else "right")
    for r in runs:
        m = r.metrics
        table.add_row(r.name, f"{m['auc']:.4f}", f"{m['logloss']:.4f}", f"{m['ece']:.4f}", f"{r.train_seconds:.1f}",
                      f"{r.predict_us_per_row:.1f}")
    console.print(table)
    if out:
        write_json(out, bench_payload(ds, runs, name))
        console.print(f"results: {out}")


@ctr_app.command("train")
def train(
    model: Annotated[str, typer.Option("--model", "-m", help="lr, fm or gbdt.")] = "gbdt",
    data: DataOpt = None,
    target: TargetOpt = "click",
    param: ParamOpt = None,
    warmup: Annotated[float, typer.Option(help="Share of the log that only builds feature state.")] = 0.3,
    out: Annotated[Path | None, typer.Option(help="Artifact path (default: $SHOPMIND_HOME/models/"
                                                  "ranker-MODEL.pkl).")] = None,
    store: StoreOpt = None,
) -> None:
    """Train a ranker on the whole log (the newest 10% calibrate it) for `shopmind serve --ranker`."""
    from shopmind.ranking import create_ranker  # lazy: scikit-learn takes most of a second to import
    from shopmind.ranking.metrics import fit_for_serving

    params = parse_model_params(model, param or [], "ctr train")[0][1]
    create_ranker(model, **params)  # a bad name or parameter fails before the log is read
    ds, _ = _dataset(data, store, target, warmup)
    ranker, m = fit_for_serving(ds, model, params)
    settings = load_settings(store_url=store)
    path = out or settings.models_dir / f"ranker-{model}.pkl"
    ranker.save(path)
    console.print(f"{model}: calibration-slice AUC {m['auc']:.4f}, log-loss {m['logloss']:.4f} "
                  f"({ranker.train_seconds_:.1f} s) -> {path}")
