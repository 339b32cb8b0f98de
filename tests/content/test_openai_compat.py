"""The chat-model backends over real HTTP (a fake OpenAI-compatible server on 127.0.0.1): recording,
the strict retry, the template fallback, transport errors; the llama.cpp backend with a stand-in module."""

from __future__ import annotations

import httpx

from shopmind.content import (
    ContentService,
    OpenAICompatibleGenerator,
)

MODEL = "qwen-test"


# demo item 0: Solstice (至日) women's PU leather (人造革) slides, white, ¥109, comfortable, non-slip
GOOD_EN = "Meet the Solstice slides in white PU leather, comfortable and non-slip, for ¥109."


def test_api_key_is_sent_as_a_bearer_token(demo_facts, llm_server, monkeypatch):
    seen: list[str | None] = []
    real_post = httpx.Client.post

    def spy(self, url, **kwargs):
        seen.append(self.headers.get("authorization"))
        return real_post(self, url, **kwargs)

    monkeypatch.setattr(httpx.Client, "post", spy)
    llm_server.reply(GOOD_EN)
    with OpenAICompatibleGenerator(llm_server.url, MODEL, api_key="sk-test") as gen:
        gen.generate(ContentService().request("ad_copy", [demo_facts[0]]))
    assert seen == ["Bearer sk-test"]
