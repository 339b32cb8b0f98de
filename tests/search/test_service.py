"""The search service over the trained test shop: events through the pipeline, personalisation, live updates."""

from __future__ import annotations

import pytest

from shopmind.errors import ParameterError
from shopmind.pipeline import RecommendationService
from shopmind.search.request import SearchRequest
from shopmind.search.service import SearchService


@pytest.fixture()
def search(service: RecommendationService) -> SearchService:
    return SearchService.open(service.store, service)


def test_queries_and_clicks_are_events_that_reach_the_store_and_analytics(search: SearchService) -> None:
    result = search.search(SearchRequest(q="dress", user_id="U00001"))
    assert result.search_id and result.hits
    search.search(SearchRequest(q="汽车轮胎"))
    search.click(result.search_id, result.hits[0].item_id, 0)
    events = search.store.events_frame()
    logged = events[events["event_id"] == f"search-{result.search_id}"]
    assert len(logged) == 1 and logged.iloc[0]["context"]["query"] == "dress"
    click = events[(events["type"] == "click") & (events["item_id"] == result.hits[0].item_id)].iloc[-1]
    assert click["user_id"] == "U00001" and click["context"]["position"] == 0
    stats = search.analytics()
    assert stats["clicks"] >= 1 and stats["ctr_by_position"]["0"] > 0
    assert {"query": "汽车轮胎", "count": 1} in stats["zero_result_queries"]
    with pytest.raises(ParameterError):
        search.click(result.search_id, "x", -1)


def test_items_written_through_the_pipeline_are_searchable_and_deletes_hide_them(
        search: SearchService, service: RecommendationService) -> None:
    service.upsert_items([{"item_id": "Z1", "title": "Zorblax Quantum Teapot", "category": "Home > Kitchen",
                           "price": 10.0}])
    assert search.search(SearchRequest(q="zorblax")).item_ids == ["Z1"]
    service.delete_items(["Z1"])
    assert search.search(SearchRequest(q="zorblax")).total == 0


def test_personalisation_is_bounded(search: SearchService) -> None:
    plain = search.search(SearchRequest(q="shoes", limit=50, personalise=False))
    mine = search.search(SearchRequest(q="shoes", user_id="U00001", limit=50))
    assert mine.personalised and set(mine.item_ids[:10]) <= set(plain.item_ids)
    with pytest.raises(ParameterError, match="personal_weight"):
        SearchService(search.store, search.engine, personal_weight=0.9)


def test_suggestions(search: SearchService) -> None:
    assert search.suggest("")  == []
    first = search.engine.records[0]
    word = str(first["title"]).split()[0][:3]
    assert any(s["text"].lower().startswith(word.lower()) for s in search.suggest(word))
