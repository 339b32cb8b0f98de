"""Experiments: created from the form (validated as POST /experiments validates), refused for a read-only key
and without the CSRF token; live results with intervals and the SRM warning; stop, and ship (the variant's
model version serves)."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from fixtures.console import ADMIN_KEY, READ_KEY, browser_sign_in, sign_in
from shopmind.experiments.registry import get_experiment, log_exposures

API = {"X-API-Key": ADMIN_KEY}


def _form(console_shop, **extra: str) -> dict[str, str]:
    popular, knn = console_shop.versions
    return {"experiment_id": "hero", "surface": "home", "traffic": "1", "metric": "conversion",
            "control_name": "control", "control_version": knn, "treatment_name": "popular",
            "treatment_version": popular, **extra}


def test_create_from_the_form_then_a_bad_field_is_named(client, console_shop):
    token = sign_in(client)
    r = client.post("/admin/experiments", data={**_form(console_shop), "csrf_token": token})
    assert r.status_code == 200 and r.headers["HX-Redirect"] == "/admin/experiments/hero"
    exp = get_experiment(console_shop.service.store, "hero")
    assert [v.model_version for v in exp.variants] == console_shop.versions[::-1] and exp.status == "running"
    assert client.get("/experiments/hero", headers=API).json()["experiment_id"] == "hero"
    again = client.post("/admin/experiments", data={**_form(console_shop), "csrf_token": token})
    assert again.status_code == 422 and "already exists" in again.text and "experiment_id" in again.text
    bad = client.post("/admin/experiments", data={**_form(console_shop, experiment_id="x2", traffic="lots"),
                                                   "csrf_token": token})
    assert bad.status_code == 422 and "traffic" in bad.text
    yaml_doc = "experiment_id: aa\nsurface: email\nvariants: [{name: a}, {name: b}]\n"
    doc = client.post("/admin/experiments", data={"document": yaml_doc, "csrf_token": token})
    assert doc.headers["HX-Redirect"] == "/admin/experiments/aa"
    listed = client.get("/admin/experiments").text
    assert 'data-experiment="hero"' in listed and 'data-experiment="aa"' in listed


def test_a_read_only_key_and_a_missing_token_cannot_create_or_stop(client, console_shop):
    token = sign_in(client, READ_KEY)
    page = client.get("/admin/experiments").text
    assert "read-only" in page and "Create and start" not in page
    assert client.post("/admin/experiments", data={**_form(console_shop), "csrf_token": token}).status_code == 403
    assert console_shop.service.store.get_experiment("hero") is None
    client.post("/experiments", json={"experiment_id": "hero", "surface": "home",
                                      "variants": [{"name": "a"}, {"name": "b"}]}, headers=API)
    assert client.post("/admin/experiments/hero/stop", data={"csrf_token": token}).status_code == 403
    admin_token = sign_in(client)
    assert client.post("/admin/experiments/hero/stop", data={"csrf_token": "forged"}).status_code == 403
    assert get_experiment(console_shop.service.store, "hero").status == "running"
    assert client.post("/admin/experiments/hero/stop", data={"csrf_token": admin_token}).status_code == 200
    assert get_experiment(console_shop.service.store, "hero").status == "stopped"


def _results(client, experiment_id: str) -> str:
    deadline = time.monotonic() + 60
    while True:
        text = client.get(f"/admin/experiments/{experiment_id}/results").text
        if "Computing" not in text or time.monotonic() > deadline:
            return text
        time.sleep(0.1)  # the results are computed in a background thread of this process


def _exposed_with_outcomes(console_shop, experiment_id: str, only: str | None = None) -> None:
    """Exposures of the shop's users a day ago (only those in variant ``only`` when given, plus a few others),
    and purchases by some of them since."""
    store = console_shop.service.store
    exp = get_experiment(store, experiment_id)
    t0 = pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=1)
    users = store.users_frame()["user_id"].astype(str).tolist()
    chosen = [u for u in users if only is None or exp.assign(u) == only or u.endswith("7")]
    log_exposures(store, exp, [{"user_id": u, "timestamp": t0} for u in chosen])
    store.append_events([{"user_id": u, "item_id": "SKU-x", "type": "purchase", "value": 1,
                          "timestamp": t0 + pd.Timedelta(hours=2)} for u in chosen[::3]])


def test_live_results_show_variants_intervals_and_no_srm(client, console_shop):
    sign_in(client, READ_KEY)
    client.post("/experiments", json={"experiment_id": "hero", "surface": "home",
                                      "variants": [{"name": "a"}, {"name": "b"}]}, headers=API)
    assert 'data-testid="no-exposures"' in _results(client, "hero")
    _exposed_with_outcomes(console_shop, "hero")
    console_shop.app.state.console.parts["experiment_results"].pop("hero")  # shown until stale: start afresh
    text = _results(client, "hero")
    api = client.get("/experiments/hero/results", headers=API).json()
    assert 'data-testid="srm-ok"' in text and api["srm"]["mismatch"] is False
    for v in api["variants"]:
        assert f'{v["users"]:,}' in text
    conversion = next(c for c in api["comparisons"] if c["metric"] == "conversion")
    assert f'[{conversion["fixed"]["ci_low"]:,.4f}' in text or f'[{conversion["cuped"]["ci_low"]:,.4f}' in text
    assert text.count('<svg class="interval"') == len(api["comparisons"])


def test_a_sample_ratio_mismatch_is_warned_about(client, console_shop):
    sign_in(client)
    client.post("/experiments", json={"experiment_id": "skewed", "surface": "home",
                                      "variants": [{"name": "a"}, {"name": "b"}]}, headers=API)
    _exposed_with_outcomes(console_shop, "skewed", only="a")
    text = _results(client, "skewed")
    assert 'data-testid="srm-warning"' in text and "Sample ratio mismatch" in text
    assert client.get("/experiments/skewed/results", headers=API).json()["srm"]["mismatch"] is True


def test_shipping_a_variant_stops_the_experiment_and_serves_its_version(client, console_shop):
    token = sign_in(client)
    popular, knn = console_shop.versions
    client.post("/admin/experiments", data={**_form(console_shop), "csrf_token": token})
    ask = client.get("/admin/experiments/hero/confirm", params={"action": "ship", "variant": "popular"})
    assert popular in ask.text and 'data-testid="confirm"' in ask.text
    r = client.post("/admin/experiments/hero/ship", data={"variant": "popular", "csrf_token": token})
    assert r.status_code == 200 and "Shipped popular" in r.text
    assert console_shop.service.versions.active.version == popular
    assert get_experiment(console_shop.service.store, "hero").status == "stopped"
    user = console_shop.user_with_profile()
    assert client.get(f"/recommendations/{user}", headers=API).json()["model_version"] == popular


@pytest.mark.browser
def test_create_an_experiment_in_the_browser_and_stop_it(open_page, live_console):
    from playwright.sync_api import expect

    bp = open_page()
    browser_sign_in(bp, ADMIN_KEY, "/admin/experiments")
    name = f"browser-{int(time.time())}"
    bp.page.fill("[data-testid=exp-id]", name)
    bp.page.fill("input[name=surface]", f"surface-{name}")
    bp.page.click("text=Create and start")
    expect(bp.page.locator("h1")).to_have_text(name)
    expect(bp.page.locator("[data-testid=no-exposures]")).to_be_visible()
    bp.page.click("text=Stop…")
    bp.page.click("[data-testid=confirm-yes]")
    expect(bp.page.locator("[data-testid=experiment-done]")).to_contain_text(f"Stopped {name}")
    expect(bp.page.locator("[data-testid=experiment-status]")).to_contain_text("stopped")
    assert get_experiment(live_console.shop.service.store, name).status == "stopped"
    assert bp.errors == []
