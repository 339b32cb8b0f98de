"""The console mounted on the API's app: sign-in gate, guards, static files, development mode; in the browser,
every page with demo data and no console errors, and the layout at desktop and phone widths."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from fixtures.console import (
    ADMIN_KEY,
    READ_KEY,
    SCREENSHOTS,
    browser_sign_in,
    build_console,
    csrf_of,
    ensure_campaign,
    ensure_experiment,
    sign_in,
)


def test_pages_need_a_signed_in_session(client):
    r = client.get("/admin/models", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/signin?next=/admin/models"
    part = client.get("/admin/overview/figures", headers={"HX-Request": "true"}, follow_redirects=False)
    assert part.status_code == 401 and part.headers["HX-Redirect"] == "/admin/signin"


def test_session_cookie_is_httponly_samesite_and_scoped(client):
    r = client.get("/admin/signin")
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/admin" in cookie
    assert ADMIN_KEY not in r.headers["set-cookie"]


def test_every_page_answers_with_server_timing(client, console_shop):
    sign_in(client)
    user = console_shop.user_with_profile()
    item = console_shop.service.state.catalog.raw(0)
    experiment = ensure_experiment(console_shop)
    campaign = ensure_campaign(console_shop)
    for path in ("/admin", "/admin/data", "/admin/data/event-counts", "/admin/models", "/admin/users",
                 f"/admin/users/{user}", "/admin/items", f"/admin/items/{item}", "/admin/customers",
                 "/admin/search", "/admin/search?q=shoes", "/admin/experiments", f"/admin/experiments/{experiment}",
                 f"/admin/experiments/{experiment}/results", "/admin/campaigns", f"/admin/campaigns/{campaign}",
                 f"/admin/campaigns/{campaign}/results", f"/admin/campaigns/{campaign}/preview", "/admin/studio",
                 "/admin/assist"):
        r = client.get(path)
        assert r.status_code == 200, (path, r.text[:300])
        assert r.headers["server-timing"].startswith("app;dur=")


def test_the_csrf_check_refuses_forms_without_the_sessions_token(client, console_shop):
    token = sign_in(client)
    other = console_shop.versions[0]
    assert client.post("/admin/models/activate", data={"version": other}).status_code == 403
    assert client.post("/admin/models/activate", data={"version": other, "csrf_token": "forged"}).status_code == 403
    assert console_shop.service.versions.active.version == console_shop.versions[1]
    ok = client.post("/admin/models/activate", data={"version": other}, headers={"X-CSRF-Token": token})
    assert ok.status_code == 200 and console_shop.service.versions.active.version == other


def test_a_read_only_key_sees_pages_but_cannot_act(client, console_shop):
    token = sign_in(client, READ_KEY)
    page = client.get("/admin/models")
    assert page.status_code == 200 and "read-only" in page.text and "Activate…" not in page.text
    r = client.post("/admin/models/activate", data={"version": console_shop.versions[0], "csrf_token": token})
    assert r.status_code == 403 and "read scope" in r.text
    assert console_shop.service.versions.active.version == console_shop.versions[1]


def test_sign_in_form_rejects_unknown_keys_and_stale_forms(client):
    token = csrf_of(client.get("/admin/signin").text)
    bad = client.post("/admin/signin", data={"csrf_token": token, "api_key": "nope"})
    assert bad.status_code == 401 and "Unknown API key" in bad.text
    stale = client.post("/admin/signin", data={"csrf_token": "old", "api_key": ADMIN_KEY})
    assert stale.status_code == 403


def test_development_mode_signs_everyone_in_with_a_banner(trained_shop, tmp_path):
    shop = build_console(trained_shop, tmp_path, keys=None)
    with TestClient(shop.app) as c:
        r = c.get("/admin")
        assert r.status_code == 200 and 'data-testid="dev-banner"' in r.text and "can act" in r.text


def test_static_files_are_vendored_and_pages_stay_out_of_the_api_docs(client):
    assert client.get("/admin/static/htmx.min.js").status_code == 200
    assert client.get("/admin/static/console.css").status_code == 200
    assert not [p for p in client.get("/openapi.json").json()["paths"] if p.startswith("/admin")]


def test_uploads_get_their_own_body_limit(console_shop):
    limits = console_shop.app.state.body_limits
    assert limits["/admin/data/import"] > console_shop.app.state.settings.max_body_bytes


# ---------------------------------------------------------------------------------------------- browser
PAGES = ["/admin", "/admin/data", "/admin/models", "/admin/users", "/admin/items", "/admin/customers", "/admin/search",
         "/admin/assist", "/admin/experiments", "/admin/campaigns", "/admin/studio"]


@pytest.mark.browser
def test_each_page_renders_demo_data_without_console_errors(open_page, live_console):
    from playwright.sync_api import expect

    bp = open_page()
    browser_sign_in(bp)
    user = live_console.shop.user_with_profile(avoid=("U00001",))
    item = live_console.shop.service.state.catalog.raw(0)
    experiment = ensure_experiment(live_console.shop)
    campaign = ensure_campaign(live_console.shop)
    for path in [*PAGES, f"/admin/users/{user}", f"/admin/items/{item}", f"/admin/experiments/{experiment}",
                 f"/admin/campaigns/{campaign}"]:
        bp.go(path)
        expect(bp.page.locator("h1")).to_be_visible()
        expect(bp.page.locator("[data-testid=refused]")).to_have_count(0)
    bp.go("/admin/data")
    expect(bp.page.locator("[data-testid=event-chart] svg")).to_be_visible()
    bp.go("/admin/models")
    expect(bp.page.locator("[data-testid=leaderboard] tbody tr")).to_have_count(2)
    assert bp.page.locator(".plots img").count() >= 1
    bp.go(f"/admin/users/{user}")
    expect(bp.page.locator("[data-testid=user-recs] li").first).to_be_visible()
    bp.go(f"/admin/items/{item}")
    expect(bp.page.locator("[data-testid=check-summary]")).to_contain_text("claims")
    bp.go("/admin/customers")
    expect(bp.page.locator("[data-testid=rfm-grid]")).to_be_visible()
    expect(bp.page.locator("[data-testid=churn-chart] svg")).to_be_visible()
    bp.go(f"/admin/experiments/{experiment}")
    expect(bp.page.locator("[data-testid=comparisons]")).to_be_visible()
    bp.go(f"/admin/campaigns/{campaign}")
    expect(bp.page.locator("[data-testid=campaign-preview] tbody tr")).to_have_count(4)
    expect(bp.page.locator("[data-testid=conversion-lift]")).to_contain_text("interval")
    assert bp.errors == []


def _serve_some_recommendations(live_console) -> None:
    """A little API traffic for the Overview: recommendations and an event that echoes one of them."""
    headers = {"X-API-Key": ADMIN_KEY}
    with httpx.Client(base_url=live_console.url, headers=headers, timeout=30) as api:
        users = live_console.shop.service.store.users_frame()["user_id"].astype(str).tolist()[:5]
        for user in users:
            rec = api.get(f"/recommendations/{user}", params={"n": 5}).json()
        first = rec["items"][0]
        api.post("/events", json={"events": [{"user_id": users[-1], "item_id": first["item_id"], "type": "click",
                                              "context": {"recommendation_id": rec["recommendation_id"]}}]})


def _search_and_click(live_console) -> str:
    """Some searches and clicks on their results through the API, for the Search page's analytics; returns a
    word that finds items."""
    title = str(live_console.shop.service.store.items_frame()["title"].iloc[0])
    word = max(re.findall(r"[A-Za-z]{4,}", title), key=len).lower()
    with httpx.Client(base_url=live_console.url, headers={"X-API-Key": ADMIN_KEY}, timeout=30) as api:
        for position in (0, 0, 1, 2, None, 0, None):
            found = api.get("/search", params={"q": word}).json()
            if position is not None:
                api.post("/search/click", json={"search_id": found["search_id"], "position": position,
                                                "item_id": found["items"][position]["item_id"]})
    live_console.shop.app.state.console.parts.pop("search_analytics", None)  # count them now, not in 30 s
    return word


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390])
def test_layout_fits_desktop_and_phone_widths(open_page, live_console, width):
    from playwright.sync_api import expect

    _serve_some_recommendations(live_console)
    bp = open_page(width=width, height=900 if width > 800 else 844)
    browser_sign_in(bp)
    item = live_console.shop.service.state.catalog.raw(0)
    user = live_console.shop.user_with_profile(avoid=("U00001",))
    experiment = ensure_experiment(live_console.shop)
    campaign = ensure_campaign(live_console.shop)
    word = _search_and_click(live_console)
    for name, path in [("overview", "/admin"), ("data", "/admin/data"), ("models", "/admin/models"),
                       ("user", f"/admin/users/{user}"), ("item", f"/admin/items/{item}"),
                       ("customers", "/admin/customers?where=orders%20%3E%3D%201%20and%20churn_risk%20%3C%200.5"),
                       ("search", f"/admin/search?q={word}"), ("assist", "/admin/assist"),
                       ("experiment", f"/admin/experiments/{experiment}"),
                       ("campaign", f"/admin/campaigns/{campaign}")]:
        bp.go(path)
        expect(bp.page.locator("nav[aria-label=Pages] a[aria-current=page]")).to_be_visible()
        if name == "data":
            expect(bp.page.locator("[data-testid=event-chart] svg")).to_be_visible()
        if name in ("experiment", "campaign"):
            expect(bp.page.locator("[data-testid=comparisons]")).to_be_visible()
        if name == "campaign":
            expect(bp.page.locator("[data-testid=campaign-preview] tbody tr")).to_have_count(4)
        if name == "assist":  # a turn with items in the chat
            bp.page.fill("[data-testid=chat-message]", word)
            bp.page.keyboard.press("Enter")
            expect(bp.page.locator("[data-testid=chat-turn]")).to_have_count(1)
        overflow = bp.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} is {overflow}px wider than a {width}px window"
        if SCREENSHOTS and (width > 800 or name in ("overview", "item", "customers")):
            folder = Path(SCREENSHOTS)
            folder.mkdir(parents=True, exist_ok=True)
            bp.page.screenshot(path=str(folder / f"console-{name}-{width}.png"), full_page=width > 800)
    assert bp.errors == []
