"""The customer-service side of the shop: FAQ answers with hand-off, and questions about one item.

FAQ entries live in the store (document collection ``faq``, both backends), so an import survives restarts
and every server answers from the same FAQ.

>>> service = AssistService(store)                                             # doctest: +SKIP
>>> service.import_faq(read_faq("faq.jsonl"))                                  # doctest: +SKIP
>>> service.answer("包邮吗？").answer                                            # doctest: +SKIP
'订单满99元包邮，不满99元收取10元运费。'
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

from shopmind.assist.chat import ShoppingAssistant
from shopmind.assist.faq import FaqAnswer, FaqEntry, FaqMatcher, language
from shopmind.assist.items import answer_item_question
from shopmind.content.facts import extract_facts
from shopmind.content.grounding import GroundingChecker
from shopmind.errors import ShopmindError, UnknownIdError
from shopmind.search.service import SearchService
from shopmind.storage.base import Store
from shopmind.text.encoders import TextEncoder

COLLECTION = "faq"


class AssistService:
    """FAQ answers and item questions over one store (see the module docs)."""

    def __init__(self, store: Store, encoder: TextEncoder | None = None, *, threshold: float | None = None,
                 search: SearchService | None = None, paraphrase_encoder: TextEncoder | None = None,
                 paraphrase_factory: Callable[[], TextEncoder | None] | None = None,
                 chinese_encoder: TextEncoder | None = None,
                 chinese_factory: Callable[[], TextEncoder | None] | None = None,
                 coupons: Callable[[str], Sequence[Mapping[str, Any]]] | None = None) -> None:
        self.store = store
        self.encoder = encoder
        self.paraphrase_encoder = paraphrase_encoder
        #: builds the paraphrase encoder with the matcher, on the first question (not at start-up)
        self._paraphrase_factory = paraphrase_factory if paraphrase_encoder is None else None
        #: the Chinese encoder (USE), built the same way
        self.chinese_encoder = chinese_encoder
        self._chinese_factory = chinese_factory if chinese_encoder is None else None
        self.threshold = threshold
        #: the shopping assistant (needs the search service; ``coupons`` is its coupons tool)
        self.assistant = ShoppingAssistant(search, store, coupons=coupons) if search is not None else None
        self._matcher: FaqMatcher | None = None
        self._lock = threading.Lock()

    def entries(self) -> list[FaqEntry]:
        out = []
        for key in self.store.list_documents(COLLECTION):
            doc = self.store.get_document(COLLECTION, key)
            if doc is not None:
                out.append(FaqEntry(key, doc.get("lang") or language(doc["question"]), doc["question"],
                                    doc["answer"], doc.get("category"), tuple(doc.get("alternatives") or ())))
        return out

    def import_faq(self, entries: Sequence[FaqEntry], *, replace: bool = False) -> int:
        """Store FAQ entries (by ``faq_id``; ``replace`` drops the old FAQ first) and rebuild the matcher."""
        if replace:
            self.store.delete_documents(COLLECTION)
        n = self.store.put_documents(COLLECTION, {e.faq_id: {k: list(v) if k == "alternatives" else v
                                                             for k, v in asdict(e).items() if k != "faq_id"}
                                                  for e in entries})
        with self._lock:
            self._matcher = None
        return n

    def delete_faq(self, faq_ids: Sequence[str]) -> int:
        """Delete FAQ entries by id (unknown ids are ignored); returns how many existed. The matcher is rebuilt
        on the next question."""
        n = self.store.delete_documents(COLLECTION, [str(i) for i in faq_ids])
        with self._lock:
            self._matcher = None
        return n

    def matcher(self) -> FaqMatcher:
        with self._lock:
            if self._matcher is None:
                if self._paraphrase_factory is not None:
                    self.paraphrase_encoder, self._paraphrase_factory = self._paraphrase_factory(), None
                if self._chinese_factory is not None:
                    self.chinese_encoder, self._chinese_factory = self._chinese_factory(), None
                self._matcher = FaqMatcher(self.entries(), self.encoder, threshold=self.threshold,
                                           paraphrase_encoder=self.paraphrase_encoder,
                                           chinese_encoder=self.chinese_encoder)
            return self._matcher

    def chat(self, session_id: str, message: str, user_id: str | None = None) -> dict[str, Any]:
        """One turn of the shopping assistant (sessions persist in the store)."""
        if self.assistant is None:
            raise ShopmindError("the shopping assistant needs the search service (AssistService(search=...))")
        return self.assistant.chat(session_id, message, user_id)

    def answer(self, question: str, user_id: str | None = None, item_id: str | None = None) -> dict[str, Any]:
        """An FAQ answer, an answer from one item's facts (with ``item_id``), or a hand-off."""
        if item_id is not None:
            item = self.store.get_item(item_id)
            if item is None:
                raise UnknownIdError("item", item_id)
            a = answer_item_question(question, item)
            report = GroundingChecker.from_items([item]).check(a.text, extract_facts(item))
            return {"kind": "item", "item_id": item_id, "fact": a.fact, "answer": a.text, "stated": a.stated,
                    "handoff": False, "grounded": report.ok}
        found: FaqAnswer = self.matcher().answer(question)
        return {"kind": "faq", "faq_id": found.faq_id, "answer": found.answer, "matched_question":
                found.matched_question, "confidence": found.confidence, "handoff": found.handoff, "lang": found.lang}
