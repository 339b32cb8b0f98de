"""The customer-service side of the shop: FAQ answers with hand-off, and questions about one item.

FAQ entries live in the store (document collection ``faq``, both backends), so an import survives restarts
and every server answers from the same FAQ. With ``log_questions`` (what ``shopmind serve`` does), every FAQ
question is kept in the question log (:mod:`shopmind.assist.questions`): the shop sees what was handed off, the
shoppers' feedback, and teaches a question to the entry that answers it (:meth:`AssistService.teach`).

>>> service = AssistService(store)                                             # doctest: +SKIP
>>> service.import_faq(read_faq("faq.jsonl"))                                  # doctest: +SKIP
>>> service.answer("包邮吗？").answer                                            # doctest: +SKIP
'订单满99元包邮，不满99元收取10元运费。'
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

from shopmind.assist.chat import ShoppingAssistant
from shopmind.assist.faq import FaqAnswer, FaqEntry, FaqMatcher, language
from shopmind.assist.items import answer_item_question
from shopmind.assist.questions import LIMIT, QuestionLog, normalise
from shopmind.assist.translate import Translator, chinese_texts
from shopmind.content.facts import extract_facts
from shopmind.content.grounding import GroundingChecker
from shopmind.errors import DataError, ShopmindError, StoreError, UnknownIdError
from shopmind.search.service import SearchService
from shopmind.storage.base import Store
from shopmind.storage.stamps import read_stamp, stamp
from shopmind.text.encoders import TextEncoder

logger = logging.getLogger(__name__)

COLLECTION = "faq"
#: The FAQ's version stamp (:mod:`shopmind.storage.stamps`; new on every import, deletion or teaching), so that
#: every server and worker on the store rebuilds its matcher after a change made anywhere (another worker, the CLI).
STAMP = "faq"
#: Most alternatives an entry takes (as ``POST /assist/faq`` takes), and the longest question taught.
MAX_ALTERNATIVES, MAX_QUESTION = 50, 2000


class AssistService:
    """FAQ answers and item questions over one store (see the module docs)."""

    def __init__(self, store: Store, encoder: TextEncoder | None = None, *, threshold: float | None = None,
                 search: SearchService | None = None, paraphrase_encoder: TextEncoder | None = None,
                 paraphrase_factory: Callable[[], TextEncoder | None] | None = None,
                 chinese_encoder: TextEncoder | None = None,
                 chinese_factory: Callable[[], TextEncoder | None] | None = None,
                 translator: Translator | None = None,
                 translator_factory: Callable[[], Translator | None] | None = None,
                 coupons: Callable[[str], Sequence[Mapping[str, Any]]] | None = None,
                 log_questions: bool = False, question_limit: int = LIMIT) -> None:
        self.store = store
        #: the question log, always readable; ``log_questions`` decides whether :meth:`answer` writes to it
        self.questions = QuestionLog(store, limit=question_limit)
        self.log_questions = log_questions
        self.encoder = encoder
        self.paraphrase_encoder = paraphrase_encoder
        #: builds the paraphrase encoder with the matcher, on the first question (not at start-up)
        self._paraphrase_factory = paraphrase_factory if paraphrase_encoder is None else None
        #: the Chinese encoder (USE), built the same way
        self.chinese_encoder = chinese_encoder
        self._chinese_factory = chinese_factory if chinese_encoder is None else None
        #: the translator (the local LLM, translate-test for Chinese questions), built the same way
        self.translator = translator
        self._translator_factory = translator_factory if translator is None else None
        self.threshold = threshold
        #: the shopping assistant (needs the search service; ``coupons`` is its coupons tool)
        self.assistant = ShoppingAssistant(search, store, coupons=coupons) if search is not None else None
        self._matcher: FaqMatcher | None = None
        self._matcher_version: str | None = None
        self._lock = threading.Lock()
        self._teach_lock = threading.Lock()
        self._factory_lock = threading.Lock()

    def entries(self) -> list[FaqEntry]:
        return [FaqEntry(key, doc.get("lang") or language(doc["question"]), doc["question"], doc["answer"],
                         doc.get("category"), tuple(doc.get("alternatives") or ()))
                for key, doc in self.store.read_documents(COLLECTION)]

    def import_faq(self, entries: Sequence[FaqEntry], *, replace: bool = False) -> int:
        """Store FAQ entries (by ``faq_id``; ``replace`` drops the old FAQ first) and rebuild the matcher. With a
        translator, its renderings of the Chinese entries start at once in the background (:meth:`prerender`),
        so the next question does not wait for all of them."""
        if replace:
            self.store.delete_documents(COLLECTION)
        n = self.store.put_documents(COLLECTION, {e.faq_id: {k: list(v) if k == "alternatives" else v
                                                             for k, v in asdict(e).items() if k != "faq_id"}
                                                  for e in entries})
        self._changed()
        self.prerender(entries)
        return n

    def _translator(self) -> Translator | None:
        with self._factory_lock:
            if self._translator_factory is not None:
                self.translator, self._translator_factory = self._translator_factory(), None
            return self.translator

    def prerender(self, entries: Sequence[FaqEntry], *, wait: bool = False) -> int:
        """Have the translator render the Chinese entries' texts it has not rendered yet (in a background thread,
        or here with ``wait``); returns how many texts that is (0 without a translator)."""
        # the matcher uses renderings only with e5 and the English paraphrase model
        uses = self.encoder is not None and (self.paraphrase_encoder is not None
                                             or self._paraphrase_factory is not None)
        translator = self._translator() if uses else None
        if translator is None:
            return 0
        todo = translator.missing(chinese_texts(entries))
        if todo and wait:
            translator.translate(todo)
        elif todo:
            threading.Thread(target=self._render_quietly, args=(translator, todo), daemon=True,
                             name="faq-prerender").start()
        return len(todo)

    @staticmethod
    def _render_quietly(translator: Translator, texts: Sequence[str]) -> None:
        try:
            translator.translate(texts)
        except Exception as exc:
            logger.warning("rendering the FAQ's Chinese entries in the background failed: %s", exc)

    def delete_faq(self, faq_ids: Sequence[str]) -> int:
        """Delete FAQ entries by id (unknown ids are ignored); returns how many existed. The matcher is rebuilt
        on the next question."""
        n = self.store.delete_documents(COLLECTION, [str(i) for i in faq_ids])
        self._changed()
        return n

    def _changed(self) -> None:
        """A new FAQ version: this service and every other one on the store rebuild their matcher."""
        stamp(self.store, STAMP)
        with self._lock:
            self._matcher = None

    def matcher(self) -> FaqMatcher:
        """The FAQ matcher, rebuilt when the stored FAQ changed (here or through another service on the store).
        When the store cannot be read, the matcher already built answers (a store outage does not stop answers)."""
        try:
            version = read_stamp(self.store, STAMP)
        except StoreError as exc:
            if self._matcher is None:
                raise
            logger.warning("the FAQ version could not be read, answering with the matcher built before: %s", exc)
            return self._matcher
        with self._lock:
            if self._matcher is None or version != self._matcher_version:
                if self._paraphrase_factory is not None:
                    self.paraphrase_encoder, self._paraphrase_factory = self._paraphrase_factory(), None
                if self._chinese_factory is not None:
                    self.chinese_encoder, self._chinese_factory = self._chinese_factory(), None
                self._translator()
                self._matcher = FaqMatcher(self.entries(), self.encoder, threshold=self.threshold,
                                           paraphrase_encoder=self.paraphrase_encoder,
                                           chinese_encoder=self.chinese_encoder, translator=self.translator)
                self._matcher_version = version
            return self._matcher

    def chat(self, session_id: str, message: str, user_id: str | None = None) -> dict[str, Any]:
        """One turn of the shopping assistant (sessions persist in the store)."""
        if self.assistant is None:
            raise ShopmindError("the shopping assistant needs the search service (AssistService(search=...))")
        return self.assistant.chat(session_id, message, user_id)

    def answer(self, question: str, user_id: str | None = None, item_id: str | None = None, *,
               record: bool = True) -> dict[str, Any]:
        """An FAQ answer, an answer from one item's facts (with ``item_id``), or a hand-off. An FAQ question is
        kept in the question log when the service logs questions and ``record`` is true (its ``question_id`` is
        in the answer, else None); the user id is not kept."""
        if item_id is not None:
            item = self.store.get_item(item_id)
            if item is None:
                raise UnknownIdError("item", item_id)
            a = answer_item_question(question, item)
            report = GroundingChecker.from_items([item]).check(a.text, extract_facts(item))
            return {"kind": "item", "item_id": item_id, "fact": a.fact, "answer": a.text, "stated": a.stated,
                    "handoff": False, "grounded": report.ok}
        found: FaqAnswer = self.matcher().answer(question)
        qid = None
        if self.log_questions and record:
            try:
                qid = self.questions.record(found)
            except StoreError as exc:  # the shopper still gets the answer; the log misses one question
                logger.warning("the question log could not keep a question: %s", exc)
        return {"kind": "faq", "faq_id": found.faq_id, "answer": found.answer, "matched_question":
                found.matched_question, "confidence": found.confidence, "handoff": found.handoff, "lang": found.lang,
                "question_id": qid, "rendering": found.rendering}

    def report(self, *, gaps: int = 20) -> dict[str, Any]:
        """The question log's report (:meth:`QuestionLog.report`); a gap already among the FAQ's questions or
        alternatives (taught since) is left out."""
        known = [t for e in self.entries() for t in (e.question, *e.alternatives)]
        return {"logging": self.log_questions, **self.questions.report(gaps=gaps, known=known)}

    def teach(self, faq_id: str, question: str | None = None, *, question_id: str | None = None) -> FaqEntry:
        """Attach a shopper's question to the entry that answers it: the question (given, or the logged one of
        ``question_id``) becomes one of the entry's ``alternatives`` (unless it already is, or is the entry's
        question), the logged questions with its text leave the gaps, and every matcher on the store is rebuilt
        on its next question. Unknown entries or question ids raise :class:`UnknownIdError`; an empty question
        :class:`DataError`. Teachings in this process are serialised (two editors teaching one entry keep both
        phrasings)."""
        logged = self.questions.get(question_id) if question_id is not None else None
        text = question if question is not None else (logged or {}).get("question", "")
        text = text.replace("\x00", "").strip()  # (PostgreSQL's jsonb takes no NUL)
        if not text:
            raise DataError("must not be empty: give the question, or the question_id of a logged one",
                            field="question", value=question)
        if len(text) > MAX_QUESTION:
            raise DataError(f"is {len(text):,} characters long; at most {MAX_QUESTION:,} are taken", field="question")
        with self._teach_lock:
            doc = self.store.get_document(COLLECTION, str(faq_id))
            if doc is None:
                raise UnknownIdError("faq", str(faq_id))
            alternatives = list(doc.get("alternatives") or [])
            known = {normalise(doc["question"]), *(normalise(a) for a in alternatives)}
            if normalise(text) not in known:
                if len(alternatives) >= MAX_ALTERNATIVES:
                    raise DataError(f"faq {faq_id!r} already has {MAX_ALTERNATIVES} alternatives, the most an entry "
                                    "takes; replace the entry with fewer (POST /assist/faq) first",
                                    field="alternatives")
                alternatives.append(text)
                self.store.put_documents(COLLECTION, {str(faq_id): {**doc, "alternatives": alternatives}})
                self._changed()
        self.questions.mark_taught(str(faq_id), question_id=question_id, text=text)
        return FaqEntry(str(faq_id), doc.get("lang") or language(doc["question"]), doc["question"], doc["answer"],
                        doc.get("category"), tuple(alternatives))
