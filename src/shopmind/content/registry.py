"""Choosing a generation backend by name: ``template``, ``llama-cpp`` or ``openai``.

:class:`~shopmind.settings.LLMSettings` holds what the chat-model backends need; it is read from the
environment once, at the edge (the CLI), and passed down: ``SHOPMIND_LLM_URL``, ``SHOPMIND_LLM_MODEL``,
``SHOPMIND_LLM_API_KEY``.

>>> make_generator("template").name
'template'
>>> gen = make_generator("openai", url="http://127.0.0.1:8080/v1", model="qwen2.5-0.5b")
>>> gen.name, gen.model, gen.url
('openai', 'qwen2.5-0.5b', 'http://127.0.0.1:8080/v1/chat/completions')
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shopmind.content.backends import Generator, TemplateGenerator
from shopmind.content.llamacpp import LlamaCppGenerator
from shopmind.content.openai_compat import OpenAICompatibleGenerator
from shopmind.errors import ParameterError
from shopmind.settings import LLMSettings

#: The backend names :func:`make_generator` knows.
BACKENDS = ("template", "llama-cpp", "openai")
#: The model :class:`~shopmind.content.llamacpp.LlamaCppGenerator` runs when none is named.
DEFAULT_LOCAL_MODEL = "qwen2.5-0.5b"


def make_generator(name: str, settings: LLMSettings | None = None, **opts: Any) -> Generator:
    """The backend called ``name``, configured by ``settings`` and/or keyword options.

    ``template`` takes the :class:`~shopmind.content.backends.TemplateGenerator` options; ``openai`` needs a
    ``url`` and a ``model``; ``llama-cpp`` runs ``model`` (default ``qwen2.5-0.5b``). Extra options (for
    example ``temperature``, ``n_ctx``, ``home``) go to the backend's constructor.
    """
    if name == "template":
        return TemplateGenerator(**opts)
    fields = set(LLMSettings.model_fields)
    s = (settings or LLMSettings()).model_copy(update={k: v for k, v in opts.items() if k in fields})
    extra = {k: v for k, v in opts.items() if k not in fields}
    if name == "openai":

        if not s.url:
            raise ParameterError("make_generator('openai')", "url", s.url,
                                 "the endpoint's base URL (--llm-url or SHOPMIND_LLM_URL), such as "
                                 "'http://127.0.0.1:8080/v1'")
        if not s.model:
            raise ParameterError("make_generator('openai')", "model", s.model,
                                 "the model name the server serves (--llm-model or SHOPMIND_LLM_MODEL)")
        return OpenAICompatibleGenerator(s.url, s.model, api_key=s.api_key, timeout=s.timeout, **extra)
    if name in ("llama-cpp", "llamacpp"):

        model = s.model or DEFAULT_LOCAL_MODEL
        extra.setdefault("home", s.home)
        return LlamaCppGenerator(str(Path(model).expanduser()) if model.endswith(".gguf") else model,
                                 n_threads=s.n_threads, **extra)
    raise ParameterError("make_generator", "name", name, "one of " + ", ".join(repr(b) for b in BACKENDS))
