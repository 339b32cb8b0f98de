"""Campaigns: created from the form or a pasted document (validated as POST /campaigns validates, a bad field
named), refused for a read-only key and without the CSRF token; the preview is the deliver dry run and logs
nothing; the live report (funnel, budget, conversion lift with its interval, the SRM warning); stop."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from fixtures.console import ADMIN_KEY, READ_KEY, browser_sign_in, campaign_document, ensure_campaign, sign_in
from shopmind.marketing.campaigns import get_campaign
from shopmind.marketing.delivery import in_control

API = {"X-API-Key": ADMIN_KEY}


def _form(console_shop, **extra: str) -> dict[str, str]:
    users = console_shop.service.store.users_frame()["user_id"].astype(str).tolist()[:50]
    return {"campaign_id": "spring", "name": "Spring", "channel": "email", "objective": "purchase",
            "audience_kind": "user_ids", "audience": ", ".join(users), "control_share": "0.2", "cap_max": "1",
            "cap_days": "7", "creative_id": "main", "generate": "none", "items": "3", "subject": "Spring picks",
            "body": "Hello {user_id}: {items}", **extra}


def test_create_from_the_form_then_a_bad_field_is_named(client, console_shop):
    token = sign_in(client)
    r = client.post("/admin/campaigns", data={**_form(console_shop), "csrf_token": token})
    assert r.status_code == 200 and r.headers["HX-Redirect"] == "/admin/campaigns/spring"
    campaign = get_campaign(console_shop.service.store, "spring")
    assert campaign.status == "running" and campaign.audience_size == 50 and campaign.control_share == 0.2
    assert client.get("/campaigns/spring", headers=API).json()["creatives"][0]["subject"] == "Spring picks"
    again = client.post("/admin/campaigns", data={**_form(console_shop), "csrf_token": token})
    assert again.status_code == 422 and "already exists" in again.text and "<code>campaign_id</code>" in again.text
    share = client.post("/admin/campaigns", data={**_form(console_shop, campaign_id="s2", control_share="2"),
                                                  "csrf_token": token})
    assert share.status_code == 422 and "<code>control_share</code>" in share.text
    word = client.post("/admin/campaigns", data={**_form(console_shop, campaign_id="s3", items="many"),
                                                 "csrf_token": token})
    assert word.status_code == 422 and "<code>items</code>" in word.text
    nobody = client.post("/admin/campaigns", data={**_form(console_shop, campaign_id="s4",
                                                           audience_kind="expression", audience="orders > 100000"),
                                                   "csrf_token": token})
    assert nobody.status_code == 422 and "<code>audience</code>" in nobody.text
    yaml_doc = ("campaign_id: pasted\nchannel: push\naudience: {user_ids: [U00001]}\n"
                "creatives: [{creative_id: a, body: Hi}]\noffer: {kind: amount, value: 5, budget: -1}\n")
    bad = client.post("/admin/campaigns", data={"document": yaml_doc, "csrf_token": token})
    assert bad.status_code == 422 and "<code>offer.budget</code>" in bad.text
    assert client.post("/campaigns", json={"campaign_id": "pasted", "channel": "push",
                                           "audience": {"user_ids": ["U00001"]},
                                           "creatives": [{"creative_id": "a", "body": "Hi"}],
                                           "offer": {"kind": "amount", "value": 5, "budget": -1}},
                       headers=API).status_code == 422  # the API refuses the same document
    doc = client.post("/admin/campaigns", data={"document": yaml_doc.replace("-1", "50"), "csrf_token": token})
    assert doc.headers["HX-Redirect"] == "/admin/campaigns/pasted"
    listed = client.get("/admin/campaigns").text
    assert 'data-campaign="spring"' in listed and 'data-campaign="pasted"' in listed and "running" in listed


def test_the_preview_is_the_deliver_dry_run_and_logs_nothing(client, console_shop):
    sign_in(client)
    store = console_shop.service.store
    client.post("/campaigns", json=campaign_document(console_shop, "preview", users=60), headers=API)
    campaign = get_campaign(store, "preview")
    text = client.get("/admin/campaigns/preview/preview").text
    assert text.count("<tr data-user=") == 4 and "DRYRUN-WB" in text and "Your code: DRYRUN-WB" in text
    assert '<span data-testid="preview-reason">control</span>' in text  # one sample from the hold-out
    treated = next(u for u in campaign.audience.user_ids or [] if not in_control(campaign, u))
    one = client.get("/admin/campaigns/preview/preview", params={"user_id": treated}).text
    api = client.get("/campaigns/preview/deliver", params={"user_id": treated, "dry_run": True}, headers=API).json()
    assert api["delivered"] and api["coupon"]["code"] in one and api["items"][0]["item_id"] in str(api["items"])
    assert all((it["title"] or it["item_id"]) in one for it in api["items"])
    outside = client.get("/admin/campaigns/preview/preview", params={"user_id": "nobody-here"}).text
    assert '<span data-testid="preview-reason">not_in_audience</span>' in outside
    assert store.deliveries_frame("preview").empty  # previews log nothing
    assert client.get("/campaigns/preview/report", headers=API).json()["funnel"]["deliveries"] == 0


def test_previewing_a_bandit_campaign_records_no_decision(client, console_shop):
    sign_in(client)
    store = console_shop.service.store
    doc = campaign_document(console_shop, "bandit", users=40)
    doc.update(creative_policy="thompson", control_share=0.0,
               creatives=[{"creative_id": "a", "subject": "A", "body": "A {code}", "items": 2},
                          {"creative_id": "b", "subject": "B", "body": "B {code}", "items": 2}])
    client.post("/campaigns", json=doc, headers=API)
    campaign = get_campaign(store, "bandit")
    text = client.get("/admin/campaigns/bandit/preview").text
    assert text.count('<span class="tag good">delivered</span>') == 4
    assert store.decisions_frame(campaign.bandit_id).empty and store.deliveries_frame("bandit").empty


def _results(client, campaign_id: str) -> str:
    deadline = time.monotonic() + 60
    while True:
        text = client.get(f"/admin/campaigns/{campaign_id}/results").text
        if "Computing" not in text or time.monotonic() > deadline:
            return text
        time.sleep(0.1)  # the report is computed in a background thread of this process


def test_the_live_report_shows_the_funnel_budget_and_lift_with_its_interval(client, console_shop):
    sign_in(client, READ_KEY)
    client.post("/campaigns", json=campaign_document(console_shop, "empty"), headers=API)
    assert 'data-testid="no-deliveries"' in _results(client, "empty")
    campaign_id = ensure_campaign(console_shop)
    text = _results(client, campaign_id)
    api = client.get(f"/campaigns/{campaign_id}/report", headers=API).json()
    funnel = api["funnel"]
    assert funnel["deliveries"] > 100 and funnel["control_users"] > 10 and funnel["redemptions"] > 0
    assert f'{funnel["deliveries"]:,} deliveries to {funnel["users_reached"]:,} users' in text
    assert f'{funnel["control_users"]:,} users' in text
    assert f'{funnel["discount_granted"]:,.2f} granted of {funnel["budget"]:,.2f}' in text
    assert 'data-testid="srm-ok"' in text and api["analysis"]["srm"]["mismatch"] is False
    conversion = next(c for c in api["analysis"]["comparisons"] if c["metric"] == "conversion")
    est = conversion["cuped"] or conversion["fixed"]
    assert f'[{100 * est["ci_low"]:.2f}%, {100 * est["ci_high"]:.2f}%]' in text
    assert f'{100 * api["incremental"]["conversion_lift"]:.2f}%' in text
    assert text.count('<svg class="interval"') == len(api["analysis"]["comparisons"])


def test_a_sample_ratio_mismatch_is_warned_about(client, console_shop):
    sign_in(client)
    store = console_shop.service.store
    client.post("/campaigns", json=campaign_document(console_shop, "skewed"), headers=API)
    campaign = get_campaign(store, "skewed")
    t0 = pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=1)
    users = campaign.audience.user_ids or []
    # a broken hold-out: every treated user logged, only a tenth of the control users
    rows = [{"delivery_id": f"d{k}", "campaign_id": "skewed", "user_id": u, "channel": "email", "propensity": 0.5,
             "variant": "control" if in_control(campaign, u) else "treatment", "timestamp": t0}
            for k, u in enumerate(users) if not in_control(campaign, u) or k % 10 == 0]
    store.log_deliveries(rows)
    text = _results(client, "skewed")
    assert 'data-testid="srm-warning"' in text and "Sample ratio mismatch" in text
    assert client.get("/campaigns/skewed/report", headers=API).json()["analysis"]["srm"]["mismatch"] is True


def test_a_read_only_key_and_a_missing_token_cannot_create_or_stop(client, console_shop):
    token = sign_in(client, READ_KEY)
    page = client.get("/admin/campaigns").text
    assert "read-only" in page and "Create and start" not in page
    assert client.post("/admin/campaigns", data={**_form(console_shop), "csrf_token": token}).status_code == 403
    assert console_shop.service.store.get_campaign("spring") is None
    client.post("/campaigns", json=campaign_document(console_shop, "spring"), headers=API)
    detail = client.get("/admin/campaigns/spring").text
    assert "Stop…" not in detail and "read-only" in detail
    preview = client.get("/admin/campaigns/spring/preview")  # a preview changes nothing: a reader may look
    assert preview.status_code == 200 and "DRYRUN-WB" in preview.text
    assert console_shop.service.store.deliveries_frame("spring").empty
    refused = client.post("/admin/campaigns/spring/stop", data={"csrf_token": token})
    assert refused.status_code == 403 and "read scope" in refused.text
    admin_token = sign_in(client)
    assert client.post("/admin/campaigns/spring/stop", data={"csrf_token": "forged"}).status_code == 403
    assert get_campaign(console_shop.service.store, "spring").status == "running"
    ask = client.get("/admin/campaigns/spring/confirm")
    assert 'data-testid="confirm"' in ask.text and "cannot be restarted" in ask.text
    done = client.post("/admin/campaigns/spring/stop", data={"csrf_token": admin_token})
    assert done.status_code == 200 and "Stopped spring" in done.text
    assert get_campaign(console_shop.service.store, "spring").status == "stopped"
    user = campaign_document(console_shop)["audience"]["user_ids"][0]
    after = client.get("/campaigns/spring/deliver", params={"user_id": user, "dry_run": True}, headers=API).json()
    assert after["delivered"] is False and after["reason"] == "campaign_over"


def test_an_unknown_campaign_is_a_404(client):
    sign_in(client)
    assert client.get("/admin/campaigns/nope").status_code == 404


@pytest.mark.browser
def test_create_a_campaign_from_a_document_in_the_browser_preview_and_stop_it(open_page, live_console):
    from playwright.sync_api import expect

    bp = open_page()
    browser_sign_in(bp, ADMIN_KEY, "/admin/campaigns")
    name = f"browser-{int(time.time())}"
    user = live_console.shop.service.store.users_frame()["user_id"].astype(str).iloc[0]
    bp.page.click("text=Or paste the whole document")
    bp.page.fill("[data-testid=campaign-document]",
                 f'{{"campaign_id": "{name}", "channel": "push", "audience": {{"user_ids": ["{user}"]}}, '
                 '"control_share": 0, "creatives": [{"creative_id": "a", "body": "Hi {user_id}", "items": 2}]}')
    bp.page.click("text=Create and start")
    expect(bp.page.locator("h1")).to_have_text(name)
    expect(bp.page.locator("[data-testid=campaign-preview]")).to_contain_text(f"Hi {user}")
    expect(bp.page.locator("[data-testid=no-deliveries]")).to_be_visible()
    bp.page.click("text=Stop…")
    bp.page.click("[data-testid=confirm-yes]")
    expect(bp.page.locator("[data-testid=campaign-done]")).to_contain_text(f"Stopped {name}")
    expect(bp.page.locator("[data-testid=campaign-status]")).to_contain_text("stopped")
    store = live_console.shop.service.store
    assert get_campaign(store, name).status == "stopped" and store.deliveries_frame(name).empty
    assert bp.errors == []
