"""The shopping assistant: a multi-turn chat that searches for the shopper and explains with checked facts.

Each turn goes through the deterministic intent parser (:mod:`shopmind.assist.intent`), which keeps the
shopper's need per session (stored in the store's ``assist_sessions`` documents, so a conversation survives
restarts); a need too vague to search gets one clarifying question; otherwise the assistant calls the search
tool with the need (product words, budget, brand filter), drops items of an unwanted colour, and answers
with the best three items and a short reason each. A turn about what was shown or about the shopper calls
another tool (:mod:`shopmind.assist.tools`): **compare** the items shown ("compare 1 and 3"), **similar** items
to one of them ("more like the second one"), **facts** of one or all of them ("is it waterproof?"),
**coupons** the shopper holds ("any coupons?"), and **recommend** ("recommend me something": the recommender's
list for a known shopper). Every sentence it writes about an item is built from that item's facts and
checked by the grounding checker; a sentence with an unsupported claim is not sent.

>>> bot = ShoppingAssistant(search_service, store)                       # doctest: +SKIP
>>> bot.chat("s1", "running shoes under 500")["items"][:1]                 # doctest: +SKIP
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from shopmind.assist.intent import Need, language_of, update
from shopmind.assist.items import answer_item_question
from shopmind.assist.tools import ToolCall, detect
from shopmind.content.facts import extract_facts, format_price
from shopmind.content.grounding import GroundingChecker
from shopmind.content.lexicon import lexicon
from shopmind.search.documents import attributes_of
from shopmind.search.request import SearchRequest
from shopmind.search.service import SearchService
from shopmind.storage.base import DocumentStore

logger = logging.getLogger(__name__)

COLLECTION = "assist_sessions"
SHOWN = 3
CLARIFY = {"en": "Happy to help! What are you looking for (for example a dress, headphones or a tent), and is "
                 "there a budget?",
           "zh": "很乐意帮您！您想找什么商品（比如连衣裙、耳机、帐篷）？有预算吗？"}
NOTHING = {"en": "I could not find anything that fits all of that. Could you relax one condition (budget, brand "
                 "or colour)?",
           "zh": "没有找到完全符合这些条件的商品，可以放宽一个条件（预算、品牌或颜色）吗？"}
RESET = {"en": "Sure, let's start over. What are you looking for?", "zh": "好的，我们重新开始。您想找什么？"}
NO_COUPONS = {"en": "You have no coupons to use right now.", "zh": "您目前没有可用的优惠券。"}
SIGN_IN = {"en": "I can look up your coupons once you are signed in.", "zh": "登录后我可以帮您查看优惠券。"}
NO_SIMILAR = {"en": "I found nothing similar to that one in stock.", "zh": "暂时没有找到和它类似的有货商品。"}
GIFTS = {"en": "Popular gift ideas (tell me what kind of thing and I can narrow it down):",
         "zh": "热门礼物推荐（告诉我想送哪类商品，我可以帮您缩小范围）："}
#: A gift without a product named ("a gift for my mother under 300", "送妈妈的礼物"): popular items for the recipient.
_GIFT = re.compile(r"\b(gifts?|presents?)\b|礼物|礼品", re.I)
#: A coupon the shopper holds (the coupons tool's answer, see :class:`ShoppingAssistant`).
Coupon = Mapping[str, Any]
#: Words in a title that say whom an item is made for.
_GENDER_WORDS = {"women": ["women's", "女款", "女士"], "men": ["men's", "男款", "男士"]}


def _colour_words(ids: list[str]) -> list[str]:
    words: list[str] = []
    for cid in ids:
        term = lexicon().terms["colour"].get(cid)
        if term is not None:
            words += [w.lower() for w in (*term.en, *term.zh)]
    return words


def _has_colour(item: Mapping[str, Any], words: list[str]) -> bool:
    attrs = attributes_of(item)
    text = " ".join(str(v) for v in (item.get("title"), attrs.get("title_zh"), attrs.get("colour"),
                                     attrs.get("colour_zh"), attrs.get("shade")) if v).lower()
    return any(re.search(rf"(?<![a-z]){re.escape(w)}(?![a-z])", text) for w in words)


class ShoppingAssistant:
    """A deterministic, tool-calling shopping assistant over a :class:`SearchService` (see the module docs)."""

    def __init__(self, search: SearchService, sessions: DocumentStore | None = None, *,
                 coupons: Callable[[str], Sequence[Coupon]] | None = None) -> None:
        self.search = search
        self.sessions = sessions
        #: the coupons tool: a shopper's usable coupons as ``{"code", "offer", "valid_until"?}`` (the marketing
        #: layer provides it: :func:`shopmind.marketing.campaigns.usable_coupons`); None: no coupons in this shop
        self.coupons = coupons
        self._memory: dict[str, dict[str, Any]] = {}
        self.checker = GroundingChecker.from_items(search.engine.records)
        self.brands = {str(b) for r in search.engine.records
                       for b in (r.get("brand"), attributes_of(r).get("brand_zh")) if b}

    # ------------------------------------------------------------------ sessions
    def load(self, session_id: str) -> Need:
        doc = self.sessions.get_document(COLLECTION, session_id) if self.sessions is not None else \
            self._memory.get(session_id)
        return Need.from_dict(doc) if doc else Need()

    def save(self, session_id: str, need: Need) -> None:
        if self.sessions is not None:
            self.sessions.put_documents(COLLECTION, {session_id: need.as_dict()})
        else:
            self._memory[session_id] = need.as_dict()

    # ------------------------------------------------------------------ tools
    def find(self, need: Need, user_id: str | None = None) -> list[dict[str, Any]]:
        """The search tool: the need as a query with filters, unwanted colours dropped."""
        words = list(need.words)
        words += [w for w in _colour_words(need.colours)[:1]]
        engine = self.search.engine
        brands = [b for b in engine.brand_docs if b in need.brands] if need.brands else []
        request = SearchRequest(q=" ".join(words), user_id=user_id, brand=brands or need.brands,
                                category=need.category,
                                price_min=need.price_min, price_max=need.price_max, limit=100, facets=False,
                                in_stock=True, strict=True)
        result = self.search.search(request)
        unwanted = _colour_words(need.not_colours)
        other = {"women": _GENDER_WORDS["men"], "men": _GENDER_WORDS["women"]}.get(need.recipient or "", [])
        out: list[dict[str, Any]] = []
        theirs: list[dict[str, Any]] = []
        for hit in result.hits:
            item = engine.item(hit.item_id)
            if item is None or (unwanted and _has_colour(item, unwanted)):
                continue
            if other and _has_colour(item, other):
                continue  # "for my mother": not the men's version
            (theirs if need.recipient and _has_colour(item, _GENDER_WORDS[need.recipient]) else out).append(item)
        return theirs + out

    def describe(self, item: Mapping[str, Any], need: Need) -> str:
        """One line about an item, from its facts only, checked by the grounding checker."""
        lang = need.lang
        attrs = attributes_of(item)
        price = item.get("price")
        parts = [self._title(item, lang)]
        if price is not None:
            parts.append(format_price(float(price), item.get("currency"), "zh" if lang == "zh" else "en"))
        line = " - ".join(parts)
        reasons = []
        if need.price_max is not None and price is not None:
            reasons.append(f"预算{format_price(need.price_max, item.get('currency'), 'zh')}以内" if lang == "zh"
                           else "within your budget")
        if need.brands:
            brand = (attrs.get("brand_zh") if lang == "zh" else None) or item.get("brand")
            if brand:
                reasons.append(str(brand) if lang == "zh" else f"by {brand}")
        if reasons:
            line += ("（" + "，".join(reasons) + "）") if lang == "zh" else f" ({', '.join(reasons)})"
        return self.checked(line, item)

    def listed(self, head: str, items: Sequence[Mapping[str, Any]], need: Need) -> str:
        """A reply of ``head`` and one numbered, checked line per item (:meth:`describe`)."""
        return "\n".join([head, *(f"{i}. {self.describe(it, need)}" for i, it in enumerate(items, 1))])

    def checked(self, line: str, item: Mapping[str, Any]) -> str:
        """``line`` if the grounding checker finds every claim in it among ``item``'s facts, else its bare title
        (a claim the facts do not support is never sent)."""
        report = self.checker.check(line, extract_facts(item))
        if report.ok:
            return line
        logger.warning("dropped an unsupported line about %s: %s", item.get("item_id"), report.summary())
        return str(item.get("title") or item["item_id"])

    def _shown(self, need: Need, refs: list[int]) -> list[tuple[int, dict[str, Any]]]:
        engine = self.search.engine
        out = []
        for i in refs:
            item = engine.item(need.shown[i]) if i < len(need.shown) else None
            if item is not None:
                out.append((i, item))
        return out

    def _title(self, item: Mapping[str, Any], lang: str) -> str:
        return str((attributes_of(item).get("title_zh") if lang == "zh" else None) or item.get("title")
                   or item["item_id"])

    def compare(self, need: Need, refs: list[int]) -> tuple[str, list[dict[str, Any]]]:
        """The compare tool: each item's price, brand, colour and material side by side, and the cheapest."""
        lang = need.lang
        items = self._shown(need, refs)
        lines = []
        for i, item in items:
            attrs = attributes_of(item)
            parts = [self._title(item, lang)]
            if item.get("price") is not None:
                parts.append(format_price(float(item["price"]), item.get("currency"), "zh" if lang == "zh" else "en"))
            for key, en, zh in (("brand", "brand", "品牌"), ("colour", "colour", "颜色"),
                                ("material", "material", "材质")):
                value = (item.get("brand") if key == "brand" else None) or attrs.get(key)
                if lang == "zh":
                    value = attrs.get(f"{key}_zh") or value
                if value not in (None, ""):
                    parts.append(f"{zh}：{value}" if lang == "zh" else f"{en}: {value}")
            lines.append(f"#{i + 1} " + self.checked(("；" if lang == "zh" else "; ").join(parts), item))
        priced = [(float(it["price"]), i, it) for i, it in items if it.get("price") is not None]
        if len(priced) >= 2:
            price, i, item = min(priced, key=lambda p: (p[0], p[1]))
            text = format_price(price, item.get("currency"), "zh" if lang == "zh" else "en")
            lines.append(self.checked(f"价格最低的是 #{i + 1}（{text}）。" if lang == "zh"
                                      else f"The lowest price is #{i + 1} ({text}).", item))
        head = "对比如下：" if lang == "zh" else "Side by side:"
        return "\n".join([head, *lines]), [it for _, it in items]

    def facts(self, need: Need, refs: list[int], question: str) -> tuple[str, list[dict[str, Any]]]:
        """The item-facts tool: the question answered from each referenced item's record ("not stated" when
        the catalog does not say)."""
        lines, items = [], self._shown(need, refs)
        for i, item in items:
            answer = answer_item_question(question, item, need.lang)
            lines.append(f"#{i + 1} {self._title(item, need.lang)}"
                         + ("：" if need.lang == "zh" else ": ") + self.checked(answer.text, item))
        return "\n".join(lines), [it for _, it in items]

    def similar(self, need: Need, refs: list[int], user_id: str | None) -> tuple[str, list[dict[str, Any]]]:
        """The similar tool: items of the same category closest to the referenced one (its dense vector in the
        search index; a title search in its category without one), in stock, within the need's budget and
        colours, the item itself left out."""
        shown = self._shown(need, refs[:1])
        if not shown:
            return NO_SIMILAR[need.lang], []
        pos, base = shown[0]
        engine = self.search.engine
        request = SearchRequest(q="", category=base.get("category") or None, in_stock=True, limit=100, facets=False)
        found: list[dict[str, Any]] = []
        doc = engine.doc_of.get(str(base["item_id"]))
        if engine.dense is not None and doc is not None and doc < len(engine.dense.vectors):
            mask = engine.filter_mask(request, need.price_min, need.price_max)
            mask[doc] = False
            docs, _ = engine.dense.search(np.asarray(engine.dense.vectors[doc]), 50, mask)
            found = [engine.records[d] for d in docs.tolist()]
        else:
            request.q = str(base.get("title") or "")
            request.price_min, request.price_max = need.price_min, need.price_max
            found = [it for h in self.search.search(request).hits
                     if (it := engine.item(h.item_id)) is not None and it["item_id"] != base["item_id"]]
        unwanted = _colour_words(need.not_colours)
        items = [it for it in found if not (unwanted and _has_colour(it, unwanted))][:SHOWN]
        if not items:
            return NO_SIMILAR[need.lang], []
        # the item is named by its number: every claim of the reply is about the items it shows
        head = f"和第{pos + 1}个类似的：" if need.lang == "zh" else f"Similar to #{pos + 1}:"
        return self.listed(head, items, need), items

    def coupon_reply(self, need: Need, user_id: str | None) -> str:
        """The coupons tool: the shopper's usable coupon codes and what each gives."""
        if user_id is None:
            return SIGN_IN[need.lang]
        held = list(self.coupons(user_id)) if self.coupons is not None else []
        if not held:
            return NO_COUPONS[need.lang]
        lines = []
        for c in held:
            until = f"，有效期至 {c['valid_until']}" if need.lang == "zh" else f", valid until {c['valid_until']}"
            lines.append(f"- {c['code']}: {c['offer']}" + (until if c.get("valid_until") else ""))
        head = "您可以使用这些优惠券：" if need.lang == "zh" else "Your coupons:"
        return "\n".join([head, *lines])

    def recommended(self, user_id: str | None, n: int) -> list[dict[str, Any]]:
        """The recommend tool: the indexed records of the recommender's top ``n`` for a known shopper, in stock
        (nothing without a recommender or a user)."""
        service = self.search.recommendations
        if user_id is None or service is None:
            return []
        engine = self.search.engine
        return [it for r in service.recommend(user_id, n=n).items
                if (it := engine.item(r.item_id)) is not None and it.get("in_stock", True)]

    def gift_ideas(self, need: Need, user_id: str | None) -> list[dict[str, Any]]:
        """A gift need with no product named: the recommender's list for a known shopper, else the catalog's
        most popular in-stock items - within the budget, for the recipient (not the other gender's items, theirs
        first), one per category so the ideas differ."""
        engine = self.search.engine
        pool = self.recommended(user_id, 50)
        request = SearchRequest(q="", sort="popular", in_stock=True, price_min=need.price_min,
                                price_max=need.price_max, limit=200, facets=False, personalise=False)
        pool += [it for h in self.search.search(request).hits if (it := engine.item(h.item_id)) is not None]
        other = {"women": _GENDER_WORDS["men"], "men": _GENDER_WORDS["women"]}.get(need.recipient or "", [])
        theirs: list[dict[str, Any]] = []
        rest: list[dict[str, Any]] = []
        seen: set[str] = set()
        for it in pool:
            price = it.get("price")
            if it["item_id"] in seen or not it.get("in_stock", True) or (other and _has_colour(it, other)) or (
                    price is not None and ((need.price_max is not None and price > need.price_max)
                                           or (need.price_min is not None and price < need.price_min))):
                continue
            seen.add(it["item_id"])
            mine = bool(need.recipient) and _has_colour(it, _GENDER_WORDS[need.recipient or "women"])
            (theirs if mine else rest).append(it)
        out: list[dict[str, Any]] = []
        for it in theirs + rest:
            if it.get("category") not in {o.get("category") for o in out}:
                out.append(it)
            if len(out) == SHOWN:
                break
        return out

    def _tool(self, call: ToolCall, need: Need, message: str, user_id: str | None
              ) -> tuple[str, list[dict[str, Any]]] | None:
        if call.name == "coupons":
            return self.coupon_reply(need, user_id), []
        if call.name == "compare":
            return self.compare(need, call.refs)
        if call.name == "facts":
            return self.facts(need, call.refs, message)
        if call.name == "similar":
            return self.similar(need, call.refs, user_id)
        if call.name == "recommend":
            trial = copy.deepcopy(need)
            if update(trial, message, self.brands) != "clarify":
                return None  # product words too ("recommend me some running shoes"): a search
            items = self.recommended(user_id, 20)[:SHOWN]
            if not items:
                return None
            return self.listed("根据您的喜好推荐：" if need.lang == "zh" else "Picked for you:", items, need), items
        return None

    # ------------------------------------------------------------------ the turn
    def chat(self, session_id: str, message: str, user_id: str | None = None) -> dict[str, Any]:
        """One turn: update the need, then clarify, or search and answer. Returns the reply, the items shown
        and the need as understood."""
        need = self.load(session_id)
        message = message[:2000]
        call = detect(message, len(need.shown))
        if call is not None:
            need.lang = language_of(message)
            done = self._tool(call, need, message, user_id)
            if done is not None:
                reply, found = done
                need.turns += 1
                if found and call.name in ("similar", "recommend"):  # new items: later references are to them
                    need.shown = [str(it["item_id"]) for it in found]
                    need.shown_prices = [float(it["price"]) for it in found if it.get("price") is not None]
                self.save(session_id, need)
                return self._out(session_id, reply, call.name, found, need)
        action = update(need, message, self.brands)
        items: list[dict[str, Any]] = []
        if action == "reset":
            reply = RESET[need.lang]
        elif action == "clarify" and (need.recipient or _GIFT.search(message)):
            items = self.gift_ideas(need, user_id)
            reply = self.listed(GIFTS[need.lang], items, need) if items else CLARIFY[need.lang]
            action = "gift" if items else action
        elif action == "clarify":
            reply = CLARIFY[need.lang]
        else:
            cheaper = need.price_max is not None and need.shown_prices and need.price_max < min(need.shown_prices)
            items = self.find(need, user_id)[:SHOWN]
            if not items and cheaper:  # nothing under the cheapest shown: under their average, then
                need.price_max = round(sum(need.shown_prices) / len(need.shown_prices), 2)
                items = self.find(need, user_id)[:SHOWN]
            if not items:
                reply = NOTHING[need.lang]
            else:
                reply = self.listed("为您找到这些：" if need.lang == "zh" else "Here is what I found:", items, need)
        need.shown = [str(it["item_id"]) for it in items] or need.shown
        if items and need.category is None:
            paths = [str(it.get("category")) for it in items if it.get("category")]
            need.category = max(set(paths), key=paths.count) if paths else None
        prices = [float(it["price"]) for it in items if it.get("price") is not None]
        need.shown_prices = prices or need.shown_prices
        self.save(session_id, need)
        return self._out(session_id, reply, action, items, need)

    @staticmethod
    def _out(session_id: str, reply: str, action: str, items: list[dict[str, Any]], need: Need) -> dict[str, Any]:
        return {"session_id": session_id, "reply": reply, "action": action,
                "items": [{"item_id": it["item_id"], "title": it.get("title"), "price": it.get("price"),
                           "brand": it.get("brand"), "category": it.get("category")} for it in items],
                "need": {k: v for k, v in need.as_dict().items() if k not in ("shown", "shown_prices")}}

    def check_reply(self, reply: str, item_ids: list[str]) -> int:
        """Unsupported claims of a reply against the facts of the items it shows (the benchmark's audit)."""
        facts = [extract_facts(self.search.engine.item(i) or {"item_id": i}) for i in item_ids]
        if not facts:
            return 0
        return len(self.checker.check(reply, facts).unsupported)
