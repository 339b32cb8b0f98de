"""`shopmind demo` / `make demo`: the one place a newcomer sees the whole system work.

Generates the synthetic bilingual demo shop, imports it into the embedded store (showing the import
report and quarantine), trains and evaluates the models under the leave-one-out full-ranking protocol,
prints the leaderboard, writes the report with plots, shows recommendations for a few users, computes the
customer profiles and segments (so the console's Customers page has data), then serves the shop over the REST
API for a live tour.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any

from rich.console import Console
from rich.table import Table

from shopmind.api import create_app
from shopmind.api.client import ShopmindClient
from shopmind.api.server import ThreadedServer
from shopmind.assist.faq import sample_faq
from shopmind.assist.service import AssistService
from shopmind.cli.show import print_user_recommendations
from shopmind.content import ContentService
from shopmind.customers.config import CustomerSettings
from shopmind.customers.refresh import refresh
from shopmind.evaluation.bench import ModelRun, bench_payload, run_bench, write_bench_report
from shopmind.evaluation.provenance import write_json
from shopmind.ingest.sources import generate_dataset, import_path
from shopmind.models import Recommender, available, create
from shopmind.pipeline import RecommendationService
from shopmind.ranking import build_dataset, create_ranker
from shopmind.ranking.metrics import ctr_metrics
from shopmind.settings import ApiSettings, Settings
from shopmind.storage import load_interactions, open_store

log = logging.getLogger(__name__)

DEMO_MODELS = ["random", "popular", "itemknn", "seqknn", "userknn", "ease", "als", "bpr", "content", "hybrid"]
QUICK_MODELS = ["random", "popular", "itemknn"]


def run_demo(console: Console, settings: Settings, quick: bool = False) -> dict[str, Any]:
    settings.home.mkdir(parents=True, exist_ok=True)
    n_users, n_items = (1200, 600) if quick else (3000, 2000)
    console.rule("[bold]1. Data: the synthetic bilingual demo shop")
    out_dir = settings.datasets_dir / ("demo-shop-quick" if quick else "demo-shop")
    files = generate_dataset("demo-shop", out_dir, n_users=n_users, n_items=n_items, days=60 if quick else 90,
                             seed=settings.seed)
    console.print(f"generated {', '.join(p.name for p in files.values())} in {out_dir} (synthetic, seed "
                  f"{settings.seed})")
    report = import_path(settings.store, out_dir)
    console.print(report.summary())
    console.print("(importing the same files again adds nothing:)")
    console.print(import_path(settings.store, out_dir).summary())

    console.rule("[bold]2. Train and evaluate (leave-one-out by time, full ranking)")
    store = open_store(settings.store)
    try:
        data = load_interactions(store, name="demo-shop").first_touch()
    finally:
        store.close()
    names = [m for m in (QUICK_MODELS if quick else DEMO_MODELS) if m in available()]
    specs = [(m, _demo_params(m, quick)) for m in names]

    def show(run: ModelRun) -> None:
        console.print(f"  {run.model:<9} NDCG@10 {run.metrics['ndcg@10']:.4f}  HR@10 {run.metrics['hr@10']:.4f}  "
                      f"({run.train_seconds:.1f}s)")

    split, runs = run_bench(data, specs, ks=(1, 5, 10, 20), on_result=show)
    payload = bench_payload(data, split, runs, (1, 5, 10, 20))
    table = Table("model", "HR@10", "NDCG@10", "MRR@10", "coverage@10", "train s",
                  title=f"demo-shop leaderboard ({payload['protocol']['test_users']} test users)")
    for r in sorted(runs, key=lambda r: -r.metrics["ndcg@10"]):
        m = r.metrics
        table.add_row(r.model, f"{m['hr@10']:.4f}", f"{m['ndcg@10']:.4f}", f"{m['mrr@10']:.4f}",
                      f"{m['coverage@10']:.3f}", f"{r.train_seconds:.1f}")
    console.print(table)
    report_dir = settings.reports_dir / "demo"
    write_json(report_dir / "results.json", payload)
    written = write_bench_report(data, split, runs, payload, report_dir)
    console.print(f"report: {report_dir} ({', '.join(p.name for p in written.values())})")

    console.rule("[bold]3. Recommendations")
    best = max(runs, key=lambda r: r.metrics["ndcg@10"])
    model = create(best.model, **_demo_params(best.model, quick)).fit(data)
    path = model.save(settings.models_dir / best.model)
    console.print(f"best model {best.model!r} retrained on all data and saved to {path}")
    counts = data.user_counts()
    users = [int(u) for u in counts.argsort()[::-1][[0, len(counts) // 4, len(counts) // 2]]]
    print_user_recommendations(console, model, data, users, n=5)
    console.rule("[bold]Customers: profiles, RFM, segments, value and churn")
    with open_store(settings.store) as store:
        customers = refresh(store, CustomerSettings(), full=True, recommender=model)
    console.print(f"{customers.users:,} profiles, {customers.segments} segments in {customers.seconds:.1f} s "
                  f"(shopmind customers segments; GET /users/{{id}}/profile)")
    payload["customers"] = {"profiles": customers.users, "segments": customers.segments}
    with open_store(settings.store) as store:
        assist = AssistService(store)
        held = len(assist.entries())
        if not held:
            imported = assist.import_faq(sample_faq())
            console.print(f"customer service: {imported} sample FAQ entries imported (zh + en store policies; "
                          "shopmind assist faq import FILE replaces them with the shop's own; POST /assist/answer "
                          "and the console's Assistant page answer from them)")
        else:
            console.print(f"customer service: the store's FAQ holds {held} entries (kept)")
        payload["faq_entries"] = len(assist.entries())
    if not quick:
        serve_demo(console, settings, model, data.users.raw(users[0]))
    return payload


def serve_demo(console: Console, settings: Settings, model: Recommender, user: str) -> None:
    """Step 4: the real REST API on the demo shop (uvicorn on a free loopback port, for a minute), with a CTR
    ranker, driven by the Python client: recommendations with reasons, an event changing them live,
    similar items, trending, grounded copy for the slate. Then the command that keeps it serving."""
    console.rule("[bold]4. Serving: CTR ranker, REST API, live events, grounded copy")
    store = open_store(settings.store)
    try:
        ds = build_dataset(store.events_frame(), store.items_frame(), target="click")
        fit_rows, test_rows = ds.split_by_time((0.9,))
        ranker = create_ranker("gbdt", max_iter=100).fit(*fit_rows.split_by_time((0.9,)))
        m = ctr_metrics(test_rows.label, ranker.predict_proba(test_rows.dense, test_rows.fields))
        console.print(f"CTR ranker (gbdt) on impression -> click logs: AUC {m['auc']:.3f}, log-loss "
                      f"{m['logloss']:.4f} on the newest 10% of {len(ds):,} exposures")
        service = RecommendationService.open(store, model)
        service.set_ranker(ranker)
        app = create_app(service, ApiSettings(models_dir=settings.models_dir))
        with ThreadedServer(app) as server, ShopmindClient(server.url) as client:
            rec = client.recommend(user, n=5)
            console.print(f"GET /recommendations/{user}?n=5  (recommendation_id {rec['recommendation_id']})")
            for it in rec["items"]:
                console.print(f"  {it['item_id']}  {it['source']:<10} {it['reason']}")
            viewed = rec["items"][-1]["item_id"]
            t0 = time.perf_counter()
            client.insert_events([{"user_id": user, "item_id": viewed, "type": "view",
                                   "context": {"recommendation_id": rec["recommendation_id"]}}])
            after = client.recommend(user, n=5)
            ms = (time.perf_counter() - t0) * 1000
            console.print(f"POST /events (view {viewed}), then the list again ({ms:.0f} ms for both):")
            for it in after["items"]:
                console.print(f"  {it['item_id']}  {it['source']:<10} {it['reason']}")
            sim = client.similar(viewed, n=3)
            console.print(f"similar to {viewed}: {', '.join(i['item_id'] for i in sim['items'])}; trending "
                          f"24h: {', '.join(i['item_id'] for i in client.trending(n=3)['items'])}")
            slate = [store.get_item(i["item_id"]) or {"item_id": i["item_id"]} for i in after["items"]]
            history = [store.get_item(viewed) or {"item_id": viewed}]
            copy = ContentService()
            for lang in ("en", "zh"):
                out = copy.headline(history, slate, lang=lang)
                check = out.check.summary() if out.check else "not checked"
                console.print(f"headline ({lang}): {out.text}  [{check}]")
    finally:
        store.close()
    key = secrets.token_urlsafe(12)
    console.print(f"keep serving it: [bold]shopmind serve --port 8000 --api-keys {key}:write[/] (OpenAPI docs at "
                  "http://127.0.0.1:8000/docs; `shopmind ctr train` + `--ranker` adds the ranker)")
    console.print(f"then open the merchant's console at [bold]http://127.0.0.1:8000/admin[/] and sign in with the "
                  f"key [bold]{key}[/] (it has the write scope; give read-only staff a key:read entry)")


def _demo_params(name: str, quick: bool) -> dict[str, Any]:
    if name in ("sasrec", "gru4rec"):
        return {"epochs": 5 if quick else 20}
    if name == "hybrid" and quick:
        return {"components": "itemknn,ease"}
    return {}
