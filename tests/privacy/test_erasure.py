"""Erasure and export of one user (shopmind.privacy.erasure) over the tiny trained shop."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fixtures.shop import TrainedShop
from shopmind.data import Interactions
from shopmind.data.ids import IdMapping
from shopmind.data.loaders.base import ReadResult
from shopmind.errors import UnknownIdError
from shopmind.models import Recommender, create
from shopmind.pipeline import RecommendationService
from shopmind.pipeline.rules import RerankOptions
from shopmind.pipeline.state import LiveState
from shopmind.privacy.erasure import ERASED_COLLECTION, Eraser, id_hash, log_key
from shopmind.storage import PERSONAL_DATA_KINDS, load_interactions


def _items(service: RecommendationService, user: str) -> list[str]:
    return [i.item_id for i in service.recommend(user, n=10).items]


def _live_event(service: RecommendationService, user: str, item: str, etype: str = "purchase") -> None:
    result = service.ingest_events([{"event_id": f"live-{user}-{item}-{etype}", "user_id": user, "item_id": item,
                                     "type": etype}])
    assert result.inserted == 1


@pytest.fixture()
def models_dir(tmp_path: Path, service: RecommendationService) -> Path:
    """Two saved artifacts: the served item-kNN and an ALS, both trained on the shop."""
    out = tmp_path / "models"
    service.versions.active.model.save(out / "itemknn")  # type: ignore[union-attr]
    data = load_interactions(service.store).first_touch()
    create("als", factors=8, epochs=2, threads=1).fit(data).save(out / "als")
    return out


def test_erase_removes_the_user_everywhere_and_returns_a_receipt(service: RecommendationService,
                                                                 trained_shop: TrainedShop, models_dir: Path) -> None:
    user = trained_shop.heavy_user()
    item = trained_shop.showable_items(user)[0]
    _live_event(service, user, item)
    stored_events = len(service.store.events_frame(user_ids=[user]))
    assert stored_events > 1 and _items(service, user) != _items(service, "never-seen-shopper")

    receipt = Eraser(service.store, service, models_dir).erase(user)

    assert receipt["user_id"] == user and receipt["deleted"]["events"] == stored_events
    assert receipt["deleted"]["live_session_events"] == 1
    assert set(PERSONAL_DATA_KINDS) <= set(receipt["deleted"])
    actions = {m["version"]: m["action"] for m in receipt["models"]}
    assert actions[service.versions.active.version] == "exact"  # type: ignore[union-attr]
    assert actions["itemknn"] == "exact" and actions["als"] == "user_removed"
    assert pd.Timestamp(receipt["completed_at"]) >= pd.Timestamp(receipt["requested_at"])
    # the store, the live state, the loaded model and the saved artifacts hold nothing of the user
    assert all(rows == [] for rows in service.store.user_data(user).values())
    assert service.state.sessions.live_items(user)[1] == 0 and user not in service.state.history
    assert service.versions.active.user_index(user) == -1  # type: ignore[union-attr]
    for name in ("itemknn", "als"):
        assert user not in json.loads((models_dir / name / "meta.json").read_text())["users"]
        assert Recommender.load(models_dir / name).users_.get(user, -1) == -1
    # recommendations for the id are now those of a shopper never seen
    assert _items(service, user) == _items(service, "never-seen-shopper")


def test_online_statistics_equal_a_state_built_without_the_user(service: RecommendationService,
                                                                 trained_shop: TrainedShop) -> None:
    user = trained_shop.heavy_user()
    _live_event(service, user, trained_shop.showable_items(user)[0])
    Eraser(service.store, service).erase(user)
    fresh = LiveState.from_store(service.store, service.config)
    live = service.state
    n = len(fresh.catalog)
    assert fresh.catalog.ids.raws(range(n)) == live.catalog.ids.raws(range(n))
    np.testing.assert_array_equal(live.signals.popularity[:n], fresh.signals.popularity[:n])
    np.testing.assert_array_equal(live.signals.impressions[:n], fresh.signals.impressions[:n])
    for window in live.signals.windows:
        np.testing.assert_array_equal(live.signals.windows[window].totals[:n], fresh.signals.windows[window].totals[:n])
    for table in ("viewed_together", "bought_together"):
        a, b = getattr(live, table), getattr(fresh, table)
        np.testing.assert_array_equal(a.indptr, b.indptr)
        np.testing.assert_array_equal(a.indices, b.indices)
        np.testing.assert_array_equal(a.scores, b.scores)


def test_served_item_knn_after_erasure_equals_a_retrain_without_the_user(service: RecommendationService,
                                                                          trained_shop: TrainedShop) -> None:
    user = trained_shop.heavy_user()
    Eraser(service.store, service).erase(user)
    served = service.versions.active.model  # type: ignore[union-attr]
    # retrained on the store as it is now, with the same id spaces (the order in which ids are met changes
    # when a user's events go)
    data = Interactions.from_frame(service.store.events_frame(), items=IdMapping(served.items_.to_list()),
                                   users=IdMapping(served.users_.to_list(), kind="user")).first_touch()
    retrained = create("itemknn").fit(data)
    assert served.users_.to_list() == retrained.users_.to_list()
    assert (served.similarity_ != retrained.similarity_).nnz == 0
    np.testing.assert_array_equal(served.score(np.arange(served.n_users_)), retrained.score(np.arange(served.n_users_)))


def test_deletion_log_holds_a_keyed_hash_never_the_id(service: RecommendationService,
                                                      trained_shop: TrainedShop) -> None:
    user = trained_shop.heavy_user()
    eraser = Eraser(service.store, service)
    receipt = eraser.erase(user)
    (entry,) = eraser.log()
    assert entry["request_id"] == receipt["request_id"] and entry["deleted"] == receipt["deleted"]
    assert entry["user_hash"] == id_hash(log_key(service.store), user)
    assert user not in json.dumps(eraser.log())
    assert eraser.is_erased(user) and not eraser.is_erased("someone-else")
    # a configured secret keys the hashes instead of the stored key
    assert Eraser(service.store, secret="s3cret").is_erased(user) is False


def test_erasing_an_unknown_user_is_an_error_and_not_logged(service: RecommendationService) -> None:
    eraser = Eraser(service.store, service)
    with pytest.raises(UnknownIdError, match="nobody"):
        eraser.erase("nobody")
    assert eraser.log() == [] and service.store.list_documents(ERASED_COLLECTION) == []


def test_reimport_skips_the_rows_of_erased_users(service: RecommendationService, trained_shop: TrainedShop) -> None:
    user = trained_shop.heavy_user()
    old = service.store.events_frame()
    eraser = Eraser(service.store, service)
    eraser.erase(user)
    result, dropped = eraser.drop_erased(ReadResult("old.csv", events=old.drop(columns=["seq"])))
    assert dropped == int((old["user_id"] == user).sum()) > 0
    assert user not in set(result.events["user_id"]) and len(result.events) == len(old) - dropped  # type: ignore[index]


def test_export_holds_everything_kept_on_the_user(service: RecommendationService, trained_shop: TrainedShop,
                                                  models_dir: Path) -> None:
    user = trained_shop.heavy_user()
    item = trained_shop.showable_items(user)[0]
    _live_event(service, user, item)
    service.ingest_events([{"event_id": "neg-1", "user_id": user, "item_id": trained_shop.showable_items(user)[1],
                            "type": "dislike"}])
    doc = Eraser(service.store, service, models_dir).export(user)
    json.dumps(doc)
    assert doc["user_id"] == user
    assert len(doc["store"]["events"]) == len(service.store.events_frame(user_ids=[user]))
    assert doc["live"]["session_items"] == [item]
    assert doc["live"]["negative_feedback"] == [trained_shop.showable_items(user)[1]]
    models = {m["version"]: m for m in doc["models"]}
    assert set(models) == {service.versions.active.version, "itemknn", "als"}  # type: ignore[union-attr]
    assert len(models["als"]["user_vector"]) == 8 and models["itemknn"]["history_items"]
    with pytest.raises(UnknownIdError):
        Eraser(service.store, service, models_dir).export("nobody")


def test_rerank_and_session_paths_do_not_remember_the_erased_user(service: RecommendationService,
                                                                  trained_shop: TrainedShop) -> None:
    user = trained_shop.heavy_user()
    ids = trained_shop.showable_items(user)[:20]
    Eraser(service.store, service).erase(user)
    opts = RerankOptions(explore=0)
    assert ([i.item_id for i in service.rerank(ids, user_id=user, options=opts).items]
            == [i.item_id for i in service.rerank(ids, user_id="never-seen-shopper", options=opts).items])
