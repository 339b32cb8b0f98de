"""Finding the factual claims in a text (English, Chinese or both), without judging them yet.

A claim is a checkable statement of fact: a brand, a price or discount, a number with a unit, a size, a
material, a colour, a category word, an origin, gender, newness, stock, ratings and sales figures. The
extractor works in stages (prices before bare numbers, long vocabulary entries before their parts) and
masks what each stage consumed, so "90% White Duck Down" yields one material claim and one percentage,
and "Black Tea" is a product, not a colour.

Prices are found with a currency ("¥129", "129元", "19.99 dollars", "169块9") and without one after words that
introduce a price ("Price: 299", "售价129", "only 19.99"); discounts as percentages, 折, "half price" and
promotions ("买一送一", "满300减50"); brands from the catalog (any case), well-known brands from the
vocabulary, and unknown names where copy puts a brand ("by Lunaria", "Lunaria shirt dress", "薇摩拉出品").

>>> ex = ClaimExtractor(categories=["Dresses"])
>>> [(c.kind, c.text) for c in ex.extract("Lunaria dress, XL, 100% wool, only 19.99!")]
[('brand', 'Lunaria'), ('category', 'dress'), ('size', 'XL'), ('material', '100% wool'), ('price', '19.99')]

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

from pydantic import BaseModel, computed_field

from shopmind.content.lexicon import TermKind, english_words, key, lexicon
from shopmind.content.specs import NUM_EN, find_services, find_specs, number
from shopmind.content.units import COUNT_DIMS, NUM, NUM_AR, UNIT_ALT, normalise_text, parse_number, unit_of

ClaimKind = Literal["brand", "price", "discount", "quantity", "size", "material", "colour", "category",
                    "origin", "gender", "newness", "availability", "rating", "sales", "service", "spec", "name"]
#: What the checker decided: the item states the fact, states another value, or states nothing about it.
Verdict = Literal["supported", "contradicted", "unsupported"]


class Claim(BaseModel):
    """One factual claim found in a text; ``supported`` and ``reason`` are set by the checker."""

    kind: ClaimKind
    text: str
    start: int
    end: int
    value: dict[str, Any]
    supported: bool | None = None
    reason: str = ""
    #: ``supported``, ``contradicted`` (the item states another value) or ``unsupported`` (it states nothing
    #: about this); None when the claim could not be judged (a brand that is also an ordinary word).
    verdict: Verdict | None = None
    #: The item's fact the claim was checked against ("Capacity: 50 ml"), empty when the item states none.
    fact: str = ""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def attribute(self) -> str:
        """The attribute the claim is about: ``brand``, ``price``, ``volume``, ``warranty``, ``author``..."""
        return attribute_of(self.kind, self.value)


#: The attribute a measured value is about, by its dimension.
_DIM_ATTRIBUTE = {"ml": "volume", "oz": "volume", "g": "weight", "lb": "weight", "mm": "size", "inch": "size",
                  "sqm": "area", "GB": "storage", "mAh": "battery", "Wh": "battery", "W": "power", "V": "voltage",
                  "h": "duration", "min": "duration", "Hz": "frequency", "bar": "pressure", "atm": "water resistance",
                  "person": "capacity", "pack": "count", "piece": "count", "day": "period", "month": "period",
                  "year": "period", "%": "percentage", "spf": "spf", "ip": "ip rating", "hp_ac": "cooling power"}


def attribute_of(kind: str, value: Mapping[str, Any]) -> str:
    """The attribute name of a claim (see :attr:`Claim.attribute`).

    >>> attribute_of("quantity", {"dim": "mAh"}), attribute_of("spec", {"attribute": "wifi"})
    ('battery', 'wifi')
    """
    if kind == "quantity":
        return _DIM_ATTRIBUTE.get(str(value.get("dim")), str(value.get("dim")))
    if kind in ("spec", "name", "service") and value.get("attribute"):
        return str(value["attribute"])
    if kind == "rating" and "reviews" in value:
        return "reviews"
    return kind

# ------------------------------------------------------------------------------------------- patterns
_B = r"(?<![A-Za-z0-9.])"  # no letter/digit right before a number
_CUR_PRE = r"US\$|HK\$|S\$|A\$|C\$|RMB|CNY|USD|EUR|GBP|JPY|HKD|[$€£¥]"
_CUR_SUF = (r"元|块钱|块|人民币|美元|美金|欧元|英镑|日元|港币|港元|yuan|RMB|CNY|USD|dollars?|bucks|euros?|EUR|pounds?|"
            r"GBP")
_CURRENCIES: dict[str, tuple[str, ...]] = {
    "¥": ("CNY", "JPY"), "rmb": ("CNY",), "cny": ("CNY",), "元": ("CNY",), "块": ("CNY",), "块钱": ("CNY",),
    "人民币": ("CNY",), "yuan": ("CNY",), "jpy": ("JPY",), "$": ("USD", "HKD", "SGD", "AUD", "CAD"),
    "us$": ("USD",), "usd": ("USD",), "dollar": ("USD", "HKD", "SGD", "AUD", "CAD"),
    "dollars": ("USD", "HKD", "SGD", "AUD", "CAD"), "hk$": ("HKD",), "hkd": ("HKD",), "s$": ("SGD",),
    "a$": ("AUD",), "c$": ("CAD",), "€": ("EUR",), "eur": ("EUR",), "euro": ("EUR",), "euros": ("EUR",),
    "£": ("GBP",), "gbp": ("GBP",), "pound": ("GBP",), "pounds": ("GBP",), "美元": ("USD",), "美金": ("USD",),
    "欧元": ("EUR",), "英镑": ("GBP",), "日元": ("JPY",), "港币": ("HKD",), "港元": ("HKD",),
    "bucks": ("USD", "CNY", "HKD", "SGD", "AUD", "CAD"),
}
_PRICE_PRE = re.compile(rf"(?P<cur>{_CUR_PRE})\s?(?P<num>{NUM_AR})")
_PRICE_SUF = re.compile(rf"{_B}(?P<num>{NUM})\s?(?P<cur>{_CUR_SUF})(?![A-Za-z])", re.IGNORECASE)
#: "169块9" / "169元9角": yuan and jiao (169.9 yuan).
_PRICE_JIAO = re.compile(r"(?<![A-Za-z0-9.])(?P<num>\d+)\s?(?P<cur>块|元)(?P<jiao>\d)(?:角|毛)?"
                         r"(?![\d.%件个份包盒瓶支双套斤克只条张片袋罐])")
#: What follows a number that is not a price: a unit, a percentage, a size, a count word.
_NOT_MONEY = rf"\s?-?\s?(?:{UNIT_ALT}|[%A-Za-z折码号倍件个份包盒瓶支双套斤只条张片袋罐款种色次步层档颗位])"
#: A bare number after words that only introduce a price ("Price: 299", "售价129", "costs 59").
_PRICE_CUE = re.compile(
    r"(?:\b(?:price[ds]?(?:\s(?:at|of|is|now|only|just))?|costs?|retails?\s(?:at|for))|"
    r"售价|价格|现价|到手价|秒杀价|活动价|券后价?|折后价?|优惠价|特价|团购价|会员价|仅售|只卖|原价|划线价|"
    r"立减|立省|直降|减价)"
    rf"\s?[:：]?\s?(?P<num>{NUM_AR})(?![\d]|[,.]\d)(?!{_NOT_MONEY})", re.IGNORECASE)
#: A bare number after words that introduce a price or something else ("only 19.99", "只要129"): a price when
#: it has cents or ends the phrase.
_PRICE_WEAK_CUE = re.compile(
    r"(?:\b(?:only|just|now|for|yours for|all (?:this )?for|get it for|grab it for|for only|for just|at just|"
    r"at only|was|originally|save)|只要|只需|仅需|仅要|到手仅?|低至|仅)"
    rf"\s?[:：]?\s?(?P<num>{NUM_AR})(?![\d]|[,.]\d)(?!{_NOT_MONEY})", re.IGNORECASE)
#: A number with cents and nothing after it that makes it a measure ("Shirt dress, 19.99."): a price.
_PRICE_CENTS = re.compile(r"(?<![A-Za-z0-9_.,/:-])(?P<num>(?:\d{1,3}(?:,\d{3})+|\d+)\.\d\d)(?!\d|[.,]\d)"
                          rf"(?!{_NOT_MONEY})(?!\s?(?:/|out of|分|星))")
_PHRASE_END = re.compile(r"\s*(?:$|[.,!?;:)\]，。！？；：、）】~～]|就|即|便|带|入手|拿下|到手|起|包邮)")
_MAX_BEFORE = re.compile(r"(?:under|below|less than|at most|up to|no more than|不到|低于|不超过)\s*$",
                         re.IGNORECASE)
_MIN_BEFORE = re.compile(r"(?:over|above|more than|at least|from|starting at|高于|超过)\s*$", re.IGNORECASE)
_SAVE_BEFORE = re.compile(r"(?:save|saving|savings of|you save|立减|立省|省|减|直降|优惠|便宜)\s*$", re.IGNORECASE)
_WAS_BEFORE = re.compile(r"(?:was|originally|regular price|list price|原价|划线价)\s*[:：]?\s*$", re.IGNORECASE)
_MAX_AFTER = re.compile(r"^\s*(?:以内|以下)")
_MIN_AFTER = re.compile(r"^\s*(?:以上|起)")

_DISCOUNT_PCT = re.compile(r"(?P<pct>\d{1,2}(?:\.\d+)?)\s?(?:%|\s?percent|\s?per cent)\s?(?:off|discount|折扣)|"
                           r"(?:save|saving|discount of)\s(?P<pct2>\d{1,2}(?:\.\d+)?)\s?(?:%|\s?percent\b)|"
                           r"(?<![\w.])[-−–](?P<pct3>\d{1,2})\s?%(?!\s?[-–~])|"
                           r"(?:省|优惠|降价|直降|立减|便宜)\s?(?P<pct4>\d{1,2}(?:\.\d+)?)\s?%|"
                           r"(?P<half>\bhalf[- ](?:price|off)\b|半价)", re.IGNORECASE)
#: "up to 50% off", "低至5折": the largest discount, not the discount of every item.
_DISCOUNT_MAX_BEFORE = re.compile(r"(?:up to|as much as|最高|最多|低至|最低)\s*$", re.IGNORECASE)
#: Promotions that are not a price cut of the item itself: buy-one-get-one, spend-and-save, coupons.
_PROMO = re.compile(r"\bbuy (?:one|1|two|2),? get (?:one|1)(?: free| half[- ]off| half price)?\b|\bBOGO\b|"
                    r"\bcoupons?(?: code)?\b|\bpromo code\b|"
                    r"买[一二三1-3](?:送|赠)[一1]|第(?:二|2)件(?:半价|[0-9一二三四五六七八九]折|[0-9]元)|"
                    r"每?满\s?\d+\s?元?\s?减\s?\d+\s?元?|满减|领券|优惠券|券后", re.IGNORECASE)
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
_SIZE_RANGE = re.compile(rf"(?<![A-Za-z0-9])(?P<lo>{_SIZE_LETTER})(?:\s?[-–~至到]\s?|\s(?:to|through)\s)"
                         rf"(?P<hi>{_SIZE_LETTER})(?:\s?码)?(?![A-Za-z])")
#: A letter size on its own: only the forms that are not ordinary letters ("XL", "XXS", "3XL", not "S" or "M").
_SIZE_BARE = re.compile(r"(?<![A-Za-z0-9&'’-])(?P<one>XXXS|XXS|XS|XXXL|XXL|XL|[2-6]XL)(?:\s?[码号])?(?![A-Za-z0-9&'’])")
_SIZE_SINGLE = re.compile(rf"(?:\bsize\s|尺码[:：]?\s?)(?P<one>{_SIZE_LETTER})(?![A-Za-z])|"
                          rf"(?<![A-Za-z0-9])(?P<one2>{_SIZE_LETTER})码", re.IGNORECASE)
_SIZE_NUMERIC = re.compile(r"(?:\bEU\s?|\bW)(?P<lo>\d{2})\s?[-–~]\s?W?(?P<hi>\d{2})(?!\d)|"
                           r"(?<!\d)(?P<lo2>\d{2})\s?[-–~]\s?(?P<hi2>\d{2})\s?码|"
                           r"(?:\bEU\s?|\bsize\s)(?P<one>\d{2})(?!\d)|(?<!\d)(?P<one2>\d{2})码")
_SIZE_WORD = re.compile(r"(?P<zh>[大中小])号|\b(?P<en>Small|Medium|Large)\s?\(|"
                        r"\bsize\s(?P<en2>small|medium|large)\b|\b(?P<en3>small|medium|large)\ssize\b")
_SIZE_WORDS = {"大": "large", "中": "medium", "小": "small"}

_PREFIXED = re.compile(r"\bSPF\s?(?P<spf>\d{1,3})\+?|\bIP\s?(?P<ip>\d{2})\b")
_QUANTITY = re.compile(rf"{_B}(?P<a>{NUM}|{NUM_EN})(?:\s?(?P<sep>[-–~～至到x×*])\s?(?P<b>{NUM}))?\s?-?\s?"
                       rf"(?P<unit>{UNIT_ALT})(?![A-Za-z])", re.IGNORECASE)
_PERCENT = re.compile(rf"{_B}(?P<a>{NUM_AR})\s?%")

_GENDER = re.compile(r"\b(?P<w>women'?s|ladies'?|for women|for her)(?![A-Za-z])|\b(?P<m>men'?s|for men|for him)"
                     r"(?![A-Za-z])|(?P<wz>女款|女士|女式|女装|女生)|(?P<mz>男款|男士|男式|男装|男生)", re.IGNORECASE)
_NEW = re.compile(r"\bnew arrivals?\b|\bnew in\b|\bjust (?:in|landed|arrived)\b|\bnewly (?:listed|added|launched)\b|"
                  r"\bbrand[- ]new\b|新品|新款|上新|新到|首发", re.IGNORECASE)
_STOCK = re.compile(r"(?P<yes>\bin stock\b|\bavailable now\b|现货|有货)|"
                    r"(?P<no>\bsold out\b|\bout of stock\b|售罄|缺货|无货)", re.IGNORECASE)
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
            hits = self._at(text, low, i)
            if not hits:
                i += 1
                continue
            hit = hits[0]
            if not hit[2].surface.isascii():
                hit = self._split(text, low, hits)
            out.append(hit)
            i = hit[1]
        return out

    def _at(self, text: str, low: str, i: int) -> list[tuple[int, int, _Entry]]:
        """Every entry that matches at ``i``, longest first."""
        c = low[i]
        bucket = self.index.get(c)
        n = len(text)
        if bucket is None or (c.isascii() and c.isalnum() and i > 0 and low[i - 1].isascii()
                              and low[i - 1].isalnum()):
            return []
        out = []
        for e in bucket:
            j = i + len(e.surface)
            if not low.startswith(e.surface.lower(), i):
                continue
            if e.case_sensitive and text[i:j] != e.surface:
                continue
            if e.surface[-1].isascii() and e.surface[-1].isalnum() and j < n and low[j].isascii() \
                    and low[j].isalnum():
                continue
            out.append((i, j, e))
        return out

    def _split(self, text: str, low: str, hits: list[tuple[int, int, _Entry]]) -> tuple[int, int, _Entry]:
        """Chinese has no spaces: of "棉被套" read "棉" + "被套" (cotton duvet cover), not "棉被" + "套", when
        a shorter entry at the same place is followed by an entry that reaches further than the longest one."""
        i, j, _ = hits[0]
        for short in hits[1:]:
            k = short[1]
            if any(e2 > j for _, e2, _ in self._at(text, low, k)):
                return short
        return hits[0]


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

    def __init__(self, brands: Mapping[str, str] | None = None, categories: Iterable[str] = (),
                 names: Mapping[str, Iterable[str]] | None = None) -> None:
        lex = lexicon()
        known = {alias: name for name, aliases in lex.known_brands.items() for alias in aliases}
        all_brands = {**known, **(brands or {})}  # a catalog brand wins over a well-known one of the same name
        self.brands = {key(k): v for k, v in all_brands.items()}
        self._common = lex.common_words
        entries: list[_Entry] = []
        for alias in all_brands:
            a = alias.strip()
            entries.append(_Entry(a, "brand", key(a), a.isascii()))
            if a.isascii() and a.upper() != a:  # "MAISON CLAIR" in a shouting headline is still the brand
                entries.append(_Entry(a.upper(), "brand", key(a), True))
            if a.isascii() and " " in a and a.lower() != a:  # "green pasture" in lower case: neither a brand
                entries.append(_Entry(a.lower(), None, a, False))  # nor the colour green
            elif a.isascii() and a.isalpha() and key(a) not in self._common and not _is_word(a):
                entries.append(_Entry(a.lower(), "brand", key(a), False))  # "corvin" is still Corvin
            if a.isascii() and a.islower():  # a catalog that stores "apple" is still about "Apple"
                entries.append(_Entry(a.title(), "brand", key(a), True))
        self.names = {k: tuple(v) for k, v in (names or {}).items()}
        for attr, values in self.names.items():
            for name in values:
                n = name.strip()
                entries.append(_Entry(n if _case_sensitive(n) else n.lower(), "name", f"{attr}\x1f{n}",
                                      _case_sensitive(n)))

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
        work = normalise_text(text).replace("\x00", " ")  # NUL marks consumed text from here on
        claims: list[Claim] = []
        stages: tuple[Callable[[str, str], Sequence[Claim | tuple[int, int]]], ...] = (
            self._sales, self._ratings, self._prices, self._discounts, self._specs, self._sizes, self._prefixed,
            self._services, self._vocabulary, self._quantities, self._percentages, self._phrases,
            self._unknown_brands)
        for stage in stages:
            for found in stage(work, text):
                s, e = (found.start, found.end) if isinstance(found, Claim) else found
                work = work[:s] + "\x00" * (e - s) + work[e:]
                if isinstance(found, Claim):
                    claims.append(found)
        return _join_pure(sorted(claims, key=lambda c: c.start), text)

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
        for pattern in (_PRICE_PRE, _PRICE_JIAO, _PRICE_SUF, _PRICE_CUE, _PRICE_WEAK_CUE, _PRICE_CENTS):
            bare = pattern in (_PRICE_CUE, _PRICE_WEAK_CUE, _PRICE_CENTS)
            for m in pattern.finditer(_mask(work, out)):
                amount = parse_number(m.group("num"))
                if amount is None:
                    continue
                if "jiao" in pattern.groupindex:
                    amount += int(m.group("jiao")) / 10
                if pattern is _PRICE_WEAK_CUE and not re.search(r"\.\d\d$", m.group("num")) \
                        and (amount < 10 or not _PHRASE_END.match(work, m.end())
                             or (m.group(0)[:4].lower() == "for " and 1900 <= amount <= 2100)):
                    continue  # "only 3 left", "仅3天", "for 2.", "ready for 2026.": not a price
                currencies: tuple[str, ...] = ()
                if not bare:
                    cur = m.group("cur").lower()
                    currencies = _CURRENCIES.get(cur) or _CURRENCIES.get(m.group("cur"), ())
                s, e = m.span("num") if bare else m.span()
                before, after = work[max(0, s - 24):s], work[e:e + 4]
                bound = "eq"
                if _MAX_BEFORE.search(before) or _MAX_AFTER.match(after):
                    bound = "max"
                elif _MIN_BEFORE.search(before) or _MIN_AFTER.match(after):
                    bound = "min"
                role = "saving" if _SAVE_BEFORE.search(before) else "original" if _WAS_BEFORE.search(before) \
                    else "price"
                out.append(self._claim("price", m, original, (s, e), amount=amount, currencies=list(currencies),
                                       bound=bound, role=role))
        return out

    def _discounts(self, work: str, original: str) -> list[Claim]:
        out = [self._claim("discount", m, original, discount=None, promo=m.group(0).lower())
               for m in _PROMO.finditer(work)]
        for m in _DISCOUNT_PCT.finditer(_mask(work, out)):
            pct = 50.0 if m.group("half") else float(m.group("pct") or m.group("pct2") or m.group("pct3")
                                                         or m.group("pct4"))
            out.append(self._claim("discount", m, original, discount=round(pct / 100, 4)))
            out[-1].value.update(_bound(work, m.start()))
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
                out[-1].value.update(_bound(work, m.start()))
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
        for m in _SIZE_BARE.finditer(_mask(work, out)):
            one = _letter(m.group("one"))
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
            dim = "spf" if m.group("spf") else "ip"
            val = float(m.group("spf") or m.group("ip"))
            out.append(self._claim("quantity", m, original, dim=dim, values=[val]))
        return out

    @staticmethod
    def _specs(work: str, original: str) -> list[Claim]:
        """Versions, generations, connectors, resolutions and named sizes (see :mod:`.specs`); "5G" is a
        network here, not five grams."""
        return [Claim(kind="spec", text=original[s:e], start=s, end=e, value={"attribute": attr, "spec": val})
                for s, e, attr, val in find_specs(work)]

    def _vocabulary(self, work: str, original: str) -> list[Claim | tuple[int, int]]:
        out: list[Claim | tuple[int, int]] = []
        units = [m.span("unit") for m in _QUANTITY.finditer(work) if unit_of(m.group("unit")) is not None]
        hits = self._vocab.scan(work)
        for n, (s, e, entry) in enumerate(hits):
            if any(us <= s < ue for us, ue in units):  # "6 Fluid Ounce": a unit, not the category "Fluids"
                continue
            if entry.kind is None:  # a shield is consumed without a claim
                out.append((s, e))
                continue
            value: dict[str, Any] = {"id": entry.id}
            if entry.kind == "name":
                attr, _, name = entry.id.partition("\x1f")
                value = {"attribute": attr, "name": name}
            if entry.kind == "brand":
                value = {"brand": self.brands.get(entry.id, original[s:e])}
                if entry.id in self._common and not _brand_context(work, s, e) \
                        and not _names_a_product(work, s, e, hits[n + 1] if n + 1 < len(hits) else None):
                    value["weak"] = True  # an ordinary word here, unless it is the item's own brand
            out.append(Claim(kind=entry.kind, text=original[s:e], start=s, end=e, value=value))
        return out

    def _quantities(self, work: str, original: str) -> list[Claim]:
        out = []
        for m in _QUANTITY.finditer(work):
            unit = unit_of(m.group("unit"))
            a = number(m.group("a"))  # digits, Chinese numerals or English words ("two-litre")
            if unit is None or a is None:
                continue
            dim, factor = unit
            raw_nums = [m.group("a").lower()] + ([m.group("b")] if m.group("b") else [])
            nums = [a] + ([b] if m.group("b") and (b := parse_number(m.group("b"))) is not None else [])
            if dim in COUNT_DIMS and raw_nums in (["一"], ["one"]):
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

    @staticmethod
    def _services(work: str, original: str) -> list[Claim]:
        """Warranty and return periods, shipping, installation and gifts: promises a product record rarely
        makes (see :mod:`.specs`)."""
        return [Claim(kind="service", text=original[s:e], start=s, end=e,
                      value={"attribute": attr, "term": val, "text": original[s:e].lower()})
                for s, e, attr, val in find_services(work)]

    def _unknown_brands(self, work: str, original: str) -> list[Claim]:
        """Names the shop does not know, where copy puts a brand: "by Lunaria", "Lunaria shirt dress",
        "Lunaria's", "薇摩拉出品", "品牌：薇摩拉". Verified against the item's texts."""
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
        work = _mask(work, out)
        for m in _NAME_RUN.finditer(work):
            slot = bool(m.group("poss")) or bool(m.group("mark")) or work[m.end():].lstrip().startswith("\x00")
            if not slot:
                continue
            start = m.start("run")
            for w in m.group("run").split():  # "Discover Lunaria": the name is "Lunaria"
                if w.lower() not in _NOT_NAMES and not _is_word(w):
                    break
                start += len(w) + 1
            if start >= m.end("run"):
                continue
            out.append(self._claim("brand", m, original, (start, m.end("run")), brand=None,
                                   name=original[start:m.end("run")]))
        for m in _ZH_NAME.finditer(_mask(work, out)):
            group = next(g for g in ("a", "b", "c") if m.group(g))
            name = m.group(group)
            if not any(w in name for w in _ZH_NOT_NAMES):
                span = m.span(group)
                out.append(self._claim("brand", m, original, span, brand=None, name=name))
        return out


#: A run of capitalised words (a name?) and what may follow it: a possessive, a trademark sign.
_NAME_RUN = re.compile(r"(?<![A-Za-z0-9'’&\x00-])(?P<run>[A-Z][A-Za-z]{2,}(?:-[A-Za-z]+)*"
                       r"(?: [A-Z][A-Za-z]{2,}(?:-[A-Za-z]+)*){0,2})(?![A-Za-z0-9\x00-])"
                       r"(?:(?P<poss>['’]s\b)|(?P<mark>\s?[®™]))?")
#: A Chinese name where only a brand stands: "薇摩拉品牌", "薇摩拉出品", "由薇摩拉出品", "薇摩拉旗下".
_ZH_NAME = re.compile(r"(?:^|(?<=[\s，。！？；：、,.!?;:（(【「“\"]))(?P<a>[\u4e00-\u9fff]{2,6}?)(?=品牌|出品|旗下)|"
                      r"由(?P<b>[\u4e00-\u9fff]{2,6}?)(?=出品|打造|推出|制造)|"
                      r"来自(?P<c>[\u4e00-\u9fff]{2,6}?)(?=(?:品牌)?的?\x00)")
#: Words before 品牌 / 出品 that describe, not name ("知名品牌", "匠心出品").
_ZH_NOT_NAMES = ("你", "您", "喜欢", "爱的", "关注", "常买",
                 "知名", "国际", "高端", "国货", "国产", "进口", "自有", "一线", "大牌", "名牌", "热门", "奢侈", "主流",
                 "百年", "新锐", "小众", "原创", "独立", "专业", "时尚", "运动", "户外", "网红", "官方", "匠心", "精心",
                 "原厂", "品质", "正品", "良心", "用心", "自营", "工厂", "源头", "设计师", "这个", "该", "本", "同",
                 "我们", "大", "老", "好", "新", "此", "这", "那", "各", "多", "众多", "同款", "同一")
_WORD_SUFFIXES = ("'s", "’s", "s", "es", "ed", "d", "ing", "ly", "y", "er", "ers", "est", "ness", "ful", "less",
                  "able", "ible", "ish", "ive", "ity", "ment", "ism", "ist", "ize", "ise", "ized", "ised", "al")


def _is_word(word: str) -> bool:
    """Whether a capitalised word is an ordinary English word (or an inflection of one), so not a name."""
    words = english_words()
    if word.isupper() and len(word) <= 5:  # an acronym: GPS, HEPA, USB-C
        return True
    w = word.lower().strip("'’")
    if "-" in w:
        return all(_is_word(p) for p in w.split("-") if p)
    if w in words or len(w) <= 3:
        return True
    for suf in _WORD_SUFFIXES:
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            base = w[:-len(suf)]
            if base in words or base + "e" in words or (base[-1] == base[-2] and base[:-1] in words) \
                    or (base.endswith("i") and base[:-1] + "y" in words):
                return True
    return False


def _names_a_product(work: str, start: int, end: int, nxt: tuple[int, int, _Entry] | None) -> bool:
    """Whether a brand name that is also a word is followed straight away by a product word ("Tempo
    automatic watch", "节拍自动机械表"): then it names the maker. In Chinese it must also start a phrase."""
    if nxt is None or nxt[2].kind not in ("category", "material", "colour"):
        return False
    gap = work[end:nxt[0]]
    if not re.fullmatch(r"[\s\x00]*(?:(?:women|men|ladies)'?s\s+|女款|男款|女士|男士)?[\s\x00]*", gap, re.IGNORECASE):
        return False
    if work[start:end].isascii():
        return True
    before = work[:start].rstrip()
    return not before or before[-1] in "，。！？；：、,.!?;:（(【「“\"\x00\n"


_BRAND_AFTER = ("品牌", "牌", "出品", "旗下", "官方")
_BRAND_BEFORE = ("品牌", "品牌：", "品牌:", "来自")


def _brand_context(text: str, start: int, end: int) -> bool:
    """Whether an ordinary-word brand name is used as a brand here (see ``common_words`` in the vocabulary)."""
    if text[start:end].isascii():
        before = text[:start].rstrip()
        return bool(before) and before[-1] not in ".!?\n\x00"
    return text.startswith(_BRAND_AFTER, end) or text[:start].endswith(_BRAND_BEFORE)


def _bound(work: str, start: int) -> dict[str, str]:
    """``{"bound": "max"}`` for "up to 50% off" / "低至5折" (the largest discount), else nothing."""
    return {"bound": "max"} if _DISCOUNT_MAX_BEFORE.search(work[max(0, start - 12):start]) else {}


def _join_pure(claims: list[Claim], text: str) -> list[Claim]:
    """"100% cotton" / "100%羊毛" is one claim: the material, said to be pure (no separate 100% quantity)."""
    out: list[Claim] = []
    for c in claims:
        prev = out[-1] if out else None
        if c.kind == "material" and prev is not None and prev.kind == "quantity" and prev.value.get("dim") == "%" \
                and prev.value.get("values") == [100.0] and not text[prev.end:c.start].strip():
            out[-1] = Claim(kind="material", text=text[prev.start:c.end], start=prev.start, end=c.end,
                            value={**c.value, "pure": True})
            continue
        out.append(c)
    return out


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
