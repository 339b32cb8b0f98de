"""Numbers (Arabic and Chinese) and units of measure, normalised so claims compare across languages.

>>> parse_number("1,299.00"), parse_number("两千五百"), parse_number("1.5万"), parse_number("一万二")
(1299.0, 2500.0, 15000.0, 12000.0)
>>> unit_of("毫升"), unit_of("L"), unit_of("公斤"), unit_of("英寸")
(('ml', 1.0), ('ml', 1000.0), ('g', 1000.0), ('inch', 1.0))
"""

from __future__ import annotations

import re
import unicodedata

#: An Arabic number: 1299, 1,299, 59.90; optionally followed by 万 (ten thousand).
NUM_AR = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s?万)?"
#: A Chinese numeral: 三十, 两千五百, 一百.
NUM_ZH = r"[零〇一二两三四五六七八九十百千万亿]+"
NUM = rf"(?:{NUM_AR}|{NUM_ZH})"

_ZH_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}
_ZH_SCALE = {"十": 10, "百": 100, "千": 1000}

#: (dimension, factor to the dimension's base unit, surface forms). Base units: ml, g, mm, GB, ...
_UNIT_TABLE: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("ml", 1.0, ("ml", "millilitre", "millilitres", "milliliter", "milliliters", "毫升")),
    ("ml", 10.0, ("cl",)),
    ("ml", 1000.0, ("l", "litre", "litres", "liter", "liters", "升", "公升")),
    ("g", 0.001, ("mg", "毫克")),
    ("g", 1.0, ("g", "gram", "grams", "克")),
    ("g", 1000.0, ("kg", "kilogram", "kilograms", "kilo", "kilos", "千克", "公斤")),
    ("g", 500.0, ("斤",)),
    ("lb", 1.0, ("lb", "lbs", "pound weight")),
    ("oz", 1.0, ("oz", "fl oz", "fl. oz", "fl.oz", "fl.oz.", "fl. oz.", "ounce", "ounces", "fluid ounce",
                 "fluid ounces", "fl ounce", "fl ounces")),
    ("mm", 1.0, ("mm", "millimetre", "millimetres", "millimeter", "millimeters", "毫米")),
    ("mm", 10.0, ("cm", "centimetre", "centimetres", "centimeter", "centimeters", "厘米", "公分")),
    ("mm", 1000.0, ("m", "metre", "metres", "meter", "meters", "米")),
    ("inch", 1.0, ("inch", "inches", "in.", "英寸", "″", "寸")),  # a screen's 寸 is an inch
    ("hp_ac", 1.0, ("匹",)),  # air-conditioner cooling power, "1.5匹"
    ("sqm", 1.0, ("m2", "sqm", "square metres", "square meters", "平方米", "平米")),
    ("GB", 0.001, ("MB",)),
    ("GB", 1.0, ("GB", "G内存")),
    ("GB", 1000.0, ("TB",)),
    ("mAh", 1.0, ("mAh", "毫安时", "毫安")),
    ("Wh", 1.0, ("Wh",)),
    ("W", 1.0, ("W", "watt", "watts", "瓦")),
    ("W", 1000.0, ("kW",)),
    ("V", 1.0, ("V", "volt", "volts", "伏")),
    ("h", 1.0, ("h", "hr", "hrs", "hour", "hours", "小时")),
    ("min", 1.0, ("min", "mins", "minute", "minutes", "分钟")),
    ("Hz", 1.0, ("Hz", "赫兹")),
    ("Hz", 1e9, ("GHz",)),
    ("bar", 1.0, ("bar",)),
    ("atm", 1.0, ("ATM",)),
    ("person", 1.0, ("person", "persons", "people", "人")),
    ("pack", 1.0, ("pack", "packs", "packets", "袋", "盒", "包")),
    ("piece", 1.0, ("piece", "pieces", "pcs", "count", "件")),
    ("day", 1.0, ("day", "days", "天")),
    ("year", 1.0, ("year", "years", "年")),
    ("month", 1.0, ("month", "months", "个月")),
)

UNITS: dict[str, tuple[str, float]] = {}
for _dim, _factor, _surfaces in _UNIT_TABLE:
    for _s in _surfaces:
        UNITS.setdefault(_s.lower(), (_dim, _factor))

#: Regex alternation of every unit surface, longest first.
UNIT_ALT = "|".join(re.escape(s) for s in sorted({s for *_, ss in _UNIT_TABLE for s in ss}, key=len, reverse=True))

#: Count-like dimensions where a bare "一" (one) is too often just an article ("一人食", "一天").
COUNT_DIMS = frozenset({"person", "pack", "piece", "day", "year", "month"})


def unit_of(surface: str) -> tuple[str, float] | None:
    """(dimension, factor to base unit) of a unit surface, or None."""
    return UNITS.get(surface.strip().lower())


def parse_number(text: str) -> float | None:
    """An Arabic or Chinese number as a float (None when ``text`` is not a number)."""
    t = text.strip().replace(" ", "")
    scale = 1.0
    if t.endswith("万") and len(t) > 1 and t[0].isdigit():
        t, scale = t[:-1], 10000.0
    if re.fullmatch(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?", t):
        return float(t.replace(",", "")) * scale
    if t and all(c in _ZH_DIGIT or c in _ZH_SCALE or c in "万亿" for c in t):
        return _parse_zh(t)
    return None


def _parse_zh(t: str) -> float | None:
    for sep, unit in (("亿", 1e8), ("万", 1e4)):
        if sep in t:
            hi, _, lo = t.partition(sep)
            high = _parse_zh(hi) if hi else 1.0
            low = _parse_zh(lo) if lo else 0.0
            if high is None or low is None:
                return None
            if len(lo) == 1 and lo in _ZH_DIGIT and lo not in "零〇":  # 一万二 = 12000: one step below
                low *= unit / 10
            return high * unit + low
    if all(c in _ZH_DIGIT for c in t):  # digit by digit: 二〇二五
        return float("".join(str(_ZH_DIGIT[c]) for c in t))
    total, digit, last_scale = 0, None, 10000
    for c in t:
        if c in _ZH_DIGIT:
            digit = _ZH_DIGIT[c]
        else:
            scale = _ZH_SCALE[c]
            total += (1 if digit is None else digit) * scale
            digit, last_scale = None, scale
    if digit is not None:  # 两千五 = 2500: a trailing digit is one step below the last scale
        total += digit * (last_scale // 10 if last_scale >= 100 and len(t) >= 3 and t[-2] in _ZH_SCALE else 1)
    return float(total)


def normalise_text(text: str) -> str:
    """Full-width forms to ASCII (``１００ｍｌ`` -> ``100ml``, ``（`` -> ``(``), one character at a time so
    that positions in the normalised text are positions in the original. The full-width comma stays: in
    Chinese it separates clauses, never thousands ("仅售¥1，5000毫安电池" is ¥1 and 5000 mAh, not ¥1,500)."""
    out = []
    for c in text:
        if c == "，":
            out.append(c)
            continue
        n = unicodedata.normalize("NFKC", c)
        out.append(n if len(n) == 1 else c)
    return "".join(out)
