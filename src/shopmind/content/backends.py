"""Generation backends behind one small contract, and the deterministic grounded template backend.

Every backend honours :class:`Generator`: ``generate(request) -> GeneratedText``, plus a ``name`` and the
``prompt_version`` it used (for cache keys and output records). The chat-model backends (local GGUF models
in :mod:`~shopmind.content.llamacpp`, OpenAI-compatible endpoints in :mod:`~shopmind.content.openai_compat`,
both on :class:`~shopmind.content.llm.LLMGenerator`) honour it too; :class:`~shopmind.content.service.ContentService`
checks what any backend writes and falls back to :class:`TemplateGenerator`, which only ever fills
template slots from the data and so never states anything the data does not hold.

>>> from shopmind.content.facts import extract_facts
>>> from shopmind.content.request import ContentRequest
>>> item = extract_facts({"item_id": "t1", "title": "Misty Peak Oolong Tea - 250 g", "brand": "Misty Peak",
...                       "price": 128, "currency": "CNY", "attributes": {"product_type": "Oolong Tea",
...                       "weight": "250 g", "features": ["Hand-Picked"], "origin": "Fujian, China"}})
>>> gen = TemplateGenerator()
>>> out = gen.generate(ContentRequest(content_type="product_description", items=(item,), length="long"))
>>> out.backend, out.prompt_version, "250 g" in out.text, out.facts_used["origin"]
('template', 'template-en@1', True, 'Fujian, China')
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from shopmind.content.facts import FactSheet
from shopmind.content.lexicon import Lang
from shopmind.content.request import ContentRequest, ContentType, GeneratedText, HistoryEntry
from shopmind.content.reviews import summarise
from shopmind.content.slots import anchor_name, item_slots, join_list
from shopmind.content.templates import TemplateBook, stable_rng
from shopmind.errors import ShopmindError

log = logging.getLogger(__name__)


class GenerationError(ShopmindError):
    """A backend could not write the requested copy (model missing, endpoint down, nothing to say)."""


@runtime_checkable
class Generator(Protocol):
    """The contract every backend honours."""

    name: str

    def prompt_version(self, lang: Lang) -> str:
        """The version of the prompt / template set used for ``lang``."""
        ...

    def generate(self, request: ContentRequest) -> GeneratedText:
        """Write the requested copy. Raise :class:`GenerationError` when it cannot."""
        ...


@dataclass(frozen=True)
class _Link:
    """Why a slate item fits the user: an anchor item, a liked brand, a browsed category, or nothing."""

    kind: str  # anchor | brand | category | new_in
    score: float
    key: str
    anchor: HistoryEntry | None = None


_ACTION_BONUS = {"purchase": 0.6, "cart": 0.4, "favorite": 0.3, "view": 0.0}
_KIND_ORDER = {"anchor": 0, "brand": 1, "new_in": 2, "category": 3}


class TemplateGenerator:
    """Grounded data-to-text copy from template files (``prompts/template_<lang>.toml``).

    Parameters
    ----------
    books:
        Template books per language (default: the packaged ones).
    keep_sentence:
        A veto for review sentences to quote (the service passes its compliance filter's ``is_clean``).
    """

    name = "template"

    def __init__(self, books: Mapping[Lang, TemplateBook] | None = None,
                 keep_sentence: Callable[[str], bool] | None = None) -> None:
        self.books = dict(books) if books is not None else {}
        self.keep_sentence = keep_sentence

    def book(self, lang: Lang) -> TemplateBook:
        if lang not in self.books:
            self.books[lang] = TemplateBook.load(lang)
        return self.books[lang]

    def prompt_version(self, lang: Lang) -> str:
        return self.book(lang).version

    def generate(self, request: ContentRequest) -> GeneratedText:
        if not request.items:
            raise GenerationError(f"a {request.content_type.value} request needs at least one item")
        handler = {
            ContentType.PRODUCT_DESCRIPTION: self._description,
            ContentType.SELLING_POINTS: self._selling_points,
            ContentType.RECO_HEADLINE: self._headline,
            ContentType.RECO_REASONS: self._reasons,
            ContentType.AD_COPY: self._ad,
            ContentType.EMAIL: self._email,
            ContentType.PUSH: self._push,
            ContentType.REVIEW_SUMMARY: self._review_summary,
        }[request.content_type]
        text, parts, used = handler(request)
        if not text.strip():
            raise GenerationError(f"item {request.item.item_id!r} has no title, brand or attributes to write "
                                  f"a {request.content_type.value} from")
        return GeneratedText(
            content_type=request.content_type, lang=request.lang, tone=request.tone, length=request.length,
            text=text, parts=parts, backend=self.name, prompt_version=self.prompt_version(request.lang),
            item_ids=[f.item_id for f in request.items],
            user_id=request.user.user_id if request.user else None,
            segment=request.user.segment_key() if request.user else None,
            facts_used=used, seed=request.seed, variant=request.variant)

    # ------------------------------------------------------------------ single item
    def _parts(self, req: ContentRequest, item: FactSheet, names: list[str], *, offset: int = 0,
               vary: bool = True) -> tuple[list[str], dict[str, str]]:
        book = self.book(req.lang)
        slots = item_slots(item, req.lang)
        texts: list[str] = []
        used: dict[str, str] = {}
        ctype = req.content_type.value
        for part in names:
            rng = stable_rng(req.seed, item.item_id, ctype, part, req.tone, req.variant if vary else 0)
            got = book.render(ctype, part, req.tone.value, slots, rng, offset=offset)
            if got is not None:
                texts.append(got[0])
                used.update(got[1])
        return texts, used

    def _description(self, req: ContentRequest) -> tuple[str, dict[str, Any], dict[str, str]]:
        book = self.book(req.lang)
        names = book.setting("product_description", "lengths")[req.length.value]
        texts, used = self._parts(req, req.item, names)
        return book.joiner.join(texts), {}, used

    def _selling_points(self, req: ContentRequest) -> tuple[str, dict[str, Any], dict[str, str]]:
        book = self.book(req.lang)
        count = book.setting("selling_points", "counts")[req.length.value]
        slots = item_slots(req.item, req.lang)
        bullets: list[str] = []
        used: dict[str, str] = {}
        for part in book.setting("selling_points", "order"):
            if part == "price" and "price" in used:  # the discount bullet already gives the price
                continue
            values: list[str | None] = [None]
            if part == "feature":
                values = [f.get(req.lang) for f in req.item.features if f.get(req.lang)][:2]
            for k, value in enumerate(values):
                s = dict(slots, feature=value) if value is not None else slots
                rng = stable_rng(req.seed, req.item.item_id, "selling_points", part, k, req.tone, req.variant)
                got = book.render("selling_points", part, req.tone.value, s, rng)
                if got is not None and len(bullets) < count:
                    bullets.append(got[0])
                    used.update(got[1])
        mark = book.setting("selling_points", "bullet", "- ")
        return "\n".join(mark + b for b in bullets), {"bullets": bullets}, used

    def _ad(self, req: ContentRequest) -> tuple[str, dict[str, Any], dict[str, str]]:
        book = self.book(req.lang)
        names = book.setting("ad_copy", "lengths")[req.length.value]
        texts, used = self._parts(req, req.item, names, offset=req.variant, vary=False)
        audience = self._audience_line(req)
        if audience is not None:  # an ad for an audience (a segment) opens with what that audience shops
            texts.insert(0, audience[0])
            used.update(audience[1])
        return book.joiner.join(texts), {}, used

    def _audience_line(self, req: ContentRequest) -> tuple[str, dict[str, str]] | None:
        """The opening of an ad written for an audience (``req.user`` with ``segment`` set, such as a customer
        segment): its top categories and brands, each backed by an item of ``req.user.history`` (the items
        that audience interacts with), so the checker can verify them."""
        user = req.user
        if user is None or not user.segment or not (user.top_categories or user.top_brands):
            return None
        cats: list[tuple[str, str]] = []  # (name, the history item that has it)
        for c in user.top_categories[:2]:
            entry = next((h for h in user.history if h.item.category and _leaf_key(h.item) == (c.en or c.zh)), None)
            if entry is not None and (name := entry.item.leaf(req.lang)):
                cats.append((name, entry.item.item_id))
        brands: list[tuple[str, str]] = []
        for b in user.top_brands[:2]:
            entry = next((h for h in user.history if _brand_key(h.item) and _brand_key(h.item) == (b.en or b.zh)),
                         None)
            if entry is not None and (name := entry.item.brand.get(req.lang)):
                brands.append((name, entry.item.item_id))
        slots = {"categories": join_list([n for n, _ in cats], req.lang) if cats else None,
                 "brands": join_list([n for n, _ in brands], req.lang) if brands else None}
        rng = stable_rng(req.seed, "audience", user.segment, req.item.item_id, req.tone, req.variant)
        got = self.book(req.lang).render("ad_copy", "audience", req.tone.value, slots, rng, offset=req.variant)
        if got is None:
            return None
        used = {f"{i}.category": n for n, i in cats if "categories" in got[1]}
        used.update({f"{i}.brand": n for n, i in brands if "brands" in got[1]})
        return got[0], used

    def _review_summary(self, req: ContentRequest) -> tuple[str, dict[str, Any], dict[str, str]]:
        if not req.reviews:
            raise GenerationError(f"item {req.item.item_id!r} has no reviews to summarise")
        book = self.book(req.lang)
        pick = summarise(req.reviews, keep=self.keep_sentence)
        n = pick.count
        slots: dict[str, Any] = {
            "n": str(n), "n_reviews": f"{n} review" + ("" if n == 1 else "s"),
            "avg": f"{pick.average:.1f}" if pick.average is not None else None,
            "pos": pick.positive, "neg": pick.negative,
        }
        parts = ["overview" if pick.average is not None else "overview_unrated",
                 "positive" if pick.positive else "none_positive",
                 "negative" if pick.negative else "none_negative"]
        texts: list[str] = []
        used: dict[str, str] = {}
        for part in parts:
            rng = stable_rng(req.seed, req.item.item_id, "review_summary", part, req.variant)
            got = book.render("review_summary", part, req.tone.value, slots, rng)
            if got is not None:
                texts.append(got[0])
                used.update(got[1])
        extra = {"positive": pick.positive, "negative": pick.negative, "reviews": n,
                 "average_rating": None if pick.average is None else round(pick.average, 2)}
        return book.joiner.join(texts), extra, used

    # ------------------------------------------------------------------ personalised (slates)
    def _links(self, req: ContentRequest) -> list[_Link | None]:
        """The best reason each slate item fits the user (None: nothing in the history links to it)."""
        user = req.user
        out: list[_Link | None] = []
        for item in req.items:
            best: _Link | None = None
            if user is not None:
                cands: list[_Link] = []
                for rank, h in enumerate(user.history[:8]):
                    if h.item.item_id == item.item_id:
                        continue
                    bonus = _ACTION_BONUS.get(h.action, 0.0) - 0.1 * rank
                    if item.category and h.item.category and _leaf_key(item) == _leaf_key(h.item):
                        cands.append(_Link("anchor", 2.0 + bonus, h.item.item_id, h))
                    elif _brand_key(item) and _brand_key(item) == _brand_key(h.item):
                        cands.append(_Link("brand", 1.8 + bonus, _brand_key(item), h))
                if _brand_key(item) in {b.en or b.zh for b in user.top_brands}:
                    cands.append(_Link("brand", 1.6, _brand_key(item)))
                if _leaf_key(item) in {c.en or c.zh for c in user.top_categories}:
                    cands.append(_Link("new_in" if item.is_new else "category", 1.7 if item.is_new else 1.5,
                                       _leaf_key(item)))
                because = req.because.get(item.item_id)
                anchor = next((h for h in user.history if h.item.item_id == because), None)
                if not cands and anchor is not None:  # the recommender's own reason: picked for this history item
                    cands.append(_Link("anchor", 1.0 + _ACTION_BONUS.get(anchor.action, 0.0), anchor.item.item_id,
                                       anchor))
                if cands:
                    best = max(cands, key=lambda c: (c.score, -_KIND_ORDER[c.kind]))
            out.append(best)
        return out

    def _link_slots(self, link: _Link, item: FactSheet, lang: Lang) -> tuple[list[str], dict[str, str | None]]:
        """The pools to try (most specific first) and the slots for a link."""
        slots = item_slots(item, lang)
        pools = [link.kind]
        if link.anchor is not None:
            slots["anchor"] = anchor_name(link.anchor.item, lang)
            action = link.anchor.action
            pools = [f"because_{action}", "because_view"] if link.kind == "anchor" else [f"{link.kind}_{action}",
                                                                                         link.kind]
        return pools, slots

    def _render_first(self, lang: Lang, ctype: str, pools: list[str], tone: str, slots: Mapping[str, Any],
                      rng: random.Random) -> tuple[str, dict[str, str]] | None:
        book = self.book(lang)
        for pool in pools:
            got = book.render(ctype, pool, tone, slots, rng)
            if got is not None:
                return got
        return None

    def _headline_text(self, req: ContentRequest, links: list[_Link | None], *, profile: bool = True
                       ) -> tuple[str, dict[str, Any], dict[str, str]]:
        """The headline: why the slate fits (an anchor, a liked brand or category), then, where the language's
        book has a ``reco_headline.profile`` pool, a clause naming what else the user has been browsing."""
        text, theme, used = self._main_headline(req, links)
        if not profile or theme["theme"] == "generic":
            return text, theme, used
        clause = self._profile_clause(req, text, theme)
        if clause is None:
            return text, theme, used
        book = self.book(req.lang)
        joiner = book.setting("reco_headline", "profile_joiner", ", ")
        if book.setting("reco_headline", "clause_mark") and book.setting("reco_headline", "clause_mark") in text:
            joiner = book.setting("reco_headline", "profile_joiner_after_clause", joiner)  # "…的你，再看看这些；…"
        return f"{text}{joiner}{clause[0]}", {**theme, "profile_items": clause[2]}, {**used, **clause[1]}

    def _profile_clause(self, req: ContentRequest, headline: str, theme: Mapping[str, Any]
                        ) -> tuple[str, dict[str, str], list[str]] | None:
        """What else the user has been browsing, as brand + product type of up to ``profile_items`` history
        items: one per top category not named yet (most recent first), then the most recent others. Only
        history facts, so it is true of the user; the slate was computed from that history."""
        book = self.book(req.lang)
        if req.user is None or not req.user.history or not book.pool("reco_headline", "profile", req.tone.value):
            return None
        limit = int(book.setting("reco_headline", "profile_items", 2))
        skip = {theme.get("anchor_item"), theme.get("featured_item")}
        named: set[str] = set()
        picked: list[tuple[HistoryEntry, str]] = []

        def take(entry: HistoryEntry) -> None:
            name = anchor_name(entry.item, req.lang)
            if (len(picked) >= limit or entry.item.item_id in skip or not name or name in named
                    or name in headline):
                return
            named.add(name)
            picked.append((entry, name))

        for cat in req.user.top_categories:
            key = cat.en or cat.zh
            entry = next((h for h in req.user.history if h.item.category and _leaf_key(h.item) == key), None)
            if entry is not None:
                take(entry)
        for entry in req.user.history:
            take(entry)
        if not picked:
            return None
        names = [n for _, n in picked]
        rng = stable_rng(req.seed, "profile", req.user.segment_key(), req.tone, req.variant)
        got = book.render("reco_headline", "profile", req.tone.value, {"interests": join_list(names, req.lang)}, rng)
        if got is None:
            return None
        used = {f"{e.item.item_id}.anchor": n for e, n in picked}
        return got[0], used, [e.item.item_id for e, _ in picked]

    def _main_headline(self, req: ContentRequest, links: list[_Link | None]
                       ) -> tuple[str, dict[str, Any], dict[str, str]]:
        book = self.book(req.lang)
        totals: dict[tuple[str, str], float] = {}
        first: dict[tuple[str, str], tuple[_Link, FactSheet]] = {}
        for link, item in zip(links, req.items, strict=True):
            if link is None:
                continue
            k = (link.kind, link.key)
            totals[k] = totals.get(k, 0.0) + link.score
            first.setdefault(k, (link, item))
        rng = stable_rng(req.seed, "headline", req.user.segment_key() if req.user else "", req.tone, req.variant)
        if totals:
            best = min(totals, key=lambda k: (-totals[k], _KIND_ORDER[k[0]], k[1]))
            link, item = first[best]
            pools, slots = self._link_slots(link, item, req.lang)
            got = self._render_first(req.lang, "reco_headline", pools, req.tone.value, slots, rng)
            if got is not None:
                used = {f"{_owner(k, link, item)}.{k}": v for k, v in got[1].items()}
                theme = {"theme": link.kind, "anchor_item": link.anchor.item.item_id if link.anchor else None,
                         "featured_item": item.item_id}
                return got[0], theme, used
        if req.user is not None and req.user.history:
            interest = self._interest_headline(req, rng)
            if interest is not None:
                return interest
        got = book.render("reco_headline", "generic", req.tone.value, {}, rng)
        theme = {"theme": "generic", "anchor_item": None, "featured_item": req.items[0].item_id}
        return (got[0] if got else ""), theme, {}

    def _interest_headline(self, req: ContentRequest, rng: random.Random
                           ) -> tuple[str, dict[str, Any], dict[str, str]] | None:
        """A headline for a user with a history when no slate item shares a category or brand with it: it names
        what they browse (true of the user) and says the picks go beyond it (true of the slate)."""
        if req.user is None or not req.user.history:
            return None
        entry = req.user.history[0]
        for h in req.user.history:  # the most recent item of the top category
            if req.user.top_categories and h.item.category and _leaf_key(h.item) == (
                    req.user.top_categories[0].en or req.user.top_categories[0].zh):
                entry = h
                break
        slots = item_slots(entry.item, req.lang)
        slots["anchor"] = anchor_name(entry.item, req.lang)
        got = self._render_first(req.lang, "reco_headline", ["beyond_category", f"after_{entry.action}",
                                                             "after_view"], req.tone.value, slots, rng)
        if got is None:
            return None
        used = {f"{entry.item.item_id}.{k}": v for k, v in got[1].items()}
        return got[0], {"theme": "interest", "anchor_item": entry.item.item_id,
                        "featured_item": req.items[0].item_id}, used

    def _reason_lines(self, req: ContentRequest, links: list[_Link | None]
                      ) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
        """Per slate item: (line with the item's name, the bare reason)."""
        book = self.book(req.lang)
        line = book.setting("reco_reasons", "line", "{title}: {reason}")
        reasons: dict[str, tuple[str, str]] = {}
        used: dict[str, str] = {}
        for link, item in zip(links, req.items, strict=True):
            rng = stable_rng(req.seed, item.item_id, "reason", req.tone, req.variant)
            got = None
            pools = ["facts", "generic"]
            if link is not None:
                link_pools, slots = self._link_slots(link, item, req.lang)
                pools = link_pools + pools
            else:
                slots = item_slots(item, req.lang)
                band = req.user.price_band if req.user is not None else None
                if band is not None and item.price is not None and band[0] <= item.price <= band[1]:
                    pools = ["price_band", *pools]
            got = self._render_first(req.lang, "reco_reasons", pools, req.tone.value, slots, rng)
            if got is None:
                continue
            title = slots.get("product_brand") or slots.get("title") or item.item_id
            reasons[item.item_id] = (line.format(title=title, reason=got[0]), got[0])
            used.update({f"{_owner(k, link, item)}.{k}": v for k, v in got[1].items()})
            used[f"{item.item_id}.title"] = str(title)
        return reasons, used

    def _headline(self, req: ContentRequest) -> tuple[str, dict[str, Any], dict[str, str]]:
        links = self._links(req)
        headline, theme, used = self._headline_text(req, links)
        reasons, used_r = self._reason_lines(req, links)
        return headline, {**theme, "reasons": {k: v[0] for k, v in reasons.items()}}, {**used, **used_r}

    def _reasons(self, req: ContentRequest) -> tuple[str, dict[str, Any], dict[str, str]]:
        reasons, used = self._reason_lines(req, self._links(req))
        lines = {k: v[0] for k, v in reasons.items()}
        return "\n".join(lines.values()), {"reasons": lines}, used

    def _email(self, req: ContentRequest) -> tuple[str, dict[str, Any], dict[str, str]]:
        book = self.book(req.lang)
        links = self._links(req)
        headline, theme, used = self._headline_text(req, links)
        reasons, used_r = self._reason_lines(req, links)
        used.update(used_r)
        rng = stable_rng(req.seed, "email", req.user.segment_key() if req.user else "", req.tone, req.variant)
        personal = any(link is not None for link in links)
        lines: list[str] = []
        preheader = ""
        for part in ("greeting", "intro_personal" if personal else "intro_generic"):
            if (got := book.render("email", part, req.tone.value, {}, rng)) is not None:
                lines.append(got[0])
                preheader = got[0] if part != "greeting" else preheader
        lines.append("")
        for item in req.items:
            slots = item_slots(item, req.lang)
            slots["reason"] = reasons[item.item_id][1] if item.item_id in reasons else None
            got = book.render("email", "item_line", req.tone.value, slots, rng)
            if got is None:
                got = book.render("email", "item_line", req.tone.value,
                                  {**slots, "price": slots["price"] or "-", "reason": slots["reason"] or ""}, rng)
            if got is not None:
                lines.append(got[0].rstrip())
                used.update({f"{item.item_id}.{k}": v for k, v in got[1].items() if k not in ("reason",)})
        lines.append("")
        if (got := book.render("email", "outro", req.tone.value, {}, rng)) is not None:
            lines.append(got[0])
        subject = book.setting("email", "subject", "{headline}").format(headline=headline)
        body = "\n".join(lines)
        return body, {"subject": subject, "preheader": preheader, **theme,
                      "reasons": {k: v[0] for k, v in reasons.items()}}, used

    def _push(self, req: ContentRequest) -> tuple[str, dict[str, Any], dict[str, str]]:
        book = self.book(req.lang)
        links = self._links(req)
        headline, theme, used = self._headline_text(req, links, profile=False)  # a push is short
        max_chars = book.setting("push", "max_chars")[req.length.value]
        featured = next(f for f in req.items if f.item_id == theme["featured_item"])  # the item the theme is about
        slots = item_slots(featured, req.lang)
        slots["headline"] = headline
        rng = stable_rng(req.seed, "push", featured.item_id, req.tone, req.variant)
        got = book.render("push", "message", req.tone.value, slots, rng, max_chars=max_chars)
        text = got[0] if got else headline  # never cut a text mid-claim
        if got:
            used.update({f"{featured.item_id}.{k}": v for k, v in got[1].items() if k != "headline"})
        return text, {**theme, "headline": headline}, used


def _leaf_key(f: FactSheet) -> str:
    return (f.category[-1].en or f.category[-1].zh or "") if f.category else ""


def _brand_key(f: FactSheet) -> str:
    return f.brand.en or f.brand.zh or ""


def _owner(slot: str, link: _Link | None, item: FactSheet) -> str:
    """Whose fact a slot is: the anchor (history) item for ``anchor``, else the slate item."""
    if slot == "anchor" and link is not None and link.anchor is not None:
        return link.anchor.item.item_id
    return item.item_id
