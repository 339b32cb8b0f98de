"""Repairs of what small chat models write around the copy, each pinned to a reply seen from
Qwen2.5-0.5B or SmolLM2-135M under llama.cpp in the content bench: instructions quoted back, form-letter
placeholders, loops, replies cut at max_tokens, reasons split over header and reason lines."""

from __future__ import annotations

import json
import sys
import types

import pytest

from shopmind.content import ContentService, LlamaCppGenerator, OpenAICompatibleGenerator
from shopmind.content.llm import instruction_fragments, repair
from shopmind.content.prompt_book import PromptBook

PROMPT = [{"role": "system", "content": "Reply with the copy only: no introduction, no notes, no markdown."},
          {"role": "user", "content": "Tone: warm and friendly, like a helpful shop assistant.\n"
                                      "Length: three or four sentences (about 50 to 70 words).\n"
                                      "Item facts (the only facts you may use):\n- Brand: Kumo\n- Colour: Grey"}]


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
