"""Customer service: `POST /assist/answer` (FAQ with hand-off, or one item's facts)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from shopmind.api.deps import READ
from shopmind.api.errors import ApiError
from shopmind.api.routes.common import ERRORS, NOT_FOUND
from shopmind.assist.service import AssistService

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
    that item's facts only ("not stated" when the catalog does not say); 404 for an unknown item."""
    return assist_service(request).answer(body.question, body.user_id, body.item_id)
