"""Constraints written inside a query: prices ("300元以下", "under 80", "$20-50") and sort hints ("cheapest").

The parser takes them out of the text, so that "running shoes under 80" searches for running shoes with
``price <= 80`` rather than for the word "80".

>>> c = parse_constraints("红色 连衣裙 300元以下")
>>> c.text.strip(), c.price_max
('红色 连衣裙', 300.0)
>>> c = parse_constraints("running shoes between $40 and 80 dollars")
>>> c.text.strip(), c.price_min, c.price_max
('running shoes', 40.0, 80.0)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUM = r"(\d+(?:[.,]\d+)?)\s*(?:k\b)?"
_CUR = r"(?:\$|¥|￥|€|£|rmb\s*|usd\s*|cny\s*)?"
_UNIT = r"\s*(?:元|块钱|块|rmb|usd|cny|dollars?|bucks|euros?|eur|\$)?"

# (pattern, kind) in order: ranges first, then bounds; every pattern captures amounts only
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"(?:between\s+|from\s+)?{_CUR}{_NUM}{_UNIT}\s*(?:-|–|~|to|and|到|至)\s*{_CUR}{_NUM}{_UNIT}"
                rf"(?:\s*(?:之间|以内|范围))?", re.I), "range"),
    (re.compile(rf"(?:under|below|less than|cheaper than|no more than|not more than|at most|up to|max(?:imum)?"
                rf"|within|<=?|≤)\s*{_CUR}{_NUM}{_UNIT}", re.I), "max"),
    (re.compile(rf"(?:不超过|低于|少于|小于|不到|最多|预算)\s*{_CUR}{_NUM}{_UNIT}"), "max"),
    (re.compile(rf"{_CUR}{_NUM}{_UNIT}\s*(?:以下|以内|之内|内|or less|or under|and under|max)"), "max"),
    (re.compile(rf"(?:over|above|more than|at least|from|>=?|≥|min(?:imum)?)\s*{_CUR}{_NUM}{_UNIT}", re.I), "min"),
    (re.compile(rf"(?:高于|超过|不低于|至少)\s*{_CUR}{_NUM}{_UNIT}"), "min"),
    (re.compile(rf"{_CUR}{_NUM}{_UNIT}\s*(?:以上|起|or more|and up|plus|\+)"), "min"),
]
_CHEAP = re.compile(r"\b(cheapest|lowest price|least expensive)\b|最便宜|价格最低", re.I)
_PRICEY = re.compile(r"\b(most expensive|highest price|priciest)\b|最贵", re.I)
_AROUND = re.compile(rf"(?:around|about|approximately|~)\s*{_CUR}{_NUM}{_UNIT}|{_CUR}{_NUM}{_UNIT}\s*左右", re.I)
#: Words that only say "not expensive": dropped from the text (a price bound, if any, says how cheap).
_CHEAP_WORD = re.compile(r"\b(cheap|cheaper|affordable|inexpensive|budget|low[- ]cost)\b|"
                         r"便宜(的)?|实惠(的)?|平价", re.I)
_PRICE_WORD = re.compile(r"\b(price|priced|budget|cost|costs)\b|价格|价位", re.I)


@dataclass
class Constraints:
    """What a query asks besides its words: a price range and a sort order (None when it does not say)."""

    text: str
    price_min: float | None = None
    price_max: float | None = None
    sort: str | None = None

    @property
    def any(self) -> bool:
        return self.price_min is not None or self.price_max is not None or self.sort is not None


def _amount(raw: str, whole: str) -> float:
    value = float(raw.replace(",", ""))
    if re.search(rf"{re.escape(raw)}\s*k\b", whole, re.I):
        value *= 1000
    return value


def parse_constraints(query: str) -> Constraints:
    """Take price bounds and sort words out of ``query`` (see the module docs). The text keeps every other
    word, with the constraint phrases replaced by spaces."""
    text = query
    out = Constraints(text=query)
    for pattern, kind in _PATTERNS:
        m = pattern.search(text)
        if m is None:
            continue
        amounts = [_amount(g, m.group(0)) for g in m.groups() if g is not None]
        if kind == "range" and len(amounts) == 2:
            lo, hi = sorted(amounts)
            # "iphone 11-12" or "2-pack" are not prices: a range needs a currency, a price word or zh/en marker
            marked = bool(re.search(r"[$¥￥€£元块]|between|dollar|rmb|usd|cny|之间|价", m.group(0), re.I)) or bool(
                _PRICE_WORD.search(text))
            if not marked:
                continue
            out.price_min, out.price_max = lo, hi
        elif kind == "max" and out.price_max is None:
            out.price_max = amounts[0]
        elif kind == "min" and out.price_min is None:
            if pattern.pattern.startswith("(?:over") and m.group(0).lower().startswith("from") and not re.search(
                    r"[$¥￥€£元块]|dollar", m.group(0), re.I):
                continue  # "from Korea 2019" is not a price
            out.price_min = amounts[0]
        else:
            continue
        text = text[: m.start()] + " " + text[m.end():]
    m = _AROUND.search(text)
    if m is not None and out.price_min is None and out.price_max is None:
        value = float(next(g for g in m.groups() if g is not None).replace(",", ""))
        out.price_min, out.price_max = round(value * 0.8, 2), round(value * 1.2, 2)
        text = text[: m.start()] + " " + text[m.end():]
    if _CHEAP.search(text):
        out.sort = "price_asc"
        text = _CHEAP.sub(" ", text)
    elif _PRICEY.search(text):
        out.sort = "price_desc"
        text = _PRICEY.sub(" ", text)
    text = _CHEAP_WORD.sub(" ", text)
    if out.price_min is not None or out.price_max is not None:
        text = _PRICE_WORD.sub(" ", text)
    out.text = text
    return out
