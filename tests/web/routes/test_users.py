"""Users in the browser: finding a shopper as one types, their page, and deleting them (what DELETE /users/{id}
does: the user is erased everywhere - store rows, live state, model versions)."""

from __future__ import annotations

import pytest

from fixtures.console import ADMIN_KEY, browser_sign_in

pytestmark = pytest.mark.browser


def test_find_a_user_and_delete_them(open_page, live_console):
    from playwright.sync_api import expect

    service = live_console.shop.service
    user = live_console.shop.user_with_profile()
    bp = open_page()
    browser_sign_in(bp, ADMIN_KEY, "/admin/users")
    bp.page.fill("[data-testid=user-search]", user)
    bp.page.locator("[data-testid=user-matches] a", has_text=user).click()
    expect(bp.page.locator("h1")).to_have_text(user)
    expect(bp.page.locator("[data-testid=user-recs] li").first).to_be_visible()
    bp.page.click("text=Delete user…")
    bp.page.click("[data-testid=confirm-yes]")
    expect(bp.page.locator("[data-testid=user-deleted]")).to_contain_text(f"Deleted {user}")
    assert service.store.get_user(user) is None
    assert len(service.store.events_frame(user_ids=[user])) == 0
    assert bp.errors == []
