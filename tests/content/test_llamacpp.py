"""The chat-model backends over real HTTP (a fake OpenAI-compatible server on 127.0.0.1): recording,
the strict retry, the template fallback, transport errors; the llama.cpp backend with a stand-in module."""

from __future__ import annotations

import sys
import types

import pytest

from shopmind.content import (
    ContentService,
    GenerationError,
    LlamaCppGenerator,
)
from shopmind.content.llamacpp import INSTALL_COMMAND
from shopmind.content.llm import clean_output

# demo item 0: Solstice (至日) women's PU leather (人造革) slides, white, ¥109, comfortable, non-slip
GOOD_EN = "Meet the Solstice slides in white PU leather, comfortable and non-slip, for ¥109."


# ---------------------------------------------------------------------------------------------- llama.cpp
def test_llama_cpp_missing_says_how_to_install(checker, demo_facts, monkeypatch):
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # import llama_cpp raises ImportError
    gen = LlamaCppGenerator("smollm2-135m")
    with pytest.raises(GenerationError) as err:
        gen.generate(ContentService().request("product_description", [demo_facts[0]]))
    assert INSTALL_COMMAND in str(err.value) and "-DGGML_NATIVE=OFF" in INSTALL_COMMAND
    out = ContentService(gen, checker=checker).describe(demo_facts[0])
    assert out.backend == "template" and out.fallback and "llama-cpp-python" in out.trace[0].detail


def test_llama_cpp_backend_with_a_stand_in_module(checker, demo_facts, monkeypatch, tmp_path):
    model_file = tmp_path / "tiny.gguf"
    model_file.write_bytes(b"GGUF" + bytes(60))
    loaded: list[dict] = []
    calls: list[dict] = []

    class Llama:
        def __init__(self, **kwargs):
            loaded.append(kwargs)

        def create_chat_completion(self, **kwargs):
            calls.append(kwargs)
            return {"choices": [{"message": {"role": "assistant", "content": f"```\n{GOOD_EN}\n```"}}],
                    "usage": {"prompt_tokens": 200, "completion_tokens": 17}}

    monkeypatch.setitem(sys.modules, "llama_cpp", types.SimpleNamespace(Llama=Llama))
    gen = LlamaCppGenerator(str(model_file), n_threads=2, n_ctx=2048)
    svc = ContentService(gen, checker=checker)
    out = svc.describe(demo_facts[0])
    assert out.text == GOOD_EN and out.backend == "llama-cpp" and out.check.ok and out.completion_tokens == 17
    assert svc.describe(demo_facts[0], tone="premium").backend == "llama-cpp"  # the model is loaded once
    assert loaded == [{"model_path": str(model_file), "n_threads": 2, "n_ctx": 2048, "verbose": False}]
    assert len(calls) == 2 and calls[0]["messages"][0]["role"] == "system" and calls[0]["max_tokens"] == 180


# ---------------------------------------------------------------------------------------------- cleaning
@pytest.mark.parametrize(("raw", "clean"), [
    ('"Soft white slides."', "Soft white slides."),
    ("Here's a product description for the slides:\n\nSoft white slides.", "Soft white slides."),
    ("Certainly!\n**Soft** white slides.\n\nI hope this helps!", "Soft white slides."),
    ("<think>The user wants copy.</think>\n# Soft white slides", "Soft white slides"),
    ("Headline: “Soft white slides”", "Soft white slides"),
    ("当然！\n以下是商品描述：\n「白色凉拖，舒适防滑。」\n希望你喜欢！", "白色凉拖，舒适防滑。"),
    ("Here is the Solstice slide, made for summer.\nIt is white.", "Here is the Solstice slide, made for summer.\n"
                                                                  "It is white."),  # copy, not a preamble
])
def test_clean_output(raw, clean):
    assert clean_output(raw) == clean
