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
_UNIT = r"\s*(?:元|块钱|块|rmb|usd|cny|dollars?|bucks|euros?|eur|yuan|kuai|\$)?"

# (pattern, kind) in order: ranges first, then bounds; every pattern captures amounts only
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"(?:between\s+|from\s+)?{_CUR}{_NUM}{_UNIT}\s*(?:-|–|~|to|and|到|至)\s*{_CUR}{_NUM}{_UNIT}"
                rf"(?:\s*(?:之间|以内|范围))?", re.I), "range"),
    (re.compile(rf"(?:under|below|less than|cheaper than|no more than|not more than|at most|up to|max(?:imum)?"
                rf"|within|<=?|≤)\s*{_CUR}{_NUM}{_UNIT}", re.I), "max"),
    (re.compile(rf"(?:不超过|低于|少于|小于|不到|最多|预算)\s*{_CUR}{_NUM}{_UNIT}"), "max"),
    (re.compile(rf"{_CUR}{_NUM}{_UNIT}\s*(?:以下|以内|之内|内|or less|or under|and under|max|yixia|yinei)"), "max"),
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


_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10_000}
#: A Chinese numeral next to a price word: "三千以内", "不超过三百五", "两百块".
_ZH_NUMERAL = "[零〇一二两三四五六七八九十百千万]+"
_ZH_PRICE = re.compile(rf"(不超过|低于|少于|小于|不到|最多|预算|高于|超过|至少|不低于)({_ZH_NUMERAL})"
                       rf"|({_ZH_NUMERAL})(?=元|块|以下|以内|之内|左右|以上|到|至)")


def zh_number(text: str) -> int | None:
    """A Chinese numeral as an integer, colloquial tails included ("三百五" = 350, "一千二" = 1200, "两万" =
    20000); None when ``text`` is not one.

    >>> [zh_number(t) for t in ("三千", "三百五", "十五", "一千零五", "两万", "百")]
    [3000, 350, 15, 1005, 20000, None]
    """
    total, section, digit, last_unit = 0, 0, None, 0
    for ch in text:
        if ch in _ZH_DIGITS:
            if digit is not None and _ZH_DIGITS[ch] != 0 and digit != 0:
                return None  # "三五" is not a number
            digit = _ZH_DIGITS[ch]
        elif ch in _ZH_UNITS:
            unit = _ZH_UNITS[ch]
            if digit is None and not (unit == 10 and section == 0 and total == 0):
                return None
            if unit == 10_000:
                total += (section + (digit or 0)) * unit
                section = 0
            else:
                section += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
        else:
            return None
    if digit is not None:
        # a bare trailing digit counts in the unit below the last one: 三百五 = 350, 一千二 = 1200
        section += digit * (last_unit // 10 if last_unit >= 100 and text[-2] in _ZH_UNITS else 1)
    value = total + section
    return value if value > 0 else None


def _arabic(text: str) -> str:
    """Chinese numerals next to price words written as digits ("三千以内" -> "3000以内")."""
    def swap(m: re.Match[str]) -> str:
        before, raw = (m.group(1), m.group(2)) if m.group(2) else ("", m.group(3))
        value = zh_number(raw)
        return before + (raw if value is None else str(value))
    return _ZH_PRICE.sub(swap, text)


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
    text = _arabic(query)
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
    if m is not None and (out.price_min is None or out.price_max is None):
        # "about 300" is 240-360; a bound the query also states wins ("三百左右 不超过三百五": 240-350)
        value = float(next(g for g in m.groups() if g is not None).replace(",", ""))
        if out.price_min is None:
            out.price_min = round(value * 0.8, 2)
        if out.price_max is None:
            out.price_max = round(value * 1.2, 2)
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
