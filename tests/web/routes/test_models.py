"""Models in the browser: activating a version changes what /recommendations serves; a read-only key and a
request without the session's CSRF token cannot activate; retraining shows its progress."""

from __future__ import annotations

import httpx
import pytest

from fixtures.console import ADMIN_KEY, READ_KEY, browser_sign_in

pytestmark = pytest.mark.browser


def _served_version(url: str, user: str) -> str:
    r = httpx.get(f"{url}/recommendations/{user}", headers={"X-API-Key": ADMIN_KEY}, timeout=30)
    r.raise_for_status()
    return str(r.json()["model_version"])


def _token(bp) -> str:
    return str(bp.page.locator("input[name=csrf_token]").first.get_attribute("value"))


def test_activating_a_version_changes_what_recommendations_serve(open_page, live_console):
    from playwright.sync_api import expect

    service = live_console.shop.service
    serving = service.versions.active.version
    other = next(v["version"] for v in service.versions.list() if not v["active"])
    user = live_console.shop.user_with_profile()
    assert _served_version(live_console.url, user) == serving
    bp = open_page()
    browser_sign_in(bp, ADMIN_KEY, "/admin/models")
    try:
        bp.page.locator(f"tr[data-version='{other}'] button").click()
        expect(bp.page.locator("[data-testid=confirm]")).to_contain_text(other)
        bp.page.click("[data-testid=confirm-yes]")
        expect(bp.page.locator("[data-testid=version-done]")).to_contain_text(other)
        expect(bp.page.locator("[data-testid=confirm]")).to_have_count(0)
        expect(bp.page.locator(f"tr[data-version='{other}']")).to_have_class("active")
        assert _served_version(live_console.url, user) == other
        bp.page.click("text=Roll back…")
        bp.page.click("[data-testid=confirm-yes]")
        expect(bp.page.locator("[data-testid=version-done]")).to_contain_text(serving)
        assert _served_version(live_console.url, user) == serving
    finally:
        service.activate(serving)
    assert bp.errors == []


def test_a_read_only_key_cannot_activate_a_model(open_page, live_console):
    from playwright.sync_api import expect

    service = live_console.shop.service
    serving = service.versions.active.version
    other = next(v["version"] for v in service.versions.list() if not v["active"])
    bp = open_page()
    browser_sign_in(bp, READ_KEY, "/admin/models")
    expect(bp.page.locator("[data-testid=versions]")).to_be_visible()
    expect(bp.page.locator("text=Activate…")).to_have_count(0)
    token = bp.page.locator("body").get_attribute("hx-headers") or ""
    answer = bp.page.request.post(f"{bp.base}/admin/models/activate", form={"version": other},
                                  headers={"X-CSRF-Token": token.split('"')[3]})
    assert answer.status == 403 and "read scope" in answer.text()
    assert service.versions.active.version == serving


def test_the_csrf_check_refuses_a_request_without_the_token(open_page, live_console):
    service = live_console.shop.service
    serving = service.versions.active.version
    other = next(v["version"] for v in service.versions.list() if not v["active"])
    bp = open_page()
    browser_sign_in(bp, ADMIN_KEY, "/admin/models")
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        answer = bp.page.request.post(f"{bp.base}/admin/models/activate", form={"version": other}, headers=headers)
        assert answer.status == 403 and "CSRF" in answer.text()
    assert service.versions.active.version == serving


def test_retrain_shows_progress_and_serves_the_new_version(open_page, live_console):
    from playwright.sync_api import expect

    service = live_console.shop.service
    serving = service.versions.active.version
    bp = open_page()
    browser_sign_in(bp, ADMIN_KEY, "/admin/models")
    try:
        bp.page.select_option("[data-testid=retrain-model]", "popular")
        bp.page.click("text=Retrain on everything in the store")
        expect(bp.page.locator("[data-testid=retrain-job]").first).to_have_attribute("data-state", "done")
        new = service.versions.active.version
        assert new != serving and new.startswith("popular")
        expect(bp.page.locator(f"tr[data-version='{new}']")).to_have_class("active")
    finally:
        service.activate(serving)
    assert bp.errors == []
