"""The question log: what shoppers asked the FAQ, their feedback, the gaps, and teaching a question to an entry
(lexical matcher: no encoder, so the tests are fast and exact)."""

from __future__ import annotations

import pytest

from shopmind.assist import questions as questions_module
from shopmind.assist import service as service_module
from shopmind.assist.faq import FaqAnswer, FaqEntry
from shopmind.assist.questions import QuestionLog, normalise
from shopmind.assist.service import MAX_ALTERNATIVES, AssistService
from shopmind.errors import DataError, ParameterError, StoreError, UnknownIdError
from shopmind.storage import open_store

FAQ = [FaqEntry("ship", "en", "How much is shipping?", "Free over ¥99."),
       FaqEntry("pay", "en", "Which payment methods do you accept?", "Cards and Alipay."),
       FaqEntry("ret", "zh", "怎么退货？", "七天无理由退货。")]
CHEQUE = "Can I settle with a cheque?"


@pytest.fixture()
def service(tmp_path):
    with open_store(f"sqlite:///{tmp_path}/s.db") as st:
        s = AssistService(st, log_questions=True)
        s.import_faq(FAQ)
        yield s


def test_answers_are_logged_with_an_id_and_no_user(service):
    a = service.answer("is shipping free?", user_id="U1")
    h = service.answer(CHEQUE, user_id="U2")
    assert a["faq_id"] == "ship" and not a["handoff"] and h["handoff"]
    logged = service.questions.get(a["question_id"])
    assert logged["question"] == "is shipping free?" and logged["faq_id"] == "ship" and logged["handoff"] is False
    assert logged["confidence"] == pytest.approx(a["confidence"], abs=1e-4) and "asked_at" in logged
    assert "U1" not in repr(logged) and "user_id" not in logged
    assert [q["question_id"] for q in service.questions.recent()] == [h["question_id"], a["question_id"]]
    assert [q["question_id"] for q in service.questions.recent(handoff=True)] == [h["question_id"]]
    assert [q["question_id"] for q in service.questions.recent(handoff=False, limit=1)] == [a["question_id"]]


def test_what_is_not_logged(service, tmp_path):
    assert service.answer("is shipping free?", record=False)["question_id"] is None
    with open_store(f"sqlite:///{tmp_path}/other.db") as st:
        st.upsert_items([{"item_id": "m1", "title": "Mug", "attributes": {"colour": "Blue"}}])
        quiet = AssistService(st)  # the default: the CLI and library do not log
        quiet.import_faq(FAQ)
        assert quiet.answer("is shipping free?")["question_id"] is None
        logging = AssistService(st, log_questions=True)
        assert "question_id" not in logging.answer("what colour?", item_id="m1")  # item questions are not FAQ
        assert len(logging.questions) == 0
    assert len(service.questions) == 0


def test_feedback_and_the_report(service):
    a = service.answer("is shipping free?")
    b = service.answer("how much is shipping")
    for text in (CHEQUE, "can I settle with a CHEQUE", "怎么开发票？"):
        service.answer(text)
    service.questions.feedback(a["question_id"], True)
    service.questions.feedback(b["question_id"], True)
    service.questions.feedback(b["question_id"], False)  # the last word counts
    report = service.report()
    assert (report["questions"], report["answered"], report["handed_off"]) == (5, 2, 3)
    assert report["handoff_rate"] == 0.6 and report["logging"] is True
    assert report["feedback"] == {"helpful": 1, "not_helpful": 1, "helpful_rate": 0.5}
    assert report["entries"] == [{"faq_id": "ship", "answered": 2, "helpful": 1, "not_helpful": 1}]
    gaps = {g["question"]: g for g in report["gaps"]}
    # the two cheque questions are one gap (case and punctuation folded), most asked first
    assert report["gaps"][0]["count"] == 2 and report["gaps"][0]["handed_off"] == 2
    assert report["gaps"][0]["question"] == "can I settle with a CHEQUE"  # the latest phrasing
    assert gaps["how much is shipping"]["not_helpful"] == 1 and gaps["how much is shipping"]["handed_off"] == 0
    assert gaps["怎么开发票？"]["lang"] == "zh"
    assert "is shipping free?" not in gaps
    assert len(service.report(gaps=1)["gaps"]) == 1
    with pytest.raises(UnknownIdError, match="unknown question id 'nope'"):
        service.questions.feedback("nope", True)


def test_teaching_a_gap_answers_it_next_time(service, tmp_path):
    h = service.answer(CHEQUE)
    assert h["handoff"] and service.report()["gaps"][0]["question_id"] == h["question_id"]
    entry = service.teach("pay", question_id=h["question_id"])
    assert entry.alternatives == (CHEQUE,)
    again = service.answer("can I settle with a cheque")
    assert again["faq_id"] == "pay" and not again["handoff"]
    report = service.report()
    assert report["gaps"] == [] and report["taught"] == 1
    assert service.questions.get(h["question_id"])["taught_to"] == "pay"
    # the same phrasing again is not added twice; a phrasing given as text is added and leaves the gaps too
    assert service.teach("pay", "can I settle with a CHEQUE!").alternatives == (CHEQUE,)
    service.answer("是否支持货到付款")
    service.teach("pay", "是否支持货到付款")
    assert service.report()["gaps"] == []
    stored = {e.faq_id: e for e in service.entries()}["pay"]
    assert stored.alternatives == (CHEQUE, "是否支持货到付款")


def test_teaching_refuses_bad_input_and_keeps_the_entry(service):
    with pytest.raises(UnknownIdError, match="unknown faq id 'nope'"):
        service.teach("nope", "a question")
    with pytest.raises(UnknownIdError, match="unknown question id 'q0'"):
        service.teach("pay", question_id="q0")
    with pytest.raises(DataError, match=r"'question'.*must not be empty"):
        service.teach("pay", "   ")
    with pytest.raises(DataError, match="2,001 characters"):
        service.teach("pay", "x" * 2001)
    for i in range(MAX_ALTERNATIVES):
        service.teach("ship", f"shipping question number {i}")
    with pytest.raises(DataError, match="already has 50 alternatives"):
        service.teach("ship", "one more")
    assert len({e.faq_id: e for e in service.entries()}["ship"].alternatives) == MAX_ALTERNATIVES
    assert {e.faq_id: e for e in service.entries()}["pay"].alternatives == ()


def test_a_change_made_through_another_service_reaches_this_matcher(tmp_path):
    """Two servers (or workers, or the CLI) on one store: a teaching or import made through one is used by the
    other's next answer."""
    url = f"sqlite:///{tmp_path}/s.db"
    with open_store(url) as a_store, open_store(url) as b_store:
        a, b = AssistService(a_store), AssistService(b_store)
        a.import_faq(FAQ)
        assert b.answer(CHEQUE)["handoff"]
        a.teach("pay", CHEQUE)
        assert b.answer(CHEQUE)["faq_id"] == "pay"
        a.delete_faq(["pay"])
        assert b.answer(CHEQUE)["handoff"]


def test_the_log_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(questions_module, "TRIM_EVERY", 4)
    with open_store(f"sqlite:///{tmp_path}/s.db") as st:
        log = QuestionLog(st, limit=3)
        ids = [log.record(FaqAnswer(f"question {i}", None, "", None, 0.1, True, "en")) for i in range(8)]
        assert len(log) == 3 and [q["question_id"] for q in log] == ids[-3:]
        with pytest.raises(ParameterError, match="'limit' parameter of QuestionLog must be an int >= 1"):
            QuestionLog(st, limit=0)
        with pytest.raises(ParameterError):
            log.recent(limit=0)


def test_normalise_groups_spelling_variants() -> None:
    assert normalise("Can I pay by CHEQUE??") == normalise("can i pay by cheque") == "can i pay by cheque"
    assert normalise("能用支票吗？") == normalise("能用支票吗 ") and normalise("！？") == ""


def test_teaching_closes_every_gap_of_its_text_until_new_feedback(service, monkeypatch):
    """Two shoppers found the same answer unhelpful: teaching the question once closes both; an unhelpful mark
    given after the teaching opens the gap again."""
    a = service.answer("How much is shipping?")
    b = service.answer("how much is shipping")
    for q in (a, b):
        service.questions.feedback(q["question_id"], False)
    assert [g["count"] for g in service.report()["gaps"]] == [2]
    service.teach("ship", "how much is shipping ")  # by its text alone
    assert service.report()["gaps"] == [] and service.report()["taught"] == 2
    monkeypatch.setattr(questions_module, "_now", lambda: "2999-01-01T00:00:00+00:00")
    service.questions.feedback(a["question_id"], False)
    assert [g["question_id"] for g in service.report()["gaps"]] == [a["question_id"]]


def test_answers_go_on_when_the_store_cannot_be_read(service, monkeypatch):
    """A store outage after the matcher was built: the FAQ version cannot be read and the question log cannot
    be written, and the shopper still gets the answer (without a question id)."""
    assert service.answer("is shipping free?")["faq_id"] == "ship"

    def down(*_: object, **__: object) -> None:
        raise StoreError("the store is unavailable")

    monkeypatch.setattr(service_module, "read_stamp", down)
    monkeypatch.setattr(service.questions.store, "put_documents", down)
    again = service.answer("is shipping free?")
    assert again["faq_id"] == "ship" and again["question_id"] is None
