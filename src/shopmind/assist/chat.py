"""The shopping assistant: a multi-turn chat that searches for the shopper and explains with checked facts.

Each turn goes through the deterministic intent parser (:mod:`shopmind.assist.intent`), which keeps the
shopper's need per session (stored in the store's ``assist_sessions`` documents, so a conversation survives
restarts); a need too vague to search gets one clarifying question; otherwise the assistant calls the search
tool with the need (product words, budget, brand filter), drops items of an unwanted colour, and answers
with the best three items and a short reason each. Every sentence it writes about an item is built from that
item's facts and checked by the grounding checker; a sentence with an unsupported claim is not sent.

>>> bot = ShoppingAssistant(search_service, store)                       # doctest: +SKIP
>>> bot.chat("s1", "running shoes under 500")["items"][:1]                 # doctest: +SKIP
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from shopmind.assist.intent import Need, update
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

    def __init__(self, search: SearchService, sessions: DocumentStore | None = None) -> None:
        self.search = search
        self.sessions = sessions
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
        title = (attrs.get("title_zh") if lang == "zh" else None) or item.get("title") or item["item_id"]
        price = item.get("price")
        parts = [str(title)]
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
        report = self.checker.check(line, extract_facts(item))
        if not report.ok:  # never send a claim the facts do not support: fall back to the bare title
            logger.warning("dropped an unsupported description of %s: %s", item.get("item_id"), report.summary())
            return str(item.get("title") or item["item_id"])
        return line

    # ------------------------------------------------------------------ the turn
    def chat(self, session_id: str, message: str, user_id: str | None = None) -> dict[str, Any]:
        """One turn: update the need, then clarify, or search and answer. Returns the reply, the items shown
        and the need as understood."""
        need = self.load(session_id)
        action = update(need, message[:2000], self.brands)
        items: list[dict[str, Any]] = []
        if action == "reset":
            reply = RESET[need.lang]
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
                lines = [f"{i}. {self.describe(it, need)}" for i, it in enumerate(items, 1)]
                head = "为您找到这些：" if need.lang == "zh" else "Here is what I found:"
                reply = "\n".join([head, *lines])
        need.shown = [str(it["item_id"]) for it in items] or need.shown
        if items and need.category is None:
            paths = [str(it.get("category")) for it in items if it.get("category")]
            need.category = max(set(paths), key=paths.count) if paths else None
        prices = [float(it["price"]) for it in items if it.get("price") is not None]
        need.shown_prices = prices or need.shown_prices
        self.save(session_id, need)
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
