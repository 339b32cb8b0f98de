"""Search: a query with facets answers what GET /search answers; the analytics (top and zero-result queries,
CTR by position) come from the logged search and click events; bad filters are refused with their name."""

from __future__ import annotations

import html
import re

import pytest

from fixtures.console import ADMIN_KEY, READ_KEY, browser_sign_in, sign_in
from shopmind.web.routes.search import LISTED

API = {"X-API-Key": ADMIN_KEY}


def _word(console_shop) -> str:
    title = str(console_shop.service.store.items_frame()["title"].iloc[0])
    return max(re.findall(r"[A-Za-z]{4,}", title), key=len)


def test_a_query_shows_the_results_and_facets_the_api_gives(client, console_shop):
    sign_in(client, READ_KEY)
    word = _word(console_shop)
    api = client.get("/search", params={"q": word}, headers=API).json()
    page = client.get("/admin/search", params={"q": word})
    assert page.status_code == 200, page.text[:300]
    total = re.search(r'data-testid="search-total"><strong>([\d,]+)</strong>', page.text)
    assert total and int(total.group(1).replace(",", "")) == api["total"] > 0
    assert api["items"][0]["item_id"] in page.text and 'data-testid="facets"' in page.text
    brand = api["facets"]["brand"][0]["value"]
    filtered = client.get("/admin/search", params={"q": word, "brand": brand})
    api_brand = client.get("/search", params={"q": word, "brand": brand}, headers=API).json()
    total = re.search(r'data-testid="search-total"><strong>([\d,]+)</strong>', filtered.text)
    assert total and int(total.group(1).replace(",", "")) == api_brand["total"] <= api["total"]


def test_bad_filters_are_refused_naming_the_field(client):
    sign_in(client)
    r = client.get("/admin/search", params={"q": "shoe", "price_min": "cheap"})
    assert r.status_code == 422 and "price_min" in r.text


def test_analytics_show_top_and_zero_result_queries_and_ctr_by_position(client, console_shop):
    sign_in(client)
    word = _word(console_shop)
    for _ in range(3):
        found = client.get("/search", params={"q": word}, headers=API).json()
    client.get("/search", params={"q": "zzxqv"}, headers=API)
    r = client.post("/search/click", json={"search_id": found["search_id"], "item_id": found["items"][1]["item_id"],
                                           "position": 1}, headers=API)
    assert r.status_code == 200
    console_shop.app.state.console.parts.pop("search_analytics", None)  # computed at start-up, before these
    page = client.get("/admin/search")
    api = client.get("/search/analytics", params={"n": LISTED}, headers=API).json()
    assert re.search(rf'data-testid="search-count">{api["searches"]:,}<', page.text)
    top = page.text.split('data-testid="top-queries"')[1].split("</table>")[0]
    shown = [html.unescape(q) for q in re.findall(r'q=[^"]*">([^<]+)</a>', top)]
    assert [q["query"] for q in api["top_queries"]] == shown
    assert any(q["query"] == "zzxqv" for q in api["zero_result_queries"])
    assert "zzxqv" in page.text.split('data-testid="zero-queries"')[1].split("</table>")[0]
    chart = page.text.split('data-testid="ctr-chart"')[1].split("</figure>")[0]
    for position, ctr in api["ctr_by_position"].items():
        assert f"<title>{int(position) + 1}: {ctr:.1%}</title>" in chart


def test_synonyms_are_added_from_a_zero_result_query_and_deleted(client, console_shop):
    """A zero-result query links to the add form, filled in; a write key adds the group and the next search
    finds items; a read key sees the groups without the forms; bad lines are refused with a clear message."""
    search = console_shop.app.state.search
    for g in search.shop_synonyms.groups():  # the shared shop may hold another test's groups
        search.delete_synonyms(g.group_id)
    word = _word(console_shop)
    client.get("/search", params={"q": "zqxsyn"}, headers=API)
    console_shop.app.state.console.parts.pop("search_analytics", None)
    token = sign_in(client, ADMIN_KEY)
    page = client.get("/admin/search").text
    assert 'href="/admin/search?synonym=zqxsyn#synonyms"' in page and 'data-testid="synonyms-none"' in page
    assert 'value="zqxsyn =&gt; "' in client.get("/admin/search", params={"synonym": "zqxsyn"}).text
    headers = {"X-CSRF-Token": token, "HX-Request": "true"}
    r = client.post("/admin/search/synonyms", data={"line": f"zqxsyn => {word}"}, headers=headers)
    assert r.status_code == 200 and 'data-testid="synonym-groups"' in r.text, r.text[:300]
    assert f"zqxsyn =&gt; {word}" in r.text and "the next search uses it" in r.text
    assert client.get("/search", params={"q": "zqxsyn"}, headers=API).json()["total"] > 0
    for line, message in (("", "Type the group first"), ("lonely", "two-way group needs at least two words"),
                          ("a => ", "words on both sides"), ("# note", "only a comment")):
        r = client.post("/admin/search/synonyms", data={"line": line}, headers=headers)
        assert r.status_code == 422 and message in html.unescape(r.text), (line, r.text[:300])
    [group] = search.shop_synonyms.groups()

    token = sign_in(client, READ_KEY)
    page = client.get("/admin/search").text
    assert "zqxsyn =&gt;" in page and 'data-testid="synonym-form"' not in page and "synonym-delete" not in page
    r = client.post(f"/admin/search/synonyms/{group.group_id}/delete", headers={"X-CSRF-Token": token})
    assert r.status_code == 403

    token = sign_in(client, ADMIN_KEY)
    headers = {"X-CSRF-Token": token, "HX-Request": "true"}
    r = client.post(f"/admin/search/synonyms/{group.group_id}/delete", headers=headers)
    assert r.status_code == 200 and "Deleted zqxsyn" in html.unescape(r.text) and "synonyms-none" in r.text
    assert client.get("/search", params={"q": "zqxsyn"}, headers=API).json()["total"] == 0
    r = client.post(f"/admin/search/synonyms/{group.group_id}/delete", headers=headers)
    assert r.status_code == 404 and "reload the page" in r.text


def test_a_server_without_search_says_so(trained_shop, tmp_path, customer_db):
    from fastapi.testclient import TestClient

    from fixtures.console import build_console

    shop = build_console(trained_shop, tmp_path, db=customer_db, search=False)
    with TestClient(shop.app) as c:
        sign_in(c)
        r = c.get("/admin/search", params={"q": "shoe"})
        assert r.status_code == 200 and "Search is not enabled" in r.text


@pytest.mark.browser
def test_search_and_narrow_by_a_facet(open_page, live_console):
    from playwright.sync_api import expect

    word = _word(live_console.shop)
    bp = open_page()
    browser_sign_in(bp, READ_KEY, "/admin/search")
    bp.page.fill("[data-testid=search-q]", word)
    bp.page.click("button:has-text('Search')")
    expect(bp.page.locator("[data-testid=search-hits] li").first).to_be_visible()
    before = bp.page.locator("[data-testid=search-total] strong").inner_text()
    bp.page.locator("[data-testid=facets] a").first.click()
    expect(bp.page.locator("[data-testid=search-hits] li").first).to_be_visible()
    assert int(bp.page.locator("[data-testid=search-total] strong").inner_text().replace(",", "")) <= int(
        before.replace(",", ""))
    assert bp.errors == []


@pytest.mark.browser
def test_adding_and_deleting_a_synonym_in_the_browser(open_page, live_console):
    from playwright.sync_api import expect

    search = live_console.shop.app.state.search
    for g in search.shop_synonyms.groups():
        search.delete_synonyms(g.group_id)
    word = _word(live_console.shop)
    bp = open_page()
    browser_sign_in(bp, ADMIN_KEY, "/admin/search?synonym=zqxbrowser")
    expect(bp.page.locator("[data-testid=synonym-line]")).to_have_value("zqxbrowser => ")
    bp.page.fill("[data-testid=synonym-line]", f"zqxbrowser => {word}")
    bp.page.click("button:has-text('Add')")
    expect(bp.page.locator("[data-testid=synonym-message]")).to_contain_text("Added zqxbrowser")
    from shopmind.search.request import SearchRequest

    assert search.search(SearchRequest(q="zqxbrowser")).total > 0
    bp.page.click("[data-testid=synonym-delete]")
    expect(bp.page.locator("[data-testid=synonyms-none]")).to_be_visible()
    assert search.shop_synonyms.groups() == []
    assert bp.errors == []
