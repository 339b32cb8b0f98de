"""The closing check of issue 21 s1, end to end: import the demo shop, serve it, record a user's events, get
recommendations, delete the user, read the receipt, see that their recommendations are now a new shopper's and
that the store holds 0 rows of them, retrain, and see 0 again (scripts/privacy_e2e.sh does the same against a
real `shopmind serve`)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from shopmind.cli.main import app as cli
from shopmind.cli.serve import build_app
from shopmind.settings import Settings
from shopmind.storage import open_store

W = {"X-API-Key": "w"}
USER, NEW = "U00007", "never-seen-shopper-42"


def _recs(client: TestClient, user: str) -> list[str]:
    r = client.get(f"/recommendations/{user}?n=10", headers=W)
    assert r.status_code == 200, r.text
    return [i["item_id"] for i in r.json()["items"]]


def _rows(settings: Settings, user: str) -> int:
    with open_store(settings.store) as store:
        return sum(len(rows) for rows in store.user_data(user).values())


@pytest.mark.slow
def test_delete_a_user_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("SHOPMIND_HOME", str(home))
    monkeypatch.delenv("SHOPMIND_STORE", raising=False)
    monkeypatch.setenv("SHOPMIND_PIPELINE_EXPLORE", "0")  # no random exploration slot: lists are comparable
    runner = CliRunner()
    assert runner.invoke(cli, ["datasets", "generate", "demo-shop", "--users", "120", "--items", "80",
                               "--days", "20"]).exit_code == 0
    assert runner.invoke(cli, ["train", "itemknn"]).exit_code == 0
    settings = Settings.load(home=home, api={"keys": "w:write"})
    with TestClient(build_app(settings=settings)) as client:
        items = [i["item_id"] for i in client.get(f"/recommendations/{NEW}?n=5", headers=W).json()["items"]]
        events = [{"event_id": f"e2e-{k}", "user_id": USER, "item_id": item, "type": "purchase"}
                  for k, item in enumerate(items[:3])]
        assert client.post("/events", json={"events": events}, headers=W).json()["inserted"] == 3
        before = _recs(client, USER)
        assert before != _recs(client, NEW) and _rows(settings, USER) > 3

        receipt = client.delete(f"/users/{USER}", headers=W).json()
        print(json.dumps(receipt, indent=2))
        assert receipt["deleted"]["events"] >= 3 and receipt["deleted"]["live_session_events"] == 3
        assert {m["action"] for m in receipt["models"]} == {"exact"}  # the loaded version and the artifact
        assert _recs(client, USER) == _recs(client, NEW)
        assert client.get(f"/users/{USER}", headers=W).status_code == 404
        assert _rows(settings, USER) == 0

        job = client.post("/models/retrain", json={"model": "itemknn"}, headers=W).json()
        for _ in range(600):
            state = client.get(f"/models/retrain/{job['job_id']}", headers=W).json()
            if state["state"] in ("done", "failed"):
                break
            time.sleep(0.1)
        assert state["state"] == "done", state
        assert _rows(settings, USER) == 0
        assert _recs(client, USER) == _recs(client, NEW)
        assert all(USER not in json.loads(p.read_text())["users"] for p in (home / "models").rglob("meta.json"))
