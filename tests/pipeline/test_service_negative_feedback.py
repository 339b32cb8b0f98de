"""Negative feedback through the serving pipeline: dislike / hide / not_interested (and their synonyms) and low
ratings take the item - optionally its near-duplicates - out of that user's lists with the next request, and
are never positives."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from fixtures.shop import TEST_CONFIG, TrainedShop
from shopmind.pipeline import RecommendationService
from shopmind.pipeline.rules import RerankOptions
from shopmind.storage import open_store


def _ids(service: RecommendationService, user: str, n: int = 10) -> list[str]:
    return [i.item_id for i in service.recommend(user, n=n).items]


@pytest.mark.parametrize("etype", ["dislike", "hide", "not_interested", "thumbs_down", "Not-Interested", "dismiss"])
def test_negative_feedback_removes_the_item_from_the_next_list(service: RecommendationService,
                                                               trained_shop: TrainedShop, etype: str) -> None:
    user = trained_shop.heavy_user()
    top = _ids(service, user)[0]
    popularity = service.state.signals.popularity_of(service.state.catalog.indices([top]))[0]
    r = service.ingest_events([{"user_id": user, "item_id": top, "type": etype}])
    assert r.inserted == 1 and r.rejected == 0
    assert top not in _ids(service, user, n=50)
    assert top not in [i.item_id for i in service.rerank([top, *_ids(service, user)], user_id=user).items]
    # not a positive: the item's popularity and the user's "seen" history are unchanged
    assert service.state.signals.popularity_of(service.state.catalog.indices([top]))[0] == popularity
    # other shoppers still get it
    other = next(u for u in trained_shop.data.users.to_list() if u != user and top in _ids(service, u, n=50))
    assert top in _ids(service, other, n=50)


def test_a_low_rating_is_negative_feedback_and_a_high_one_a_positive(service: RecommendationService,
                                                                     trained_shop: TrainedShop) -> None:
    user = trained_shop.heavy_user()
    low, high = _ids(service, user)[:2]
    idx = service.state.catalog.indices([low, high])
    before = service.state.signals.popularity_of(idx)
    service.ingest_events([{"user_id": user, "item_id": low, "type": "rating", "value": 2},
                           {"user_id": user, "item_id": high, "type": "rating", "value": 5}])
    after = service.state.signals.popularity_of(idx)
    assert after[0] == before[0] and after[1] > before[1]
    assert low not in _ids(service, user, n=50)
    assert service.state.feedback.items(user) == [int(idx[0])]


def test_negative_feedback_built_from_the_store_survives_a_restart(trained_shop: TrainedShop, tmp_path: Path) -> None:
    shutil.copy(trained_shop.db, tmp_path / "s.db")
    with open_store(f"sqlite:///{tmp_path / 's.db'}") as store:
        service = RecommendationService.open(store, trained_shop.model, config=TEST_CONFIG)
        user = trained_shop.heavy_user()
        top = _ids(service, user)[0]
        service.ingest_events([{"user_id": user, "item_id": top, "type": "hide"}])
        restarted = RecommendationService.open(store, trained_shop.model, config=TEST_CONFIG)
        assert top not in _ids(restarted, user, n=50)


def test_near_duplicates_are_hidden_too_when_configured(trained_shop: TrainedShop, tmp_path: Path) -> None:
    shutil.copy(trained_shop.db, tmp_path / "s.db")
    config = TEST_CONFIG.model_copy(update={"hide_near_duplicates": True})
    with open_store(f"sqlite:///{tmp_path / 's.db'}") as store:
        service = RecommendationService.open(store, trained_shop.model, config=config)
        user = trained_shop.heavy_user()
        catalog = service.state.catalog
        top = _ids(service, user)[0]
        service.ingest_events([{"user_id": user, "item_id": top, "type": "dislike"}])
        hidden = service.state.hidden_items(user)
        assert catalog.index(top) in hidden.tolist()
        shown = set(_ids(service, user, n=100))
        assert not shown & set(catalog.ids.raws(hidden.tolist()))
        plain = RecommendationService.open(store, trained_shop.model, config=TEST_CONFIG)
        assert len(plain.state.hidden_items(user)) <= len(hidden)
        assert np.isin(plain.state.hidden_items(user), hidden).all()


def test_negative_feedback_is_excluded_even_without_filter_seen(service: RecommendationService,
                                                                trained_shop: TrainedShop) -> None:
    user = trained_shop.heavy_user()
    top = _ids(service, user)[0]
    service.ingest_events([{"user_id": user, "item_id": top, "type": "dislike"}])
    options = RerankOptions(filter_seen=False, explore=0)
    assert top not in [i.item_id for i in service.recommend(user, n=50, options=options).items]
