"""Checking a text against the data: every claim it makes must be backed by the item's facts.

:class:`GroundingChecker` extracts the claims of any text (see :mod:`shopmind.content.claims`) and verifies
each against the *evidence* of the items the text is about. Evidence is built by running the same
extractor over the items' own fact strings in both languages, so "100毫升" in a Chinese text is checked
against "100 ml" in the data, and "牛皮" against "Cowhide Leather".

>>> from shopmind.content.facts import extract_facts
>>> item = {"item_id": "b1", "title": "Ferro Cowhide Leather Crossbody Bag - Red, Large (35 cm)",
...         "brand": "Ferro", "category": "Women > Bags > Handbags", "price": 2499.0, "currency": "CNY",
...         "attributes": {"material": "Cowhide Leather", "material_zh": "牛皮", "brand_zh": "费罗"}}
>>> checker = GroundingChecker(brands={"Ferro": "Ferro", "费罗": "Ferro", "Velora": "Velora"})
>>> report = checker.check("Velora canvas bag, only ¥1,999.", extract_facts(item))
>>> [(c.text, c.supported) for c in report.claims]
[('Velora', False), ('canvas', False), ('¥1,999', False)]
>>> checker.check("费罗红色牛皮斜挎包，35厘米，仅需2499元。", extract_facts(item)).ok
True
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from pydantic import BaseModel

from shopmind.content.claims import Claim, ClaimExtractor, Verdict, category_forms, letter_name
from shopmind.content.facts import (
    COLOUR_KEYS,
    MATERIAL_KEYS,
    ORIGIN_KEYS,
    PRICE_KEYS,
    SPEC_KEYS,
    FactSheet,
    ItemLike,
    format_discount,
    format_price,
)
from shopmind.content.lexicon import english_words, key, lexicon
from shopmind.content.specs import same_spec

log = logging.getLogger(__name__)

_PRICE_TOLERANCE = 0.011
_DISCOUNT_TOLERANCE = 0.006


class GroundingReport(BaseModel):
    """The claims of one text with their verdicts.

    >>> GroundingReport(claims=[]).ok
    True
    """

    claims: list[Claim]

    @property
    def ok(self) -> bool:
        """True when no claim is unsupported."""
        return not self.unsupported

    @property
    def unsupported(self) -> list[Claim]:
        return [c for c in self.claims if c.supported is False]

    def summary(self) -> str:
        """One line: ``5 claims, 0 unsupported`` plus the unsupported ones (claims that could not be judged,
        such as a brand name that is also an ordinary word, count as neither)."""
        bad = self.unsupported
        head = f"{len(self.claims)} claims, {len(bad)} unsupported"
        return head if not bad else head + ": " + "; ".join(f"{c.text!r} ({c.reason})" for c in bad)


@dataclass
class Evidence:
    """What a set of fact sheets (plus any extra texts such as reviews) allows a text to claim."""

    brands: set[str] = field(default_factory=set)
    brand_names: list[str] = field(default_factory=list)
    prices: list[tuple[float, str | None, str]] = field(default_factory=list)  # amount, currency, role
    discounts: list[float] = field(default_factory=list)
    quantities: dict[str, list[float]] = field(default_factory=dict)
    letter_sizes: list[tuple[int, int]] = field(default_factory=list)
    numeric_sizes: list[tuple[float, float]] = field(default_factory=list)
    size_words: set[str] = field(default_factory=set)
    materials: set[str] = field(default_factory=set)
    colours: set[str] = field(default_factory=set)
    origins: set[str] = field(default_factory=set)
    text: str = ""  # every fact string, lower case (category words are looked up here)
    genders: set[str] = field(default_factory=set)
    any_new: bool = False
    stock: set[bool] = field(default_factory=set)
    ratings: list[float] = field(default_factory=list)
    review_counts: list[float] = field(default_factory=list)
    specs: dict[str, set[Any]] = field(default_factory=dict)  # attribute -> values (Bluetooth "5.3", 4K 2160)
    services: dict[str, set[Any]] = field(default_factory=dict)  # warranty / returns -> months / days, "free"
    names: dict[str, set[str]] = field(default_factory=dict)  # author, publisher, series -> lower-case names
    sources: dict[str, list[str]] = field(default_factory=dict)  # attribute -> the facts that state it

    def merge(self, other: Evidence) -> Evidence:
        def union(a: dict[str, set[Any]], b: dict[str, set[Any]]) -> dict[str, set[Any]]:
            return {k: a.get(k, set()) | b.get(k, set()) for k in {*a, *b}}

        return Evidence(
            brands=self.brands | other.brands, brand_names=self.brand_names + other.brand_names,
            prices=self.prices + other.prices, discounts=self.discounts + other.discounts,
            quantities={k: self.quantities.get(k, []) + other.quantities.get(k, [])
                        for k in {*self.quantities, *other.quantities}},
            letter_sizes=self.letter_sizes + other.letter_sizes,
            numeric_sizes=self.numeric_sizes + other.numeric_sizes, size_words=self.size_words | other.size_words,
            materials=self.materials | other.materials, colours=self.colours | other.colours,
            origins=self.origins | other.origins, text=self.text + "\n" + other.text,
            genders=self.genders | other.genders, any_new=self.any_new or other.any_new,
            stock=self.stock | other.stock, ratings=self.ratings + other.ratings,
            review_counts=self.review_counts + other.review_counts,
            specs=union(self.specs, other.specs), services=union(self.services, other.services),
            names=union(self.names, other.names),
            sources={k: list(dict.fromkeys(self.sources.get(k, []) + other.sources.get(k, [])))
                     for k in {*self.sources, *other.sources}})

    def note(self, attribute: str, fact: str) -> None:
        """Record that the data states ``attribute`` (the text a verdict quotes as its fact)."""
        facts = self.sources.setdefault(attribute, [])
        if fact not in facts:
            facts.append(fact)

    def absorb(self, claims: Iterable[Claim], source: str | None = None) -> None:
        """Add what claims found in trusted texts (the data itself) establish; ``source`` is the fact they
        were found in ("Capacity: 50 ml")."""
        for c in claims:
            v = c.value
            if source is not None and c.kind not in ("rating", "sales") and not (c.kind == "brand"
                                                                                and not v.get("brand")):
                self.note(c.attribute, source)
            if c.kind == "quantity":
                self.quantities.setdefault(v["dim"], []).extend(v["values"])
            elif c.kind == "spec":
                self.specs.setdefault(v["attribute"], set()).add(v["spec"])
            elif c.kind == "service":
                self.services.setdefault(v["attribute"], set()).add(v["term"])
            elif c.kind == "name":
                self.names.setdefault(v["attribute"], set()).add(key(v["name"]))
            elif c.kind == "size":
                if v["system"] == "letter":
                    self.letter_sizes.append((v["lo"], v["hi"]))
                elif v["system"] == "numeric":
                    self.numeric_sizes.append((v["lo"], v["hi"]))
                else:
                    self.size_words.add(v["word"])
            elif c.kind in ("material", "colour", "origin"):
                getattr(self, {"material": "materials", "colour": "colours", "origin": "origins"}[c.kind]).add(
                    v["id"])
            elif c.kind == "gender":
                self.genders.add(v["gender"])
            elif c.kind == "brand" and v.get("brand"):
                self.brands.add(key(v["brand"]))
            elif c.kind == "price" and v["bound"] == "eq":
                for cur in v["currencies"] or [None]:
                    self.prices.append((v["amount"], cur, v["role"]))
            elif c.kind == "discount" and v.get("discount") is not None:
                self.discounts.append(v["discount"])
            elif c.kind == "rating":
                if "rating" in v:
                    self.ratings.append(v["rating"])
                else:
                    self.review_counts.append(v["reviews"])

    def close(self) -> None:
        """Extend materials, colours and origins by their broader terms."""
        lex = lexicon()
        self.materials = lex.closure("material", self.materials)
        self.colours = lex.closure("colour", self.colours)
        self.origins = lex.closure("origin", self.origins)


class GroundingChecker:
    """Extracts the claims of a text and verifies each against the facts of the items it is about.

    Parameters
    ----------
    brands:
        The catalog's brand names: a mapping alias -> canonical brand (English and Chinese names of one
        brand map to the same canonical name), or an iterable of names. Mentions of these brands are
        claims; an item's own brand is always known.
    categories:
        Category and product-type names whose mention is a category claim.
    names:
        Named attribute values of the catalog (author, publisher, series, finish, ...): attribute -> every
        value any item has. A mention of one is a claim about that attribute; :meth:`from_items` collects
        them from every attribute whose values are short names.
    cache_size:
        How many items' evidence to keep (evidence is rebuilt when an item's facts change).
    """

    def __init__(self, brands: Mapping[str, str] | Iterable[str] | None = None, categories: Iterable[str] = (),
                 cache_size: int = 4096, names: Mapping[str, Iterable[str]] | None = None) -> None:
        self.brands = dict(brands) if isinstance(brands, Mapping) else {b: b for b in (brands or ())}
        self.categories = tuple(dict.fromkeys(categories))
        self.names = {k: tuple(dict.fromkeys(v)) for k, v in (names or {}).items()}
        self.cache_size = cache_size
        self._extractor = ClaimExtractor(self.brands, self.categories, self.names)
        self._evidence: OrderedDict[tuple[str, str], Evidence] = OrderedDict()

    @classmethod
    def from_items(cls, items: pd.DataFrame | Iterable[ItemLike], **kwargs: Any) -> GroundingChecker:
        """A checker that knows the brands and category names of a whole catalog.

        Top-level categories ("Women", "Electronics") are left out: they are too broad to be a claim.
        """
        records = items.to_dict("records") if isinstance(items, pd.DataFrame) else items
        brands: dict[str, str] = {}
        categories: dict[str, None] = {}
        named: dict[str, dict[str, None]] = {}
        for rec in records:
            if isinstance(rec, FactSheet):
                names, paths, ptypes = rec.brand.both(), [rec.category_path("en"), rec.category_path("zh")], (
                    rec.product_type.both() if rec.product_type else [])
                for a in rec.other:
                    named.setdefault(a.key, {}).update(dict.fromkeys(a.value.both()))
            else:
                row = rec.to_dict() if isinstance(rec, pd.Series) else dict(rec) if isinstance(rec, Mapping) \
                    else rec.model_dump()
                raw_attrs = row.get("attributes")
                attrs: Mapping[str, Any] = raw_attrs if isinstance(raw_attrs, Mapping) else {}
                names = [n for n in (_str(row.get("brand")), _str(attrs.get("brand_zh"))) if n]
                paths = [_path(row.get("category")), _path(attrs.get("category_zh"))]
                ptypes = [p for p in (_str(attrs.get("product_type")), _str(attrs.get("product_type_zh"))) if p]
                for k, raw in attrs.items():
                    for v in raw if isinstance(raw, list | tuple) else [raw]:
                        if (t := _str(v)) is not None:
                            named.setdefault(str(k), {}).update({t: None})
            for name in names:
                brands.setdefault(name, names[0])
            for path in paths:
                categories.update(dict.fromkeys(path[1:]))
            categories.update(dict.fromkeys(ptypes))
        kwargs.setdefault("names", name_index(named, brands))
        return cls(brands=brands, categories=categories, **kwargs)

    # ------------------------------------------------------------------ public
    def extract(self, text: str) -> list[Claim]:
        """The claims of ``text``, not yet verified."""
        return self._extractor.extract(text)

    def check(self, text: str, facts: FactSheet | Sequence[FactSheet], *,
              extra_evidence: Sequence[str] = ()) -> GroundingReport:
        """Verify every claim of ``text`` against ``facts`` (one item, or all items a text is about).

        ``extra_evidence`` are further trusted texts, such as the reviews a review summary quotes.
        """
        sheets = [facts] if isinstance(facts, FactSheet) else list(facts)
        ev = Evidence()
        for f in sheets:
            ev = ev.merge(self.evidence(f))
        if extra_evidence:
            extra = Evidence(text="\n".join(extra_evidence).lower())
            for t in extra_evidence:
                extra.absorb(self._extractor.extract(t))
            extra.close()
            ev = ev.merge(extra)
        claims = self._extractor.extract(text)
        for c in claims:
            c.supported, c.reason = _verify(c, ev)
            c.verdict, c.fact = _verdict(c, ev)
        return GroundingReport(claims=claims)

    def evidence(self, facts: FactSheet) -> Evidence:
        """The evidence of one item (cached by item id and content)."""
        k = (facts.item_id, facts.digest() + ("N" if facts.is_new else ""))
        hit = self._evidence.get(k)
        if hit is not None:
            self._evidence.move_to_end(k)
            return hit
        ev = Evidence()
        strings = list(facts.strings())
        for attr, label, value in facts.labelled():
            source = f"{label}: {value}"
            ev.absorb(self._extractor.extract(value), source)
            if attr not in _PROSE:  # "warranty" + "2 years": the key says what the value is
                ev.absorb(self._extractor.extract(f"{attr.replace('_', ' ')}: {value}"), source)
            lk = attr.lower().removesuffix("_zh")
            if lk in self.names or lk in NAME_KEYS:
                ev.names.setdefault(lk, set()).add(key(value))
                ev.note(lk, source)
            if lk in BRAND_KEYS:
                ev.brands.add(key(value))
                ev.brand_names.append(value)
                ev.note("brand", source)
        ev.text = "\n".join(strings).lower()
        for name in facts.brand.both():
            ev.note("brand", f"Brand: {name}")
            ev.brands.add(key(self.brands.get(name, facts.brand.en or name)))
            ev.brands.add(key(name))
            ev.brand_names.append(name)
        if facts.price is not None:
            ev.note("price", f"Price: {format_price(facts.price, facts.currency, 'en')}")
            ev.prices.append((facts.price, facts.currency, "price"))
            if facts.original_price is not None:
                ev.prices.append((facts.original_price, facts.currency, "original"))
                ev.prices.append((round(facts.original_price - facts.price, 2), facts.currency, "saving"))
        if facts.discount is not None:
            ev.note("discount", f"Discount: {format_discount(facts.discount, 'en')}")
            ev.discounts.append(facts.discount)
        if path := facts.category_path("en") or facts.category_path("zh"):
            ev.note("category", "Category: " + " > ".join(path))
        if facts.gender is not None:
            ev.genders.update(g for g in (facts.gender.en or "",) if g in ("women", "men"))
        for seg in facts.category[:1]:
            if key(seg.en or "") in ("women", "men"):
                ev.genders.add(key(seg.en or ""))
        ev.any_new = facts.is_new
        if facts.is_new:
            ev.note("newness", "New arrival")
        if facts.in_stock is not None:
            ev.note("availability", "In stock" if facts.in_stock else "Out of stock")
            ev.stock.add(facts.in_stock)
        if facts.rating_avg is not None:
            ev.ratings.append(facts.rating_avg)
        if facts.review_count is not None:
            ev.review_counts.append(float(facts.review_count))
        ev.close()
        self._evidence[k] = ev
        if len(self._evidence) > self.cache_size:
            self._evidence.popitem(last=False)
        return ev


#: Attribute keys whose values name someone or something (always name claims, whatever their values).
NAME_KEYS = frozenset({"author", "authors", "publisher", "series", "collection", "artist", "director", "designer",
                       "manufacturer", "maker", "model", "label", "studio", "作者", "出版社", "系列", "制造商", "厂家"})
#: Attribute keys that name the maker: a brand claim naming them is supported.
BRAND_KEYS = frozenset({"manufacturer", "maker", "made_by", "brand_name", "制造商", "厂家"})
#: Texts whose key says nothing about their value.
_PROSE = frozenset({"title", "description", "features", "category", "product_type", "brand", "origin", "gender",
                    "season"})
_NOT_NAME_KEYS = COLOUR_KEYS | MATERIAL_KEYS | SPEC_KEYS | ORIGIN_KEYS | PRICE_KEYS | _PROSE | {
    "title_zh", "name_zh", "description_zh", "brand_zh", "category_zh", "product_type_zh", "features_zh", "is_new",
    "new", "in_stock", "created_at", "image", "image_url", "url", "sku", "gtin", "ean", "upc", "asin", "id"}


def name_index(values: Mapping[str, Iterable[str]], brands: Iterable[str] = ()) -> dict[str, list[str]]:
    """Which attribute values of a catalog are names worth recognising in copy: short texts with a letter, not
    numbers or measures, not ordinary words, colours, materials or brands (those have their own claims), from
    attributes with at least two different values (or whose key says they are names: author, publisher, ...).

    >>> name_index({"author": ["Mo Yan", "Yu Hua"], "warranty": ["2 years", "1 year"], "finish": ["Matte"]})
    {'author': ['Mo Yan', 'Yu Hua']}
    """
    lex = lexicon()
    taken = {key(b) for b in brands}
    out: dict[str, dict[str, None]] = {}
    for attr, vals in values.items():
        k = str(attr).lower()
        if k.endswith("_zh") and k[:-3] not in _NOT_NAME_KEYS:
            k = k[:-3]
        elif k in _NOT_NAME_KEYS or k.endswith("_zh"):
            continue
        keep = []
        for v in dict.fromkeys(vals):
            t = v.strip()
            if not (2 <= len(t) <= 40) or any(ch.isdigit() for ch in t) or not any(ch.isalpha() for ch in t) \
                    or key(t) in taken or t.lower() in ("yes", "no", "true", "false", "none", "n/a"):
                continue
            if any(lex.lookup(kind, t) for kind in ("colour", "material", "origin")):
                continue
            if t.isascii() and " " not in t and (len(t) <= 3 or t.lower() in english_words()) and k not in NAME_KEYS:
                continue
            if not t.isascii() and len(t) < 2:
                continue
            keep.append(t)
        if keep and (len(keep) >= 2 or k in NAME_KEYS):
            out.setdefault(k, {}).update(dict.fromkeys(keep))
    return {k: list(v) for k, v in out.items()}


def _str(v: Any) -> str | None:
    return v.strip() or None if isinstance(v, str) else None


def _path(v: Any) -> list[str]:
    text = _str(v)
    return [p.strip() for p in text.replace("/", ">").split(">") if p.strip()] if text else []


# ---------------------------------------------------------------------------------------------- verdicts
def _verify(c: Claim, ev: Evidence) -> tuple[bool | None, str]:
    v = c.value
    kind = c.kind
    if kind == "brand":
        name = v.get("brand") or v.get("name") or c.text
        if key(name) in ev.brands or key(c.text) in ev.brands:
            return True, "brand of the item"
        if v.get("brand") is None and key(name) in ev.text:
            return True, "a name that appears in the data"
        if v.get("weak"):
            return None, f"{c.text!r} is also an ordinary word; not counted as a brand claim here"
        known = ", ".join(dict.fromkeys(ev.brand_names)) or "none given"
        if v.get("brand") is None:
            return False, f"{c.text!r} is not a known brand of this item (brand: {known})"
        return False, f"brand {c.text!r} is not this item's brand ({known})"
    if kind == "price":
        return _verify_price(v, ev)
    if kind == "discount":
        if v.get("promo"):
            if v["promo"] in ev.text:
                return True, "promotion stated in the data"
            return False, "the data states no such promotion (only the item's own price and discount)"
        if v.get("discount") is None:
            return (True, "the data has a discount") if ev.discounts else (False, "the data has no discount")
        if any(abs(v["discount"] - d) <= _DISCOUNT_TOLERANCE for d in ev.discounts):
            return True, "discount in the data"
        if v.get("bound") == "max" and any(d <= v["discount"] + _DISCOUNT_TOLERANCE for d in ev.discounts):
            return True, "the discount in the data is within the bound"
        if not ev.discounts:
            return False, "the data has no discount"
        return False, f"discount differs from the data ({', '.join(f'{round(d * 100)}%' for d in ev.discounts)})"
    if kind == "quantity":
        have = ev.quantities.get(v["dim"], [])
        missing = [x for x in v["values"] if not any(_close(x, h) for h in have) and not _converts(x, v["dim"], ev)]
        if not missing:
            return True, "value in the data"
        return False, f"no {v['dim']} value {', '.join(f'{m:g}' for m in missing)} in the data"
    if kind == "size":
        return _verify_size(v, ev)
    if kind in ("material", "colour", "origin"):
        pool = {"material": ev.materials, "colour": ev.colours, "origin": ev.origins}[kind]
        if v["id"] not in pool:
            return False, f"{kind} {c.text!r} is not in the data"
        if v.get("pure") and (why := _not_pure(v["id"], ev)):
            return False, why
        return True, f"{kind} in the data"
    if kind == "category":
        # "teas" about an item of the category "Tea": any singular / plural form found in the data counts
        name = str(v["id"])
        singular = {name[:-1], name[:-2] if name.endswith("es") else name} if name.endswith("s") else set()
        if any(form and form in ev.text for form in {name, *category_forms(name), *singular}):
            return True, "category of the item"
        return False, f"{c.text!r} is not this item's category or product type"
    if kind == "gender":
        return (True, "gender in the data") if v["gender"] in ev.genders else (
            False, f"the data does not say the item is for {v['gender']}")
    if kind == "newness":
        return (True, "a new arrival") if ev.any_new else (False, "the data does not show a new arrival")
    if kind == "availability":
        if v["in_stock"] in ev.stock:
            return True, "stock status in the data"
        return False, "stock status not in the data"
    if kind == "rating":
        if "rating" in v:
            if any(abs(round(r, 1) - v["rating"]) <= 0.051 for r in ev.ratings):
                return True, "average rating of the reviews"
            return False, "the rating is not in the data"
        if any(abs(n - v["reviews"]) < 0.5 for n in ev.review_counts):
            return True, "number of reviews"
        return False, "the number of reviews is not in the data"
    if kind == "sales":
        return False, "the data has no sales figures"
    if kind == "service":
        return _verify_term(c.attribute, v["term"], ev.services, "service")
    if kind == "spec":
        return _verify_term(c.attribute, v["spec"], ev.specs, "spec")
    if kind == "name":
        name = key(v["name"])
        if name in ev.names.get(v["attribute"], set()) or name in ev.text:
            return True, f"{v['attribute']} of the item"
        return False, f"{c.text!r} is not this item's {v['attribute']}"
    return False, f"cannot verify a {kind} claim"


def _verify_term(attribute: str, claimed: Any, pool: Mapping[str, set[Any]], what: str) -> tuple[bool, str]:
    """A spec or service term: the same value (a version "5" covers "5.3"; a bare "warranty" any period)."""
    stated = pool.get(attribute, set())
    if not stated:
        return False, f"the data states no {attribute}"
    if claimed == "yes" or any(_same_term(attribute, claimed, s) for s in stated):
        return True, f"{attribute} in the data"
    shown = ", ".join(sorted(_show_term(attribute, s) for s in stated))
    return False, f"{attribute} differs from the data ({shown})"


def _same_term(attribute: str, claimed: Any, stated: Any) -> bool:
    if isinstance(claimed, float | int) and isinstance(stated, float | int):
        return abs(float(claimed) - float(stated)) <= 0.02 * max(1.0, abs(float(stated)))
    if stated == "yes" and attribute in ("shipping", "installation", "gift"):
        return True
    return same_spec(attribute, claimed, stated)


def _show_term(attribute: str, value: Any) -> str:
    if attribute == "warranty" and isinstance(value, float | int):
        return f"{value / 12:g} years" if value % 12 == 0 else f"{value:g} months"
    if attribute == "returns" and isinstance(value, float | int):
        return f"{value:g} days"
    if attribute == "resolution" and isinstance(value, int):
        return f"{value}p"
    return str(value)


#: Attributes a measure may also state ("oz" is a volume or a weight).
_OTHER_ATTRIBUTES = {"oz": ("weight", "volume"), "lb": ("weight",), "inch": ("size", "length"), "mm": ("length",)}


def _verdict(c: Claim, ev: Evidence) -> tuple[Verdict | None, str]:
    """Supported, contradicted (the data states this attribute with another value) or unsupported (the data
    states nothing about it), with the fact the claim was checked against."""
    if c.supported is None:
        return None, ""
    facts = sorted(ev.sources.get(c.attribute, []), key=lambda f: f.startswith(("Title:", "Description:")))
    if c.kind == "quantity" and not facts:  # "8.8 oz" is a weight when the data gives grams
        facts = [f for k in _OTHER_ATTRIBUTES.get(c.value["dim"], ()) for f in ev.sources.get(k, [])]
    if c.supported:
        low = c.text.lower()
        best = next((f for f in facts if low in f.lower()), facts[0] if facts else "")
        return "supported", best
    if not facts:
        return "unsupported", ""
    stated = [f for f in facts if not f.startswith(("Title:", "Description:"))] or facts  # the attribute first
    return "contradicted", "; ".join(stated[:3])


def _not_pure(material: str, ev: Evidence) -> str | None:
    """Why "100% <material>" is not backed by the data (None when it is): the data gives a percentage below 100,
    a blend, or another material besides."""
    if any(p < 100 for p in ev.quantities.get("%", [])):
        return "the data gives a percentage, not 100%"
    lex = lexicon()
    table = lex.terms["material"]
    claimed = lex.closure("material", {material})
    for other in ev.materials:
        term = table.get(other)
        if material in lex.closure("material", {other}):  # the material itself or a kind of it
            if term is not None and term.blend:
                return f"the data gives a blend ({term.name('en')}), not 100% of one material"
        elif other not in claimed:
            return f"the data gives another material besides ({term.name('en') if term else other})"
    return None


#: Imperial and metric units of the same quantity: (imperial, metric dimension, metric units per imperial unit).
_IMPERIAL = (("oz", "ml", 29.5735), ("oz", "g", 28.3495), ("lb", "g", 453.592), ("inch", "mm", 25.4))
#: Converted values are rounded in copy ("1.7 fl oz" for 50 ml): how far they may be off.
_CONVERSION_TOLERANCE = 0.03
#: ... and at most this far when the converted value is rounded to a whole number ("5 ml" for 0.16 fl oz).
_ROUNDED_TOLERANCE = 0.06


def _converts(x: float, dim: str, ev: Evidence) -> bool:
    """Whether ``x`` (in ``dim``) is a value of the data in the other measuring system ("16.9 fl oz" for
    500 ml, "2.2 lb" for 1 kg, "15.5 cm" for 6.1 inches), up to the rounding of a conversion."""
    for imperial, metric, factor in _IMPERIAL:
        if dim == imperial:
            target, have = x * factor, ev.quantities.get(metric, [])
        elif dim == metric:
            target, have = x / factor, ev.quantities.get(imperial, [])
        else:
            continue
        # copy rounds a converted value to its last digit ("7 ml" for 0.25 fl oz = 7.4 ml): half of that digit
        half = 0.5 * 10 ** -_decimals(x) * (factor if dim == imperial else 1 / factor)
        if any(abs(target - h) <= max(_CONVERSION_TOLERANCE * abs(h), min(half, _ROUNDED_TOLERANCE * abs(h)))
               for h in have):
            return True
    return False


def _decimals(x: float) -> int:
    """Digits after the decimal point of a value as copy writes it (7 -> 0, 0.25 -> 2)."""
    text = f"{x:.6f}".rstrip("0").rstrip(".")
    return len(text.partition(".")[2])


def _close(a: float, b: float) -> bool:
    """Equal up to float noise from unit conversion (20,007 mAh is not 20,000 mAh)."""
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def _verify_price(v: dict[str, Any], ev: Evidence) -> tuple[bool, str]:
    currencies = set(v["currencies"])
    pool = [(a, cur, role) for a, cur, role in ev.prices if cur is None or not currencies or cur in currencies]
    if not ev.prices:
        return False, "the data has no price"
    if not pool:
        return False, f"currency differs from the data ({', '.join(sorted({c for _, c, _ in ev.prices if c}))})"
    amount, bound = v["amount"], v["bound"]
    # "save ¥240" is checked against the saving, "was ¥799" against the original price, any other against the
    # prices (a current price that is called the original would invent a discount)
    amounts = [a for a, _, role in pool if role == v["role"] or (v["role"] == "price" and role == "original")]
    if bound == "max" and any(a <= amount + _PRICE_TOLERANCE for a in amounts):
        return True, "a price in the data is within the bound"
    if bound == "min" and any(a >= amount - _PRICE_TOLERANCE for a in amounts):
        return True, "a price in the data is within the bound"
    if bound == "eq" and any(abs(a - amount) <= _PRICE_TOLERANCE for a in amounts):
        return True, "price in the data"
    shown = ", ".join(format_price(a, c, "en") for a, c, role in pool if role == "price")
    return False, f"price does not match the data ({shown or 'no current price'})"


def _verify_size(v: dict[str, Any], ev: Evidence) -> tuple[bool, str]:
    if v["system"] == "word":
        return (True, "size in the data") if v["word"] in ev.size_words else (
            False, f"size {v['word']!r} is not in the data")
    ranges: Sequence[tuple[float, float]] = ev.letter_sizes if v["system"] == "letter" else ev.numeric_sizes
    if any(lo <= v["lo"] and v["hi"] <= hi for lo, hi in ranges):
        return True, "within the sizes in the data"
    if v["system"] == "letter":
        have = ", ".join(f"{letter_name(int(lo))}-{letter_name(int(hi))}" for lo, hi in ranges)
    else:
        have = ", ".join(f"{lo:g}-{hi:g}" for lo, hi in ranges)
    return False, f"size outside the data ({have or 'no sizes given'})"
