"""A chat-model backend running a local GGUF model in-process with llama.cpp (``llama-cpp-python``).

The model file comes from an installed PyPI package (see :mod:`shopmind.content.gguf`) or a path; the
``llama_cpp`` module is imported only when the first text is written, so shopmind works without it.

>>> gen = LlamaCppGenerator("smollm2-135m", n_threads=2)
>>> gen.name, gen.model, gen.n_ctx
('llama-cpp', 'smollm2-135m', 4096)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from shopmind.content.backends import GenerationError
from shopmind.content.gguf import locate_gguf
from shopmind.content.lexicon import Lang
from shopmind.content.llm import LLMGenerator, Usage
from shopmind.content.prompt_book import Message, PromptBook
from shopmind.errors import check_float, check_int

log = logging.getLogger(__name__)

#: How to install llama.cpp's Python binding for a portable x86-64 CPU build (no -march=native).
INSTALL_COMMAND = ('CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON '
                   '-DGGML_BMI2=ON" pip install llama-cpp-python')


class LlamaCppGenerator(LLMGenerator):
    """Copy from a GGUF model run by llama.cpp on the CPU.

    Parameters
    ----------
    model:
        ``"qwen2.5-0.5b"`` (Qwen2.5-Coder-0.5B-Instruct Q4_K_M), ``"smollm2-135m"`` or the path of a ``.gguf``.
    n_threads:
        CPU threads for inference.
    n_ctx:
        Context window in tokens (prompt plus completion).
    home:
        Where joined model files are kept (default ``$SHOPMIND_HOME``; see
        :func:`~shopmind.content.gguf.locate_gguf`).
    repeat_penalty:
        llama.cpp's penalty on repeated tokens (1.0: none); small models loop without it.
    temperature, strict_temperature, prompts:
        See :class:`~shopmind.content.llm.LLMGenerator`.
    """

    name = "llama-cpp"

    def __init__(self, model: str = "qwen2.5-0.5b", n_threads: int = 2, n_ctx: int = 4096, *,
                 home: Path | None = None, temperature: float = 0.7, strict_temperature: float = 0.2,
                 repeat_penalty: float = 1.1, prompts: Mapping[Lang, PromptBook] | None = None) -> None:
        super().__init__(str(model), temperature=temperature, strict_temperature=strict_temperature,
                         prompts=prompts)
        check_int("LlamaCppGenerator", "n_threads", n_threads, low=1)
        check_int("LlamaCppGenerator", "n_ctx", n_ctx, low=256)
        check_float("LlamaCppGenerator", "repeat_penalty", repeat_penalty, low=1.0, high=2.0)
        self.n_threads = n_threads
        self.repeat_penalty = repeat_penalty
        self.n_ctx = n_ctx
        self.home = home
        self.model_path_: Path | None = None
        self._llama: Any = None
        self._lock = threading.Lock()  # one llama.cpp context serves one completion at a time

    def complete(self, messages: Sequence[Message], max_tokens: int, temperature: float,
                 seed: int) -> tuple[str, Usage]:
        with self._lock:
            llama = self._load()
            try:
                doc = llama.create_chat_completion(messages=list(messages), max_tokens=max_tokens,
                                                   temperature=temperature, seed=seed,
                                                   repeat_penalty=self.repeat_penalty)
            except (RuntimeError, ValueError) as e:
                raise GenerationError(f"llama.cpp failed on {self.model!r}: {e}") from None
        try:
            choice = doc["choices"][0]
            content = choice["message"]["content"] or ""
        except (KeyError, IndexError, TypeError):
            raise GenerationError(f"llama.cpp returned no message for {self.model!r}") from None
        usage = doc.get("usage") or {}
        return str(content), Usage(prompt_tokens=usage.get("prompt_tokens"),
                                   completion_tokens=usage.get("completion_tokens"),
                                   truncated=choice.get("finish_reason") == "length")

    def prepare(self) -> None:
        with self._lock:
            self._load()

    def _load(self) -> Any:
        if self._llama is not None:
            return self._llama
        try:
            import llama_cpp  # lazy: optional (make setup-llm)
        except ImportError:
            raise GenerationError("the llama-cpp backend needs llama-cpp-python, which is not installed: "
                                  f"{INSTALL_COMMAND}") from None
        path = locate_gguf(self.model, home=self.home)
        log.info("loading %s with llama.cpp (%d threads, context %d)", path, self.n_threads, self.n_ctx)
        try:
            self._llama = llama_cpp.Llama(model_path=str(path), n_threads=self.n_threads, n_ctx=self.n_ctx,
                                          verbose=False)
        except (RuntimeError, ValueError, OSError) as e:
            raise GenerationError(f"llama.cpp could not load {path}: {e}") from None
        self.model_path_ = path
        return self._llama
