"""Signing in and out in the browser, and keys the console rejects."""

from __future__ import annotations

import re

import pytest

from fixtures.console import ADMIN_KEY, READ_KEY, browser_sign_in

pytestmark = pytest.mark.browser


def test_sign_in_reject_a_key_then_sign_out(open_page):
    from playwright.sync_api import expect

    bp = open_page()
    bp.go("/admin/models")
    expect(bp.page).to_have_url(re.compile(r"/admin/signin\?next=/admin/models$"))
    bp.page.fill("input[name=api_key]", "not-a-key")
    bp.page.click("button[type=submit]")
    expect(bp.page.locator("[data-testid=signin-error]")).to_contain_text("Unknown API key")
    bp.page.fill("input[name=api_key]", ADMIN_KEY)
    bp.page.click("button[type=submit]")
    expect(bp.page.locator("h1")).to_have_text("Models")
    expect(bp.page.locator("[data-testid=scope]")).to_have_text("can act")
    bp.page.click("text=Sign out")
    expect(bp.page.locator("h1")).to_have_text("Sign in")
    bp.go("/admin")
    expect(bp.page).to_have_url(re.compile(r"/admin/signin"))
    # the rejected key's 401 is the one console error of this test
    assert all("401" in e for e in bp.errors)


def test_a_read_key_signs_in_read_only(open_page):
    from playwright.sync_api import expect

    bp = open_page()
    browser_sign_in(bp, READ_KEY, "/admin/data")
    expect(bp.page.locator("[data-testid=scope]")).to_have_text("read-only")
    expect(bp.page.locator("[data-testid=read-only-note]")).to_be_visible()
    expect(bp.page.locator("[data-testid=import-file]")).to_have_count(0)
