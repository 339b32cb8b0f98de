"""Browser imports: a file cut into parts and their reports added up into one."""

from __future__ import annotations

import pandas as pd

from shopmind.data.loaders.base import ReadResult, Reject
from shopmind.ingest import ImportReport
from shopmind.web.imports import combine, parts


def test_parts_keep_kinds_in_order_and_rejects_with_the_first():
    events = pd.DataFrame({"user_id": list("abcde"), "_row": range(2, 7)})
    items = pd.DataFrame({"item_id": ["x"], "_row": [2]})
    bad = Reject("f.csv", 9, "_row", "?", "wrong number of fields")
    cut = list(parts(ReadResult("f.csv", format="csv", items=items, events=events, rejects=[bad]), rows=2))
    assert [n for _, n in cut] == [1, 2, 2, 1]
    assert cut[0][0].items is not None and cut[0][0].rejects == [bad] and not cut[1][0].rejects
    assert cut[2][0].events["_row"].tolist() == [4, 5]  # the file's rows travel with each part


def test_reports_of_parts_add_up():
    a = ImportReport("i1", "f.csv", "csv", "t0")
    a.events.read, a.events.accepted, a.events.inserted, a.events.rejected = 3, 2, 2, 1
    b = ImportReport("i1", "f.csv", "csv", "t0")
    b.events.read, b.events.accepted, b.events.inserted = 2, 2, 1
    b.events.duplicates = 1
    a.add_rejects([Reject("f.csv", 4, "timestamp", "x", "not a date/time")])
    b.add_rejects([Reject("f.csv", 9, "timestamp", "y", "not a date/time")])
    total = combine([a, b])
    assert (total.events.read, total.events.inserted, total.events.duplicates, total.events.rejected) == (5, 3, 1, 1)
    assert len(total.reject_groups) == 1 and total.reject_groups[0].count == 2
    assert [e["row"] for e in total.reject_groups[0].examples] == [4, 9]


def test_console_import_skips_the_rows_of_erased_users(service, trained_shop, tmp_path):
    import io
    import time

    from shopmind.privacy.erasure import Eraser, import_guard
    from shopmind.web.imports import ImportJobs

    user = trained_shop.heavy_user()
    old = service.store.events_frame(user_ids=[user]).drop(columns=["seq", "context"])
    Eraser(service.store, service).erase(user)
    jobs = ImportJobs(service, import_guard(service.store))
    job = jobs.start("events.csv", io.BytesIO(old.to_csv(index=False).encode()))
    for _ in range(600):
        if job.state in ("done", "failed"):
            break
        time.sleep(0.05)
    assert job.state == "done", job.error
    assert len(service.store.events_frame(user_ids=[user])) == 0
