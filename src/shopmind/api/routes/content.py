"""Grounded copy over HTTP: `POST /content/{description,headline,ad,email,review-summary,check,audit}` and
`GET /jobs/{job_id}`.

Every generation route answers with the same JSON as the CLI's ``shopmind content ... --json``: a list of
output records (text, parts, backend, prompt version, facts used, the claim check, compliance fixes).
Headlines and e-mails are written over the slate the live pipeline recommends to the user (model, rules,
diversity and exploration included) and say why the items fit from the user's history and profile. Ads are
written for an item or for a customer segment (:class:`~shopmind.marketing.segment_copy.SegmentCopy`).

Scopes: every route here reads (``read``): generation keeps its output only in the server's in-memory copy
cache, as the recommendation routes keep their user cache; nothing is stored. ``?async=true`` runs a request
as a background job (202 with the job's id; poll ``GET /jobs/{id}``); an audit of more than
:data:`AUDIT_SYNC_LINES` lines always does.

The copy cache drops an item's copy when the item changes: an item upsert or delete through the API or an
import through the console calls :meth:`ContentEngine.on_items` (a listener of the pipeline's writer).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Annotated, Any, Literal, cast

import pandas as pd
from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse

from shopmind.api.deps import READ, get_service
from shopmind.api.errors import ApiError
from shopmind.api.jobs import JobRunner, Progress
from shopmind.api.routes.common import ERRORS, NOT_FOUND
from shopmind.content import ContentService, GeneratedText, GroundingChecker, MemoryCache, Review
from shopmind.content.audit import CheckedText, audit_lines, check_text, inline_items, summarise
from shopmind.content.request import ContentType, Length, Tone
from shopmind.errors import ParameterError, ShopmindError, UnknownIdError
from shopmind.marketing.personal_copy import PersonalCopy
from shopmind.marketing.segment_copy import SegmentCopy
from shopmind.pipeline.service import RecommendationService

router = APIRouter(tags=["content"], responses=ERRORS, dependencies=READ)
Service = Annotated[RecommendationService, Depends(get_service)]
Async = Annotated[bool, Query(alias="async", description="Run as a background job: 202 with `job_id`; poll "
                                                          "`GET /jobs/{job_id}`.")]
#: Audits of more lines than this run as jobs.
AUDIT_SYNC_LINES = 100
MAX_AUDIT_LINES = 10_000

Lang = Literal["en", "zh"]
Id = Annotated[str, Field(min_length=1, max_length=256)]
Seed = Annotated[int, Field(strict=True, ge=0, le=2**31 - 1, description="Seed of the phrase variation.")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DescriptionIn(_In):
    item_id: Id
    lang: Lang = "en"
    tone: Tone = Tone.FRIENDLY
    length: Length = Length.MEDIUM
    seed: Seed = 0
    points: bool = Field(strict=True, default=True, description="Also write selling points.")


class SlateIn(_In):
    user_id: Id
    lang: Lang = "en"
    tone: Tone = Tone.FRIENDLY
    k: int = Field(strict=True, default=5, ge=1, le=50, description="Items in the slate.")
    seed: Seed = 0


class EmailIn(SlateIn):
    k: int = Field(strict=True, default=4, ge=1, le=50, description="Items in the slate.")
    push: bool = Field(strict=True, default=False, description="A push message instead of an e-mail.")


class AdIn(_In):
    """Ads for one item (`item_id`) or for a customer segment (`segment`: an id or name from `GET /segments`);
    give exactly one."""

    item_id: Id | None = Field(default=None, description="The item to advertise.")
    segment: Id | None = Field(default=None, description="A customer segment (id such as `topic:0`, or its "
                                                         "name): ads that speak to it, for the items it buys.")
    variants: int = Field(strict=True, default=3, ge=1, le=20)
    lang: Lang = "en"
    tone: Tone = Tone.FRIENDLY
    length: Length = Length.MEDIUM
    seed: Seed = 0


class ReviewIn(_In):
    text: str = Field(min_length=1, max_length=5_000)
    rating: float | None = Field(strict=True, default=None, ge=1, le=5)


class ReviewSummaryIn(_In):
    item_id: Id
    reviews: list[ReviewIn] = Field(min_length=1, max_length=1_000)
    lang: Lang = "en"
    seed: Seed = 0


class CheckIn(_In):
    text: str = Field(min_length=1, max_length=20_000)
    item_ids: list[Id] = Field(min_length=1, max_length=50, description="The items the text is about.")


AttrValue = str | float | bool | list[str]


class InlineItem(_In):
    """An item's facts given inline (the fields of an item record)."""

    item_id: Id
    title: str | None = Field(default=None, max_length=2_000)
    description: str | None = Field(default=None, max_length=20_000)
    brand: str | None = Field(default=None, max_length=256)
    category: str | None = Field(default=None, max_length=1_000)
    price: float | None = Field(strict=True, default=None, ge=0, le=1e12)
    currency: str | None = Field(default=None, min_length=3, max_length=3, pattern="^[A-Z]{3}$")
    attributes: dict[Annotated[str, Field(max_length=128)], AttrValue] = Field(default_factory=dict,
                                                                               max_length=200)


class AuditLine(_In):
    """One text and the item(s) it is about: ``item_id``, ``item_ids`` or the facts inline as ``item`` (a line
    that names none, or an unknown id, gets an error verdict in its place)."""

    text: str = Field(min_length=1, max_length=20_000)
    item_id: Id | None = None
    item_ids: list[Id] | None = Field(default=None, min_length=1, max_length=50)
    item: InlineItem | None = None
    lang: Lang | None = None


class AuditIn(_In):
    lines: list[AuditLine] = Field(min_length=1, max_length=MAX_AUDIT_LINES)


class JobOut(BaseModel):
    job_id: str
    status: str
    url: str


# ---------------------------------------------------------------------------------------------- the engine
class ContentEngine:
    """The server's content service, personal copy, copy cache and job runner, built on first use."""

    def __init__(self, service: RecommendationService) -> None:
        self.service = service
        self.cache = MemoryCache()
        self.jobs = JobRunner()
        self._lock = threading.Lock()
        self._content: ContentService | None = None
        service.writer.item_listeners.append(self.on_items)

    @property
    def content(self) -> ContentService:
        """The content service, with a checker that knows the catalog's brands and categories (rebuilt after
        the catalog changed)."""
        with self._lock:
            if self._content is None:
                checker = GroundingChecker.from_items(self.service.store.items_frame())
                self._content = ContentService(checker=checker, cache=self.cache)
            return self._content

    @property
    def personal(self) -> PersonalCopy:
        return PersonalCopy(self.service.store, self.content, recommender=self.service)

    @property
    def segments(self) -> SegmentCopy:
        return SegmentCopy(self.service.store, self.content)

    def on_items(self, change: str, payload: Any) -> None:
        """An item listener: drop the cached copy of changed or deleted items and rebuild the checker."""
        ids = payload["item_id"].astype(str).tolist() if isinstance(payload, pd.DataFrame) else list(payload)
        self.cache.invalidate_items(ids)
        with self._lock:
            self._content = None

    def item(self, item_id: str) -> dict[str, Any]:
        item = self.service.store.get_item(item_id)
        if item is None:
            raise UnknownIdError("item", item_id)
        return item


def engine(request: Request) -> ContentEngine:
    """The app's content engine (created on the first content request)."""
    state = request.app.state
    with _ENGINE_LOCK:
        found: ContentEngine | None = getattr(state, "content", None)
        if found is None:
            found = ContentEngine(state.service)
            state.content = found
    return found


_ENGINE_LOCK = threading.Lock()
Engine = Annotated[ContentEngine, Depends(engine)]


def _dump(outs: list[GeneratedText]) -> list[dict[str, Any]]:
    return [o.model_dump(mode="json") for o in outs]


def _run(eng: ContentEngine, kind: str, run_async: bool, work: Callable[[Progress], Any]) -> Any:
    """Run ``work`` now, or as a job (202). User mistakes become 422s (unknown ids 404s)."""
    if run_async:
        job = eng.jobs.submit(kind, work)
        return JSONResponse({"job_id": job.job_id, "status": job.status, "url": f"/jobs/{job.job_id}"},
                            status_code=202)
    try:
        return work(Progress.silent())
    except UnknownIdError:
        raise
    except ShopmindError as e:
        raise ApiError(422, str(e)) from None


ASYNC: dict[int | str, dict[str, Any]] = {
    202: {"model": JobOut, "description": "Accepted as a job (`?async=true`): poll `GET /jobs/{job_id}`"}}


# ---------------------------------------------------------------------------------------------- routes
@router.post("/content/description", responses={**NOT_FOUND, **ASYNC})
def description(body: DescriptionIn, eng: Engine, run_async: Async = False) -> Any:
    """A product description (and selling points) from the item's attributes; every claim is checked."""
    item = eng.item(body.item_id)

    def work(progress: Progress) -> list[dict[str, Any]]:
        svc = eng.content
        outs = [svc.describe(item, lang=body.lang, tone=body.tone, length=body.length, seed=body.seed)]
        if body.points:
            outs.append(svc.selling_points(item, lang=body.lang, tone=body.tone, length=body.length,
                                           seed=body.seed))
        return _dump(outs)

    return _run(eng, "description", run_async, work)


@router.post("/content/headline", responses={**NOT_FOUND, **ASYNC})
def headline(body: SlateIn, eng: Engine, run_async: Async = False) -> Any:
    """A personal headline and one-line reasons for the user's current recommendation slate (from the live
    pipeline), tied to their history and profile. `parts.slate_source` is `pipeline`."""
    personal = eng.personal
    personal.history(body.user_id)  # an unknown user is a 404 now, not a failed job

    def work(progress: Progress) -> list[dict[str, Any]]:
        return _dump([personal.headline(body.user_id, k=body.k, lang=body.lang, tone=body.tone, seed=body.seed)])

    return _run(eng, "headline", run_async, work)


@router.post("/content/email", responses={**NOT_FOUND, **ASYNC})
def email(body: EmailIn, eng: Engine, run_async: Async = False) -> Any:
    """A marketing e-mail (`parts.subject`, `parts.preheader`, the body in `text`) or, with
    `push`, a push message, over the user's recommendation slate."""
    personal = eng.personal
    personal.history(body.user_id)
    ctype = ContentType.PUSH if body.push else ContentType.EMAIL

    def work(progress: Progress) -> list[dict[str, Any]]:
        return _dump([personal.write(ctype, body.user_id, k=body.k, lang=body.lang, tone=body.tone,
                                     seed=body.seed)])

    return _run(eng, "email", run_async, work)


@router.post("/content/ad", responses={**NOT_FOUND, **ASYNC})
def ad(body: AdIn, eng: Engine, run_async: Async = False) -> Any:
    """Ad copy variants (for the campaign engine's creatives) for one item, or for a customer segment: the
    segment's top categories, brands and price band are computed from its members' events
    (`parts.audience`), the ads rotate over the items its members interact with most (`parts.featured_item`)
    and open with a line about what the segment shops. Every claim is checked as in item ads."""
    if (body.item_id is None) == (body.segment is None):
        field = "segment" if body.item_id is not None else "item_id"
        raise ApiError(422, "give exactly one of item_id (an item's ads) and segment (a customer segment's ads)",
                       field=field)
    if body.segment is not None:
        segment = body.segment
        copy = eng.segments
        try:
            copy.find(segment)  # an unknown segment is a 404 now, not a failed job
        except ParameterError as e:
            raise ApiError(404, str(e), field="segment") from None

        def segment_work(progress: Progress) -> list[dict[str, Any]]:
            return _dump(copy.ads(segment, variants=body.variants, lang=body.lang, tone=body.tone,
                                  length=body.length, seed=body.seed))

        return _run(eng, "ad", run_async, segment_work)
    item = eng.item(str(body.item_id))

    def work(progress: Progress) -> list[dict[str, Any]]:
        return _dump(eng.content.ad_copy(item, variants=body.variants, lang=body.lang, tone=body.tone,
                                         length=body.length, seed=body.seed))

    return _run(eng, "ad", run_async, work)


@router.post("/content/review-summary", responses={**NOT_FOUND, **ASYNC})
def review_summary(body: ReviewSummaryIn, eng: Engine, run_async: Async = False) -> Any:
    """An extractive summary of an item's reviews: pros and cons (`parts.positive`, `parts.negative`) and
    the average rating."""
    item = eng.item(body.item_id)
    reviews = [Review(text=r.text, rating=r.rating) for r in body.reviews]

    def work(progress: Progress) -> list[dict[str, Any]]:
        return _dump([eng.content.summarise_reviews(item, reviews, lang=body.lang, seed=body.seed)])

    return _run(eng, "review-summary", run_async, work)


@router.post("/content/check", responses=NOT_FOUND)
def check(body: CheckIn, eng: Engine) -> CheckedText:
    """The factual claims of a text, each with the checker's verdict (`supported`; `contradicted`: the data
    states another value; `unsupported`: the data does not state it) and the fact it was checked against, as
    `shopmind content check --json` gives them. `ok` is false when a claim is contradicted or unsupported;
    claims the checker could not judge are left out."""
    items = [eng.item(i) for i in body.item_ids]
    svc = eng.content
    return check_text(body.text, items, svc.checker, now=svc.now)


@router.post("/content/audit", responses={**ASYNC})
def audit(body: AuditIn, eng: Engine, run_async: Async = False) -> Any:
    """Check a batch of existing copy, as `shopmind content audit` does: one result per line, in order
    (`{"line", "ok", "claims", "item_ids"}`, or `ok: false` and an `error` for a line that cannot be checked),
    and a summary (`summary`: lines, ok, flagged, errors, claims by verdict, and by attribute). More than 100
    lines run as a job (202)."""
    lines = [line.model_dump(exclude_none=True) for line in body.lines]

    def work(progress: Progress) -> dict[str, Any]:
        progress.total(len(lines))
        svc = eng.content
        store = eng.service.store
        # the checker knows the catalog; with inline items, those too (as the CLI's audit does)
        inline = inline_items(lines)
        catalog = cast("list[dict[str, Any]]", store.items_frame().to_dict("records")) if inline else []
        checker = None if inline else svc.checker
        results = list(audit_lines(lines, store.get_item, checker, catalog=catalog, now=svc.now,
                                   on_line=lambda _: progress.advance()))
        return {"results": [r.model_dump(mode="json", exclude_none=True) for r in results],
                "summary": summarise(results).model_dump(mode="json")}

    return _run(eng, "audit", run_async or len(lines) > AUDIT_SYNC_LINES, work)


@router.get("/jobs/{job_id}", responses=NOT_FOUND)
def job(job_id: Annotated[str, Path(min_length=1, max_length=64)], eng: Engine) -> dict[str, Any]:
    """A background job: `status` (queued, running, done, failed), `progress` (`done` of `total`), and its
    `result` once done (the JSON the synchronous request would have given) or its `error`."""
    found = eng.jobs.get(job_id)
    if found is None:
        raise ApiError(404, f"unknown job {job_id!r} (jobs are kept in memory, the last 200)", field="job_id")
    return found.as_dict()


__all__ = ["AUDIT_SYNC_LINES", "ContentEngine", "router"]
