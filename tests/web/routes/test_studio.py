"""The content studio: personal copy is what the API serves (PersonalCopy over the serving pipeline's slate, as
POST /content/headline and /content/email give it), item copy is checked, and mistakes are named."""

from __future__ import annotations

import html

import pytest

from fixtures.console import ADMIN_KEY, browser_sign_in, sign_in

API = {"X-API-Key": ADMIN_KEY}


@pytest.mark.parametrize(("kind", "route", "lang"), [("reco_headline", "/content/headline", "zh"),
                                                     ("email", "/content/email", "en")])
def test_personal_copy_is_what_the_api_serves(client, console_shop, kind, route, lang):
    sign_in(client)
    user = console_shop.user_with_profile()
    served = client.post(route, json={"user_id": user, "lang": lang}, headers=API)
    assert served.status_code == 200, served.text
    doc = served.json()[0]
    r = client.get("/admin/studio/write", params={"kind": kind, "subject": user, "lang": lang})
    assert r.status_code == 200, r.text
    page = html.unescape(r.text)
    assert doc["text"] in page and doc["parts"]["slate_source"] == "pipeline"
    assert "slate_source:</span> <span" in r.text and ">pipeline<" in r.text
    for reason in doc["parts"]["reasons"].values():  # the same slate, item by item
        assert reason in page
    if kind == "email":
        assert doc["parts"]["subject"] in page


def test_item_copy_is_checked_and_mistakes_are_named(client, console_shop):
    sign_in(client)
    item = console_shop.service.state.catalog.raw(0)
    r = client.get("/admin/studio/write", params={"kind": "ad_copy", "subject": item, "lang": "zh"})
    assert r.status_code == 200 and 'data-testid="check-summary"' in r.text
    missing = client.get("/admin/studio/write", params={"kind": "reco_headline", "subject": "nobody-here"})
    assert missing.status_code == 404 and "No user" in missing.text
    bad = client.get("/admin/studio/write", params={"kind": "poem", "subject": item})
    assert bad.status_code == 422 and "Unknown kind of copy" in bad.text


@pytest.mark.browser
def test_write_a_headline_in_the_browser(open_page, live_console):
    from playwright.sync_api import expect

    user = live_console.shop.user_with_profile()
    bp = open_page()
    browser_sign_in(bp, ADMIN_KEY, "/admin/studio")
    bp.page.select_option("[data-testid=studio-form] select[name=kind]", "reco_headline")
    bp.page.fill("[data-testid=studio-subject]", user)
    bp.page.click("[data-testid=studio-form] button[type=submit]")
    expect(bp.page.locator("[data-testid=copy] blockquote")).not_to_be_empty()
    expect(bp.page.locator("[data-testid=copy]")).to_contain_text("pipeline")
    expect(bp.page.locator("[data-testid=check-summary]")).to_contain_text("claims")
    assert bp.errors == []
