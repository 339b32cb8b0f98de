"""Choosing a generation backend by name, configured by the LLM settings section."""

from __future__ import annotations

import pytest

from shopmind.content import LlamaCppGenerator, OpenAICompatibleGenerator, make_generator
from shopmind.errors import ParameterError
from shopmind.settings import LLMSettings, Settings


def test_make_generator_and_settings_from_env(monkeypatch):
    for name, value in {"SHOPMIND_LLM_URL": "http://10.0.0.1:8000/v1", "SHOPMIND_LLM_MODEL": "m1",
                        "SHOPMIND_LLM_API_KEY": "k"}.items():
        monkeypatch.setenv(name, value)
    settings = Settings.load().llm
    gen = make_generator("openai", settings)
    assert isinstance(gen, OpenAICompatibleGenerator) and (gen.model, gen.api_key) == ("m1", "k")
    assert make_generator("openai", settings, model="m2", timeout=3.0).timeout == 3.0
    assert make_generator("openai", settings, model="m2").model == "m2"
    local = make_generator("llama-cpp", LLMSettings())
    assert isinstance(local, LlamaCppGenerator) and local.model == "qwen2.5-0.5b" and local.n_threads == 2
    assert make_generator("llama-cpp", model="smollm2-135m", n_ctx=1024).n_ctx == 1024
    assert make_generator("template").name == "template"
    with pytest.raises(ParameterError, match="SHOPMIND_LLM_URL"):
        make_generator("openai", LLMSettings())
    with pytest.raises(ParameterError, match="'name' parameter of make_generator must be one of 'template'"):
        make_generator("gpt")
    with pytest.raises(ParameterError, match="base_url"):
        OpenAICompatibleGenerator("localhost:8080", "m")
