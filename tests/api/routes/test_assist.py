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


def test_chat_calls_the_tools_over_rest(service: RecommendationService) -> None:
    """/assist/chat as `serve` builds it: a search, then a comparison of two items shown and a question about
    one of them; the coupons tool reads the store's campaigns (none here)."""
    from shopmind.cli.serve import assist_service
    from shopmind.search.service import SearchService

    store = service.store
    search = SearchService.open(store, service, log_events=False)
    items = store.items_frame()
    leaf = str(items["category"].dropna().iloc[0]).split(" > ")[-1]
    with TestClient(create_app(service, ApiSettings(), search=search, assist=assist_service(store, None, search)),
                    raise_server_exceptions=False) as c:
        first = c.post("/assist/chat", json={"session_id": "s", "message": leaf}).json()
        assert first["action"] == "search" and len(first["items"]) >= 2
        r = c.post("/assist/chat", json={"session_id": "s", "message": "compare the first and the second"}).json()
        assert r["action"] == "compare" and [i["item_id"] for i in r["items"]] == [
            i["item_id"] for i in first["items"][:2]]
        r = c.post("/assist/chat", json={"session_id": "s", "message": "is the second one waterproof?"}).json()
        assert r["action"] == "facts" and r["items"][0]["item_id"] == first["items"][1]["item_id"]
        r = c.post("/assist/chat", json={"session_id": "s", "message": "any coupons?", "user_id": "u1"}).json()
        assert r["action"] == "coupons" and r["reply"] == "You have no coupons to use right now."


def test_faq_is_managed_over_rest(service: RecommendationService) -> None:
    """List, import (merge or replace) and delete FAQ entries; the next answer uses them; bad entries get a 422
    naming the field; an unknown id a 404."""
    assist = AssistService(service.store)
    with TestClient(create_app(service, ApiSettings(), assist=assist), raise_server_exceptions=False) as c:
        assert c.get("/assist/faq").json() == {"count": 0, "entries": []}
        r = c.post("/assist/faq", json={"entries": [
            {"faq_id": "ship", "question": "How much is shipping?", "answer": "Free over ¥99."},
            {"faq_id": "ret", "question": "退货政策是什么？", "answer": "7天无理由退货。", "category": "returns"}]})
        assert r.status_code == 200 and r.json() == {"stored": 2, "count": 2}
        listed = c.get("/assist/faq").json()["entries"]
        assert [(e["faq_id"], e["lang"]) for e in listed] == [("ship", "en"), ("ret", "zh")]
        assert c.post("/assist/answer", json={"question": "is shipping free?"}).json()["faq_id"] == "ship"
        r = c.post("/assist/faq", json={"entries": [
            {"faq_id": "pay", "question": "Which payment methods do you take?", "answer": "Cards and Alipay."}],
            "replace": True})
        assert r.json() == {"stored": 1, "count": 1}
        paid = c.post("/assist/answer", json={"question": "which payment methods do you take"}).json()
        assert paid["faq_id"] == "pay"
        assert c.delete("/assist/faq/pay").json() == {"deleted": 1, "faq_id": "pay"}
        r = c.delete("/assist/faq/pay")
        assert r.status_code == 404 and r.json()["error"]["field"] == "faq_id"
        for bad, field in (({"entries": []}, "entries"),
                           ({"entries": [{"faq_id": "x", "question": "  ", "answer": "a"}]}, "question"),
                           ({"entries": [{"faq_id": "x y", "question": "q", "answer": "a"}]}, "faq_id"),
                           ({"entries": [{"faq_id": "x", "question": "q", "answer": "a", "lang": "fr"}]}, "lang"),
                           ({"entries": [{"faq_id": "x", "question": "q", "answer": "a", "alternatives": [" "]}]},
                            "alternatives"),
                           ({"entries": [{"faq_id": "x", "question": "q", "answer": "a"},
                                         {"faq_id": "x", "question": "r", "answer": "b"}]}, "entries")):
            r = c.post("/assist/faq", json=bad)
            assert r.status_code == 422 and field in r.json()["error"]["field"], (bad, r.json())
        assert c.get("/assist/faq").json()["count"] == 0  # nothing stored by a refused import
        # other phrasings of a question are stored, listed and matched (lexical here: no encoder)
        r = c.post("/assist/faq", json={"entries": [
            {"faq_id": "ship", "question": "How much is shipping?", "answer": "Free over ¥99.",
             "alternatives": ["what does postage cost", "delivery fee"]},
            {"faq_id": "ret", "question": "What is the return policy?", "answer": "7-day returns."}]})
        assert r.json() == {"stored": 2, "count": 2}
        listed = {e["faq_id"]: e for e in c.get("/assist/faq").json()["entries"]}
        assert listed["ship"]["alternatives"] == ["what does postage cost", "delivery fee"]
        assert listed["ret"]["alternatives"] == []
        assert c.post("/assist/answer", json={"question": "postage?"}).json()["faq_id"] == "ship"


def test_questions_feedback_report_and_teaching_over_rest(service: RecommendationService) -> None:
    """The loop a shop runs: a shopper's question is handed off, the report lists it as a gap, an editor teaches
    it to the entry that answers it, and the next shopper asking it that way gets the answer."""
    assist = AssistService(service.store, log_questions=True)
    assist.import_faq([FaqEntry("ship", "en", "How much is shipping?", "Free over ¥99."),
                       FaqEntry("pay", "en", "Which payment methods do you accept?", "Cards.")], replace=True)
    settings = ApiSettings(keys="r:read,w:write")
    with TestClient(create_app(service, settings, assist=assist), raise_server_exceptions=False) as c:
        c.headers["X-API-Key"] = "w"
        # the storefront's read key asks; the questions (their text may be personal) need a write key
        read = {"X-API-Key": "r"}
        assert c.post("/assist/answer", json={"question": "x"}, headers=read).status_code == 200
        for path in ("/assist/questions", "/assist/questions/report"):
            assert c.get(path, headers=read).status_code == 403
        assist.questions.store.delete_documents("assist_questions")
        answered = c.post("/assist/answer", json={"question": "is shipping free?", "user_id": "U1"}).json()
        handed = c.post("/assist/answer", json={"question": "Can I settle with a cheque?"}).json()
        assert handed["handoff"] and isinstance(handed["question_id"], str)
        r = c.post(f"/assist/questions/{answered['question_id']}/feedback", json={"helpful": True})
        assert r.status_code == 200 and r.json()["helpful"] is True
        r = c.post("/assist/questions/nope/feedback", json={"helpful": True})
        assert r.status_code == 404 and r.json()["error"]["field"] == "question_id"
        assert c.post(f"/assist/questions/{answered['question_id']}/feedback", json={"helpful": "maybe"}
                      ).status_code == 422
        listed = c.get("/assist/questions", params={"handoff": "true"}).json()
        assert listed["logging"] is True and [q["question_id"] for q in listed["questions"]] == [handed["question_id"]]
        assert c.get("/assist/questions", params={"limit": 0}).status_code == 422
        report = c.get("/assist/questions/report").json()
        assert (report["questions"], report["handed_off"], report["feedback"]["helpful"]) == (2, 1, 1)
        assert [g["question_id"] for g in report["gaps"]] == [handed["question_id"]]
        r = c.post("/assist/faq/pay/alternatives", json={"question_id": handed["question_id"]})
        assert r.status_code == 200 and r.json()["alternatives"] == ["Can I settle with a cheque?"]
        again = c.post("/assist/answer", json={"question": "can I settle with a cheque"}).json()
        assert again["faq_id"] == "pay" and not again["handoff"]
        assert c.get("/assist/questions/report").json()["gaps"] == []
        r = c.post("/assist/faq/nope/alternatives", json={"question": "x"})
        assert r.status_code == 404 and r.json()["error"]["field"] == "faq_id"
        r = c.post("/assist/faq/pay/alternatives", json={})
        assert r.status_code == 422 and r.json()["error"]["field"] == "question"
        assert c.post("/assist/faq/pay/alternatives", json={"question": ""}).status_code == 422
        r = c.post("/assist/faq", json={"entries": [{"faq_id": "nul", "question": "a\u0000b", "answer": "x"}]})
        assert r.status_code == 422 and "NUL" in r.text
