"""Assistant: try the shopping assistant (a chat, one turn per ``POST /admin/assist/chat``, what
``POST /assist/chat`` answers through the same :class:`~shopmind.assist.service.AssistService`), and the FAQ: how
many entries are stored, a question tried against them (``POST /assist/answer``'s answer: the matched question,
the answer, the confidence, the hand-off; a question tried here is not logged) and the first entries; and what
shoppers asked (``GET /assist/questions/report``): the counts, the feedback and the gaps, each with a form that
teaches it to an entry (``POST /assist/faq/{id}/alternatives``; a ``write`` key). A ``write`` key also adds or
replaces an entry (the fields of ``POST /assist/faq``, checked by the same model) and deletes one.

The chat's session id is made when the page is rendered, so each browser page holds one conversation (its need
is kept in the store's ``assist_sessions`` like a shopper's); reloading the page starts a new one. Neither form
changes shop data, so any signed-in key may send them (the REST API answers them for a ``read`` key); they carry
the session's CSRF token like every console form.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from shopmind.api.routes.assist import FaqEntryIn
from shopmind.assist.faq import FaqEntry, language
from shopmind.assist.service import AssistService
from shopmind.errors import ShopmindError, UnknownIdError
from shopmind.web.console import Page, Refused, actor, render, sender, viewer
from shopmind.web.sessions import Session

router = APIRouter(dependencies=[Depends(viewer)])
#: FAQ entries listed on the page, and the gaps (questions to teach).
LISTED, GAPS = 100, 20
#: Longest message or question taken, as ``POST /assist/chat`` and ``POST /assist/answer`` take; longest session
#: and user id.
MAX_TEXT, MAX_SESSION, MAX_USER = 2000, 128, 256
#: What the console's chat sessions are named by (a random suffix per page).
SESSION_PREFIX = "console-"


def assist_of(request: Request) -> AssistService | None:
    """The server's assist service (``app.state.assist``; None when the server runs without it)."""
    service: AssistService | None = getattr(request.app.state, "assist", None)
    return service


def _enabled(request: Request) -> AssistService:
    assist = assist_of(request)
    if assist is None:
        raise Refused(503, "The assistant is not enabled on this server.")
    return assist


def _text(form: dict[str, str], name: str, what: str, limit: int = MAX_TEXT) -> str:
    """A required text field of the form, stripped; a clear message when it is empty or too long."""
    text = form.get(name, "").strip()
    if not text:
        raise Refused(422, f"Type a {what} first.")
    if len(text) > limit:
        raise Refused(422, f"The {what} is {len(text):,} characters long; the assistant takes at most {limit:,}.")
    return text


async def _form(request: Request) -> dict[str, str]:
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


@router.get("/admin/assist", response_class=HTMLResponse)
def assist_page(request: Request, session: Session = Depends(viewer)) -> HTMLResponse:
    assist = assist_of(request)
    if assist is None:
        return render(request, "assist.html", enabled=False)
    entries = sorted(assist.entries(), key=lambda e: e.faq_id)
    # the shoppers' questions (their text may hold personal details) are for write keys, as over REST
    return render(request, "assist.html", enabled=True, chat=assist.assistant is not None,
                  session_id=SESSION_PREFIX + secrets.token_hex(8), faq_count=len(entries), faq=entries[:LISTED],
                  listed=LISTED, max_text=MAX_TEXT, report=assist.report(gaps=GAPS) if session.can_act else None,
                  faq_ids=[e.faq_id for e in entries])


@router.post("/admin/assist/chat", response_class=HTMLResponse, dependencies=[Depends(sender)])
async def chat(request: Request) -> HTMLResponse:
    """One turn of the shopping assistant: the shopper's message and the reply, appended to the conversation."""
    assist = _enabled(request)
    if assist.assistant is None:
        raise Refused(503, "The shopping assistant needs the search index, and this server has none.")
    form = await _form(request)
    message = _text(form, "message", "message")
    session_id = form.get("session_id", "").strip()
    if not session_id or len(session_id) > MAX_SESSION:
        raise Refused(422, "This conversation has no valid session id: reload the page to start a new one.")
    user_id = form.get("user_id", "").strip() or None
    if user_id is not None and len(user_id) > MAX_USER:
        raise Refused(422, f"A user id has at most {MAX_USER} characters.")
    try:
        turn: dict[str, Any] = await run_in_threadpool(assist.chat, session_id, message, user_id)
    except ShopmindError as exc:
        raise Refused(422, str(exc)) from None
    return render(request, "partials/assist_turn.html", message=message, turn=turn, user_id=user_id)


@router.post("/admin/assist/answer", response_class=HTMLResponse, dependencies=[Depends(sender)])
async def answer(request: Request) -> HTMLResponse:
    """A question tried against the FAQ: the best entry with its confidence, or the hand-off."""
    assist = _enabled(request)
    question = _text(await _form(request), "question", "question")
    try:
        found: dict[str, Any] = await run_in_threadpool(lambda: assist.answer(question, record=False))
    except ShopmindError as exc:
        raise Refused(422, str(exc)) from None
    return render(request, "partials/assist_answer.html", question=question, found=found)


@router.post("/admin/assist/teach", response_class=HTMLResponse, dependencies=[Depends(actor)])
async def teach(request: Request) -> HTMLResponse:
    """Teach a logged question (a gap) to the entry chosen for it: the question becomes one of its phrasings."""
    assist = _enabled(request)
    form = await _form(request)
    question_id, faq_id = form.get("question_id", "").strip(), form.get("faq_id", "").strip()
    if not question_id:
        raise Refused(422, "This gap has no question id: reload the page.")
    if not faq_id:
        raise Refused(422, "Choose the entry that answers the question first.")
    try:
        entry = await run_in_threadpool(lambda: assist.teach(faq_id, question_id=question_id))
    except UnknownIdError as exc:
        raise Refused(404, f"{exc}: reload the page (the entry or the question may have been deleted).") from None
    except ShopmindError as exc:
        raise Refused(422, str(exc)) from None
    return render(request, "partials/assist_taught.html", entry=entry)


@router.post("/admin/assist/faq", response_class=HTMLResponse, dependencies=[Depends(actor)])
async def save_entry(request: Request) -> Response:
    """Add an FAQ entry, or replace the one with the same id; the page reloads with it."""
    assist = _enabled(request)
    form = await _form(request)
    fields = {k: form.get(k, "").strip() for k in ("faq_id", "lang", "category", "question", "answer")}
    alternatives = [line.strip() for line in form.get("alternatives", "").splitlines() if line.strip()]
    try:
        entry = FaqEntryIn.model_validate({**{k: v for k, v in fields.items() if v}, "alternatives": alternatives})
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"]) or "the entry"
        raise Refused(422, f"{where}: {problem['msg']}.") from None
    await run_in_threadpool(lambda: assist.import_faq([FaqEntry(
        entry.faq_id, entry.lang or language(entry.question), entry.question, entry.answer, entry.category,
        tuple(entry.alternatives))]))
    return Response(status_code=200, headers={"HX-Refresh": "true"})


@router.post("/admin/assist/faq/delete", response_class=HTMLResponse, dependencies=[Depends(actor)])
async def delete_entry(request: Request) -> Response:
    """Delete the FAQ entry named by the form's ``faq_id`` (a form field: an id may hold any character)."""
    assist = _enabled(request)
    faq_id = (await _form(request)).get("faq_id", "")
    if not faq_id or not await run_in_threadpool(assist.delete_faq, [faq_id]):
        raise Refused(404, f"There is no FAQ entry {faq_id!r} (deleted already?): reload the page.")
    return Response(status_code=200, headers={"HX-Refresh": "true"})


PAGE = Page("/admin/assist", "Assistant", router)
