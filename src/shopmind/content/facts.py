"""The fact sheet: everything an item record says, normalised and in both languages.

Grounded copy may only say what the fact sheet holds, and the grounding checker verifies claims against it.
A fact sheet is built from any item record (a store dict, a pandas row, an :class:`~shopmind.schema.Item`):

>>> facts = extract_facts({"item_id": "sku-1", "title": "Acme Linen Shirt - Navy", "brand": "Acme",
...                        "category": "Men > Clothing > Shirts", "price": 299.0, "currency": "CNY",
...                        "attributes": {"colour": "Navy", "material": "Linen", "size": "S-XXL",
...                                       "original_price": 399}})
>>> facts.leaf("en"), facts.colours[0].value.zh, facts.materials[0].value.zh, round(facts.discount, 2)
('Shirts', '藏青色', '亚麻', 0.25)
>>> format_price(facts.price, facts.currency, "en"), format_price(2499.0, "CNY", "zh")
('¥299', '¥2499')
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeAlias, cast

import pandas as pd
from pydantic import BaseModel, ConfigDict

from shopmind.content.lexicon import Lang, TermKind, lexicon
from shopmind.data.loaders.frames import as_dict
from shopmind.errors import DataError

#: Attribute keys by role (lower case; a ``<key>_zh`` companion holds the Chinese value).
COLOUR_KEYS = frozenset({"colour", "color", "colours", "colors", "shade", "颜色", "色号"})
VARIANT_KEYS = frozenset({"flavour", "flavor", "scent", "roast", "口味", "香调", "烘焙度"})
MATERIAL_KEYS = frozenset({"material", "materials", "fabric", "ingredient", "ingredients", "材质", "成分"})
SPEC_KEYS = frozenset({"size", "sizes", "capacity", "volume", "weight", "net_weight", "spec", "specs",
                       "specification", "dimensions", "dimension", "length", "width", "height", "尺码", "尺寸",
                       "容量", "净含量", "规格"})
ORIGIN_KEYS = frozenset({"origin", "country_of_origin", "made_in", "产地"})
PRICE_KEYS = frozenset({"discount", "discount_pct", "discount_percent", "sale_price", "original_price",
                        "list_price", "was_price", "promotion_end", "promo_end", "sale_ends", "promotion_ends"})
_TEXT_KEYS = frozenset({"title_zh", "name_zh", "description_zh", "brand_zh", "category_zh", "product_type",
                        "features", "gender", "season", "is_new", "new"})
_CURRENCY_SIGN = {"CNY": "¥", "RMB": "¥", "JPY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "HKD": "HK$"}

#: Items created within this many days of ``now`` count as new arrivals.
NEW_DAYS = 30


class Localised(BaseModel):
    """A value in English and/or Chinese.

    >>> Localised(en="Red").get("zh")
    'Red'
    """

    model_config = ConfigDict(frozen=True)

    en: str | None = None
    zh: str | None = None

    def get(self, lang: Lang) -> str | None:
        """The value in ``lang``, else in the other language."""
        return (self.en or self.zh) if lang == "en" else (self.zh or self.en)

    def both(self) -> list[str]:
        return [v for v in dict.fromkeys((self.en, self.zh)) if v]


class Attribute(BaseModel):
    """One attribute of an item: its key, bilingual label and bilingual value."""

    model_config = ConfigDict(frozen=True)

    key: str
    label: Localised
    value: Localised


class FactSheet(BaseModel):
    """The normalised facts of one item (see the module docstring)."""

    model_config = ConfigDict(frozen=True)

    item_id: str
    title: Localised = Localised()
    description: Localised = Localised()
    brand: Localised = Localised()
    category: tuple[Localised, ...] = ()
    product_type: Localised | None = None
    price: float | None = None
    currency: str | None = None
    original_price: float | None = None
    discount: float | None = None  # fraction of the original price taken off (0.2 = 20% off)
    promotion_end: datetime | None = None
    colours: tuple[Attribute, ...] = ()
    variants: tuple[Attribute, ...] = ()  # flavour, scent, roast
    materials: tuple[Attribute, ...] = ()
    specs: tuple[Attribute, ...] = ()  # sizes, capacity, weight, dimensions (with units)
    features: tuple[Localised, ...] = ()
    origin: Localised | None = None
    gender: Localised | None = None
    season: Localised | None = None
    other: tuple[Attribute, ...] = ()
    in_stock: bool | None = None
    created_at: datetime | None = None
    is_new: bool = False
    rating_avg: float | None = None
    review_count: int | None = None

    # ------------------------------------------------------------------ views
    def leaf(self, lang: Lang) -> str | None:
        """The most specific category name."""
        return self.category[-1].get(lang) if self.category else None

    def category_path(self, lang: Lang) -> list[str]:
        return [v for c in self.category if (v := c.get(lang))]

    def has_zh(self) -> bool:
        """Whether the item has its own Chinese texts (not just translated attribute values)."""
        return bool(self.title.zh or self.description.zh)

    def strings(self) -> Iterator[str]:
        """Every text the fact sheet holds, both languages: what grounded copy may draw on."""
        singles = [self.title, self.description, self.brand, *self.category, *self.features]
        for opt in (self.product_type, self.origin, self.gender, self.season):
            if opt is not None:
                singles.append(opt)
        for loc in singles:
            yield from loc.both()
        for attr in (*self.colours, *self.variants, *self.materials, *self.specs, *self.other):
            yield from attr.value.both()

    def labelled(self) -> Iterator[tuple[str, str, str]]:
        """Every text of :meth:`strings` with the attribute it states and an English label:
        ``("capacity", "Capacity", "50 ml")``; what a checker's verdict quotes as "the fact"."""
        lex = lexicon()
        pairs: list[tuple[str, Localised | None]] = [("title", self.title), ("description", self.description),
                                                     ("brand", self.brand)]
        pairs += [("category", c) for c in self.category] + [("features", f) for f in self.features]
        pairs += [("product_type", self.product_type), ("origin", self.origin), ("gender", self.gender),
                  ("season", self.season)]
        for name, loc in pairs:
            if loc is not None:
                for v in loc.both():
                    yield name, lex.label(name, "en"), v
        for attr in (*self.colours, *self.variants, *self.materials, *self.specs, *self.other):
            for v in attr.value.both():
                yield attr.key, attr.label.en or attr.key, v

    def lines(self, lang: Lang) -> list[tuple[str, str]]:
        """(label, value) pairs to show a person or to put in a prompt."""
        lex = lexicon()
        out: list[tuple[str, str]] = []
        if v := self.title.get(lang):
            out.append(("Title" if lang == "en" else "标题", v))
        if v := self.brand.get(lang):
            out.append((lex.label("brand", lang), v))
        if path := self.category_path(lang):
            out.append((lex.label("category", lang), " > ".join(path)))
        if self.price is not None:
            out.append((lex.label("price", lang), format_price(self.price, self.currency, lang)))
        if self.discount:
            out.append(("Discount" if lang == "en" else "折扣", format_discount(self.discount, lang)))
        for attr in (*self.colours, *self.variants, *self.materials, *self.specs, *self.other):
            label, value = attr.label.get(lang), attr.value.get(lang)
            if label and value:
                out.append((label, value))
        if self.features:
            sep = ", " if lang == "en" else "、"
            out.append((lex.label("features", lang), sep.join(v for f in self.features if (v := f.get(lang)))))
        if self.origin and (v := self.origin.get(lang)):
            out.append((lex.label("origin", lang), v))
        return out

    def digest(self) -> str:
        """A short hash of the content (cache keys change when the item's data changes)."""
        blob = self.model_dump_json(exclude={"is_new"})
        return hashlib.sha1(blob.encode("utf-8")).hexdigest()[:12]

    def with_reviews(self, ratings: Sequence[float | None], count: int) -> FactSheet:
        """A copy that also knows the review count and the average of the given ratings."""
        vals = [float(r) for r in ratings if r is not None and not _is_nan(r)]
        avg = sum(vals) / len(vals) if vals else None
        return self.model_copy(update={"rating_avg": avg, "review_count": count})


# ---------------------------------------------------------------------------------------------- building
#: Anything an item can be read from: a record dict, a pandas row, a pydantic model (``Item``), a fact sheet.
ItemLike: TypeAlias = Mapping[str, Any] | pd.Series | BaseModel | FactSheet


def extract_facts(item: ItemLike, *, now: datetime | pd.Timestamp | None = None,
                  new_days: int = NEW_DAYS) -> FactSheet:
    """Build the fact sheet of one item record.

    ``now`` decides which items count as new arrivals (created within ``new_days``); without it no item is.
    A :class:`FactSheet` passes through unchanged.
    """
    if isinstance(item, FactSheet):
        return item
    rec = _as_record(item)
    item_id = rec.get("item_id")
    if item_id is None or (isinstance(item_id, float) and math.isnan(item_id)) or not str(item_id).strip():
        raise DataError("an item record needs an 'item_id'", field="item_id", value=item_id)
    attrs = as_dict(rec.get("attributes"))
    lex = lexicon()

    path_en = _split_path(_text(rec.get("category")))
    path_zh = _split_path(_text(attrs.get("category_zh")))
    if len(path_zh) == len(path_en):
        category = tuple(Localised(en=e, zh=z) for e, z in zip(path_en, path_zh, strict=True))
    elif path_en:
        category = tuple(Localised(en=e) for e in path_en)
    else:
        category = tuple(Localised(zh=z) for z in path_zh)

    price = _number(rec.get("price"))
    currency = (_text(rec.get("currency")) or "").upper() or None
    price, original, discount, promo_end = _pricing(price, attrs)

    colours, variants, materials, specs, other = [], [], [], [], []
    for k, raw in attrs.items():
        lk = str(k).lower()
        if lk.endswith("_zh") or lk in _TEXT_KEYS or lk in PRICE_KEYS or lk in ORIGIN_KEYS:
            continue
        zh_raw = attrs.get(f"{k}_zh")
        if lk in COLOUR_KEYS:
            colours += _attribute_values(k, raw, zh_raw, "colour")
        elif lk in VARIANT_KEYS:
            variants += _attribute_values(k, raw, zh_raw, None)
        elif lk in MATERIAL_KEYS:
            materials += _attribute_values(k, raw, zh_raw, "material")
        elif lk in SPEC_KEYS:
            specs += _attribute_values(k, raw, zh_raw, None)
        elif _scalar_or_list(raw):
            other += _attribute_values(k, raw, zh_raw, None)

    origin = None
    for k in attrs:
        if str(k).lower() in ORIGIN_KEYS and (en := _text(attrs[k])):
            zh = _text(attrs.get(f"{k}_zh")) or _translate_place(en, "zh")
            origin = Localised(en=en, zh=zh) if en.isascii() else Localised(en=_translate_place(en, "en"), zh=en)
            break

    feats_en = _listing(attrs.get("features"))
    feats_zh = _listing(attrs.get("features_zh"))
    if len(feats_zh) == len(feats_en):
        features = tuple(Localised(en=e, zh=z) for e, z in zip(feats_en, feats_zh, strict=True))
    else:
        features = tuple(Localised(en=e) for e in feats_en) + tuple(Localised(zh=z) for z in feats_zh)

    ptype = None
    if (pt := _text(attrs.get("product_type"))) or _text(attrs.get("product_type_zh")):
        ptype = Localised(en=pt, zh=_text(attrs.get("product_type_zh")))

    created = _time(rec.get("created_at"))
    is_new = str(attrs.get("is_new", attrs.get("new", ""))).strip().lower() in ("true", "1", "yes")
    ref = _time(now)
    if created is not None and ref is not None:
        is_new = is_new or created >= ref - timedelta(days=new_days)
    in_stock = rec.get("in_stock")

    return FactSheet(
        item_id=str(item_id),
        title=Localised(en=_text(rec.get("title")), zh=_text(attrs.get("title_zh") or attrs.get("name_zh"))),
        description=Localised(en=_text(rec.get("description")), zh=_text(attrs.get("description_zh"))),
        brand=Localised(en=_text(rec.get("brand")), zh=_text(attrs.get("brand_zh"))),
        category=category,
        product_type=ptype,
        price=price, currency=currency, original_price=original, discount=discount, promotion_end=promo_end,
        colours=tuple(colours), variants=tuple(variants), materials=tuple(materials), specs=tuple(specs),
        features=features, origin=origin,
        gender=_plain_value(attrs.get("gender"), lex), season=_plain_value(attrs.get("season"), lex),
        other=tuple(other),
        in_stock=None if in_stock is None or _is_nan(in_stock) else bool(in_stock),
        created_at=created, is_new=is_new,
    )


def format_price(amount: float, currency: str | None, lang: Lang) -> str:
    """A price as shoppers read it: ``¥2,499`` / ``¥59.90`` (English), ``¥2499`` (Chinese).

    >>> format_price(59.9, "CNY", "en"), format_price(12.5, "USD", "en"), format_price(8.0, "SEK", "en")
    ('¥59.90', '$12.50', 'SEK 8')
    """
    whole = abs(amount - round(amount)) < 0.005
    number = f"{amount:,.0f}" if whole else f"{amount:,.2f}"
    if lang == "zh":
        number = number.replace(",", "")
    code = (currency or "CNY").upper()
    sign = _CURRENCY_SIGN.get(code)
    return f"{sign}{number}" if sign else f"{code} {number}"


def format_discount(discount: float, lang: Lang) -> str:
    """``20% off`` / ``8折`` (Chinese states the share of the price that is paid).

    >>> format_discount(0.2, "en"), format_discount(0.15, "zh")
    ('20% off', '8.5折')
    """
    if lang == "en":
        return f"{round(discount * 100):d}% off"
    paid = round((1 - discount) * 10, 1)
    return f"{paid:g}折"


# ---------------------------------------------------------------------------------------------- helpers
def _as_record(item: ItemLike) -> dict[str, Any]:
    if isinstance(item, pd.Series):
        return cast("dict[str, Any]", item.to_dict())
    if isinstance(item, BaseModel):
        return item.model_dump()
    if isinstance(item, Mapping):
        return dict(item)
    raise DataError(f"cannot read facts from a {type(item).__name__}; expected a dict, a pandas row or an Item")


def _is_nan(v: Any) -> bool:
    return isinstance(v, float) and math.isnan(v)


def _text(v: Any) -> str | None:
    if v is None or _is_nan(v) or v is pd.NA:
        return None
    s = str(v).strip()
    return s or None


def _number(v: Any) -> float | None:
    if v is None or isinstance(v, bool) or _is_nan(v) or v is pd.NA:
        return None
    try:
        f = float(str(v).replace(",", "").strip().lstrip("¥￥$€£"))
    except ValueError:
        return None
    return None if math.isnan(f) else f




def _split_path(text: str | None) -> list[str]:
    if not text:
        return []
    return [p.strip() for p in re.split(r"\s*[>/]\s*", text) if p.strip()]


def _listing(raw: Any) -> list[str]:
    if raw is None or _is_nan(raw):
        return []
    if isinstance(raw, str):
        return [p.strip() for p in re.split(r"[;,，、；|]", raw) if p.strip()]
    if isinstance(raw, Sequence) or hasattr(raw, "tolist"):
        seq = raw.tolist() if hasattr(raw, "tolist") else raw
        return [t for v in seq if (t := _text(v))]
    return [t] if (t := _text(raw)) else []


def _scalar_or_list(raw: Any) -> bool:
    return isinstance(raw, str | int | float | list | tuple) and not isinstance(raw, bool) and not _is_nan(raw)


def _attribute_values(key: str, raw: Any, zh_raw: Any, kind: TermKind | None) -> list[Attribute]:
    lex = lexicon()
    label = Localised(en=lex.label(key.lower(), "en"), zh=lex.label(key.lower(), "zh"))
    en_vals = _listing(raw) if isinstance(raw, list | tuple) else [t] if (t := _text(raw)) else []
    zh_vals = _listing(zh_raw) if isinstance(zh_raw, list | tuple) else [t] if (t := _text(zh_raw)) else []
    out = []
    for i, v in enumerate(en_vals):
        zh = zh_vals[i] if i < len(zh_vals) and len(zh_vals) == len(en_vals) else None
        if v.isascii() or zh is not None:
            if zh is None and kind is not None:
                zh = lex.translate(kind, v, "zh")
            out.append(Attribute(key=key, label=label, value=Localised(en=v, zh=zh)))
        else:  # the "English" slot holds Chinese text
            en = lex.translate(kind, v, "en") if kind is not None else None
            out.append(Attribute(key=key, label=label, value=Localised(en=en, zh=v)))
    return out


def _translate_place(text: str, to: Lang) -> str | None:
    terms = lexicon().find_all("origin", text)
    if not terms:
        return None
    sep = ", " if to == "en" else ""
    names = [t.name(to) for t in terms]
    return sep.join(names if to == "en" else reversed(names))


def _plain_value(raw: Any, lex: Any) -> Localised | None:
    text = _text(raw)
    if text is None:
        return None
    en = lex.value(text, "en") or (text if text.isascii() else None)
    zh = lex.value(text, "zh") or (None if text.isascii() else text)
    return Localised(en=en, zh=zh)


def _discount_value(raw: Any) -> float | None:
    text = _text(raw)
    if text is None:
        return None
    m = re.search(r"(\d+(?:\.\d+)?)\s*折", text)
    if m:
        paid = float(m.group(1))
        paid = paid / 10 if paid <= 10 else paid / 100
        return 1 - paid
    m = re.search(r"(\d+(?:\.\d+)?)", text)
    if not m:
        return None
    v = float(m.group(1))
    if "%" in text or v >= 1:
        v /= 100
    return v if 0 < v < 1 else None


def _pricing(price: float | None, attrs: Mapping[str, Any]
             ) -> tuple[float | None, float | None, float | None, datetime | None]:
    """Current price, original price, discount fraction and promotion end from the attributes."""
    original = _number(attrs.get("original_price") or attrs.get("list_price") or attrs.get("was_price"))
    sale = _number(attrs.get("sale_price"))
    if sale is not None and price is not None and sale < price and original is None:
        original, price = price, sale
    elif sale is not None and price is None:
        price = sale
    discount = None
    for k in ("discount", "discount_pct", "discount_percent"):
        if (d := _discount_value(attrs.get(k))) is not None:
            discount = d
            break
    if original is not None and price is not None and original > price:
        discount = discount if discount is not None else 1 - price / original
    elif discount is not None and price is not None and original is None:
        original = round(price / (1 - discount), 2)
    elif original is not None and price is not None and original <= price:
        original = None
    promo = None
    for k in ("promotion_end", "promo_end", "sale_ends", "promotion_ends"):
        if attrs.get(k) is not None and (promo := _time(attrs.get(k))) is not None:
            break
    return price, original, discount, promo


def _time(v: Any) -> datetime | None:
    if v is None or _is_nan(v) or v is pd.NA:
        return None
    try:
        ts = pd.Timestamp(v)
    except (ValueError, TypeError):
        return None
    if pd.isna(ts):
        return None
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return cast("datetime | None", ts.to_pydatetime())
