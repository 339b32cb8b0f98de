"""Customers: the RFM grid, segments, value and churn distributions from the stored profiles; the audience
builder counts what POST /audiences counts, and says where an expression is wrong; in the browser, the count
follows the expression as it is typed."""

from __future__ import annotations

import re
import time

import pytest

from fixtures.console import ADMIN_KEY, READ_KEY, browser_sign_in, sign_in
from shopmind.web.routes.customers import rfm_grid


def _count(html: str) -> int:
    found = re.search(r'data-testid="audience-size"><strong>([\d,]+)</strong>', html)
    assert found, html[:500]
    return int(found.group(1).replace(",", ""))


def test_the_page_shows_the_grid_segments_and_distributions(client, console_shop):
    sign_in(client, READ_KEY)
    r = client.get("/admin/customers")
    assert r.status_code == 200, r.text[:300]
    segments = console_shop.service.store.list_segments()
    assert segments and all(f'data-segment="{s["segment_id"]}"' in r.text for s in segments)
    for testid in ("rfm-grid", "clv-chart", "churn-chart"):
        assert f'data-testid="{testid}"' in r.text
    assert r.headers["server-timing"].startswith("app;dur=")


def test_the_rfm_grid_counts_every_scored_customer_in_its_group(console_shop):
    store = console_shop.service.store
    profiles = [p for p in store.profiles_frame()["profile"] if p.get("rfm")]
    from shopmind.customers.audience import audience_frame

    grid = rfm_grid(audience_frame(store.profiles_frame()), store.list_segments())
    assert sum(c["count"] for row in grid for c in row) == len(profiles) > 0
    by_group: dict[str, int] = {}
    for row in grid:
        for c in row:
            by_group[c["group"]] = by_group.get(c["group"], 0) + c["count"]
    sizes = {s["segment_id"].removeprefix("rfm:"): s["size"] for s in store.list_segments() if s["kind"] == "rfm"}
    assert {g: n for g, n in by_group.items() if n} == {g: n for g, n in sizes.items() if n}


@pytest.mark.parametrize("where", ["stage = active", "orders >= 2 and churn_risk < 0.5", "segment ~ rfm"])
def test_the_audience_size_is_what_the_api_counts(client, where):
    sign_in(client)
    api = client.post("/audiences", json={"where": where, "limit": 0}, headers={"X-API-Key": ADMIN_KEY}).json()
    part = client.get("/admin/customers/audience", params={"where": where}, headers={"HX-Request": "true"})
    assert part.status_code == 200 and _count(part.text) == api["count"]
    page = client.get("/admin/customers", params={"where": where})
    assert _count(page.text) == api["count"]


def test_a_bad_expression_says_where_it_is_wrong(client):
    sign_in(client)
    part = client.get("/admin/customers/audience", params={"where": "clv_12m >"})
    assert 'data-testid="audience-error"' in part.text and "position 10" in part.text
    empty = client.get("/admin/customers/audience", params={"where": "  "})
    assert "Type an expression" in empty.text


def test_a_shop_without_profiles_computes_them_from_the_page(trained_shop, tmp_path):
    from fastapi.testclient import TestClient

    from fixtures.console import build_console

    shop = build_console(trained_shop, tmp_path, search=False)  # the trained shop's store: no profiles yet
    with TestClient(shop.app) as c:
        reader = sign_in(c, READ_KEY)
        page = c.get("/admin/customers")
        assert 'data-testid="no-profiles"' in page.text and "Refresh the profiles now" not in page.text
        assert c.post("/admin/customers/refresh", data={"csrf_token": reader}).status_code == 403
        token = sign_in(c)
        assert "Refresh the profiles now" in c.get("/admin/customers").text
        started = c.post("/admin/customers/refresh", data={"csrf_token": token, "full": "1"})
        assert started.status_code == 200 and 'data-state="running"' in started.text
        deadline = time.monotonic() + 300
        state = started.text
        while 'data-state="running"' in state and time.monotonic() < deadline:
            time.sleep(0.2)  # the refresh runs in a background thread of this process: polled, as the page does
            state = c.get("/admin/customers/refresh").text
        assert 'data-state="done"' in state, state
        profiles = len(shop.service.store.profiles_frame())
        assert profiles > 0 and f"{profiles:,} profiles" in state
        deadline = time.monotonic() + 60
        page = c.get("/admin/customers").text
        while 'data-testid="rfm-grid"' not in page and time.monotonic() < deadline:
            time.sleep(0.2)  # the profile table is read again in the background
            page = c.get("/admin/customers").text
        assert 'data-testid="rfm-grid"' in page


@pytest.mark.browser
def test_the_audience_size_follows_the_expression_as_it_is_typed(open_page, live_console):
    from playwright.sync_api import expect

    store = live_console.shop.service.store
    from shopmind.customers.audience import select

    expected = len(select(store.profiles_frame(), "stage = active"))
    bp = open_page()
    browser_sign_in(bp, READ_KEY, "/admin/customers")
    expect(bp.page.locator("[data-testid=rfm-grid]")).to_be_visible()
    expect(bp.page.locator("[data-testid=clv-chart] svg")).to_be_visible()
    box = bp.page.locator("[data-testid=audience-where]")
    box.press_sequentially("stage = activ")
    expect(bp.page.locator("[data-testid=audience-size] strong")).to_have_text("0")
    box.press_sequentially("e")
    expect(bp.page.locator("[data-testid=audience-size] strong")).to_have_text(f"{expected:,}")
    box.fill("stage = ")
    expect(bp.page.locator("[data-testid=audience-error]")).to_contain_text("expected a value")
    assert bp.errors == []
