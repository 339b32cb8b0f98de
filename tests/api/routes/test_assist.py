from __future__ import annotations

from fastapi.testclient import TestClient

from shopmind.api import create_app
from shopmind.assist.faq import FaqEntry
from shopmind.assist.service import AssistService
from shopmind.pipeline import RecommendationService
from shopmind.settings import ApiSettings


def test_answer_handoff_item_and_errors(service: RecommendationService) -> None:
    assist = AssistService(service.store)
    assist.import_faq([FaqEntry("ship", "en", "How much is shipping?", "Free over ¥99.")])
    item_id = str(service.store.items_frame()["item_id"].iloc[0])
    with TestClient(create_app(service, ApiSettings(), assist=assist), raise_server_exceptions=False) as c:
        assert c.post("/assist/answer", json={"question": "is shipping free?"}).json()["faq_id"] == "ship"
        assert c.post("/assist/answer", json={"question": "sing a song"}).json()["handoff"] is True
        r = c.post("/assist/answer", json={"question": "what colour is it?", "item_id": item_id})
        assert r.status_code == 200 and r.json()["kind"] == "item"
        r = c.post("/assist/answer", json={"question": "colour?", "item_id": "nope"})
        assert r.status_code == 404 and r.json()["error"]["field"] == "item_id"
        assert c.post("/assist/answer", json={"question": ""}).status_code == 422
    with TestClient(create_app(service, ApiSettings()), raise_server_exceptions=False) as c:
        assert c.post("/assist/answer", json={"question": "x"}).status_code == 503
