"""Finding the factual claims in a text (English, Chinese or both), without judging them yet.

A claim is a checkable statement of fact: a brand, a price or discount, a number with a unit, a size, a
material, a colour, a category word, an origin, gender, newness, stock, ratings and sales figures. The
extractor works in stages (prices before bare numbers, long vocabulary entries before their parts) and
masks what each stage consumed, so "90% White Duck Down" yields one material claim and one percentage,
and "Black Tea" is a product, not a colour.

>>> ex = ClaimExtractor(brands={"Ferro": "Ferro", "费罗": "Ferro"})
>>> for c in ex.extract("Ferro cowhide leather bag in red, 35 cm, only ¥2,499 (20% off)."):
...     print(c.kind, repr(c.text))
brand 'Ferro'
material 'cowhide leather'
colour 'red'
quantity '35 cm'
price '¥2,499'
discount '20% off'
>>> for c in ex.extract("费罗牛皮包，100毫升，售价2499元，八折")[2:]:
...     print(c.kind, c.value)
quantity {'dim': 'ml', 'values': [100.0]}
price {'amount': 2499.0, 'currencies': ['CNY'], 'bound': 'eq', 'role': 'price'}
discount {'discount': 0.2}
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from shopmind.content.lexicon import TermKind, key, lexicon
from shopmind.content.units import COUNT_DIMS, NUM, NUM_AR, UNIT_ALT, normalise_text, parse_number, unit_of

ClaimKind = Literal["brand", "price", "discount", "quantity", "size", "material", "colour", "category",
                    "origin", "gender", "newness", "availability", "rating", "sales", "service"]


class Claim(BaseModel):
    """One factual claim found in a text; ``supported`` and ``reason`` are set by the checker."""

    kind: ClaimKind
    text: str
    start: int
    end: int
    value: dict[str, Any]
    supported: bool | None = None
    reason: str = ""


# ------------------------------------------------------------------------------------------- patterns
_B = r"(?<![A-Za-z0-9.])"  # no letter/digit right before a number
_CUR_PRE = r"US\$|HK\$|S\$|A\$|C\$|RMB|CNY|USD|EUR|GBP|JPY|HKD|[$€£¥]"
_CUR_SUF = r"元|块钱|块|人民币|yuan|RMB|CNY|USD|dollars?|euros?|EUR|pounds?|GBP"
_CURRENCIES: dict[str, tuple[str, ...]] = {
    "¥": ("CNY", "JPY"), "rmb": ("CNY",), "cny": ("CNY",), "元": ("CNY",), "块": ("CNY",), "块钱": ("CNY",),
    "人民币": ("CNY",), "yuan": ("CNY",), "jpy": ("JPY",), "$": ("USD", "HKD", "SGD", "AUD", "CAD"),
    "us$": ("USD",), "usd": ("USD",), "dollar": ("USD", "HKD", "SGD", "AUD", "CAD"),
    "dollars": ("USD", "HKD", "SGD", "AUD", "CAD"), "hk$": ("HKD",), "hkd": ("HKD",), "s$": ("SGD",),
    "a$": ("AUD",), "c$": ("CAD",), "€": ("EUR",), "eur": ("EUR",), "euro": ("EUR",), "euros": ("EUR",),
    "£": ("GBP",), "gbp": ("GBP",), "pound": ("GBP",), "pounds": ("GBP",),
}
_PRICE_PRE = re.compile(rf"(?P<cur>{_CUR_PRE})\s?(?P<num>{NUM_AR})")
_PRICE_SUF = re.compile(rf"{_B}(?P<num>{NUM})\s?(?P<cur>{_CUR_SUF})(?![A-Za-z])", re.IGNORECASE)
_MAX_BEFORE = re.compile(r"(?:under|below|less than|at most|up to|no more than|不到|低于|不超过)\s*$",
                         re.IGNORECASE)
_MIN_BEFORE = re.compile(r"(?:over|above|more than|at least|高于|超过)\s*$", re.IGNORECASE)
_SAVE_BEFORE = re.compile(r"(?:save|saving|savings of|you save|立减|立省|省|减|直降)\s*$", re.IGNORECASE)
_WAS_BEFORE = re.compile(r"(?:was|originally|regular price|list price|原价|划线价)\s*:?\s*$", re.IGNORECASE)
_MAX_AFTER = re.compile(r"^\s*(?:以内|以下)")
_MIN_AFTER = re.compile(r"^\s*(?:以上)")

_DISCOUNT_PCT = re.compile(r"(?P<pct>\d{1,2}(?:\.\d+)?)\s?%\s?(?:off|discount|折扣)|"
                           r"(?:save|saving|discount of)\s(?P<pct2>\d{1,2}(?:\.\d+)?)\s?%", re.IGNORECASE)
_DISCOUNT_ZHE = re.compile(r"(?P<zhe>\d{1,2}(?:\.\d)?)\s?折(?!叠)|"
                           r"(?P<zhe_zh>[一二三四五六七八九](?:点?[一二三四五六七八九])?)折(?!叠)")
_ON_SALE = re.compile(r"\b(?:on sale|sale price|discounted|clearance)\b|特价|打折|促销|优惠价|折扣价",
                      re.IGNORECASE)

_RATING = re.compile(rf"(?:rated\s)?{_B}(?P<r>[0-5](?:\.\d)?)\s?(?:/\s?5|out of 5)(?:\s?stars?)?|"
                     rf"{_B}(?P<r2>[0-5](?:\.\d)?)\s?-?\s?stars?\b|{_B}(?P<r3>[0-5](?:\.\d)?)\s?(?:颗星|星|分)(?!钟)",
                     re.IGNORECASE)
_REVIEWS = re.compile(rf"{_B}(?P<n>{NUM})\+?\s?(?:customer\s|verified\s)?(?:reviews?|ratings?)\b|"
                      rf"{_B}(?P<n2>{NUM})\+?\s?(?:条|个|位)?(?:用户)?(?:评价|评论)", re.IGNORECASE)
_SALES = re.compile(rf"{_B}(?P<n>{NUM_AR})\+?\s?(?:sold|orders|buyers|happy customers)\b|"
                    rf"(?:已售|月销|销量|累计销售|热销)\s?(?P<n2>{NUM})\+?", re.IGNORECASE)

_SIZE_LETTER = r"(?:XXXS|XXS|XS|XXXL|XXL|XL|[2-6]XL|S|M|L)"
_LETTER_ORDER = ("XXXS", "XXS", "XS", "S", "M", "L", "XL", "XXL", "XXXL", "4XL", "5XL", "6XL")
_LETTER_ALIAS = {"2XL": "XXL", "3XL": "XXXL"}
_SIZE_RANGE = re.compile(rf"(?<![A-Za-z0-9])(?P<lo>{_SIZE_LETTER})\s?[-–~至到]\s?(?P<hi>{_SIZE_LETTER})"
                         r"(?:\s?码)?(?![A-Za-z])")
_SIZE_SINGLE = re.compile(rf"(?:\bsize\s|尺码[:：]?\s?)(?P<one>{_SIZE_LETTER})(?![A-Za-z])|"
                          rf"(?<![A-Za-z0-9])(?P<one2>{_SIZE_LETTER})码", re.IGNORECASE)
_SIZE_NUMERIC = re.compile(r"(?:\bEU\s?|\bW)(?P<lo>\d{2})\s?[-–~]\s?W?(?P<hi>\d{2})(?!\d)|"
                           r"(?<!\d)(?P<lo2>\d{2})\s?[-–~]\s?(?P<hi2>\d{2})\s?码|"
                           r"(?:\bEU\s?|\bsize\s)(?P<one>\d{2})(?!\d)|(?<!\d)(?P<one2>\d{2})码")
_SIZE_WORD = re.compile(r"(?P<zh>[大中小])号|\b(?P<en>Small|Medium|Large)\s?\(|"
                        r"\bsize\s(?P<en2>small|medium|large)\b|\b(?P<en3>small|medium|large)\ssize\b")
_SIZE_WORDS = {"大": "large", "中": "medium", "小": "small"}

_PREFIXED = re.compile(r"\bSPF\s?(?P<spf>\d{1,3})\+?|\bIP\s?(?P<ip>\d{2})\b|(?i:"
                       r"(?:\bBluetooth\s?|蓝牙)(?P<bt>\d\.\d))|(?P<net>(?<![A-Za-z0-9])[2-6]G(?![A-Za-z0-9]))")
_QUANTITY = re.compile(rf"{_B}(?P<a>{NUM})(?:\s?(?P<sep>[-–~～至到x×*])\s?(?P<b>{NUM}))?\s?-?\s?"
                       rf"(?P<unit>{UNIT_ALT})(?![A-Za-z])", re.IGNORECASE)
_PERCENT = re.compile(rf"{_B}(?P<a>{NUM_AR})\s?%")

_GENDER = re.compile(r"\b(?P<w>women'?s|ladies'?|for women|for her)(?![A-Za-z])|\b(?P<m>men'?s|for men|for him)"
                     r"(?![A-Za-z])|(?P<wz>女款|女士|女式|女装|女生)|(?P<mz>男款|男士|男式|男装|男生)", re.IGNORECASE)
_NEW = re.compile(r"\bnew arrivals?\b|\bnew in\b|\bjust (?:in|landed|arrived)\b|\bnewly (?:listed|added|launched)\b|"
                  r"\bbrand[- ]new\b|新品|新款|上新|新到|首发", re.IGNORECASE)
_STOCK = re.compile(r"(?P<yes>\bin stock\b|\bavailable now\b|现货|有货)|"
                    r"(?P<no>\bsold out\b|\bout of stock\b|售罄|缺货|无货)", re.IGNORECASE)
_SERVICE = re.compile(r"\bfree (?:shipping|delivery|returns?|gift wrapping)\b|\b(?:\d+[- ]year |lifetime )?"
                      r"warranty\b|\bmoney[- ]back\b|\bfree gift\b|包邮|免运费|无理由退(?:换)?货|退换无忧|保修|质保|"
                      r"运费险|赠品|送礼品", re.IGNORECASE)
#: A service term with the number before it ("7天无理由退货", "2-year warranty").
_SERVICE_SPAN = re.compile(rf"(?:{NUM}\s?-?\s?(?:天|日|days?|years?|年)\s?)?(?:{_SERVICE.pattern})", re.IGNORECASE)
_UNKNOWN_BRAND = re.compile(r"(?:\bby|\bfrom)\s(?P<name>[A-Z][A-Za-z'&-]+(?:\s[A-Z][A-Za-z'&-]+){0,2})|"
                            r"品牌[:：]\s?(?P<zh>[\u4e00-\u9fffA-Za-z]{2,8})")
_NOT_NAMES = frozenset({"the", "a", "an", "our", "your", "this", "that", "these", "those", "us", "you", "we", "it",
                        "its", "home", "today", "tomorrow", "now", "monday", "tuesday", "wednesday", "thursday",
                        "friday", "saturday", "sunday", "january", "february", "march", "april", "may", "june",
                        "july", "august", "september", "october", "november", "december", "head", "top",
                        "day", "morning", "work", "all", "every", "each", "one", "two", "three"})
#: Single English category words too common in ordinary copy to count as a category claim.
_AMBIGUOUS_CATEGORY = frozenset({"case", "cases", "watch", "watches", "top", "tops", "set", "sets", "cover",
                                 "covers", "box", "boxes", "basket", "baskets", "stick", "tint", "shell", "pan",
                                 "pans", "storage", "household", "accessories", "staples", "appliances",
                                 "computers", "clothing", "shoes", "bags", "phones", "audio"})


# ------------------------------------------------------------------------------------------- vocabulary
@dataclass(frozen=True)
class _Entry:
    surface: str  # lower case for case-insensitive entries
    kind: ClaimKind | None  # None: a shield (consumed, no claim)
    id: str
    case_sensitive: bool


class _Vocabulary:
    """A first-character index over vocabulary entries; finds leftmost-longest matches quickly."""

    def __init__(self, entries: Iterable[_Entry]) -> None:
        self.index: dict[str, list[_Entry]] = {}
        seen: set[tuple[str, bool]] = set()
        for e in entries:
            if not e.surface or (e.surface, e.case_sensitive) in seen:
                continue
            seen.add((e.surface, e.case_sensitive))
            self.index.setdefault(e.surface[0].lower(), []).append(e)
        for bucket in self.index.values():
            bucket.sort(key=lambda e: -len(e.surface))

    def scan(self, text: str) -> list[tuple[int, int, _Entry]]:
        low = text.lower()
        out = []
        i, n = 0, len(text)
        while i < n:
            c = low[i]
            bucket = self.index.get(c)
            if bucket is None or (c.isascii() and c.isalnum() and i > 0 and low[i - 1].isascii()
                                  and low[i - 1].isalnum()):
                i += 1
                continue
            hit = None
            for e in bucket:
                j = i + len(e.surface)
                if not low.startswith(e.surface.lower(), i):
                    continue
                if e.case_sensitive and text[i:j] != e.surface:
                    continue
                if e.surface[-1].isascii() and e.surface[-1].isalnum() and j < n and low[j].isascii() \
                        and low[j].isalnum():
                    continue
                hit = (i, j, e)
                break
            if hit:
                out.append(hit)
                i = hit[1]
            else:
                i += 1
        return out


def _case_sensitive(alias: str) -> bool:
    """One-word aliases with two or more capitals ("ABS", "GaN", "UK") must match exactly."""
    return " " not in alias and sum(ch.isupper() for ch in alias) >= 2


def category_forms(term: str) -> set[str]:
    """A category name plus its singular / plural form ("Dresses" -> "dresses", "dress")."""
    t = key(term)
    forms = {t}
    if t.isascii():
        if re.search(r"(?:ss|sh|ch|x)es$", t):
            forms.add(t[:-2])
        elif t.endswith("s") and not t.endswith("ss") and len(t) > 4:
            forms.add(t[:-1])
        elif not t.endswith("s"):
            forms.add(t + ("es" if re.search(r"(?:ss|sh|ch|x)$", t) else "s"))
    return {f for f in forms if f not in _AMBIGUOUS_CATEGORY}


# ------------------------------------------------------------------------------------------- extractor
class ClaimExtractor:
    """Finds claims in texts.

    Parameters
    ----------
    brands:
        Every brand name the shop knows (English and Chinese), mapped to one canonical name per brand.
    categories:
        Category and product-type names (any language) whose mention counts as a category claim.
    """

    def __init__(self, brands: Mapping[str, str] | None = None, categories: Iterable[str] = ()) -> None:
        self.brands = {key(k): v for k, v in (brands or {}).items()}
        lex = lexicon()
        self._common = lex.common_words
        entries: list[_Entry] = []
        for alias in (brands or {}):
            a = alias.strip()
            entries.append(_Entry(a, "brand", key(a), a.isascii()))
        kinds: tuple[TermKind, ...] = ("material", "colour", "origin")
        for kind in kinds:
            for term in lex.terms[kind].values():
                for alias in (*term.en, *term.zh):
                    cs = _case_sensitive(alias)
                    entries.append(_Entry(alias if cs else alias.lower(), kind, term.id, cs))
        for phrases in lex.shields.values():
            for phrase in phrases:
                entries.append(_Entry(phrase.lower(), None, phrase, False))
        for cat in categories:
            for form in category_forms(cat):
                entries.append(_Entry(form, "category", form, False))
        self._vocab = _Vocabulary(entries)

    # -------------------------------------------------------------- public
    def extract(self, text: str) -> list[Claim]:
        """All claims in ``text``, in order of position."""
        work = normalise_text(text)
        claims: list[Claim] = []
        stages: tuple[Callable[[str, str], Sequence[Claim | tuple[int, int]]], ...] = (
            self._sales, self._ratings, self._prices, self._discounts, self._sizes, self._prefixed,
            self._services, self._vocabulary, self._quantities, self._percentages, self._phrases,
            self._unknown_brands)
        for stage in stages:
            for found in stage(work, text):
                s, e = (found.start, found.end) if isinstance(found, Claim) else found
                work = work[:s] + "\x00" * (e - s) + work[e:]
                if isinstance(found, Claim):
                    claims.append(found)
        return sorted(claims, key=lambda c: c.start)

    # -------------------------------------------------------------- stages
    @staticmethod
    def _claim(kind: ClaimKind, m: re.Match[str], original: str, span: tuple[int, int] | None = None,
               **value: Any) -> Claim:
        s, e = span or m.span()
        return Claim(kind=kind, text=original[s:e], start=s, end=e, value=value)

    def _sales(self, work: str, original: str) -> list[Claim]:
        out = []
        for m in _SALES.finditer(work):
            n = parse_number(m.group("n") or m.group("n2"))
            if n is not None:
                out.append(self._claim("sales", m, original, count=n))
        return out

    def _ratings(self, work: str, original: str) -> list[Claim]:
        out = []
        for m in _RATING.finditer(work):
            r = float(m.group("r") or m.group("r2") or m.group("r3"))
            out.append(self._claim("rating", m, original, rating=r))
        for m in _REVIEWS.finditer(_mask(work, out)):
            n = parse_number(m.group("n") or m.group("n2"))
            if n is not None and not (n == 1 and (m.group("n") or m.group("n2")) == "一"):
                out.append(self._claim("rating", m, original, reviews=n))
        return out

    def _prices(self, work: str, original: str) -> list[Claim]:
        out: list[Claim] = []
        for pattern in (_PRICE_PRE, _PRICE_SUF):
            for m in pattern.finditer(_mask(work, out)):
                amount = parse_number(m.group("num"))
                if amount is None:
                    continue
                cur = m.group("cur").lower()
                currencies = _CURRENCIES.get(cur) or _CURRENCIES.get(m.group("cur"), ())
                before, after = work[max(0, m.start() - 24):m.start()], work[m.end():m.end() + 4]
                bound = "eq"
                if _MAX_BEFORE.search(before) or _MAX_AFTER.match(after):
                    bound = "max"
                elif _MIN_BEFORE.search(before) or _MIN_AFTER.match(after):
                    bound = "min"
                role = "saving" if _SAVE_BEFORE.search(before) else "original" if _WAS_BEFORE.search(before) \
                    else "price"
                out.append(self._claim("price", m, original, amount=amount, currencies=list(currencies),
                                       bound=bound, role=role))
        return out

    def _discounts(self, work: str, original: str) -> list[Claim]:
        out = []
        for m in _DISCOUNT_PCT.finditer(work):
            pct = float(m.group("pct") or m.group("pct2"))
            out.append(self._claim("discount", m, original, discount=round(pct / 100, 4)))
        for m in _DISCOUNT_ZHE.finditer(_mask(work, out)):
            raw = m.group("zhe") or m.group("zhe_zh").replace("点", ".")
            if m.group("zhe_zh"):
                digits = "".join(str(int(parse_number(c) or 0)) if c != "." else "." for c in raw)
                paid = float(digits) if "." in digits else float(digits) / (10 ** (len(digits) - 1))
            else:
                paid = float(raw)
                paid = paid if paid < 10 else paid / 10  # 85折 = 8.5折
            if 0 < paid < 10:
                out.append(self._claim("discount", m, original, discount=round(1 - paid / 10, 4)))
        for m in _ON_SALE.finditer(_mask(work, out)):
            out.append(self._claim("discount", m, original, discount=None))
        return out

    def _sizes(self, work: str, original: str) -> list[Claim]:
        out = []
        for m in _SIZE_RANGE.finditer(work):
            lo, hi = _letter(m.group("lo")), _letter(m.group("hi"))
            if lo is not None and hi is not None:
                out.append(self._claim("size", m, original, system="letter", lo=lo, hi=hi))
        for m in _SIZE_SINGLE.finditer(_mask(work, out)):
            one = _letter((m.group("one") or m.group("one2")).upper())
            if one is not None:
                out.append(self._claim("size", m, original, system="letter", lo=one, hi=one))
        for m in _SIZE_NUMERIC.finditer(_mask(work, out)):
            low = m.group("lo") or m.group("lo2") or m.group("one") or m.group("one2")
            high = m.group("hi") or m.group("hi2") or low
            out.append(self._claim("size", m, original, system="numeric", lo=float(low), hi=float(high)))
        for m in _SIZE_WORD.finditer(_mask(work, out)):
            zh = m.group("zh")
            word = _SIZE_WORDS[zh] if zh else (m.group("en") or m.group("en2") or m.group("en3")).lower()
            span = (m.start(), m.start() + len(m.group("en"))) if m.group("en") else None  # not the "("
            out.append(self._claim("size", m, original, span, system="word", word=word))
        return out

    def _prefixed(self, work: str, original: str) -> list[Claim | tuple[int, int]]:
        out: list[Claim | tuple[int, int]] = []
        for m in _PREFIXED.finditer(work):
            if m.group("net"):  # "5G" is a network, not five grams: consumed without a claim
                out.append(m.span())
                continue
            dim = "spf" if m.group("spf") else "ip" if m.group("ip") else "bluetooth"
            val = float(m.group("spf") or m.group("ip") or m.group("bt"))
            out.append(self._claim("quantity", m, original, dim=dim, values=[val]))
        return out

    def _vocabulary(self, work: str, original: str) -> list[Claim | tuple[int, int]]:
        out: list[Claim | tuple[int, int]] = []
        for s, e, entry in self._vocab.scan(work):
            if entry.kind is None:  # a shield is consumed without a claim
                out.append((s, e))
                continue
            value: dict[str, Any] = {"id": entry.id}
            if entry.kind == "brand":
                value = {"brand": self.brands.get(entry.id, original[s:e])}
                if entry.id in self._common and not _brand_context(work, s, e):
                    value["weak"] = True  # an ordinary word here, unless it is the item's own brand
            out.append(Claim(kind=entry.kind, text=original[s:e], start=s, end=e, value=value))
        return out

    def _quantities(self, work: str, original: str) -> list[Claim]:
        out = []
        for m in _QUANTITY.finditer(work):
            unit = unit_of(m.group("unit"))
            a = parse_number(m.group("a"))
            if unit is None or a is None:
                continue
            dim, factor = unit
            raw_nums = [m.group("a")] + ([m.group("b")] if m.group("b") else [])
            nums = [a] + ([b] if m.group("b") and (b := parse_number(m.group("b"))) is not None else [])
            if dim in COUNT_DIMS and raw_nums == ["一"]:
                continue
            if dim == "year" and a >= 1900:  # a date, not a duration
                continue
            out.append(self._claim("quantity", m, original, dim=dim, values=[round(v * factor, 6) for v in nums]))
        return out

    def _percentages(self, work: str, original: str) -> list[Claim]:
        out = []
        for m in _PERCENT.finditer(work):
            a = parse_number(m.group("a"))
            if a is not None:
                out.append(self._claim("quantity", m, original, dim="%", values=[a]))
        return out

    def _phrases(self, work: str, original: str) -> list[Claim]:
        out = []
        for m in _GENDER.finditer(work):
            g = "women" if (m.group("w") or m.group("wz")) else "men"
            out.append(self._claim("gender", m, original, gender=g))
        for m in _NEW.finditer(_mask(work, out)):
            out.append(self._claim("newness", m, original))
        for m in _STOCK.finditer(_mask(work, out)):
            out.append(self._claim("availability", m, original, in_stock=bool(m.group("yes"))))

        return out

    def _services(self, work: str, original: str) -> list[Claim]:
        """Shipping, returns, warranty and gifts: promises a product record rarely makes."""
        return [self._claim("service", m, original, term=m.group(0).lower())
                for m in _SERVICE_SPAN.finditer(work)]

    def _unknown_brands(self, work: str, original: str) -> list[Claim]:
        out = []
        for m in _UNKNOWN_BRAND.finditer(work):
            name = m.group("name") or m.group("zh")
            if not name or "\x00" in name:
                continue
            if m.group("name"):
                words = [w for w in name.split() if w.lower() not in _NOT_NAMES]
                if not words or words[0] != name.split()[0]:
                    continue
            span = m.span("name") if m.group("name") else m.span("zh")
            out.append(self._claim("brand", m, original, span, brand=None, name=name))
        return out


_BRAND_AFTER = ("品牌", "牌", "出品", "旗下", "官方")
_BRAND_BEFORE = ("品牌", "品牌：", "品牌:", "来自")


def _brand_context(text: str, start: int, end: int) -> bool:
    """Whether an ordinary-word brand name is used as a brand here (see ``common_words`` in the vocabulary)."""
    if text[start:end].isascii():
        before = text[:start].rstrip()
        return bool(before) and before[-1] not in ".!?\n\x00"
    return text.startswith(_BRAND_AFTER, end) or text[:start].endswith(_BRAND_BEFORE)


def _mask(work: str, claims: list[Claim]) -> str:
    for c in claims:
        work = work[:c.start] + "\x00" * (c.end - c.start) + work[c.end:]
    return work


def _letter(raw: str) -> int | None:
    raw = _LETTER_ALIAS.get(raw.upper(), raw.upper())
    return _LETTER_ORDER.index(raw) if raw in _LETTER_ORDER else None


def letter_name(index: int) -> str:
    """The clothing size at ``index`` of the size order (for messages)."""
    return _LETTER_ORDER[index]
