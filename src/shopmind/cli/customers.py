"""`shopmind customers ...`: profiles, segments, audiences, lifetime value and churn.

Registered by the main CLI as ``app.add_typer(customers_app, name="customers")``; user mistakes raise
:class:`~shopmind.errors.ShopmindError`, printed by the main CLI as one line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from shopmind.cli.params import load_settings
from shopmind.customers.audience import select
from shopmind.customers.churn import evaluate_churn
from shopmind.customers.clv import (
    CDNOW_OBSERVATION_END,
    cdnow_calibration_end,
    cumulative_repeat_purchases,
    fit_clv,
    summarise,
)
from shopmind.customers.config import CustomerSettings
from shopmind.customers.refresh import explain_churn, refresh, with_summary
from shopmind.customers.sources import load_customer_data
from shopmind.errors import ParameterError, ShopmindError, UnknownIdError
from shopmind.evaluation.provenance import write_json
from shopmind.settings import Settings
from shopmind.storage import open_store

customers_app = typer.Typer(help="Customer understanding: profiles, segments, audiences, lifetime value, churn.",
                            no_args_is_help=True)
console = Console()

StoreOpt = Annotated[str | None, typer.Option("--store", help="Store URL (default: $SHOPMIND_STORE or "
                                             "sqlite:///$SHOPMIND_HOME/shopmind.db).")]
DataOpt = Annotated[str | None, typer.Option("--data", help="cdnow, cdnow-master, a CDNOW-format file, any event "
                                                           "file or dataset the importer reads, or (default) the "
                                                           "store.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
HalfLifeOpt = Annotated[float, typer.Option("--half-life", help="Days after which an event counts half in the "
                                                               "interest tags.")]
ChurnDaysOpt = Annotated[int, typer.Option("--churn-days", help="Churn: no purchase in this many days.")]


def _settings(store: str | None) -> Settings:
    return load_settings(store_url=store)


def _timestamp(value: str | None, option: str) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ParameterError("customers", option, value, "a date such as 2026-06-30") from None
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _print_json(payload: Any) -> None:
    console.print_json(json.dumps(payload, ensure_ascii=False, default=str))


@customers_app.command("refresh")
def refresh_cmd(
    full: Annotated[bool, typer.Option("--full", help="Recompute everyone and refit every model (default: only "
                                                      "users with new events, when a full refresh ran before).")]
        = False,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Trained model (name under "
                                              "$SHOPMIND_HOME/models or a path) for 'likely to buy next'.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Compute as of this time (default: now).")] = None,
    half_life: HalfLifeOpt = 30.0,
    churn_days: ChurnDaysOpt = 90,
    json_out: JsonOpt = False,
    store: StoreOpt = None,
) -> None:
    """Compute and store every user's profile, the segments and the customer models."""
    s = _settings(store)
    recommender = None
    if model is not None:
        # lazy: loading a model artifact imports the model stack
        from shopmind.cli.serve import resolve_model_path
        from shopmind.models import Recommender

        recommender = Recommender.load(resolve_model_path(s, model))
    cfg = CustomerSettings(half_life_days=half_life, churn_days=churn_days)
    with open_store(s.store) as st:
        report = refresh(st, cfg, full=full, as_of=_timestamp(as_of, "--as-of"), recommender=recommender,
                         progress=not json_out)
    if json_out:
        _print_json(report.as_dict())
        return
    console.print(f"{report.mode} refresh: {report.users:,} profiles, {report.segments} segments, "
                  f"{report.events_read:,} events read in {report.seconds:.1f} s (as of {report.as_of[:19]})")
    for note in report.notes:
        console.print(f"[dim]{note}[/]")
    bad = {k: v for k, v in report.quality.items() if v and k not in ("purchases",)}
    if bad:
        console.print(f"[yellow]data treatments:[/] {bad} (see docs/customers.md, 'Bad input')")


@customers_app.command("profile")
def profile_cmd(user_id: Annotated[str, typer.Argument(help="Raw user id.")], store: StoreOpt = None) -> None:
    """Print one user's profile as JSON."""
    with open_store(_settings(store).store) as st:
        doc = st.get_profile(user_id)
    if doc is None:
        raise UnknownIdError("user", user_id)
    _print_json(with_summary(doc))


@customers_app.command("segments")
def segments_cmd(
    segment_id: Annotated[str | None, typer.Argument(help="Show one segment in full (e.g. rfm:champions).")] = None,
    json_out: JsonOpt = False,
    store: StoreOpt = None,
) -> None:
    """List the segments (RFM groups, k-means clusters, LDA topics), or show one."""
    with open_store(_settings(store).store) as st:
        segs = st.list_segments()
    if segment_id is not None:
        seg = next((x for x in segs if x["segment_id"] == segment_id), None)
        if seg is None:
            raise ShopmindError(f"no segment {segment_id!r}; segments: {', '.join(x['segment_id'] for x in segs)}")
        _print_json(seg)
        return
    if json_out:
        _print_json(segs)
        return
    t = Table("segment", "name", "size", "share", "top categories (lift)", "top terms",
              title=f"{len(segs)} segments")
    for seg in segs:
        cats = ", ".join(f"{x['tag'].split('>')[-1].strip()} ({x['lift']:.1f})"
                         for x in (seg.get("lift") or {}).get("category", [])[:3])
        terms = ", ".join(x["term"].split(":", 1)[1].split(">")[-1].strip() for x in seg.get("top_terms", [])[:4])
        t.add_row(seg["segment_id"], str(seg.get("name", "")), f"{seg.get('size', 0):,}", f"{seg.get('share', 0):.1%}",
                  cats, terms)
    console.print(t)


@customers_app.command("audience")
def audience_cmd(
    where: Annotated[str, typer.Option("--where", help="Expression, e.g. \"rfm in (at_risk, cannot_lose) and "
                                                      "clv_12m > 100 and interest.category ~ 'Skin Care'\".")],
    limit: Annotated[int, typer.Option(help="Most user ids to print (the count is always complete).")] = 1000,
    store: StoreOpt = None,
) -> None:
    """Count and list the users matching an audience expression (JSON: count and user ids)."""
    with open_store(_settings(store).store) as st:
        ids = select(st.profiles_frame(), where)
    _print_json({"where": where, "count": len(ids), "user_ids": ids[:limit]})


@customers_app.command("clv")
def clv_cmd(
    data: DataOpt = None,
    calibration_weeks: Annotated[float, typer.Option("--calibration-weeks", help="Weeks of calibration from the "
                                                     "first purchase; the rest of the log is the holdout.")] = 39.0,
    plot: Annotated[Path | None, typer.Option(help="Write the cumulative repeat purchases plot (PNG) here.")] = None,
    json_out: JsonOpt = False,
    store: StoreOpt = None,
) -> None:
    """Fit BG/NBD and Gamma-Gamma (per-day transactions, time in weeks) and compare the holdout."""
    s = _settings(store)
    d = load_customer_data(data, s.store, s.datasets_dir, CustomerSettings())
    tx = d.transactions
    if tx is None or tx.empty:
        raise ShopmindError(f"{d.name} has no purchases: lifetime value needs a purchase log")
    cal_end = cdnow_calibration_end(tx, calibration_weeks)
    tz = getattr(tx["timestamp"].dtype, "tz", None)
    last = pd.Timestamp(tx["timestamp"].max()).normalize()
    obs_end = CDNOW_OBSERVATION_END if d.name.startswith("cdnow") or (tz is None and last <= CDNOW_OBSERVATION_END) \
        else last
    if tz is not None:
        cal_end = cal_end.tz_localize(tz) if cal_end.tzinfo is None else cal_end
        obs_end = obs_end.tz_localize(tz) if obs_end.tzinfo is None else obs_end
    result = fit_clv(summarise(tx, cal_end, obs_end if obs_end > cal_end else None))
    payload = result.report()
    payload["calibration_end"], payload["observation_end"] = str(cal_end.date()), str(obs_end.date())
    if plot is not None:
        # lazy: matplotlib takes a second to import
        from shopmind.evaluation.customers import plot_tracking

        start = pd.Timestamp(tx["timestamp"].min()).normalize()
        weeks = int(-(-((obs_end - start).days + 1) // 7))
        curve = cumulative_repeat_purchases(tx, result.bgnbd, start, weeks)
        plot_tracking(curve, plot, calibration_weeks, f"{d.name}: cumulative repeat purchases")
        payload["plot"] = str(plot)
    if json_out:
        _print_json(payload)
        return
    bg, gg, h = payload["bgnbd"], payload["gamma_gamma"], payload["holdout"]
    console.print(f"[bold]{d.name}[/]: {payload['customers']:,} customers, calibration to "
                  f"{payload['calibration_end']}, fit in {payload['fit_seconds']:.2f} s")
    console.print(f"BG/NBD r={bg['r']:.3f} alpha={bg['alpha']:.3f} a={bg['a']:.3f} b={bg['b']:.3f} "
                  f"(LL {bg['log_likelihood']:,.1f})")
    if gg:
        console.print(f"Gamma-Gamma p={gg['p']:.2f} q={gg['q']:.2f} gamma={gg['gamma']:.2f}")
    if h:
        console.print(f"holdout repeat purchases: actual {h['actual']:,.0f}, predicted {h['predicted']:,.1f}, "
                      f"per-customer MAE {h['mae']:.3f}")


def _churn_cutoffs(d: Any, horizon: float | None, test_cutoff: pd.Timestamp | None,
                   calibration_weeks: float) -> tuple[pd.Timestamp, float, pd.Timestamp]:
    """(test cutoff, horizon days, train cutoff): on CDNOW the test cutoff ends the calibration period and
    the horizon is the holdout; elsewhere the test cutoff is the last event minus the horizon."""
    buys = d.activity.purchases
    first, last = buys["timestamp"].min(), d.activity.events["timestamp"].max()
    if test_cutoff is None and d.transactions is not None and d.users is None and d.name.startswith(("cdnow",
                                                                                                   "CDNOW")):
        cal = cdnow_calibration_end(d.transactions, calibration_weeks)
        test_cutoff = cal.tz_localize("UTC") + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
        horizon = horizon or float((CDNOW_OBSERVATION_END.tz_localize("UTC") - cal.tz_localize("UTC")).days)
    horizon = float(horizon or 90)
    if test_cutoff is None:
        test_cutoff = last - pd.Timedelta(days=horizon)
    history = (test_cutoff - first) / pd.Timedelta(days=1)
    if history <= 2:
        raise ShopmindError(f"not enough history before the test cutoff {test_cutoff}: the log spans "
                            f"{first} to {last}; use a shorter --horizon-days")
    train_cutoff = test_cutoff - pd.Timedelta(days=int(min(horizon, history // 2)))
    return test_cutoff, horizon, train_cutoff


@customers_app.command("churn")
def churn_cmd(
    data: DataOpt = None,
    horizon_days: Annotated[float | None, typer.Option("--horizon-days", help="Churn = no purchase in this many "
                                                       "days (default 90; on CDNOW the 39-week holdout).")] = None,
    test_cutoff: Annotated[str | None, typer.Option("--test-cutoff", help="Score at this time (default: the last "
                                                    "event minus the horizon).")] = None,
    explain: Annotated[str | None, typer.Option("--explain", help="Show the features behind this customer's "
                                                "risk (the store's model from the last full refresh).")] = None,
    plot: Annotated[Path | None, typer.Option(help="Write the reliability (calibration) plot (PNG) here.")] = None,
    json_out: JsonOpt = False,
    store: StoreOpt = None,
) -> None:
    """Temporal churn evaluation: gradient boosting against recency alone and BG/NBD's 1 - P(alive)."""
    s = _settings(store)
    if explain is not None:
        with open_store(s.store) as st:
            out = explain_churn(st, explain, CustomerSettings(churn_days=int(horizon_days or 90)))
        if json_out:
            _print_json(out)
            return
        console.print(f"user {out['user_id']}: churn risk {out['risk']:.1%} (no purchase in the "
                      f"{out['horizon_days']} days after {out['as_of'][:10]})")
        t = Table("feature", "value", "typical", "effect on risk")
        for f in out["features"]:
            t.add_row(f["feature"], str(f["value"]), str(f["typical"]), f"{f['effect']:+.1%}")
        console.print(t)
        return
    d = load_customer_data(data, s.store, s.datasets_dir, CustomerSettings())
    cutoff, horizon, train_cutoff = _churn_cutoffs(d, horizon_days, _timestamp(test_cutoff, "--test-cutoff"), 39.0)
    with console.status(f"churn: training at {train_cutoff.date()}, testing at {cutoff.date()}"):
        ev = evaluate_churn(d.activity, cutoff, horizon, train_cutoff=train_cutoff, users=d.users)
    report = ev.report()
    report["data"] = d.name
    if plot is not None:
        # lazy: matplotlib takes a second to import
        from shopmind.evaluation.customers import plot_reliability

        plot_reliability(report["calibration"], plot, f"{d.name}: churn calibration")
        report["plot"] = str(plot)
    if json_out:
        _print_json(report)
        return
    t = Table("scorer", "AUC", "PR-AUC", title=f"{d.name}: churn = no purchase in {horizon:.0f} days after "
              f"{cutoff.date()} ({report['users']:,} customers, {report['churn_rate']:.1%} churned); trained at "
              f"{train_cutoff.date()}")
    for name in ("model", "recency", "bgnbd", "bgnbd_expected"):
        if name in report:
            t.add_row(name, f"{report[name]['auc']:.4f}", f"{report[name]['pr_auc']:.4f}")
    console.print(t)


@customers_app.command("bench")
def bench_cmd(
    users: Annotated[int, typer.Option(help="Shoppers in the generated store.")] = 100_000,
    events: Annotated[int, typer.Option(help="Events before the incremental phase.")] = 1_000_000,
    new_events: Annotated[int, typer.Option("--new-events", help="Events of the incremental refresh.")] = 10_000,
    requests: Annotated[int, typer.Option(help="Profile GETs timed over HTTP.")] = 2_000,
    work_dir: Annotated[Path | None, typer.Option(help="Where the store goes (default $SHOPMIND_HOME/bench).")]
        = None,
    out: Annotated[Path | None, typer.Option(help="Write the results JSON here.")] = None,
) -> None:
    """Speed (BENCHMARKS.md section 4): refresh from scratch and incrementally, profile GET latency."""
    # lazy: the benchmark loads the API stack
    from shopmind.evaluation.customers import run_customers_bench

    s = load_settings()
    res = run_customers_bench(work_dir or s.home / "bench", users, events, new_events, requests,
                              say=lambda m: console.print(f"[dim]{m}[/]"), progress=True)
    load = res["load_average_before"]
    t = Table("measure", "wall clock", "CPU", "target", "met",
              title=f"customers: {users:,} users, {events:,} events ({res['cpus']} CPUs, load average {load[0]:.1f})")
    full, incr = res["full_refresh"], res["incremental_refresh"]
    t.add_row("refresh from scratch", f"{full['seconds']:.1f} s", f"{full['cpu_seconds']:.1f} s", "< 60 s",
              "yes" if res["met"]["full_refresh"] else "[red]no[/]")
    t.add_row(f"incremental after {new_events:,} events", f"{incr['seconds']:.2f} s", f"{incr['cpu_seconds']:.2f} s",
              "< 5 s", "yes" if res["met"]["incremental_refresh"] else "[red]no[/]")
    t.add_row("GET /users/{id}/profile p99", f"{res['profile_get']['p99_ms']:.2f} ms",
              f"{res['profile_get']['cpu_p99_ms']:.2f} ms", "< 10 ms",
              "yes" if res["met"]["profile_get"] else "[red]no[/]")
    console.print(t)
    if out:
        write_json(out, res)
        console.print(f"results: {out}")
