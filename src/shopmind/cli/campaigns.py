"""`shopmind campaigns ...`: create, list, show and stop campaigns; deliver to one user or the whole audience;
render the e-mails as .eml files; redeem a coupon; simulate responses; the campaign report.

Registered by the main CLI as ``app.add_typer(campaigns_app, name="campaigns")``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from shopmind.cli.params import load_settings
from shopmind.cli.serve import resolve_model_path
from shopmind.errors import ShopmindError
from shopmind.experiments.registry import load_document
from shopmind.marketing.campaigns import (
    Campaign,
    audience_users,
    create_campaign,
    get_campaign,
    list_campaigns,
    stop_campaign,
)
from shopmind.marketing.delivery import DeliveryContext, context_for, deliver, render_email
from shopmind.marketing.offers import redeem
from shopmind.marketing.report import campaign_report, settle, simulate_responses
from shopmind.models import Recommender
from shopmind.pipeline import RecommendationService
from shopmind.storage import Store, open_store

campaigns_app = typer.Typer(help="Campaigns: audience, creatives, coupons, delivery, hold-out, report.",
                            no_args_is_help=True)
console = Console()
StoreOpt = Annotated[str | None, typer.Option("--store", help="Store URL (default: $SHOPMIND_STORE or "
                                             "sqlite:///$SHOPMIND_HOME/shopmind.db).")]
ModelOpt = Annotated[str | None, typer.Option("--model", help="Model artifact whose recommendations fill the "
                                             "creatives (default: the best under $SHOPMIND_HOME/models; none: "
                                             "popular items).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON only.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the creative bandit and of generated copy.")]


def _print_json(payload: object) -> None:
    typer.echo(json.dumps(payload, indent=2, default=str, ensure_ascii=False))


@contextmanager
def _delivery(store: str | None, model: str | None, seed: int | None) -> Iterator[tuple[Store, DeliveryContext]]:
    settings = load_settings(store_url=store)
    try:
        path = resolve_model_path(settings, model)
        recommender: Recommender | None = Recommender.load(path)
    except ShopmindError:
        if model is not None:
            raise
        recommender, path = None, None
    with open_store(settings.store) as st:
        service = RecommendationService.open(st, recommender, source=str(path or "none"), config=settings.pipeline)
        yield st, context_for(service, seed)


@campaigns_app.command("create")
def create(path: Annotated[Path, typer.Argument(help="Campaign document (JSON or YAML).")],
           store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """Create a campaign (rejected, naming the field, when invalid: unknown field, empty audience, negative
    budget, an offer no item is eligible for ...)."""
    doc = load_document(path.read_text(encoding="utf-8"), str(path))
    with open_store(load_settings(store_url=store).store) as st:
        campaign = create_campaign(st, doc)
    if as_json:
        _print_json(campaign.to_doc())
        return
    offer = campaign.offer.describe() if campaign.offer else "no offer"
    console.print(f"campaign [bold]{campaign.campaign_id}[/] ({campaign.channel}, {campaign.objective}): "
                  f"{campaign.audience_size:,} users in the audience, {campaign.control_share:.0%} held out, "
                  f"{len(campaign.creatives)} creative(s) by {campaign.creative_policy}, {offer}")


@campaigns_app.command("list")
def list_cmd(store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """Every campaign with its channel, status, audience size and offer."""
    with open_store(load_settings(store_url=store).store) as st:
        campaigns = list_campaigns(st)
    if as_json:
        _print_json([c.to_doc() for c in campaigns])
        return
    table = Table("campaign", "channel", "objective", "status", "audience", "hold-out", "creatives", "offer")
    for c in campaigns:
        table.add_row(c.campaign_id, c.channel, c.objective, c.status, f"{c.audience_size:,}",
                      f"{c.control_share:.0%}", ", ".join(x.creative_id for x in c.creatives),
                      c.offer.describe() if c.offer else "-")
    console.print(table)


@campaigns_app.command("show")
def show(campaign_id: str, store: StoreOpt = None) -> None:
    """The stored campaign document (JSON)."""
    with open_store(load_settings(store_url=store).store) as st:
        _print_json(get_campaign(st, campaign_id).to_doc())


@campaigns_app.command("stop")
def stop(campaign_id: str, store: StoreOpt = None) -> None:
    """Stop a campaign: no more deliveries, its coupons are refused; the logs stay."""
    with open_store(load_settings(store_url=store).store) as st:
        campaign = stop_campaign(st, campaign_id)
    console.print(f"{campaign.campaign_id}: {campaign.status}")


@campaigns_app.command("deliver")
def deliver_cmd(campaign_id: str, user: Annotated[str, typer.Option("--user", help="The shopper.")],
                store: StoreOpt = None, model: ModelOpt = None, seed: SeedOpt = 0,
                dry_run: Annotated[bool, typer.Option("--dry-run", help="Log nothing, issue no code.")] = False,
                as_json: JsonOpt = False) -> None:
    """What the campaign delivers to one user now (creative and coupon), or the reason for none."""
    with _delivery(store, model, seed) as (st, ctx):
        out = deliver(st, get_campaign(st, campaign_id), user, ctx, log=not dry_run)
    if as_json:
        _print_json(out.as_dict())
        return
    if not out.delivered:
        console.print(f"{user}: nothing ({out.reason})")
        return
    console.print(f"[bold]{out.subject or out.headline or ''}[/] ({out.creative_id}, p = {out.propensity:.3f})")
    console.print(out.text or "", markup=False, highlight=False)
    if out.coupon:
        console.print(f"coupon {out.coupon['code']}: {out.coupon['description']}")


def _audience(st: Store, campaign: Campaign, limit: int | None) -> list[str]:
    users = audience_users(st, campaign.audience)
    return users[:limit] if limit else users


def _run(st: Store, ctx: DeliveryContext, campaign: Campaign, users: list[str], out: Path | None, log: bool,
         sender: str) -> Counter[str]:
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    outcome: Counter[str] = Counter()
    now = datetime.now(UTC)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(f"{'sending' if log else 'rendering'} {campaign.campaign_id}", total=len(users))
        for user in users:
            d = deliver(st, campaign, user, ctx, now=now, log=log)
            outcome[d.reason or "delivered"] += 1
            if d.delivered and out is not None:
                (out / f"{campaign.campaign_id}-{user}.eml").write_bytes(bytes(render_email(d, sender=sender)))
            bar.advance(task)
    return outcome


def _outcome(outcome: Counter[str], out: Path | None, as_json: bool) -> None:
    if as_json:
        _print_json({"outcome": dict(outcome), "out": str(out) if out else None})
        return
    console.print(", ".join(f"{k}: {v:,}" for k, v in outcome.most_common())
                  + (f"; e-mails in {out}" if out is not None else ""))


@campaigns_app.command("render")
def render(campaign_id: str, out: Annotated[Path, typer.Option("--out", help="Directory for the .eml files.")],
           store: StoreOpt = None, model: ModelOpt = None, seed: SeedOpt = 0,
           limit: Annotated[int | None, typer.Option(help="At most this many users of the audience.")] = None,
           sender: Annotated[str, typer.Option(help="From address.")] = "shop@example.com",
           as_json: JsonOpt = False) -> None:
    """A dry run: the e-mail each audience member would get now, as .eml files (text + HTML). Logs nothing and
    issues no coupon code."""
    with _delivery(store, model, seed) as (st, ctx):
        campaign = get_campaign(st, campaign_id)
        outcome = _run(st, ctx, campaign, _audience(st, campaign, limit), out, False, sender)
    _outcome(outcome, out, as_json)


@campaigns_app.command("send")
def send(campaign_id: str, store: StoreOpt = None, model: ModelOpt = None, seed: SeedOpt = 0,
         out: Annotated[Path | None, typer.Option("--out", help="Also write the sent e-mails here.")] = None,
         limit: Annotated[int | None, typer.Option(help="At most this many users of the audience.")] = None,
         sender: Annotated[str, typer.Option(help="From address.")] = "shop@example.com",
         as_json: JsonOpt = False) -> None:
    """Deliver to every audience member now: hold-out, caps and budget apply; every delivery is logged and each
    coupon gets its single-use code."""
    with _delivery(store, model, seed) as (st, ctx):
        campaign = get_campaign(st, campaign_id)
        outcome = _run(st, ctx, campaign, _audience(st, campaign, limit), out, True, sender)
    _outcome(outcome, out, as_json)


@campaigns_app.command("redeem")
def redeem_cmd(code: str, user: Annotated[str, typer.Option("--user", help="Who redeems it.")],
               items: Annotated[str, typer.Option("--items", help="Comma-separated item ids of the basket.")],
               value: Annotated[float | None, typer.Option(help="Order total (default: catalog prices).")] = None,
               order_id: Annotated[str | None, typer.Option("--order-id")] = None,
               store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """Record a coupon_redeem event and check it against eligibility, budget and caps (refused with a reason)."""
    event: dict[str, Any] = {"event_id": f"redeem-{code}-{order_id or 'cli'}", "user_id": user, "type": "coupon_redeem",
                             "item_id": None, "value": value, "timestamp": pd.Timestamp.now(tz="UTC"),
                             "context": {"code": code, "order_id": order_id,
                                         "items": [i.strip() for i in items.split(",") if i.strip()]}}
    with open_store(load_settings(store_url=store).store) as st:
        result = redeem(st, event, st.items_frame())
        st.append_events([event])
    if as_json:
        _print_json(result.as_dict())
        return
    console.print(f"{code}: accepted, discount {result.discount:.2f}" if result.accepted
                  else f"{code}: refused ({result.reason})")


@campaigns_app.command("simulate")
def simulate(campaign_id: str, store: StoreOpt = None,
             base_rate: Annotated[float, typer.Option(help="Purchase probability without the campaign.")] = 0.05,
             lift: Annotated[float, typer.Option(help="True added purchase probability of a delivery.")] = 0.03,
             redeem_share: Annotated[float, typer.Option(help="Share of treated buyers who use the coupon.")] = 0.9,
             seed: SeedOpt = 0, as_json: JsonOpt = False) -> None:
    """Simulated responses to the logged deliveries, with a known lift (purchases and coupon redemptions)."""
    with open_store(load_settings(store_url=store).store) as st:
        res = simulate_responses(st, get_campaign(st, campaign_id), base_rate=base_rate, lift=lift,
                                 redeem_share=redeem_share, seed=seed)
    if as_json:
        _print_json(res)
        return
    console.print(f"{res['users']:,} users: {res['purchases']} purchases, {res['redeem_events']} redemption "
                  f"attempts {res['redemptions']} (true lift {lift:+.3f})")


@campaigns_app.command("settle")
def settle_cmd(campaign_id: str, store: StoreOpt = None) -> None:
    """Teach the creative bandit that coupons not redeemed within the attribution window did not convert
    (reward 0 to those decisions)."""
    with open_store(load_settings(store_url=store).store) as st:
        n = settle(st, get_campaign(st, campaign_id))
    console.print(f"{campaign_id}: {n} decisions settled with reward 0")


@campaigns_app.command("report")
def report(campaign_id: str, store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """The funnel (deliveries, hold-out, coupons, redemptions, budget) and the incremental effect against the
    hold-out (Welch, CUPED, always-valid test, SRM check)."""
    with open_store(load_settings(store_url=store).store) as st:
        rep = campaign_report(st, get_campaign(st, campaign_id))
    if as_json:
        _print_json(rep)
        return
    f = rep["funnel"]
    console.print(f"[bold]{campaign_id}[/] ({rep['status']}): {f['deliveries']:,} deliveries to "
                  f"{f['users_reached']:,} users, {f['control_users']:,} held out; {f['coupons_issued']:,} coupons, "
                  f"{f['redemptions']:,} redeemed, discount {f['discount_granted']:.2f}"
                  + (f" of {f['budget']:.2f}" if f["budget"] is not None else ""))
    analysis = rep["analysis"]
    if analysis is None:
        return
    srm = analysis["srm"]
    console.print(f"SRM p = {srm['p_value']:.3g}" + (" [red]SAMPLE RATIO MISMATCH[/]" if srm["mismatch"] else " (ok)"))
    table = Table("variant", "users", "expected", "conversion", "revenue/user")
    for v in analysis["variants"]:
        table.add_row(v["variant"], f"{v['users']:,}", f"{v['expected_share']:.0%}", f"{v['conversion']:.4f}",
                      f"{v['revenue_per_user']:.2f}")
    console.print(table)
    comp = Table("metric", "effect", "95% CI", "p (fixed)", "p (always valid)", title="treatment - control")
    for c in analysis["comparisons"]:
        fx = c["fixed"]
        comp.add_row(c["metric"], f"{fx['value']:+.4g}", f"[{fx['ci_low']:.4g}, {fx['ci_high']:.4g}]",
                     f"{fx['p_value']:.3g}", f"{c['sequential_p_value']:.3g}")
    console.print(comp)
    inc = rep["incremental"]
    if inc and inc.get("incremental_buyers_per_coupon") is not None:
        console.print(f"incremental buyers per coupon: {inc['incremental_buyers_per_coupon']:.4f}")
