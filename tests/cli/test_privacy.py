"""`shopmind privacy delete-user / export-user / log`, and the privacy edge of `shopmind import`."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from shopmind.cli.main import app
from shopmind.privacy.pseudonym import Pseudonymiser
from shopmind.storage import open_store

runner = CliRunner()


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SHOPMIND_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SHOPMIND_STORE", raising=False)
    monkeypatch.delenv("SHOPMIND_PRIVACY_SECRET", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path / "home"


def _events_file(tmp_path: Path) -> Path:
    rows = [{"event_id": f"e{u}-{i}", "user_id": f"shopper-{u}", "item_id": f"sku-{(u + i) % 7}", "type": "purchase",
             "timestamp": 1_714_521_600 + 60 * (10 * u + i)} for u in range(12) for i in range(5)]
    path = tmp_path / "events.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _store(home: Path) -> str:
    return f"sqlite:///{home / 'shopmind.db'}"


def test_delete_user_prints_a_receipt_and_the_log_shows_only_a_hash(home: Path, tmp_path: Path) -> None:
    assert runner.invoke(app, ["import", str(_events_file(tmp_path)), "--kind", "events"]).exit_code == 0
    assert runner.invoke(app, ["train", "itemknn"]).exit_code == 0
    res = runner.invoke(app, ["privacy", "delete-user", "shopper-3"])
    assert res.exit_code == 0, res.output
    receipt = json.loads(res.output)
    assert receipt["deleted"]["events"] == 5 and receipt["models"] == [
        {"version": "itemknn", "artifact": str(home / "models" / "itemknn"), "action": "exact"}]
    with open_store(_store(home)) as store:
        assert all(rows == [] for rows in store.user_data("shopper-3").values())
    log = runner.invoke(app, ["privacy", "log", "--json"])
    assert log.exit_code == 0 and "shopper-3" not in log.output
    assert json.loads(log.output.splitlines()[0])["request_id"] == receipt["request_id"]
    assert "1 exact" in runner.invoke(app, ["privacy", "log"]).output
    again = runner.invoke(app, ["privacy", "delete-user", "shopper-3"])
    assert again.exit_code == 2 and "unknown user id 'shopper-3'" in again.output


def test_reimport_skips_erased_users_unless_allowed(home: Path, tmp_path: Path) -> None:
    events = _events_file(tmp_path)
    runner.invoke(app, ["import", str(events), "--kind", "events"])
    runner.invoke(app, ["privacy", "delete-user", "shopper-3"])
    res = runner.invoke(app, ["import", str(events), "--kind", "events"])
    assert res.exit_code == 0 and "skipped 5 rows" in res.output and "--allow-deleted" in res.output
    with open_store(_store(home)) as store:
        assert len(store.events_frame(user_ids=["shopper-3"])) == 0
    res = runner.invoke(app, ["import", str(events), "--kind", "events", "--allow-deleted"])
    assert res.exit_code == 0 and "5 new" in res.output
    with open_store(_store(home)) as store:
        assert len(store.events_frame(user_ids=["shopper-3"])) == 5


def test_export_user_writes_json(home: Path, tmp_path: Path) -> None:
    runner.invoke(app, ["import", str(_events_file(tmp_path)), "--kind", "events"])
    out = tmp_path / "export.json"
    res = runner.invoke(app, ["privacy", "export-user", "shopper-1", "--out", str(out)])
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    assert doc["user_id"] == "shopper-1" and len(doc["store"]["events"]) == 5
    assert runner.invoke(app, ["privacy", "export-user", "nobody"]).exit_code == 2


def test_pseudonymised_import_and_commands_take_the_shops_ids(home: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPMIND_PRIVACY_SECRET", "s3cret")
    alias = Pseudonymiser("s3cret")("shopper-2")
    assert runner.invoke(app, ["import", str(_events_file(tmp_path)), "--kind", "events"]).exit_code == 0
    with open_store(_store(home)) as store:
        users = set(store.events_frame()["user_id"])
        assert alias in users and not any(u.startswith("shopper-") for u in users)
    doc = json.loads(runner.invoke(app, ["privacy", "export-user", "shopper-2"]).output)
    assert doc["user_id"] == alias and "shopper-2" not in json.dumps(doc)
    assert json.loads(runner.invoke(app, ["privacy", "delete-user", "shopper-2"]).output)["deleted"]["events"] == 5
