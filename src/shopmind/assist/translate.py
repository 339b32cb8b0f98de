"""Chinese -> English renderings of FAQ entries and questions by the packaged local LLM, for translate-test
matching: the FAQ matcher scores a Chinese question's English rendering against its Chinese entries'
renderings with the English paraphrase model (all-mpnet-base-v2, else all-MiniLM-L6-v2), which ranks English
paraphrases better than any Chinese-capable encoder installed here ranks Chinese ones (docs/assist.md, *Issue
24, tenth session*).

The model is Qwen2.5-Coder-0.5B-Instruct (GGUF, llama.cpp; ``make setup-llm``), run greedily with a few
worked examples (without them a 0.5B model answers the question instead of translating it), so the same text
always gets the same rendering. Renderings are kept in memory and, with a ``path``, in a SQLite file
(``$SHOPMIND_HOME/translations.db`` for :func:`default_translator`), so an FAQ's entries are rendered once, not
on every start. About 0.5-1 s a question on 2 cores.

>>> t = Translator(path=None)                                  # doctest: +SKIP
>>> t.translate(["可以换尺码吗？"])                             # doctest: +SKIP
['Can I change the size?']
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from shopmind.content.backends import GenerationError
from shopmind.content.gguf import locate_gguf
from shopmind.errors import ShopmindError
from shopmind.settings import Settings

logger = logging.getLogger(__name__)

MODEL = "qwen2.5-0.5b"
SYSTEM = ("Translate each Chinese customer message into English. Do not answer it. Output only the English "
          "translation.")
#: Worked examples for the prompt; none is on a topic of the FAQ benchmarks.
SHOTS = (("这件衣服有红色的吗？", "Does this shirt come in red?"), ("你们周末营业吗", "Are you open on weekends?"),
         ("我的电脑开不了机了，怎么办", "My computer won't turn on, what should I do"))
#: Longest rendering in tokens (FAQ answers run to about 80).
MAX_TOKENS = 160
#: Texts longer than this (characters) are cut before rendering (a question or an FAQ answer is far shorter).
MAX_CHARS = 600


class Translator:
    """Chinese -> English by the packaged Qwen2.5-0.5B (see the module docs).

    ``model`` is a known GGUF model name or a ``.gguf`` path (:func:`~shopmind.content.gguf.locate_gguf`);
    ``path`` the SQLite file renderings are kept in (None: memory only). The model is loaded on the first text
    not already rendered; one text is rendered at a time (llama.cpp contexts are not thread-safe).
    """

    name = "qwen2.5-0.5b-zh-en"

    def __init__(self, model: str = MODEL, *, path: Path | None = None, n_threads: int = 2,
                 home: Path | None = None, known: Mapping[str, str] | None = None) -> None:
        self.model = model
        self.path = path
        self.n_threads = n_threads
        self.home = home
        self._llm: Any = None
        #: renderings by :meth:`key`; ``known`` (text -> rendering) starts it, as the sample FAQ's do
        self._memo: dict[str, str] = {self.key(t): r for t, r in (known or {}).items()}
        self._lock = threading.Lock()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            with sqlite3.connect(path) as db:
                db.execute("CREATE TABLE IF NOT EXISTS translations (model TEXT, key TEXT, text TEXT, "
                           "PRIMARY KEY (model, key))")

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode()).hexdigest()

    def _stored(self, keys: Sequence[str]) -> dict[str, str]:
        if self.path is None or not keys:
            return {}
        with sqlite3.connect(self.path) as db:
            marks = ",".join("?" * len(keys))
            rows = db.execute(f"SELECT key, text FROM translations WHERE model = ? AND key IN ({marks})",
                              [self.name, *keys]).fetchall()
        return dict(rows)

    def _store(self, done: dict[str, str]) -> None:
        if self.path is None or not done:
            return
        with sqlite3.connect(self.path) as db:
            db.executemany("INSERT OR REPLACE INTO translations VALUES (?, ?, ?)",
                           [(self.name, k, v) for k, v in done.items()])

    def _load(self) -> Any:
        if self._llm is None:
            import llama_cpp  # lazy: optional (make setup-llm), and 0.5 s to load the model

            self._llm = llama_cpp.Llama(model_path=str(locate_gguf(self.model, home=self.home)), n_ctx=1024,
                                        n_threads=self.n_threads, verbose=False)
        return self._llm

    def _render(self, text: str) -> str:
        messages = [{"role": "system", "content": SYSTEM}]
        for zh, en in SHOTS:
            messages += [{"role": "user", "content": zh}, {"role": "assistant", "content": en}]
        messages.append({"role": "user", "content": text[:MAX_CHARS]})
        doc = self._load().create_chat_completion(messages=messages, max_tokens=MAX_TOKENS, temperature=0.0,
                                                  seed=0)
        lines = (doc["choices"][0]["message"]["content"] or "").strip().splitlines()
        return lines[0].strip().strip('"“”') if lines else ""

    def missing(self, texts: Sequence[str]) -> list[str]:
        """The texts not rendered yet (neither in memory nor in the file): what :meth:`translate` would run
        the model for."""
        keys = [self.key(t) for t in texts]
        with self._lock:
            stored = self._stored([k for k in dict.fromkeys(keys) if k not in self._memo])
            self._memo.update(stored)
            return list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in self._memo))

    def translate(self, texts: Sequence[str]) -> list[str]:
        """The English rendering of each text (from memory, the file, or the model)."""
        keys = [self.key(t) for t in texts]
        with self._lock:
            missing = list(dict.fromkeys(k for k in keys if k not in self._memo))
            self._memo.update(self._stored(missing))
            done: dict[str, str] = {}
            for text, k in zip(texts, keys, strict=True):
                if k not in self._memo:
                    self._memo[k] = done[k] = self._render(text)
            self._store(done)
            if len(self._memo) > 50_000:
                kept = {k: self._memo[k] for k in keys}
                self._memo = kept
            return [self._memo[k] for k in keys]


def default_translator(*, force: bool = False) -> Translator | None:
    """The translator when llama.cpp and the Qwen GGUF parts are installed (``make setup`` and ``make setup-llm``
    install both), renderings kept in ``$SHOPMIND_HOME/translations.db``; else None (Chinese questions scored
    without it). ``SHOPMIND_ASSIST_TRANSLATOR=false`` (:class:`~shopmind.settings.AssistSettings`) turns it
    off unless ``force`` (``--translator qwen``)."""
    settings = Settings.load()
    if not settings.assist.translator and not force:
        logger.info("FAQ answers without the translator: SHOPMIND_ASSIST_TRANSLATOR is false")
        return None
    if importlib.util.find_spec("llama_cpp") is None:
        logger.info("FAQ answers without the translator: llama-cpp-python is not installed (make setup-llm)")
        return None
    try:
        locate_gguf(MODEL, home=settings.home)
    except (GenerationError, ShopmindError, OSError) as exc:
        logger.info("FAQ answers without the translator: %s", exc)
        return None
    return Translator(path=settings.home / "translations.db", home=settings.home, known=sample_renderings())


def sample_renderings() -> dict[str, str]:
    """The renderings of the sample FAQ's Chinese entries (``shopmind assist faq import --sample``, the demo),
    made by this translator and shipped with the package so the demo's first Chinese question does not wait
    for 60 renderings (``resources/sample_faq_renderings.json``; rewritten by ``python
    benchmarks/assist/faq_translate.py sample`` after the prompt or the model changes)."""
    found = resources.files("shopmind.assist").joinpath("resources/sample_faq_renderings.json")
    if not found.is_file():
        return {}
    doc = json.loads(found.read_text(encoding="utf-8"))
    return dict(doc["renderings"]) if doc.get("translator") == Translator.name else {}


def chinese_texts(entries: Sequence[Any]) -> list[str]:
    """The texts of FAQ entries a translator renders: each Chinese entry's question, answer and phrasings."""
    return [t for e in entries if e.lang == "zh" for t in (e.question, e.answer, *e.alternatives)]
