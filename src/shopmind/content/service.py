"""The content service: generate, filter, check, fall back, cache - for one text or a whole catalog.

Every output goes through the same steps: look up the cache; ask the backend; run the compliance filter;
check every claim against the data; on an unsupported claim retry (LLM backends get a stricter prompt)
and finally fall back to the grounded template backend. The output records backend, prompt version,
facts used, the check and the compliance violations.

>>> svc = ContentService()
>>> item = {"item_id": "mug-1", "title": "Homely Ceramic Mug - White, 350 ml", "brand": "Homely",
...         "category": "Home & Kitchen > Kitchen > Mugs", "price": 39.0, "currency": "CNY",
...         "attributes": {"material": "Ceramic", "colour": "White", "capacity": "350 ml"}}
>>> out = svc.describe(item, lang="zh", length="long")
>>> out.text
'给你推荐Homely的Mug。选用陶瓷。白色款。容量：350 ml。售价¥39。'
>>> out.check.summary(), out.backend, out.prompt_version
('4 claims, 0 unsupported', 'template', 'template-zh@1')
>>> svc.describe(item, lang="zh", length="long").cache_hit
True
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from shopmind.content.backends import GenerationError, Generator, TemplateGenerator
from shopmind.content.cache import ContentCache, MemoryCache, cache_key
from shopmind.content.compliance import ComplianceFilter, Violation
from shopmind.content.facts import FactSheet, ItemLike, extract_facts
from shopmind.content.grounding import GroundingChecker
from shopmind.content.lexicon import Lang
from shopmind.content.request import (
    Attempt,
    ContentRequest,
    ContentType,
    GeneratedText,
    HistoryEntry,
    Length,
    Review,
    Tone,
    UserContext,
)
from shopmind.errors import ParameterError, ShopmindError, check_int

log = logging.getLogger(__name__)

UserLike = UserContext | Sequence[HistoryEntry | tuple[ItemLike, str] | ItemLike]
#: Content types that are about one item (batch generation runs over a catalog with these).
ITEM_TYPES = (ContentType.PRODUCT_DESCRIPTION, ContentType.SELLING_POINTS, ContentType.AD_COPY)


@dataclass(frozen=True)
class BatchSummary:
    """What a batch run did."""

    path: Path
    written: int
    skipped: int
    unsupported: int  # texts whose final check still found an unsupported claim
    fallbacks: int
    violations: int
    failed: int = 0  # requests nothing could be written for (an item without any facts); see the log


class ContentService:
    """Generates grounded copy (see the module docstring).

    Parameters
    ----------
    generator:
        The backend (default: :class:`~shopmind.content.backends.TemplateGenerator`); chat-model backends come
        from :func:`~shopmind.content.registry.make_generator` (``"llama-cpp"``, ``"openai"``).
    checker:
        The grounding checker (default: one that knows only the items it is shown; pass
        ``GroundingChecker.from_items(catalog)`` so other brands and categories are recognised).
    compliance:
        The compliance filter (default: the packaged term list).
    cache:
        Where outputs are kept (default: an in-memory LRU cache).
    fallback:
        The backend used when the generator fails or keeps making unsupported claims (default: templates).
    max_attempts:
        Tries of the generator before falling back (a deterministic generator is tried once).
    now:
        The reference time for "new arrival" and running promotions (default: the wall clock).
    """

    def __init__(self, generator: Generator | None = None, checker: GroundingChecker | None = None,
                 compliance: ComplianceFilter | None = None, cache: ContentCache | None = None, *,
                 fallback: Generator | None = None, max_attempts: int = 2, now: datetime | None = None) -> None:
        check_int("ContentService", "max_attempts", max_attempts, low=1)
        self.compliance = compliance if compliance is not None else ComplianceFilter.default()
        self.fallback = fallback if fallback is not None else TemplateGenerator(keep_sentence=self.compliance.is_clean)
        self.generator = generator if generator is not None else self.fallback
        self.checker = checker if checker is not None else GroundingChecker()
        self.cache = cache if cache is not None else MemoryCache()
        self.max_attempts = max_attempts
        self.now = now

    # ------------------------------------------------------------------ building requests
    def facts(self, item: ItemLike) -> FactSheet:
        """The fact sheet of an item record (new-arrival status relative to ``now``)."""
        return extract_facts(item, now=self.now)

    def user(self, user: UserLike | None, *, user_id: str | None = None) -> UserContext | None:
        """A :class:`UserContext` from a context or a history (newest first)."""
        if user is None or isinstance(user, UserContext):
            return user
        entries = [h if isinstance(h, HistoryEntry) else
                   HistoryEntry(item=self.facts(h[0]), action=h[1]) if isinstance(h, tuple) else
                   HistoryEntry(item=self.facts(h)) for h in user]  # actions are mapped by HistoryEntry
        return UserContext.from_history(entries, user_id=user_id)

    def request(self, content_type: ContentType | str, items: Sequence[ItemLike], *, lang: Lang = "en",
                tone: Tone | str = Tone.FRIENDLY, length: Length | str = Length.MEDIUM,
                user: UserLike | None = None, reviews: Sequence[Review] = (), variant: int = 0,
                seed: int = 0) -> ContentRequest:
        """Validate options and build a request."""
        ctype = _enum(ContentType, content_type, "content_type")
        if lang not in ("en", "zh"):
            raise ParameterError("ContentService", "lang", lang, "'en' or 'zh'")
        if not items:
            raise ParameterError("ContentService", "items", list(items), f"at least one item for {ctype.value}")
        return ContentRequest(content_type=ctype, lang=lang, tone=_enum(Tone, tone, "tone"),
                              length=_enum(Length, length, "length"), items=tuple(self.facts(i) for i in items),
                              user=self.user(user), reviews=tuple(reviews), variant=variant, seed=seed)

    # ------------------------------------------------------------------ content types
    def describe(self, item: ItemLike, lang: Lang = "en", tone: Tone | str = Tone.FRIENDLY,
                 length: Length | str = Length.MEDIUM, seed: int = 0) -> GeneratedText:
        """A product description from the item's attributes."""
        return self.generate(self.request(ContentType.PRODUCT_DESCRIPTION, [item], lang=lang, tone=tone,
                                          length=length, seed=seed))

    def selling_points(self, item: ItemLike, lang: Lang = "en", tone: Tone | str = Tone.FRIENDLY,
                       length: Length | str = Length.MEDIUM, seed: int = 0) -> GeneratedText:
        """3-5 selling points (``parts["bullets"]``)."""
        return self.generate(self.request(ContentType.SELLING_POINTS, [item], lang=lang, tone=tone,
                                          length=length, seed=seed))

    def headline(self, user: UserLike | None, slate: Sequence[ItemLike], lang: Lang = "en",
                 tone: Tone | str = Tone.FRIENDLY, seed: int = 0) -> GeneratedText:
        """A personalised headline for a slate, tied to the user's history; one-line reasons per item are in
        ``parts["reasons"]``."""
        return self.generate(self.request(ContentType.RECO_HEADLINE, slate, lang=lang, tone=tone, user=user,
                                          seed=seed))

    def reasons(self, user: UserLike | None, slate: Sequence[ItemLike], lang: Lang = "en",
                tone: Tone | str = Tone.FRIENDLY, seed: int = 0) -> GeneratedText:
        """One line per slate item saying why it is recommended."""
        return self.generate(self.request(ContentType.RECO_REASONS, slate, lang=lang, tone=tone, user=user,
                                          seed=seed))

    def ad_copy(self, item: ItemLike, variants: int = 3, lang: Lang = "en", tone: Tone | str = Tone.FRIENDLY,
                length: Length | str = Length.MEDIUM, seed: int = 0,
                audience: UserContext | None = None) -> list[GeneratedText]:
        """``variants`` different ad texts for one item (duplicates are skipped where the pools allow).
        ``audience`` (a context with ``segment`` set, its top categories and brands, and items it interacts with
        as ``history``) makes the template ads open with a line about what that audience shops."""
        check_int("ContentService.ad_copy", "variants", variants, low=1, high=20)
        out: list[GeneratedText] = []
        seen: set[str] = set()
        v = 0
        while len(out) < variants and v < variants * 4:
            text = self.generate(self.request(ContentType.AD_COPY, [item], lang=lang, tone=tone, length=length,
                                              user=audience, variant=v, seed=seed))
            v += 1
            if text.text not in seen:
                seen.add(text.text)
                out.append(text)
        return out

    def email(self, user: UserLike | None, slate: Sequence[ItemLike], lang: Lang = "en",
              tone: Tone | str = Tone.FRIENDLY, seed: int = 0) -> GeneratedText:
        """A marketing e-mail (``parts["subject"]``, body in ``text``) built from the user's slate."""
        return self.generate(self.request(ContentType.EMAIL, slate, lang=lang, tone=tone, user=user, seed=seed))

    def push(self, user: UserLike | None, slate: Sequence[ItemLike], lang: Lang = "en",
             tone: Tone | str = Tone.FRIENDLY, length: Length | str = Length.MEDIUM, seed: int = 0) -> GeneratedText:
        """A short push message about the first slate item."""
        return self.generate(self.request(ContentType.PUSH, slate, lang=lang, tone=tone, length=length, user=user,
                                          seed=seed))

    def summarise_reviews(self, item: ItemLike, reviews: Sequence[Review | str | Mapping[str, Any]],
                          lang: Lang = "en", seed: int = 0) -> GeneratedText:
        """An extractive summary of an item's reviews (``Review``, plain strings, or dicts with text/rating)."""
        revs = [_review(r) for r in reviews]
        if not revs:
            raise ShopmindError("no reviews to summarise: pass at least one review")
        facts = self.facts(item).with_reviews([r.rating for r in revs], len(revs))
        return self.generate(self.request(ContentType.REVIEW_SUMMARY, [facts], lang=lang, reviews=revs, seed=seed))

    # ------------------------------------------------------------------ the pipeline
    def generate(self, request: ContentRequest) -> GeneratedText:
        """Generate, filter, check, retry, fall back and cache (see the module docstring).

        A backend that is not deterministic gets ``max_attempts`` tries: the first with the normal prompt, the
        others with ``strict=True``, the claims the checker rejected in the previous draft (``rejected_claims``)
        and, for the contradicted ones, the facts they contradict (``corrections``). ``trace`` records each try.
        """
        backend = self.generator
        key = cache_key(request, backend_id(backend), backend.prompt_version(request.lang))
        hit = self.cache.get(key)
        if hit is not None:
            return hit.model_copy(update={"cache_hit": True})
        deterministic = backend is self.fallback or isinstance(backend, TemplateGenerator)
        attempts = 1 if deterministic else self.max_attempts
        result: GeneratedText | None = None
        trace: list[Attempt] = []
        tried = 0
        for attempt in range(1, attempts + 1):
            tried = attempt
            ask = request if attempt == 1 else request.model_copy(update={
                "strict": True, "rejected_claims": _rejected(result), "corrections": _corrections(result)})
            try:
                draft = backend.generate(ask)
            except GenerationError as e:
                log.warning("%s could not write %s (%s); using %s", backend.name, request.content_type.value, e,
                            self.fallback.name)
                trace.append(_attempt(backend, ask, None, str(e)))
                break
            candidate = self._finish(draft, request)
            candidate.attempts = attempt
            trace.append(_attempt(backend, ask, candidate, draft=draft.text))
            result = candidate
            if candidate.check is not None and candidate.check.ok:
                break
            log.info("%s made unsupported claims (attempt %d): %s", backend.name, attempt,
                     candidate.check.summary() if candidate.check else "")
        if result is None or (not deterministic and not (result.check and result.check.ok)):
            draft = self.fallback.generate(request)
            result = self._finish(draft, request)
            result.attempts = tried + 1
            result.fallback = backend is not self.fallback
            trace.append(_attempt(self.fallback, request, result, draft=draft.text))
        if result.check is not None and not result.check.ok:
            log.warning("unsupported claims remain in %s for %s: %s", request.content_type.value,
                        ",".join(result.item_ids), result.check.summary())
        result.trace = trace
        result.cache_key = key
        self.cache.put(key, result)
        return result

    def _finish(self, out: GeneratedText, request: ContentRequest) -> GeneratedText:
        """Apply the compliance filter to every text, then check every claim against the data."""
        context = request.context_facts()
        violations: list[Violation] = []

        def clean(text: str, *, part: bool = True) -> str:
            result = self.compliance.apply(text, facts=context, now=self.now)
            if not part or text not in out.text:  # a part that repeats the text is not a second violation
                violations.extend(result.violations)
            return result.text

        text = clean(out.text, part=False)
        parts = _map_strings(out.parts, clean)
        texts = [text] + [t for t in dict.fromkeys(_strings(parts)) if t and t not in text]
        report = self.checker.check("\n\x00\n".join(texts), context,
                                    extra_evidence=[r.text for r in request.reviews])
        return out.model_copy(update={"text": text, "parts": parts, "check": report, "compliance": violations})

    # ------------------------------------------------------------------ batch
    def batch(self, items: pd.DataFrame | Iterable[ItemLike], out: str | Path, *,
              content_types: Sequence[ContentType | str] = (ContentType.PRODUCT_DESCRIPTION,),
              langs: Sequence[Lang] = ("en", "zh"), tone: Tone | str = Tone.FRIENDLY,
              length: Length | str = Length.MEDIUM, limit: int | None = None, seed: int = 0,
              progress: bool = False) -> BatchSummary:
        """Generate copy for many items into a JSONL file, one record per line; outputs already in the file
        (same cache key) are skipped, so an interrupted run resumes where it stopped."""
        types = [_enum(ContentType, t, "content_types") for t in content_types]
        for t in types:
            if t not in ITEM_TYPES:
                raise ParameterError("ContentService.batch", "content_types", t.value,
                                     "item content types (" + ", ".join(x.value for x in ITEM_TYPES) + ")")
        if limit is not None:
            check_int("ContentService.batch", "limit", limit, low=1)
        records = items.to_dict("records") if isinstance(items, pd.DataFrame) else list(items)
        records = records[:limit] if limit is not None else records
        requests = [self.request(t, [r], lang=lang, tone=tone, length=length, seed=seed)
                    for r in records for t in types for lang in langs]
        return self.batch_requests(requests, out, progress=progress)

    def batch_requests(self, requests: Sequence[ContentRequest], out: str | Path, *,
                       progress: bool = False) -> BatchSummary:
        """Generate any requests into a resumable JSONL file (see :meth:`batch`)."""
        path = Path(out).expanduser()
        done = _written_keys(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        written = skipped = unsupported = fallbacks = violations = failed = 0
        with path.open("a", encoding="utf-8") as fh, _progress(progress, len(requests)) as advance:
            if path.stat().st_size and not _ends_with_newline(path):
                fh.write("\n")  # a line cut by an interrupted run stays apart (and is ignored on read)
            for req in requests:
                key = cache_key(req, backend_id(self.generator), self.generator.prompt_version(req.lang))
                if key in done:
                    skipped += 1
                    advance()
                    continue
                try:
                    result = self.generate(req)
                except ShopmindError as e:
                    log.warning("batch: skipped %s for %s: %s", req.content_type.value,
                                ",".join(f.item_id for f in req.items), e)
                    failed += 1
                    advance()
                    continue
                fh.write(json.dumps(result.model_dump(mode="json", exclude={"cache_hit"}), ensure_ascii=False)
                         + "\n")
                fh.flush()
                done.add(key)
                written += 1
                unsupported += bool(result.check and not result.check.ok)
                fallbacks += result.fallback
                violations += len(result.compliance)
                advance()
        log.info("batch: %d written, %d skipped (already in %s)", written, skipped, path)
        return BatchSummary(path, written, skipped, unsupported, fallbacks, violations, failed)


# ---------------------------------------------------------------------------------------------- helpers
def backend_id(backend: Generator) -> str:
    """What the cache keys a backend by: its name, plus its model for chat-model backends (``openai/qwen``),
    so a batch file written with one model is not taken as done for another."""
    model = getattr(backend, "model", None)
    return f"{backend.name}/{model}" if isinstance(model, str) and model else backend.name


def _attempt(backend: Generator, request: ContentRequest, out: GeneratedText | None, error: str = "", *,
             draft: str | None = None) -> Attempt:
    """One trace step: ``out`` is the filtered and checked output (None when the backend raised ``error``) and
    ``draft`` the text as the backend wrote it."""
    model = getattr(backend, "model", None)
    model = model if isinstance(model, str) else None
    if out is None:
        return Attempt(backend=backend.name, model=model, strict=request.strict, outcome="error", detail=error)
    outcome: Literal["ok", "unsupported", "error"] = "ok" if out.check is None or out.check.ok else "unsupported"
    return Attempt(backend=backend.name, model=model, strict=request.strict, outcome=outcome,
                   detail=out.check.summary() if out.check else "", text=draft,
                   claims=len(out.check.claims) if out.check else None,
                   unsupported=[c.text for c in out.check.unsupported] if out.check else [],
                   contradicted=[c.text for c in out.check.unsupported if c.verdict == "contradicted"]
                   if out.check else [],
                   violations=len(out.compliance), latency_s=out.latency_s, completion_tokens=out.completion_tokens)


def _rejected(out: GeneratedText | None) -> tuple[str, ...]:
    """The unsupported (and contradicted) claims of a draft, for the strict prompt of the next try."""
    if out is None or out.check is None:
        return ()
    return tuple(dict.fromkeys(c.text for c in out.check.unsupported))


def _corrections(out: GeneratedText | None) -> tuple[str, ...]:
    """The item's facts that the contradicted claims of a draft were checked against ("Colour: Grey"), for the
    strict prompt of the next try: what to write instead of the wrong value."""
    if out is None or out.check is None:
        return ()
    return tuple(dict.fromkeys(c.fact for c in out.check.unsupported if c.verdict == "contradicted" and c.fact))


def _enum(kind: Any, value: Any, name: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(repr(e.value) for e in kind)
        raise ParameterError("ContentService", name, value, f"one of {allowed}") from None


def _review(r: Review | str | Mapping[str, Any]) -> Review:
    if isinstance(r, Review):
        return r
    if isinstance(r, str):
        return Review(text=r)
    return Review(text=str(r.get("text", "")), rating=r.get("rating"))


def _map_strings(value: Any, fn: Any) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, dict):
        return {k: _map_strings(v, fn) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_map_strings(v, fn) for v in value)
    return value


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def _written_keys(path: Path) -> set[str]:
    keys: set[str] = set()
    if not path.exists():
        return keys
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                key = json.loads(line).get("cache_key")
            except (json.JSONDecodeError, AttributeError):
                log.warning("%s line %d is not a complete record; it will be written again", path, n)
                continue
            if key:
                keys.add(key)
    return keys


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as fh:
        fh.seek(-1, 2)
        return fh.read(1) == b"\n"


@contextmanager
def _progress(enabled: bool, total: int) -> Iterator[Callable[[], None]]:
    """A rich progress bar on stderr (or nothing); the yielded function advances it by one."""
    if not enabled:
        yield lambda: None
        return

    with Progress(TextColumn("generating"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True)) as bar:
        task = bar.add_task("generate", total=total)
        yield lambda: bar.advance(task)
