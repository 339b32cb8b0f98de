"""What a generator is asked for and what it returns.

>>> from shopmind.content.facts import extract_facts
>>> req = ContentRequest(content_type="product_description", lang="zh",
...                      items=(extract_facts({"item_id": "sku-1", "title": "Tea"}),))
>>> req.tone, req.length, req.item.item_id
(<Tone.FRIENDLY: 'friendly'>, <Length.MEDIUM: 'medium'>, 'sku-1')
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shopmind.content.compliance import Violation
from shopmind.content.facts import FactSheet, ItemLike, Localised, extract_facts
from shopmind.content.grounding import GroundingReport
from shopmind.content.lexicon import Lang
from shopmind.schema import DEFAULT_EVENT_WEIGHTS


class ContentType(StrEnum):
    """The kinds of copy shopmind writes."""

    PRODUCT_DESCRIPTION = "product_description"
    SELLING_POINTS = "selling_points"
    RECO_HEADLINE = "reco_headline"
    RECO_REASONS = "reco_reasons"
    AD_COPY = "ad_copy"
    EMAIL = "email"
    PUSH = "push"
    REVIEW_SUMMARY = "review_summary"


class Tone(StrEnum):
    FRIENDLY = "friendly"
    PREMIUM = "premium"
    PLAYFUL = "playful"
    CONCISE = "concise"


class Length(StrEnum):
    SHORT = "short"
    MEDIUM = "medium"
    LONG = "long"


#: How history actions are named in copy (event types map onto these).
ACTIONS = ("view", "cart", "purchase", "favorite")
_ACTION_OF = {"add_to_cart": "cart", "purchase": "purchase", "favorite": "favorite", "share": "favorite"}


class Review(BaseModel):
    """One customer review: its text and, when known, its rating (1-5)."""

    model_config = ConfigDict(frozen=True)

    text: str
    rating: float | None = None


class HistoryEntry(BaseModel):
    """One item a user interacted with: the item's facts, what they did, when.

    ``action`` is one of view / cart / purchase / favorite; event types are mapped onto these
    (``add_to_cart`` -> ``cart``, ``click`` -> ``view``).
    """

    model_config = ConfigDict(frozen=True)

    item: FactSheet
    action: str = "view"
    timestamp: datetime | None = None

    @field_validator("action", mode="before")
    @classmethod
    def _action(cls, v: Any) -> str:
        return action_name(str(v))


class UserContext(BaseModel):
    """What personalised copy may use about a user: recent history (newest first) and top interests.

    >>> from shopmind.content.facts import extract_facts
    >>> bag = extract_facts({"item_id": "b", "brand": "Ferro", "category": "Women > Bags > Handbags"})
    >>> u = UserContext.from_history([(bag, "purchase")], user_id="u1")
    >>> u.top_brands[0].en, u.top_categories[0].en, u.history[0].action
    ('Ferro', 'Handbags', 'purchase')
    """

    model_config = ConfigDict(frozen=True)

    user_id: str | None = None
    history: tuple[HistoryEntry, ...] = ()
    top_categories: tuple[Localised, ...] = ()
    top_brands: tuple[Localised, ...] = ()
    segment: str | None = None
    #: The user's usual price range (the customer profile's interquartile range of prices paid), when known.
    price_band: tuple[float, float] | None = None

    @classmethod
    def from_history(cls, history: Sequence[HistoryEntry | tuple[ItemLike, str] | ItemLike], *,
                     user_id: str | None = None, segment: str | None = None, top: int = 3,
                     now: datetime | None = None, price_band: tuple[float, float] | None = None) -> UserContext:
        """Build a context from history entries (newest first): entries, (item, event type) pairs or items.

        Top categories and brands are weighted by event type (purchase > cart > favourite > view) and
        recency.
        """
        entries: list[HistoryEntry] = []
        for h in history:
            if isinstance(h, HistoryEntry):
                entries.append(h)
            elif isinstance(h, tuple):
                entries.append(HistoryEntry(item=extract_facts(h[0], now=now), action=action_name(h[1])))
            else:
                entries.append(HistoryEntry(item=extract_facts(h, now=now)))
        cat_w: dict[str, float] = {}
        brand_w: dict[str, float] = {}
        cat_of: dict[str, Localised] = {}
        brand_of: dict[str, Localised] = {}
        for rank, e in enumerate(entries):
            w = _ACTION_WEIGHT.get(e.action, 0.5) * 0.9 ** rank
            if e.item.category:
                leaf = e.item.category[-1]
                k = leaf.en or leaf.zh or ""
                cat_w[k] = cat_w.get(k, 0.0) + w
                cat_of.setdefault(k, leaf)
            if e.item.brand.en or e.item.brand.zh:
                k = e.item.brand.en or e.item.brand.zh or ""
                brand_w[k] = brand_w.get(k, 0.0) + w
                brand_of.setdefault(k, e.item.brand)
        cats = sorted(cat_w, key=lambda k: (-cat_w[k], k))[:top]
        brands = sorted(brand_w, key=lambda k: (-brand_w[k], k))[:top]
        return cls(user_id=user_id, history=tuple(entries), top_categories=tuple(cat_of[k] for k in cats),
                   top_brands=tuple(brand_of[k] for k in brands), segment=segment, price_band=price_band)

    def segment_key(self) -> str:
        """The cache segment: the explicit segment, else a digest of what personalisation uses."""
        if self.segment:
            return self.segment
        if not self.history:
            return "anonymous"
        basis = "|".join([",".join(c.en or c.zh or "" for c in self.top_categories),
                          ",".join(b.en or b.zh or "" for b in self.top_brands),
                          ",".join(f"{e.item.item_id}:{e.action}" for e in self.history[:3]),
                          f"{self.price_band[0]:g}-{self.price_band[1]:g}" if self.price_band else ""])
        return "h-" + hashlib.sha1(basis.encode("utf-8")).hexdigest()[:10]


_ACTION_WEIGHT = {"purchase": DEFAULT_EVENT_WEIGHTS["purchase"], "cart": DEFAULT_EVENT_WEIGHTS["add_to_cart"],
                  "favorite": DEFAULT_EVENT_WEIGHTS["favorite"], "view": DEFAULT_EVENT_WEIGHTS["view"]}


def action_name(event_type: str) -> str:
    """The copy action of an event type: ``add_to_cart`` -> ``cart``; clicks and views -> ``view``."""
    return _ACTION_OF.get(event_type, event_type if event_type in ACTIONS else "view")


class ContentRequest(BaseModel):
    """One piece of copy to write.

    ``items`` is the item (descriptions, ads, review summaries) or the slate of recommended items
    (headlines, reasons, e-mail, push). ``strict`` asks LLM backends for a stricter prompt on a retry;
    ``rejected_claims`` are the unsupported or contradicted claims of the previous attempt and ``corrections``
    the item's facts the contradicted ones were checked against ("Colour: Grey"): the strict prompt names both,
    so the retry is told what to drop and what to write instead.
    """

    model_config = ConfigDict(frozen=True)

    content_type: ContentType
    lang: Lang = "en"
    tone: Tone = Tone.FRIENDLY
    length: Length = Length.MEDIUM
    items: tuple[FactSheet, ...]
    user: UserContext | None = None
    reviews: tuple[Review, ...] = ()
    variant: int = 0
    seed: int = 0
    #: Slate item id -> the history item id the recommender picked it for (the pipeline's ``because_item_id``):
    #: a reason copy may give even when the two items share no category or brand.
    because: dict[str, str] = Field(default_factory=dict)
    strict: bool = False
    rejected_claims: tuple[str, ...] = ()
    corrections: tuple[str, ...] = ()

    @property
    def item(self) -> FactSheet:
        """The (first) item."""
        return self.items[0]

    def context_facts(self) -> list[FactSheet]:
        """Every item the copy may talk about: the items plus the user's history items."""
        seen: dict[str, FactSheet] = {f.item_id: f for f in self.items}
        if self.user is not None:
            for e in self.user.history:
                seen.setdefault(e.item.item_id, e.item)
        return list(seen.values())


class Attempt(BaseModel):
    """One step of the path an output took: which backend was asked, with which prompt, and the outcome.

    ``outcome`` is ``ok`` (every claim supported), ``unsupported`` (the check found unsupported claims) or
    ``error`` (the backend raised :class:`~shopmind.content.backends.GenerationError`); ``detail`` says why.
    A completed attempt also keeps the ``text`` the backend wrote (before the compliance filter), its number of
    ``claims``, the ``unsupported`` ones (contradicted ones included; those are also in ``contradicted``), the
    compliance ``violations`` found in it, and for chat-model
    backends the call's ``latency_s`` and ``completion_tokens``: what a draft that was replaced looked like.
    """

    backend: str
    model: str | None = None
    strict: bool = False
    outcome: Literal["ok", "unsupported", "error"]
    detail: str = ""
    text: str | None = None
    claims: int | None = None
    unsupported: list[str] = Field(default_factory=list)
    contradicted: list[str] = Field(default_factory=list)
    violations: int = 0
    latency_s: float | None = None
    completion_tokens: int | None = None


class GeneratedText(BaseModel):
    """A piece of copy and its provenance: backend, prompt version, facts used, check and compliance.

    LLM backends also record the ``model``, the ``latency_s`` of the call, the ``completion_tokens`` (when the
    model reports them) and ``tokens_per_s``; ``trace`` lists every attempt the service made (first try,
    strict retry, template fallback), and ``attempts`` / ``fallback`` sum it up.
    """

    content_type: ContentType
    lang: Lang
    tone: Tone
    length: Length
    text: str
    parts: dict[str, Any] = Field(default_factory=dict)
    backend: str
    prompt_version: str
    item_ids: list[str] = Field(default_factory=list)
    user_id: str | None = None
    segment: str | None = None
    facts_used: dict[str, str] = Field(default_factory=dict)
    check: GroundingReport | None = None
    compliance: list[Violation] = Field(default_factory=list)
    attempts: int = 1
    fallback: bool = False
    seed: int = 0
    variant: int = 0
    cache_key: str | None = None
    cache_hit: bool = False
    model: str | None = None
    latency_s: float | None = None
    completion_tokens: int | None = None
    tokens_per_s: float | None = None
    trace: list[Attempt] = Field(default_factory=list)

    def texts(self) -> Iterator[str]:
        """The text and every string part (what the checker and the compliance filter look at)."""
        yield self.text
        yield from _strings(self.parts)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)
