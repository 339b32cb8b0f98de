"""SQLite specifics of the store (the contract suite covers the behaviour shared with PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from shopmind.storage import open_store

RAW = "erase-me-4711@example.org"


def test_erased_rows_leave_no_bytes_in_the_file_or_its_log(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    t = pd.Timestamp("2024-05-01", tz="UTC")
    with open_store(url) as store:
        store.upsert_users([{"user_id": RAW, "attributes": {"email": RAW}}, {"user_id": "other"}])
        store.append_events([{"user_id": u, "item_id": f"i{k}", "type": "view", "timestamp": t + pd.Timedelta(k, "s"),
                              "session_id": f"{u}-session"} for u in (RAW, "other") for k in range(50)])
        store.put_profiles({RAW: {"note": RAW}})
        assert any(RAW.encode() in f.read_bytes() for f in tmp_path.glob("shop.db*"))
        store.erase_user(RAW)
        for f in tmp_path.glob("shop.db*"):
            assert RAW.encode() not in f.read_bytes(), f.name
        assert len(store.events_frame()) == 50
