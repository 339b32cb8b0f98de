"""The deterministic intent parser of the shopping assistant (English and Chinese, no LLM needed).

A turn updates the shopper's *need*: what they want (product words), budget, brand, colours wanted and not
wanted, who it is for, and whether they start over. Refinements ("cheaper", "only Sony", "not black", "for
my mother", "便宜点", "只要索尼", "不要黑色", "送妈妈") change the need of the previous turns.

>>> need = Need()
>>> update(need, "I'm looking for running shoes under 500")
'search'
>>> need.words, need.price_max
(['running shoes'], 500.0)
>>> update(need, "not black, only Stride"), need.not_colours, need.brands
('search', ['black'], ['stride'])
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from shopmind.content.lexicon import lexicon
from shopmind.search.constraints import parse_constraints

_RECIPIENTS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(mom|mum|mother|wife|girlfriend|sister|daughter|grandma|her|women|woman|lady|ladies)\b|"
                r"妈妈|母亲|老婆|妻子|女朋友|姐姐|妹妹|女儿|奶奶|外婆|女士|女生|她", re.I), "women"),
    (re.compile(r"\b(dad|father|husband|boyfriend|brother|son|grandpa|him|men|man|guy)\b|"
                r"爸爸|父亲|老公|丈夫|男朋友|哥哥|弟弟|儿子|爷爷|外公|男士|男生|他", re.I), "men"),
]
_FOR = re.compile(r"\b(?:a |an |as a )?(?:gift |present )?for (?:my|our|a|the)\b|送给?|给我?(?=\s|$)", re.I)
_CHEAPER = re.compile(r"\bcheaper\b|\bless expensive\b|\blower price\b|便宜(一)?点|更便宜|再便宜|太贵了?|便宜些", re.I)
_PRICIER = re.compile(r"\b(more expensive|better quality|higher end|premium)\b|贵一点|更好的|高档", re.I)
_ONLY_BRAND = re.compile(r"\bonly (?:from |by )?([A-Za-z][\w' -]{1,30}?)(?:\s*(?:,|\.|$|please|ones?\b))|"
                         r"只要([\w\u4e00-\u9fff]{1,8}?)(?:的|牌|品牌|$)|"
                         r"只看([\w\u4e00-\u9fff]{1,8}?)(?:的|牌|品牌|$)", re.I)
_NOT = re.compile(r"\b(?:not|no|without|anything but|except)\s+([a-z]+)|不要([\u4e00-\u9fff]{1,4}?)(?:的|色|$|，|,)|"
                  r"除了([\u4e00-\u9fff]{1,4}?)(?:的|色|以外|之外)", re.I)
_RESET = re.compile(r"\b(start over|new search|something else|never mind|forget it)\b|"
                    r"换个别的|重新找|算了|不要这个了", re.I)
_FILLER = re.compile(
    r"\b(i'?m|i am|i want|i need|i'd like|looking for|searching for|show me|find me|do you have|any|some|please|"
    r"recommend|suggest|can you|could you|a|an|the|me|to|buy|get|gifts?|presents?|ideas?|ones?|something|thanks|"
    r"thank you|"
    r"hi|hello|hey|what about|how about|and|also|just|good|nice|great)\b|"
    r"我想买|我想要|我要|想买|想要|帮我找|帮我|推荐|有没有|请|一款|一个|一双|一件|一些|的|吗|呢|礼物|"
    r"谢谢|你好|买|找|看看", re.I)
_PUNCT = re.compile(r"[,.!?;:，。！？；：、\"'()（）]")


@dataclass
class Need:
    """What the shopper wants, accumulated over the turns of a session."""

    words: list[str] = field(default_factory=list)
    price_min: float | None = None
    price_max: float | None = None
    brands: list[str] = field(default_factory=list)
    colours: list[str] = field(default_factory=list)
    not_colours: list[str] = field(default_factory=list)
    recipient: str | None = None
    shown: list[str] = field(default_factory=list)
    shown_prices: list[float] = field(default_factory=list)
    #: the category of what was shown for these words: refinements ("cheaper") stay in it
    category: str | None = None
    lang: str = "en"
    turns: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Need:
        return cls(**{k: v for k, v in doc.items() if k in cls.__dataclass_fields__})

    @property
    def vague(self) -> bool:
        return not self.words and not self.brands


def _colour(word: str) -> str | None:
    term = lexicon().lookup("colour", word) or lexicon().lookup("colour", word + "色")
    return term.id if term else None


def language_of(text: str) -> str:
    """``zh`` when the text holds a Chinese character, else ``en`` (the language a reply is written in)."""
    return "zh" if re.search(r"[\u4e00-\u9fff]", text) else "en"


def update(need: Need, message: str, brands: set[str] | None = None) -> str:
    """Apply one message to ``need``; returns what to do: ``search``, ``clarify`` or ``reset``."""
    text = message.strip()
    need.turns += 1
    need.lang = language_of(text)
    if _RESET.search(text):
        kept_lang = need.lang
        need.__init__()  # type: ignore[misc]
        need.lang = kept_lang
        text = _RESET.sub(" ", text)
        if not text.strip(" ,.，。"):
            return "reset"
    for pattern, who in _RECIPIENTS:
        if pattern.search(text):
            need.recipient = who
            text = pattern.sub(" ", text)
            break
    text = _FOR.sub(" ", text)
    if _CHEAPER.search(text):
        if need.shown_prices:  # cheaper than anything shown (the assistant relaxes to their average if none)
            need.price_max = round(min(need.shown_prices) - 0.01, 2)
        elif need.price_max is not None:
            need.price_max = round(need.price_max * 0.8, 2)
        text = _CHEAPER.sub(" ", text)
    if _PRICIER.search(text):
        if need.shown_prices:
            need.price_min = round(max(need.shown_prices) * 1.05, 2)
            need.price_max = None
        text = _PRICIER.sub(" ", text)
    for m in _NOT.finditer(text):
        word = next(g for g in m.groups() if g)
        colour = _colour(word)
        if colour:
            if colour not in need.not_colours:
                need.not_colours.append(colour)
            need.colours = [c for c in need.colours if c != colour]
            text = text.replace(m.group(0), " ")
    only = _ONLY_BRAND.search(text)
    if only:
        name = next(g for g in only.groups() if g).strip().lower()
        known = {b.lower() for b in (brands or set())}
        if not known or name in known:
            need.brands = [name]
            text = text.replace(only.group(0), " ")
    cons = parse_constraints(text)
    if cons.price_max is not None:
        need.price_max = cons.price_max
    if cons.price_min is not None:
        need.price_min = cons.price_min
    text = cons.text
    for term in lexicon().find_all("colour", text):
        if term.id not in need.colours and term.id not in need.not_colours:
            need.colours.append(term.id)
        for alias in (*term.en, *term.zh):
            text = re.sub(rf"(?<![a-z]){re.escape(alias)}(?![a-z])", " ", text, flags=re.I)
    for b in sorted(brands or set(), key=len, reverse=True):
        if b and re.search(rf"(?<![\w]){re.escape(b)}(?![\w])", text, re.I):
            if b.lower() not in need.brands:
                need.brands = [b.lower()]
            text = re.sub(rf"(?<![\w]){re.escape(b)}(?![\w])", " ", text, flags=re.I)
    text = _FILLER.sub(" ", text)
    text = _PUNCT.sub(" ", text)
    text = " ".join(_FILLER.sub(" ", text).split())
    if text:
        if need.words != [text]:
            need.category = None
        need.words = [text]
    return "clarify" if need.vague else "search"
