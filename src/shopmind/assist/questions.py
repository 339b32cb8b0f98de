"""What shoppers asked the FAQ, and learning from it: the question log, feedback, the gaps, and teaching.

Every question ``POST /assist/answer`` matches against the FAQ is kept (document collection
``assist_questions``, both backends): the text, its language, the best entry, the confidence and whether it was
handed off. The answer carries the log entry's ``question_id``; the shopper's widget can then say whether the
answer helped (:meth:`QuestionLog.feedback`). The log holds **no user id** (the question's text is all it
keeps), so it is not personal data the erasure has to find; its length is bounded (:data:`LIMIT` questions, the
oldest dropped first).

What the shop does with it:

* :meth:`QuestionLog.report` - how many questions were answered and handed off, the feedback, the entries asked
  most, and the *gaps*: questions handed off (or answered but marked unhelpful), grouped by their normalised
  text, most asked first, with the entry the matcher found closest.
* teaching (:meth:`shopmind.assist.service.AssistService.teach`) - an editor attaches a question to the entry
  that answers it; the question becomes one of the entry's ``alternatives``, and the next shopper who asks it
  that way gets the answer (``benchmarks/assist/faq_teach.py`` measures what that buys on unseen questions).

>>> from shopmind.storage import open_store
>>> from shopmind.assist.faq import FaqAnswer
>>> log = QuestionLog(open_store("sqlite:///:memory:"))
>>> qid = log.record(FaqAnswer("can I pay by cheque", None, "", None, 0.2, True, "en", candidate_id="pay"))
>>> log.report()["handed_off"], log.report()["gaps"][0]["question"]
(1, 'can I pay by cheque')
"""

from __future__ import annotations

import re
import secrets
import threading
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from shopmind.assist.faq import FaqAnswer
from shopmind.errors import ParameterError, UnknownIdError
from shopmind.storage.base import Store

COLLECTION = "assist_questions"
#: Questions kept; above it the oldest are dropped (checked every :data:`TRIM_EVERY` questions).
LIMIT = 10_000
TRIM_EVERY = 100
#: Gaps listed by :meth:`QuestionLog.report`.
GAPS = 20
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


def normalise(question: str) -> str:
    """The text questions are grouped by: NFKC, case-folded, punctuation and spacing collapsed ("Can I pay by
    cheque?" and "can i pay by cheque" are one gap).

    >>> normalise("  Can I pay by CHEQUE?? "), normalise("能用支票付款吗？")
    ('can i pay by cheque', '能用支票付款吗')
    """
    return _PUNCT.sub(" ", unicodedata.normalize("NFKC", question).casefold()).strip()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class QuestionLog:
    """The log of FAQ questions in ``store`` (see the module docs); ``limit`` bounds how many are kept."""

    def __init__(self, store: Store, *, limit: int = LIMIT) -> None:
        if limit < 1:
            raise ParameterError("QuestionLog", "limit", limit, "an int >= 1")
        self.store = store
        self.limit = limit
        self._written = 0
        self._lock = threading.Lock()

    def record(self, found: FaqAnswer) -> str:
        """Keep one matched question; returns its ``question_id`` (time-ordered)."""
        qid = f"q{time.time_ns() // 1000:x}{secrets.token_hex(3)}"
        # (PostgreSQL's jsonb takes no NUL character)
        self.store.put_documents(COLLECTION, {qid: {
            "question": found.question.replace("\x00", ""), "lang": found.lang, "faq_id": found.faq_id,
            "candidate_id": found.candidate_id, "confidence": round(float(found.confidence), 4),
            "handoff": bool(found.handoff), "asked_at": _now()}})
        with self._lock:
            self._written += 1
            trim = self._written % TRIM_EVERY == 0
        if trim:
            self.trim()
        return qid

    def trim(self) -> int:
        """Drop the oldest questions above the limit; returns how many were dropped."""
        keys = self.store.list_documents(COLLECTION)
        extra = len(keys) - self.limit
        return self.store.delete_documents(COLLECTION, keys[:extra]) if extra > 0 else 0

    def get(self, question_id: str) -> dict[str, Any]:
        doc = self.store.get_document(COLLECTION, str(question_id))
        if doc is None:
            raise UnknownIdError("question", str(question_id))
        return {"question_id": str(question_id), **doc}

    def feedback(self, question_id: str, helpful: bool) -> dict[str, Any]:
        """The shopper's word on an answer (the last one counts); unknown ids raise :class:`UnknownIdError`."""
        doc = self.get(question_id)
        doc.update(helpful=bool(helpful), feedback_at=_now())
        self._put(doc)
        return doc

    def mark_taught(self, faq_id: str, *, question_id: str | None = None, text: str | None = None) -> int:
        """Note that an editor attached a question to ``faq_id``: the logged question ``question_id`` and every
        logged question with the same normalised text (``text``, or the logged question's) leave the gaps.
        Returns how many were marked; an unknown ``question_id`` raises :class:`UnknownIdError`."""
        key = normalise(text if text is not None else self.get(str(question_id))["question"])
        marked = {"taught_to": str(faq_id), "taught_at": _now()}
        changed = {qid: {**doc, **marked} for qid, doc in self.store.read_documents(COLLECTION)
                   if qid == question_id or (key and normalise(doc["question"]) == key)}
        if changed:
            self.store.put_documents(COLLECTION, changed)
        return len(changed)

    def _put(self, doc: dict[str, Any]) -> None:
        self.store.put_documents(COLLECTION, {doc["question_id"]: {k: v for k, v in doc.items()
                                                                    if k != "question_id"}})

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Every kept question, oldest first (one read of the store)."""
        for key, doc in self.store.read_documents(COLLECTION):
            yield {"question_id": key, **doc}

    def __len__(self) -> int:
        return len(self.store.list_documents(COLLECTION))

    def recent(self, *, handoff: bool | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """The newest questions first (only the handed-off ones with ``handoff=True``, only the answered ones
        with ``False``)."""
        if limit < 1:
            raise ParameterError("QuestionLog.recent", "limit", limit, "an int >= 1")
        out: list[dict[str, Any]] = []
        for doc in reversed(list(self)):
            if handoff is not None and bool(doc.get("handoff")) != handoff:
                continue
            out.append(doc)
            if len(out) >= limit:
                break
        return out

    def report(self, *, gaps: int = GAPS, known: Iterable[str] = ()) -> dict[str, Any]:
        """Counts, feedback, the entries asked most and the gaps (see the module docs); a handed-off question
        whose text is ``known`` (among the FAQ's questions and alternatives: taught since) is not a gap."""
        docs = list(self)
        # a question taught once leaves the gaps however often it was asked that way
        taught_texts = {normalise(d["question"]) for d in docs if d.get("taught_to")} | {normalise(k) for k in known}
        total = answered = helpful = unhelpful = 0
        by_entry: dict[str, Counter[str]] = defaultdict(Counter)
        groups: dict[str, dict[str, Any]] = {}
        for doc in docs:
            total += 1
            if not doc.get("handoff"):
                answered += 1
                by_entry[str(doc.get("faq_id"))]["answered"] += 1
            if "helpful" in doc:
                helpful += bool(doc["helpful"])
                unhelpful += not doc["helpful"]
                if not doc.get("handoff"):
                    by_entry[str(doc.get("faq_id"))]["helpful" if doc["helpful"] else "not_helpful"] += 1
            key = normalise(doc["question"]) or doc["question"]
            # handed off and not taught since; or answered and marked unhelpful after the last teaching of it (the
            # answer itself may be wrong)
            gap = (doc.get("handoff") and key not in taught_texts) or \
                (doc.get("helpful") is False and (not doc.get("taught_to")
                                                  or str(doc.get("feedback_at")) > str(doc.get("taught_at"))))
            if not gap:
                continue
            g = groups.setdefault(key, {"question": doc["question"], "count": 0, "handed_off": 0,
                                        "not_helpful": 0, "lang": doc.get("lang"), "closest": Counter()})
            g["count"] += 1
            g["handed_off"] += bool(doc.get("handoff"))
            g["not_helpful"] += doc.get("helpful") is False
            g.update(question=doc["question"], question_id=doc["question_id"], last_asked=doc.get("asked_at"))
            if doc.get("candidate_id"):
                g["closest"][doc["candidate_id"]] += 1
        # most asked first; among equals, the most recently asked
        listed = sorted(groups.values(), key=lambda g: str(g.get("last_asked")), reverse=True)
        listed = sorted(listed, key=lambda g: -g["count"])[:gaps]
        for g in listed:
            closest = g.pop("closest")
            g["closest_faq_id"] = closest.most_common(1)[0][0] if closest else None
        entries: list[dict[str, Any]] = [
            {"faq_id": k, **{f: int(v.get(f, 0)) for f in ("answered", "helpful", "not_helpful")}}
            for k, v in by_entry.items()]
        entries.sort(key=lambda e: (-int(e["answered"]), str(e["faq_id"])))
        rated = helpful + unhelpful
        return {"questions": total, "answered": answered, "handed_off": total - answered,
                "handoff_rate": round((total - answered) / total, 4) if total else None,
                "feedback": {"helpful": helpful, "not_helpful": unhelpful,
                             "helpful_rate": round(helpful / rated, 4) if rated else None},
                "taught": sum(1 for d in docs if d.get("taught_to")), "entries": entries, "gaps": listed}
