"""Customer service: `POST /assist/answer` (FAQ with hand-off, or one item's facts), `POST /assist/chat` (the
shopping assistant), and the FAQ itself: `GET /assist/faq`, `POST /assist/faq` (import), `DELETE /assist/faq/{id}`;
what shoppers asked and learning from it: `POST /assist/questions/{id}/feedback`, `GET /assist/questions`,
`GET /assist/questions/report`, `POST /assist/faq/{id}/alternatives` (teach a question to an entry)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field, field_validator

from shopmind.api.deps import READ, WRITE
from shopmind.api.errors import ApiError
from shopmind.api.routes.common import ERRORS, NOT_FOUND
from shopmind.assist.faq import FaqEntry, language
from shopmind.assist.service import AssistService
from shopmind.errors import DataError, UnknownIdError

router = APIRouter(tags=["assist"], responses=ERRORS)


class AnswerIn(BaseModel):
    question: str = Field(min_length=1, max_length=2000)
    user_id: str | None = Field(default=None, max_length=256)
    item_id: str | None = Field(default=None, min_length=1, max_length=256)


def assist_service(request: Request) -> AssistService:
    service: AssistService | None = getattr(request.app.state, "assist", None)
    if service is None:
        raise ApiError(503, "the assistant is not enabled on this server")
    return service


class ChatIn(BaseModel):
    session_id: str = Field(min_length=1, max_length=128)
    message: str = Field(min_length=1, max_length=2000)
    user_id: str | None = Field(default=None, max_length=256)


@router.post("/assist/chat", dependencies=READ)
def chat(body: ChatIn, request: Request) -> dict[str, Any]:
    """One turn of the shopping assistant: it works out what the shopper wants over the turns of a session
    (category, budget, brand, colours, recipient; refinements such as "cheaper", "only Sony", "not black",
    "for my mother"), asks one clarifying question when the need is too vague, and answers with items and
    short reasons built from the items' facts (checked by the grounding checker)."""
    service = assist_service(request)
    if service.assistant is None:
        raise ApiError(503, "the shopping assistant is not enabled on this server (it needs the search index)")
    return service.chat(body.session_id, body.message, body.user_id)


@router.post("/assist/answer", dependencies=READ, responses=NOT_FOUND)
def answer(body: AnswerIn, request: Request) -> dict[str, Any]:
    """The best FAQ answer with its confidence and matched question, or `handoff: true` (a human takes
    over) when confidence is below the calibrated threshold. With `item_id`, the question is answered from
    that item's facts only ("not stated" when the catalog does not say); 404 for an unknown item. An FAQ answer's
    `question_id` names the question in the question log (null when the server does not log questions): send
    the shopper's feedback with it. `rendering`: the local LLM's English rendering of a Chinese question, which
    the match also scored (null for English questions, or when the translator is off or not installed)."""
    return assist_service(request).answer(body.question, body.user_id, body.item_id)


class FaqEntryIn(BaseModel):
    faq_id: str = Field(min_length=1, max_length=128, pattern=r"^[\w.:-]+$")
    question: str = Field(min_length=1, max_length=2000)
    answer: str = Field(min_length=1, max_length=10_000)
    lang: Literal["en", "zh"] | None = Field(default=None, description="Detected from the question when left out.")
    category: str | None = Field(default=None, max_length=200)
    alternatives: list[Annotated[str, Field(min_length=1, max_length=2000)]] = Field(
        default_factory=list, max_length=50,
        description="Other phrasings of the question; a shopper's question is matched against the closest of them.")

    @field_validator("question", "answer")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        if "\x00" in value:
            raise ValueError("must not contain a NUL character")
        return value.strip()

    @field_validator("category")
    @classmethod
    def _no_nul(cls, value: str | None) -> str | None:
        if value is not None and "\x00" in value:
            raise ValueError("must not contain a NUL character")
        return value

    @field_validator("alternatives")
    @classmethod
    def _phrasings(cls, values: list[str]) -> list[str]:
        for i, v in enumerate(values):
            if not v.strip():
                raise ValueError(f"alternatives[{i}] must not be blank")
            if "\x00" in v:
                raise ValueError(f"alternatives[{i}] must not contain a NUL character")
        return [v.strip() for v in values]


class FaqImportIn(BaseModel):
    entries: list[FaqEntryIn] = Field(min_length=1, max_length=10_000)
    replace: bool = Field(default=False, description="Drop the stored FAQ first.")

    @field_validator("entries")
    @classmethod
    def _distinct(cls, entries: list[FaqEntryIn]) -> list[FaqEntryIn]:
        seen: set[str] = set()
        for i, e in enumerate(entries):
            if e.faq_id in seen:
                raise ValueError(f"entries[{i}].faq_id {e.faq_id!r} occurs twice")
            seen.add(e.faq_id)
        return entries


@router.get("/assist/faq", dependencies=READ)
def list_faq(request: Request) -> dict[str, Any]:
    """The stored FAQ entries (what `POST /assist/answer` matches questions against)."""
    entries = assist_service(request).entries()
    return {"count": len(entries), "entries": [{"faq_id": e.faq_id, "lang": e.lang, "category": e.category,
                                                 "question": e.question, "answer": e.answer,
                                                 "alternatives": list(e.alternatives)} for e in entries]}


@router.post("/assist/faq", dependencies=WRITE)
def import_faq(body: FaqImportIn, request: Request) -> dict[str, Any]:
    """Store FAQ entries by `faq_id` (an id already stored is replaced; `replace: true` drops the old FAQ
    first), as `shopmind assist faq import` does. The matcher is rebuilt on the next question."""
    service = assist_service(request)
    entries = [FaqEntry(e.faq_id, e.lang or language(e.question), e.question, e.answer, e.category,
                        tuple(e.alternatives)) for e in body.entries]
    stored = service.import_faq(entries, replace=body.replace)
    return {"stored": stored, "count": len(service.entries())}


@router.delete("/assist/faq/{faq_id}", dependencies=WRITE, responses=NOT_FOUND)
def delete_faq(request: Request, faq_id: str = Path(min_length=1, max_length=128)) -> dict[str, Any]:
    """Delete one FAQ entry (404 when unknown)."""
    if not assist_service(request).delete_faq([faq_id]):
        raise UnknownIdError("faq", faq_id)
    return {"deleted": 1, "faq_id": faq_id}


class FeedbackIn(BaseModel):
    helpful: bool


@router.post("/assist/questions/{question_id}/feedback", dependencies=WRITE, responses=NOT_FOUND)
def feedback(body: FeedbackIn, request: Request,
             question_id: str = Path(min_length=1, max_length=64)) -> dict[str, Any]:
    """Whether an FAQ answer helped the shopper (`question_id` from `POST /assist/answer`; the last word
    counts), sent by the shop's backend with a write key like `POST /events`. Unhelpful answers join the gaps of
    `GET /assist/questions/report`; 404 for an unknown id."""
    return assist_service(request).questions.feedback(question_id, body.helpful)


@router.get("/assist/questions", dependencies=WRITE)
def questions(request: Request, handoff: bool | None = Query(default=None, description=(
        "true: only the handed-off questions; false: only the answered ones; left out: all.")),
              limit: int = Query(default=50, ge=1, le=1000)) -> dict[str, Any]:
    """The questions shoppers asked the FAQ, newest first: the text, language, best entry, confidence,
    hand-off, feedback and whether an editor taught it to an entry (no user id is kept; a shopper may have typed
    personal details into a question, so this needs a write key, like the user export)."""
    service = assist_service(request)
    rows = service.questions.recent(handoff=handoff, limit=limit)
    return {"logging": service.log_questions, "count": len(rows), "questions": rows}


@router.get("/assist/questions/report", dependencies=WRITE)
def questions_report(request: Request, gaps: int = Query(default=20, ge=1, le=200)) -> dict[str, Any]:
    """How the FAQ does with real shoppers: questions answered and handed off, the feedback, the entries asked
    most, and the gaps - handed-off or unhelpful questions not yet taught, grouped by their text, most asked
    first, each with the entry the matcher found closest (a write key: the questions' text is shown)."""
    return assist_service(request).report(gaps=gaps)


class TeachIn(BaseModel):
    question: str | None = Field(default=None, min_length=1, max_length=2000,
                                 description="The phrasing to add; left out: the logged question of question_id.")
    question_id: str | None = Field(default=None, min_length=1, max_length=64,
                                    description="A logged question (from the report's gaps); it leaves the gaps.")


@router.post("/assist/faq/{faq_id}/alternatives", dependencies=WRITE, responses=NOT_FOUND)
def teach(body: TeachIn, request: Request, faq_id: str = Path(min_length=1, max_length=128)) -> dict[str, Any]:
    """Teach a question to the entry that answers it: it becomes one of the entry's alternatives, and the next
    shopper who asks it that way gets the entry's answer. Give `question`, `question_id`, or both; 404 for an
    unknown entry or question id, 422 for neither or for an entry that holds 50 alternatives already."""
    if body.question is None and body.question_id is None:
        raise DataError("give the question to teach, or the question_id of a logged one", field="question")
    entry = assist_service(request).teach(faq_id, body.question, question_id=body.question_id)
    return {"faq_id": entry.faq_id, "question": entry.question, "alternatives": list(entry.alternatives)}
