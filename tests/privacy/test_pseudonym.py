"""Pseudonymised mode (shopmind.privacy.pseudonym): keyed pseudonyms at the API and import edges."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from fixtures.shop import TEST_CONFIG, TrainedShop
from shopmind.api import create_app
from shopmind.data.loaders.base import ReadResult, Reject
from shopmind.pipeline import RecommendationService
from shopmind.privacy.pseudonym import Pseudonymiser
from shopmind.settings import ApiSettings
from shopmind.storage import open_store

SECRET = "correct horse battery staple"
RAW = "alice.raw-7781@shop.example"  # distinctive: a test greps the database files for it


def test_pseudonyms_are_keyed_deterministic_and_idempotent() -> None:
    p = Pseudonymiser(SECRET)
    alias = p(RAW)
    assert alias == p(RAW) == p(alias) and alias.startswith("p_") and RAW not in alias
    assert Pseudonymiser("another secret")(RAW) != alias
    assert p.json({"events": [{"user_id": RAW, "item_id": "x"}], "user_ids": [RAW, "b"], "n": 1}) == {
        "events": [{"user_id": alias, "item_id": "x"}], "user_ids": [alias, p("b")], "n": 1}
    assert p.path(f"/users/{RAW}/export") == f"/users/{alias}/export"
    assert p.path("/users/delete") == "/users/delete" and p.path("/items/x") == "/items/x"
    assert p.query(b"user_id=u1&n=3") == f"user_id={p('u1')}&n=3".encode()


def test_read_result_user_ids_and_rejected_user_values_are_pseudonymised() -> None:
    p = Pseudonymiser(SECRET)
    events = pd.DataFrame({"user_id": [RAW, None], "item_id": ["a", "b"], "type": ["view", "view"]})
    users = pd.DataFrame({"user_id": [RAW]})
    result = p.read_result(ReadResult("f.csv", events=events, users=users,
                                      rejects=[Reject("f.csv", 3, "user_id", RAW, "bad"),
                                               Reject("f.csv", 4, "type", "x", "bad")]))
    ids = result.events["user_id"]  # type: ignore[index]
    assert ids.iloc[0] == p(RAW) and pd.isna(ids.iloc[1])  # a missing id stays missing (the importer rejects it)
    assert result.users["user_id"].tolist() == [p(RAW)]  # type: ignore[index]
    assert [r.value for r in result.rejects] == [p(RAW), "x"]


@pytest.fixture()
def private_client(trained_shop: TrainedShop, tmp_path: Path) -> TestClient:
    shutil.copy(trained_shop.db, tmp_path / "s.db")
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    service = RecommendationService.open(store, trained_shop.model, config=TEST_CONFIG)
    app = create_app(service, ApiSettings(models_dir=tmp_path / "models"), close_store=True, privacy_secret=SECRET)
    return TestClient(app, raise_server_exceptions=False)


def test_raw_id_is_nowhere_in_the_sqlite_file(private_client: TestClient, trained_shop: TrainedShop,
                                              tmp_path: Path) -> None:
    item = trained_shop.items.item_id.iloc[0]
    alias = Pseudonymiser(SECRET)(RAW)
    with private_client as c:
        assert c.post("/users", json={"users": [{"user_id": RAW, "attributes": {"tier": "gold"}}]}).status_code == 200
        r = c.post("/events", json={"events": [{"event_id": "e-1", "user_id": RAW, "item_id": item, "type": "view"},
                                               {"user_id": RAW, "item_id": item, "type": "teleport"}]})
        assert r.status_code == 200 and r.json()["inserted"] == 1 and r.json()["rejected"] == 1
        assert c.get(f"/recommendations/{RAW}?n=3").json()["user_id"] == alias  # the API takes the shop's id
        got = c.get(f"/users/{RAW}")
        assert got.status_code == 200 and got.json()["user_id"] == alias and got.json()["events"] == 1
        export = c.get(f"/users/{RAW}/export")
        assert export.status_code == 200 and RAW not in export.text
        assert len(export.json()["store"]["events"]) == 1
    for f in tmp_path.glob("s.db*"):  # the database and its write-ahead log
        data = f.read_bytes()
        assert RAW.encode() not in data, f.name
    with open_store(f"sqlite:///{tmp_path / 's.db'}") as store:
        assert store.get_user(alias) is not None and store.get_user(RAW) is None


def test_erasure_through_the_pseudonymised_api(private_client: TestClient, trained_shop: TrainedShop) -> None:
    item = trained_shop.items.item_id.iloc[0]
    with private_client as c:
        c.post("/events", json={"events": [{"user_id": RAW, "item_id": item, "type": "purchase"}]})
        r = c.delete(f"/users/{RAW}")
        assert r.status_code == 200 and r.json()["deleted"]["events"] == 1
        assert c.get(f"/users/{RAW}").status_code == 404
