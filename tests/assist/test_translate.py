"""Translate-test for Chinese FAQ questions: the translator (a stand-in for the local LLM in unit tests) and how
the matcher scores the English renderings."""

from __future__ import annotations

import importlib.util
import sqlite3
import threading
from pathlib import Path

import numpy as np
import pytest

from shopmind.assist import translate as translate_module
from shopmind.assist.faq import THRESHOLD_TRANSLATED, WEIGHTS, FaqEntry, FaqMatcher, sample_faq
from shopmind.assist.translate import SHOTS, SYSTEM, Translator, chinese_texts, default_translator, sample_renderings
from shopmind.text.encoders import HashingEncoder

from .test_faq import NEIGHBOURS

#: What the stand-in "LLM" renders: enough of the NEIGHBOURS FAQ and its questions to tell the entries apart.
RENDERINGS = {
    "退货政策是什么？": "What is the return policy?", "退款多久到账？": "How long until the refund arrives?",
    "优惠券怎么用？": "How do I use a coupon?", "优惠券为什么用不了？": "Why can't I use my coupon?",
    "保修期多长？": "How long is the warranty?", "怎么申请保修？": "How do I apply for warranty?",
    "退款几天能到": "How many days until the refund arrives", "钱什么时候退回来": "When is the money returned",
}


class FakeLlama:
    """Records each chat request and answers with the rendering (plus a second line the translator drops)."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.active = 0
        self.overlapped = False

    def create_chat_completion(self, **kwargs):
        self.active += 1
        self.overlapped |= self.active > 1
        threading.Event().wait(0.01)
        self.calls.append(kwargs)
        text = kwargs["messages"][-1]["content"]
        self.active -= 1
        return {"choices": [{"message": {"content": f'"{RENDERINGS.get(text, "something")}"\nNote: a remark'}}]}


class StubTranslator:
    """The FAQ matcher's view of a translator: ``translate(texts)``; counts what it was asked."""

    name = "stub"

    def __init__(self) -> None:
        self.asked: list[str] = []

    def translate(self, texts):
        self.asked += list(texts)
        return [RENDERINGS.get(t, "something else") for t in texts]


def fake_translator(path: Path | None, llm: FakeLlama) -> Translator:
    t = Translator(path=path)
    t._llm = llm  # loaded: _load returns it
    return t


def test_translator_prompt_keeps_the_first_line_and_is_greedy(tmp_path: Path) -> None:
    llm = FakeLlama()
    t = fake_translator(None, llm)
    assert t.translate(["退款几天能到"]) == ["How many days until the refund arrives"]
    call = llm.calls[0]
    assert call["temperature"] == 0.0
    msgs = call["messages"]
    assert msgs[0] == {"role": "system", "content": SYSTEM}
    # the worked examples come as earlier turns, the text to render last
    assert [m["content"] for m in msgs[1:-1]] == [x for shot in SHOTS for x in shot]
    assert msgs[-1] == {"role": "user", "content": "退款几天能到"}


def test_translator_renders_a_text_once_and_keeps_it_in_its_file(tmp_path: Path) -> None:
    path = tmp_path / "translations.db"
    llm = FakeLlama()
    t = fake_translator(path, llm)
    assert t.translate(["退货政策是什么？", "退款多久到账？", "退货政策是什么？"]) == [
        "What is the return policy?", "How long until the refund arrives?", "What is the return policy?"]
    assert len(llm.calls) == 2  # the repeated text is rendered once
    t.translate(["退款多久到账？"])
    assert len(llm.calls) == 2  # from memory
    # a new translator on the same file (another process, a restart) renders nothing already rendered
    again = FakeLlama()
    assert fake_translator(path, again).translate(["退款多久到账？"]) == ["How long until the refund arrives?"]
    assert again.calls == []
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM translations").fetchone()[0] == 2


def test_translator_renders_one_text_at_a_time() -> None:
    """llama.cpp contexts are not thread-safe: concurrent callers take turns (fails without the lock)."""
    llm = FakeLlama()
    t = fake_translator(None, llm)
    texts = [f"问题{i}" for i in range(8)]
    threads = [threading.Thread(target=t.translate, args=([x],)) for x in texts]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(llm.calls) == 8 and not llm.overlapped


def test_default_translator_is_none_without_llama_cpp(monkeypatch, caplog) -> None:
    monkeypatch.setenv("SHOPMIND_ASSIST_TRANSLATOR", "true")
    real = importlib.util.find_spec
    monkeypatch.setattr(translate_module.importlib.util, "find_spec",
                        lambda name, *a: None if name == "llama_cpp" else real(name, *a))
    caplog.set_level("INFO")
    assert default_translator() is None
    assert "without the translator" in caplog.text and "make setup-llm" in caplog.text
    monkeypatch.setattr(translate_module.importlib.util, "find_spec", real)
    monkeypatch.setenv("SHOPMIND_ASSIST_TRANSLATOR", "false")  # off whatever is installed (the suite's default)
    assert default_translator() is None and "SHOPMIND_ASSIST_TRANSLATOR is false" in caplog.text


def test_matcher_adds_the_renderings_cosines_to_chinese_questions_only() -> None:
    enc, para = HashingEncoder(), HashingEncoder(seed=1)
    plain = FaqMatcher(NEIGHBOURS, enc, paraphrase_encoder=para)
    stub = StubTranslator()
    m = FaqMatcher(NEIGHBOURS, enc, paraphrase_encoder=para, translator=stub, translated_threshold=-10.0)
    # the entries rendered: the Chinese ones' questions and answers, nothing English
    assert set(stub.asked) == {t for e in NEIGHBOURS if e.lang == "zh" for t in (e.question, e.answer)}
    assert not m.raw["trans_question"][~m.chinese].any() and m.raw["trans_question"][m.chinese].any(axis=1).all()
    # an English question is scored as without the translator, and is not rendered
    en = "how long does the refund take"
    asked = len(stub.asked)
    assert np.allclose(m.scores(en)[2], plain.scores(en)[2]) and len(stub.asked) == asked
    assert m.threshold_group(en, 1) == "paraphrase"
    # a Chinese question adds 0.05 x / 0.1 x the paraphrase model's cosines of its rendering
    zh = "退款几天能到"
    cos = m.cosines(zh)
    assert stub.asked[-1] == zh
    expected = plain.scores(zh)[2] + WEIGHTS["trans_question"] * cos["trans_question"] + \
        WEIGHTS["trans_passage"] * cos["trans_passage"]
    assert np.allclose(m.scores(zh)[2], expected, atol=1e-5)
    assert not cos["trans_question"][~m.chinese].any()
    # the rendering of the question is closest to the rendering of the right entry's question
    assert int(np.argmax(cos["trans_question"])) == 7
    # its own threshold group: -10 answers anything Chinese; the answer says how the question was read
    assert m.threshold_group(zh, 7) == "translated" and not m.answer("明天天气怎么样").handoff
    assert m.answer(zh).rendering == RENDERINGS[zh] and m.answer(en).rendering is None
    assert plain.answer(zh).rendering is None
    assert FaqMatcher(NEIGHBOURS, enc, paraphrase_encoder=para,
                      translator=StubTranslator()).translated_threshold == THRESHOLD_TRANSLATED


def test_matcher_needs_the_paraphrase_model_for_the_translator() -> None:
    stub = StubTranslator()
    m = FaqMatcher(NEIGHBOURS, HashingEncoder(), translator=stub)
    assert m.translator is None and "trans_question" not in m.raw and stub.asked == []
    assert m.threshold_group("退款几天能到", 7) == "main"
    # an FAQ without Chinese entries renders nothing
    english = FaqMatcher([e for e in NEIGHBOURS if e.lang == "en"], HashingEncoder(),
                         paraphrase_encoder=HashingEncoder(seed=1), translator=stub)
    assert "trans_question" not in english.raw and stub.asked == []


def test_matcher_renders_a_chinese_entrys_other_phrasings() -> None:
    alt_zh, alt_en = "钱什么时候退回来", "when is my money back"
    entries = [FaqEntry(e.faq_id, e.lang, e.question, e.answer,
                        alternatives=(alt_zh,) if e.faq_id == "refund_time.zh" else
                        (alt_en,) if e.faq_id == "refund_time.en" else ()) for e in NEIGHBOURS]
    stub = StubTranslator()
    m = FaqMatcher(entries, HashingEncoder(), paraphrase_encoder=HashingEncoder(seed=1), translator=stub)
    assert alt_zh in stub.asked and alt_en not in stub.asked
    alt = m.alt_raw["trans_question"]
    assert alt[m.alt_owner == 7].any() and not alt[m.alt_owner == 1].any()
    # a question rendered as the phrasing's rendering scores it at 1
    assert m.cosines(alt_zh)["trans_question"][7] == pytest.approx(1.0, abs=1e-5)


@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None,
                    reason="llama-cpp-python is not installed (make setup-llm)")
def test_packaged_llm_renders_chinese_questions_in_english() -> None:
    from shopmind.content.backends import GenerationError  # lazy: only this test needs it
    from shopmind.content.gguf import DEFAULT_HOME, locate_gguf  # lazy: as above

    try:  # joined once into ~/.shopmind, as `make setup` leaves it (not into each test's home)
        locate_gguf("qwen2.5-0.5b", home=DEFAULT_HOME)
    except GenerationError as exc:
        pytest.skip(f"the Qwen2.5-0.5B GGUF parts are not installed (make setup-llm): {exc}")
    t = Translator(home=DEFAULT_HOME)  # renderings in memory only
    out = t.translate(["可以换尺码吗？", "退款什么时候到"])
    assert "size" in out[0].lower() and "refund" in out[1].lower(), out


def test_the_sample_faqs_renderings_ship_with_the_package() -> None:
    """The demo's FAQ needs no rendering at its first Chinese question (regenerate the file when the sample FAQ
    changes: benchmarks/assist/faq_translate.py sample)."""
    known = sample_renderings()
    texts = chinese_texts(sample_faq())
    assert len(texts) == 60 and set(known) == set(texts)
    assert Translator(known=known).missing(texts) == []
    # English, mostly (the small model leaves a Chinese word now and then: "How do I use积分?")
    assert all(r and sum(c.isascii() for c in r) > 0.8 * len(r) for r in known.values())


def test_import_renders_the_chinese_entries_in_the_background(tmp_path: Path) -> None:
    from shopmind.assist.service import AssistService  # lazy: only these tests need the service
    from shopmind.storage import open_store  # lazy: as above

    llm = FakeLlama()
    translator = fake_translator(tmp_path / "translations.db", llm)
    with open_store(f"sqlite:///{tmp_path}/shop.db") as store:
        service = AssistService(store, HashingEncoder(), paraphrase_encoder=HashingEncoder(seed=1),
                                translator=translator)
        service.import_faq(NEIGHBOURS)
        for th in threading.enumerate():
            if th.name == "faq-prerender":
                th.join(timeout=10)
        assert translator.missing(chinese_texts(NEIGHBOURS)) == [] and len(llm.calls) == 12
        # the matcher built afterwards renders nothing more; a Chinese question is rendered once
        matcher = service.matcher()
        assert matcher.translator is translator and len(llm.calls) == 12
        assert matcher.entries[matcher.best("退款几天能到")[0]].faq_id == "refund_time.zh"
        assert len(llm.calls) == 13
        # nothing to render again: a re-import starts no work; without e5 or MiniLM the renderings are not used
        assert service.prerender(NEIGHBOURS) == 0
        assert AssistService(store, HashingEncoder(), translator=translator).prerender(
            [FaqEntry("x", "zh", "新问题", "新回答")]) == 0


def test_a_failing_translator_does_not_fail_the_answer(caplog) -> None:
    """The LLM is a helper: when it fails on a question, the question is scored without its rendering."""
    stub = StubTranslator()
    m = FaqMatcher(NEIGHBOURS, HashingEncoder(), paraphrase_encoder=HashingEncoder(seed=1), translator=stub)
    plain = FaqMatcher(NEIGHBOURS, HashingEncoder(), paraphrase_encoder=HashingEncoder(seed=1))

    def broken(texts):
        raise RuntimeError("llama_decode returned -1")

    stub.translate = broken
    zh = "退款几天能到"
    assert "trans_question" not in m.cosines(zh) and "translator failed" in caplog.text
    assert np.allclose(m.scores(zh)[2], plain.scores(zh)[2])
    assert m.answer(zh).candidate_id == plain.answer(zh).candidate_id and m.answer(zh).rendering is None


def test_a_translator_failing_on_the_entries_does_not_fail_the_import(caplog) -> None:
    """When the LLM fails while rendering the FAQ's own Chinese entries, the matcher is built without
    translate-test (logged) and scores every question as a matcher without a translator does."""
    plain = FaqMatcher(NEIGHBOURS, HashingEncoder(), paraphrase_encoder=HashingEncoder(seed=1))

    class Broken(StubTranslator):
        def translate(self, texts):
            self.asked += list(texts)
            raise RuntimeError("llama_decode returned -1")

    class Short(StubTranslator):  # answers fewer renderings than it was asked for
        def translate(self, texts):
            return super().translate(texts)[:-1]

    for stub in (Broken(), Short()):
        m = FaqMatcher(NEIGHBOURS, HashingEncoder(), paraphrase_encoder=HashingEncoder(seed=1), translator=stub)
        assert stub.asked, "the entries were sent to the translator"
        assert m.translator is None and "trans_question" not in m.raw and "trans" not in m.models
        assert "matching without translate-test" in caplog.text
        zh = "退款几天能到"
        asked = len(stub.asked)
        assert np.allclose(m.scores(zh)[2], plain.scores(zh)[2]) and len(stub.asked) == asked
        assert m.threshold_group(zh, 7) == plain.threshold_group(zh, 7) == "main"
        assert m.answer(zh) == plain.answer(zh)
