"""A chat-model backend for any OpenAI-compatible HTTP endpoint (llama.cpp's server, vLLM, Ollama, ...).

``POST {base_url}/chat/completions`` with the prompt file's messages; the reply's
``choices[0].message.content`` is the copy and ``usage.completion_tokens`` (when present) the token count.
Every failure - connection refused, a timeout, a status other than 200, a body that is not the expected
JSON - is one :class:`~shopmind.content.backends.GenerationError` line naming the URL and the model, so
:class:`~shopmind.content.service.ContentService` falls back to the template backend instead of crashing.

>>> gen = OpenAICompatibleGenerator("http://127.0.0.1:8080/v1/", "qwen2.5-0.5b")
>>> gen.url, gen.name
('http://127.0.0.1:8080/v1/chat/completions', 'openai')
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from shopmind.content.backends import GenerationError
from shopmind.content.lexicon import Lang
from shopmind.content.llm import LLMGenerator, Usage
from shopmind.content.prompt_book import Message, PromptBook
from shopmind.errors import ParameterError, check_float

log = logging.getLogger(__name__)


class OpenAICompatibleGenerator(LLMGenerator):
    """Copy from an OpenAI-compatible chat-completions endpoint.

    Parameters
    ----------
    base_url:
        The API root, such as ``http://127.0.0.1:8080/v1`` (``/chat/completions`` is appended).
    model:
        The model name the server is asked for (and the outputs record).
    api_key:
        Sent as ``Authorization: Bearer <key>`` when given.
    timeout:
        Seconds to wait for a reply.
    temperature, strict_temperature, prompts:
        See :class:`~shopmind.content.llm.LLMGenerator`.
    """

    name = "openai"

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout: float = 60.0, *,
                 temperature: float = 0.7, strict_temperature: float = 0.2,
                 prompts: Mapping[Lang, PromptBook] | None = None) -> None:
        super().__init__(model, temperature=temperature, strict_temperature=strict_temperature, prompts=prompts)
        if not base_url.startswith(("http://", "https://")):
            raise ParameterError("OpenAICompatibleGenerator", "base_url", base_url,
                                 "an http:// or https:// URL such as 'http://127.0.0.1:8080/v1'")
        if not model:
            raise ParameterError("OpenAICompatibleGenerator", "model", model, "a model name")
        check_float("OpenAICompatibleGenerator", "timeout", timeout, low=0.0, low_open=True)
        self.base_url = base_url
        self.api_key = api_key
        self.timeout = timeout
        self._client: httpx.Client | None = None

    @property
    def url(self) -> str:
        return self.base_url.rstrip("/") + "/chat/completions"

    def complete(self, messages: Sequence[Message], max_tokens: int, temperature: float,
                 seed: int) -> tuple[str, Usage]:
        payload = {"model": self.model, "messages": list(messages), "max_tokens": max_tokens,
                   "temperature": temperature, "seed": seed, "stream": False}
        where = f"{self.url} (model {self.model!r})"
        try:
            resp = self._http().post(self.url, json=payload)
        except httpx.ConnectError as e:
            raise GenerationError(f"cannot reach {where}: {_one_line(e) or 'connection refused'}; is the server "
                                  "running? (set --llm-url or SHOPMIND_LLM_URL)") from None
        except httpx.TimeoutException:
            raise GenerationError(f"no reply from {where} within {self.timeout:g} s") from None
        except httpx.HTTPError as e:
            raise GenerationError(f"request to {where} failed: {type(e).__name__}: {_one_line(e)}") from None
        if resp.status_code != 200:
            raise GenerationError(f"{where} answered HTTP {resp.status_code}: {_one_line(resp.text)[:200]}")
        try:
            doc = resp.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise GenerationError(f"{where} sent malformed JSON: {_one_line(resp.text)[:120]!r}") from None
        return _parse(doc, where)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> OpenAICompatibleGenerator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _http(self) -> httpx.Client:
        if self._client is None:
            headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
            self._client = httpx.Client(timeout=self.timeout, headers=headers)
        return self._client


def _parse(doc: Any, where: str) -> tuple[str, Usage]:
    try:
        choice = doc["choices"][0]
        content = choice["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise GenerationError(f"{where} sent JSON without choices[0].message.content: "
                              f"{_one_line(json.dumps(doc, ensure_ascii=False))[:120]}") from None
    if not isinstance(content, str):
        raise GenerationError(f"{where} sent a message content that is not text ({type(content).__name__})")
    usage = doc.get("usage") if isinstance(doc, dict) else None
    usage = usage if isinstance(usage, dict) else {}
    return content, Usage(prompt_tokens=_int(usage.get("prompt_tokens")),
                          completion_tokens=_int(usage.get("completion_tokens")),
                          truncated=isinstance(choice, dict) and choice.get("finish_reason") == "length")


def _int(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _one_line(value: object) -> str:
    return " ".join(str(value).split())
