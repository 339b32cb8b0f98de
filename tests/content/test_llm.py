"""The chat-model backends over real HTTP (a fake OpenAI-compatible server on 127.0.0.1): recording,
the strict retry, the template fallback, transport errors; the llama.cpp backend with a stand-in module."""

from __future__ import annotations

import json
import sys
import types

import pytest

from shopmind.content import (
    ContentService,
    GenerationError,
    LlamaCppGenerator,
    OpenAICompatibleGenerator,
)
from shopmind.content.llm import instruction_fragments, repair
from shopmind.content.prompt_book import PromptBook

MODEL = "qwen-test"


# demo item 0: Solstice (至日) women's PU leather (人造革) slides, white, ¥109, comfortable, non-slip
GOOD_EN = "Meet the Solstice slides in white PU leather, comfortable and non-slip, for ¥109."


GOOD_ZH = "至日白色人造革凉拖，舒适防滑，售价¥109。"


def _service(checker, url: str, **kwargs) -> ContentService:
    return ContentService(OpenAICompatibleGenerator(url, MODEL, **kwargs), checker=checker)


# ---------------------------------------------------------------------------------------------- (b) wrong facts
PLANTED = {
    # lang: (first draft: wrong price and material, strict retry: wrong brand, claims the check must catch)
    "en": ("Solstice slides in white canvas, only ¥99.", "Ferro slides in white PU leather for ¥109.",
           {"¥99", "canvas"}, {"Ferro"}),
    "zh": ("至日白色帆布凉拖，仅需¥99。", "费罗白色人造革凉拖，售价¥109。", {"¥99", "帆布"}, {"费罗"}),
}


PROMPT = [{"role": "system", "content": "Reply with the copy only: no introduction, no notes, no markdown."},
          {"role": "user", "content": "Tone: warm and friendly, like a helpful shop assistant.\n"
                                      "Length: three or four sentences (about 50 to 70 words).\n"
                                      "Item facts (the only facts you may use):\n- Brand: Kumo\n- Colour: Grey"}]


# ---------------------------------------------------------------------------------------------- (a) faithful
@pytest.mark.parametrize(("lang", "reply"), [("en", GOOD_EN), ("zh", GOOD_ZH)])
def test_a_faithful_completion_is_checked_and_recorded(checker, demo_facts, llm_server, lang, reply):
    llm_server.reply(f"Here is the description:\n\n\"{reply}\"")
    out = _service(checker, llm_server.url).describe(demo_facts[0], lang=lang)
    assert out.text == reply and out.check.ok, out.check.summary()
    assert (out.backend, out.model, out.prompt_version) == ("openai", MODEL, f"llm-{lang}@2")
    assert out.attempts == 1 and not out.fallback
    assert [(a.backend, a.model, a.strict, a.outcome) for a in out.trace] == [("openai", MODEL, False, "ok")]
    assert out.completion_tokens == llm_server.completion_tokens and out.latency_s > 0 and out.tokens_per_s > 0
    assert out.facts_used[{"en": "Brand", "zh": "品牌"}[lang]] == {"en": "Solstice", "zh": "至日"}[lang]
    assert out.facts_used[{"en": "Price", "zh": "价格"}[lang]] == "¥109"
    # what went over the wire: the model, the budget of a medium description, the item's facts, no strict rules
    (sent,) = llm_server.requests
    assert sent["model"] == MODEL and sent["max_tokens"] == {"en": 180, "zh": 200}[lang]
    assert sent["temperature"] == 0.7 and [m["role"] for m in sent["messages"]] == ["system", "user"]
    user = llm_server.prompts()[0]
    assert {"en": "- Price: ¥109", "zh": "- 价格：¥109"}[lang] in user
    assert "STRICT" not in llm_server.prompts("system")[0] and "严格模式" not in llm_server.prompts("system")[0]


def test_outputs_of_different_models_are_cached_apart(checker, demo_facts, llm_server):
    llm_server.reply(GOOD_EN)
    svc = _service(checker, llm_server.url)
    first = svc.describe(demo_facts[0])
    assert svc.describe(demo_facts[0]).cache_hit and len(llm_server.requests) == 1
    other = ContentService(OpenAICompatibleGenerator(llm_server.url, "other-model"), checker=checker,
                           cache=svc.cache)
    assert not other.describe(demo_facts[0]).cache_hit and len(llm_server.requests) == 2
    assert f"openai/{MODEL}" not in first.cache_key  # the model is in the key's digest, not its readable prefix


def test_structured_content_types_are_shaped(checker, demo_facts, llm_server):
    svc = _service(checker, llm_server.url)
    llm_server.reply("Sure! Here are the selling points:\n1. **White** PU leather\n2. Non-slip\n3) Comfortable\n"
                     "- Solstice\n- ¥109\n\nLet me know if you need more!")
    points = svc.selling_points(demo_facts[0], length="short")
    assert points.parts["bullets"] == ["White PU leather", "Non-slip", "Comfortable"]
    assert points.text.splitlines()[0] == "- White PU leather" and points.check.ok
    slate = demo_facts[:2]
    llm_server.reply("Subject: Picks from Solstice and Daily Fresh\n\nHi there,\nThe Solstice slides are ¥109.\n"
                     "Daily Fresh dark chocolate with matcha is ¥39.\nHappy shopping!")
    email = svc.email([demo_facts[9]], slate)
    assert email.parts["subject"] == "Picks from Solstice and Daily Fresh" and email.check.ok
    assert email.text.startswith("Hi there,") and "Subject" not in email.text
    llm_server.reply("Solstice slides: white PU leather, ¥109\nDaily Fresh chocolate: matcha flavour, ¥39")
    reasons = svc.reasons([demo_facts[9]], slate)
    assert list(reasons.parts["reasons"]) == [f.item_id for f in slate] and reasons.check.ok
    llm_server.reply('"Fresh picks for you"\nA second line that is dropped.')
    assert svc.headline(None, slate).text == "Fresh picks for you"
    history = llm_server.prompts()[-1]
    assert "Item 1:" in history and "Item 2:" in history and "- Price: ¥39" in history


def test_ad_variants_ask_with_different_seeds(checker, demo_facts, llm_server):
    llm_server.reply("Solstice slides, ¥109.", "White PU leather slides by Solstice.", "Non-slip Solstice slides.")
    ads = _service(checker, llm_server.url).ad_copy(demo_facts[0], variants=3)
    assert len({a.text for a in ads}) == 3 and all(a.backend == "openai" for a in ads)
    assert len({r["seed"] for r in llm_server.requests}) == 3


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_b_wrong_facts_get_a_strict_retry_then_the_template_fallback(checker, demo_facts, llm_server, lang):
    first, second, bad_first, bad_second = PLANTED[lang]
    llm_server.reply(first, second)
    out = _service(checker, llm_server.url).describe(demo_facts[0], lang=lang)
    # the final text comes from the grounded templates, and the record says how it got there
    assert out.backend == "template" and out.fallback and out.attempts == 3 and out.check.ok
    assert out.text == ContentService(checker=checker).describe(demo_facts[0], lang=lang).text
    assert [(a.backend, a.strict, a.outcome) for a in out.trace] == [
        ("openai", False, "unsupported"), ("openai", True, "unsupported"), ("template", False, "ok")]
    assert all(c in out.trace[0].detail for c in bad_first) and all(c in out.trace[1].detail for c in bad_second)
    # the retry went out with the stricter prompt: strict rules, the allowed values, the rejected claims
    assert len(llm_server.requests) == 2
    (sys1, sys2), (user1, user2) = llm_server.prompts("system"), llm_server.prompts("user")
    strict_mark, allowed_mark = {"en": ("STRICT MODE", "Allowed values"), "zh": ("严格模式", "允许使用的取值")}[lang]
    assert strict_mark not in sys1 and strict_mark in sys2
    assert allowed_mark not in user1 and allowed_mark in user2 and user2.startswith(user1)
    assert all(repr(c) in user2 for c in bad_first) and "¥109" in user2.split(allowed_mark)[1]
    assert [r["temperature"] for r in llm_server.requests] == [0.7, 0.2]


def test_b_a_strict_retry_that_fixes_the_draft_is_kept(checker, demo_facts, llm_server):
    llm_server.reply(PLANTED["en"][0], GOOD_EN)
    out = _service(checker, llm_server.url).describe(demo_facts[0])
    assert out.backend == "openai" and out.attempts == 2 and not out.fallback and out.text == GOOD_EN
    assert [(a.strict, a.outcome) for a in out.trace] == [(False, "unsupported"), (True, "ok")]


def test_b_compliance_runs_before_the_check(checker, demo_facts, llm_server):
    llm_server.reply("The best Solstice slides ever, ¥109.")
    out = _service(checker, llm_server.url).describe(demo_facts[0])
    assert out.backend == "openai" and out.check.ok and "best" not in out.text.lower() and out.compliance


# ---------------------------------------------------------------------------------------------- (c) failures
def test_c_server_down_is_a_clear_error_and_the_service_falls_back(checker, demo_facts, dead_url):
    gen = OpenAICompatibleGenerator(dead_url, MODEL, timeout=5)
    with pytest.raises(GenerationError) as err:
        gen.complete([{"role": "user", "content": "hi"}], 10, 0.0, 0)
    msg = str(err.value)
    assert f"cannot reach {dead_url}/chat/completions (model '{MODEL}')" in msg and "\n" not in msg
    out = ContentService(gen, checker=checker).describe(demo_facts[0])
    assert out.backend == "template" and out.fallback and out.check.ok and out.attempts == 2
    assert [(a.backend, a.outcome) for a in out.trace] == [("openai", "error"), ("template", "ok")]
    assert "cannot reach" in out.trace[0].detail


@pytest.mark.parametrize(("status", "body", "expected"), [
    (500, "Internal Server Error\nmodel crashed", "answered HTTP 500: Internal Server Error model crashed"),
    (404, '{"error": "model not found"}', "answered HTTP 404"),
    (200, "<html>not json{", "sent malformed JSON"),
    (200, '{"object": "error"}', "sent JSON without choices[0].message.content"),
    (200, '{"choices": [{"message": {"content": null}}]}', "message content that is not text"),
])
def test_c_bad_replies_are_clear_errors(checker, demo_facts, llm_server, status, body, expected):
    llm_server.reply(llm_server.raw(status, body))
    gen = OpenAICompatibleGenerator(llm_server.url, MODEL)
    with pytest.raises(GenerationError) as err:
        gen.generate(ContentService().request("product_description", [demo_facts[0]]))
    msg = str(err.value)
    assert expected in msg and f"{llm_server.url}/chat/completions (model '{MODEL}')" in msg and "\n" not in msg
    out = ContentService(gen, checker=checker).describe(demo_facts[0], lang="zh")
    assert out.backend == "template" and out.fallback and out.check.ok
    assert out.trace[0].outcome == "error" and expected in out.trace[0].detail
    assert len(llm_server.requests) == 2  # no strict retry after a transport error: one call per generate


def test_c_a_timeout_is_a_clear_error(demo_facts, llm_server):
    llm_server.reply(llm_server.raw(200, "{}", delay=1.5))
    gen = OpenAICompatibleGenerator(llm_server.url, MODEL, timeout=0.2)
    with pytest.raises(GenerationError, match=r"no reply from http://127\.0\.0\.1:\d+/v1/chat/completions "
                                              r"\(model 'qwen-test'\) within 0\.2 s"):
        gen.complete([{"role": "user", "content": "hi"}], 10, 0.0, 0)


def test_c_an_empty_completion_is_an_error(demo_facts, llm_server):
    llm_server.reply("Sure!\n\n")
    with pytest.raises(GenerationError, match="wrote no usable product_description"):
        OpenAICompatibleGenerator(llm_server.url, MODEL).generate(
            ContentService().request("product_description", [demo_facts[0]]))


@pytest.mark.parametrize(("raw", "truncated", "fixed"), [
    # Qwen2.5-0.5B, reco_reasons: the tone instruction as the reason
    ("Kumo Cotton Fitted Sheet - Grey, for 1.5 m beds - like a helpful shop assistant.", False,
     "Kumo Cotton Fitted Sheet - Grey, for 1.5 m beds."),
    # Qwen2.5-0.5B, e-mail: a form-letter placeholder
    ("Dear [Shopper's Name],\nThe Kumo sheets are grey.", False, "Dear,\nThe Kumo sheets are grey."),
    ("亲爱的【客户姓名】：\n云织床笠，灰色。", False, "亲爱的：\n云织床笠，灰色。"),
    # Qwen2.5-0.5B, zh headline: a loop
    ("云织床品四件套，云织床品四件套，云织床品四件套，云织床品四件套，", False, "云织床品四件套"),
    # SmolLM2-135M, description cut at max_tokens
    ("I'm here to help with every detail. I'm a 30-minute service that will help you. I'm", True,
     "I'm here to help with every detail. I'm a 30-minute service that will help you."),
    # copy is left alone: short instruction words in it, a cut reply without any full sentence, facts
    ("A grey sheet, warm and friendly to the skin.", False, "A grey sheet, warm and friendly to the skin."),
    ("Grey Kumo sheets for", True, "Grey Kumo sheets for"),
    ("Kumo, grey.", False, "Kumo, grey."),
    # Qwen2.5-0.5B, strict retry: the prompt's own lines instead of copy
    ("Tone: warm and friendly.\nLength.\n\nItem facts:\n- Brand: Kumo\n- Colour: Grey\n\nSoft grey Kumo sheets.",
     False, "Soft grey Kumo sheets."),
    ("Kumo Fitted Sheet - Grey\n- Warm and friendly\n- Breathable", False, "Kumo Fitted Sheet - Grey\n\n- Breathable"),
])
def test_repair(raw, truncated, fixed):
    assert repair(raw, PROMPT, truncated=truncated) == fixed


def test_instruction_fragments_leave_the_facts_out():
    frags = instruction_fragments(PROMPT)
    assert "like a helpful shop assistant" in frags and "the only facts you may use" in frags
    assert not any("kumo" in f or "grey" in f for f in frags)
    assert "warm and friendly" not in frags  # three words: ordinary copy too, dropped only as a whole clause
    assert "warm and friendly" in instruction_fragments(PROMPT, shortest=2)


def test_every_packaged_prompt_has_fragments_and_none_is_a_fact(demo_facts):
    svc = ContentService()
    for lang in ("en", "zh"):
        book = PromptBook.load(lang)
        msgs = book.messages(svc.request("product_description", [demo_facts[0]], lang=lang))
        frags = instruction_fragments(msgs)
        assert len(frags) >= 5
        values = [v.lower() for v in book.facts(svc.request("product_description", [demo_facts[0]], lang=lang))
                  .values()]
        assert not any(f in v or v in f for f in frags for v in values if len(v) > 3), lang


def test_reasons_on_header_and_reason_lines_are_paired(checker, demo_facts, llm_server):
    slate = demo_facts[:2]
    zh = [f.title.get("zh") for f in slate]
    llm_server.reply(f"商品1：{zh[0]}\n理由：舒适。\n商品2：{zh[1]}\n理由：好吃。")
    out = ContentService(OpenAICompatibleGenerator(llm_server.url, "m"), checker=checker).reasons(
        None, slate, lang="zh")
    assert out.parts["reasons"] == {slate[0].item_id: f"{zh[0]}：舒适。", slate[1].item_id: f"{zh[1]}：好吃。"}
    llm_server.reply(f"Item 1: {slate[0].title.get('en')}\nReason: comfortable.\nItem 2:\n{slate[1].title.get('en')}")
    en = ContentService(OpenAICompatibleGenerator(llm_server.url, "m"), checker=checker).reasons(None, slate)
    assert list(en.parts["reasons"].values()) == [f"{slate[0].title.get('en')}: comfortable.",
                                                  slate[1].title.get("en")]


def test_a_reply_cut_at_max_tokens_loses_its_unfinished_sentence(checker, demo_facts, llm_server):
    body = {"choices": [{"index": 0, "finish_reason": "length",
                         "message": {"role": "assistant", "content": "Solstice slides, white. Comfortable and"}}],
            "usage": {"completion_tokens": 12}}
    llm_server.reply(llm_server.raw(200, json.dumps(body)))
    out = ContentService(OpenAICompatibleGenerator(llm_server.url, "m"), checker=checker).describe(demo_facts[0])
    assert out.text == "Solstice slides, white." and out.backend == "openai"


def test_llama_cpp_asks_for_a_repeat_penalty_and_reads_the_finish_reason(checker, demo_facts, monkeypatch,
                                                                         tmp_path):
    model_file = tmp_path / "tiny.gguf"
    model_file.write_bytes(b"GGUF" + bytes(60))
    calls: list[dict] = []

    class Llama:
        def __init__(self, **kwargs):
            pass

        def create_chat_completion(self, **kwargs):
            calls.append(kwargs)
            return {"choices": [{"finish_reason": "length",
                                 "message": {"role": "assistant", "content": "Solstice slides. White and non"}}],
                    "usage": {"completion_tokens": 180}}

    monkeypatch.setitem(sys.modules, "llama_cpp", types.SimpleNamespace(Llama=Llama))
    gen = LlamaCppGenerator(str(model_file), repeat_penalty=1.15)
    out = ContentService(gen, checker=checker).describe(demo_facts[0])
    assert out.text == "Solstice slides." and calls[0]["repeat_penalty"] == 1.15
    assert LlamaCppGenerator(str(model_file)).repeat_penalty == 1.1
