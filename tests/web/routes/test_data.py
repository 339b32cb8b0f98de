"""Data: events by type counted in the background; in the browser, importing a file with bad rows shows its
progress and report, and the quarantine shows the bad rows with their file row, field, value and reason."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from fixtures.console import ADMIN_KEY, browser_sign_in
from shopmind.web.routes.data import EventCounts


def test_event_counts_are_shown_at_once_and_recounted_in_the_background(console_shop):
    store = console_shop.service.store
    counts = EventCounts(store, ttl=0.0)
    first_at, first = counts.get(86_400)
    assert int(first["count"].sum()) == store.counts()["events"]
    store.append_events([{"user_id": "late", "item_id": "x", "type": "view", "timestamp": pd.Timestamp.now(tz="UTC")}])
    at, again = counts.get(86_400)  # stale: the last counts now, a recount starts
    assert at == first_at and again is first
    deadline = time.monotonic() + 30
    while counts.get(86_400)[0] == first_at and time.monotonic() < deadline:
        time.sleep(0.05)  # a background thread of this process: polled, the test's only wait
    assert int(counts.get(86_400)[1]["count"].sum()) == store.counts()["events"]


@pytest.mark.browser
def test_importing_a_file_with_bad_rows_quarantines_them(open_page, live_console, tmp_path):
    from playwright.sync_api import expect

    item = live_console.shop.service.state.catalog.raw(3)
    now = pd.Timestamp.now(tz="UTC").isoformat()
    lines = ["user_id,item_id,type,timestamp",
             f"web-u1,{item},purchase,{now}",
             f"web-u2,{item},view,{now}",
             f"web-u3,{item},view,not-a-date",  # row 4
             f",{item},view,{now}",  # row 5: no user
             f"web-u4,{item},purchase,{now}"]
    path = tmp_path / "browser-events.csv"
    path.write_text("\n".join(lines) + "\n")
    bp = open_page()
    browser_sign_in(bp, ADMIN_KEY, "/admin/data")
    bp.page.set_input_files("[data-testid=import-file]", str(path))
    bp.page.click("form#import-form button[type=submit]")
    job = bp.page.locator("[data-testid=import-job]")
    expect(job).to_have_attribute("data-state", "done")
    expect(job.locator("[data-testid=import-progress]")).to_have_attribute("value", "100")
    report = job.locator("[data-testid=import-report]")
    expect(report).to_contain_text("browser-events.csv")
    expect(report.locator("tbody tr").first).to_contain_text("events")
    job.locator("[data-testid=show-quarantine]").click()
    table = bp.page.locator("[data-testid=quarantine]")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table).to_contain_text("timestamp")
    expect(table).to_contain_text("not-a-date")
    rows = sorted(int(t) for t in table.locator("tbody tr td:nth-child(2)").all_inner_texts())
    assert rows == [4, 5]
    service = live_console.shop.service
    assert service.state.sessions.context("web-u1", service.state.history).has_activity  # applied live
    assert bp.errors == []
