"""Business rules: conditions on items, used as filters, boosts and promotion pools.

A :class:`Rule` matches an item when *all* of its conditions hold: a category prefix, one of a set of
brands, a price range, attribute equalities, or one of a set of item ids. Rules are evaluated on arrays of
catalog indices (the candidates of one request), vectorised except for attribute lookups.

Rules can be written as short expressions (what the REST API's query parameters carry)::

    category:Beauty > Skin Care; brand:Acme|Nordhaus; price:10..50; attr.colour:White; item:SKU1|SKU2

Conditions are separated by ``;``, alternatives by ``|``; a price range may be open (``price:..50``).

>>> parse_rule("brand:Acme|Nordhaus; price:..50")
Rule(category=None, brands=('Acme', 'Nordhaus'), min_price=None, max_price=50.0, attributes=(), item_ids=())
>>> parse_boost("category:Beauty^0.5").weight
0.5
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from shopmind.data.catalog import Catalog
from shopmind.errors import ShopmindError


class RequestError(ShopmindError, ValueError):
    """A recommendation request asks for something malformed; ``field`` names the offending parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Rule:
    """Conditions an item must all meet (an empty rule matches everything)."""

    category: str | None = None
    brands: tuple[str, ...] = ()
    min_price: float | None = None
    max_price: float | None = None
    attributes: tuple[tuple[str, Any], ...] = ()
    item_ids: tuple[str, ...] = ()

    def mask(self, catalog: Catalog, idx: np.ndarray) -> np.ndarray:
        """Which of the catalog indices ``idx`` match."""
        idx = np.asarray(idx, dtype=np.int64)
        ok = np.ones(len(idx), dtype=bool)
        if self.category:
            ok &= np.isin(catalog.category[idx], catalog.category_codes_with_prefix(self.category))
        if self.brands:
            ok &= np.isin(catalog.brand[idx], catalog.brand_codes(self.brands))
        if self.min_price is not None or self.max_price is not None:
            price = catalog.price[idx]
            with np.errstate(invalid="ignore"):
                if self.min_price is not None:
                    ok &= price >= self.min_price
                if self.max_price is not None:
                    ok &= price <= self.max_price
        if self.item_ids:
            ok &= np.isin(idx, catalog.indices(self.item_ids))
        if self.attributes:
            for pos in np.flatnonzero(ok):
                attrs = catalog.attributes[idx[pos]]
                ok[pos] = all(_attr_equals(attrs.get(k), v) for k, v in self.attributes)
        return ok

    def describe(self) -> str:
        """The rule as an expression (the inverse of :func:`parse_rule`)."""
        parts = []
        if self.category:
            parts.append(f"category:{self.category}")
        if self.brands:
            parts.append("brand:" + "|".join(self.brands))
        if self.min_price is not None or self.max_price is not None:
            lo = "" if self.min_price is None else f"{self.min_price:g}"
            hi = "" if self.max_price is None else f"{self.max_price:g}"
            parts.append(f"price:{lo}..{hi}")
        parts.extend(f"attr.{k}:{v}" for k, v in self.attributes)
        if self.item_ids:
            parts.append("item:" + "|".join(self.item_ids))
        return "; ".join(parts)


def _attr_equals(actual: Any, wanted: Any) -> bool:
    """Attribute equality, case-insensitive for text; list-valued attributes match any element."""
    if isinstance(actual, list | tuple | set):
        return any(_attr_equals(a, wanted) for a in actual)
    if isinstance(actual, str) or isinstance(wanted, str):
        return str(actual).strip().lower() == str(wanted).strip().lower() if actual is not None else False
    return bool(actual == wanted)


@dataclass(frozen=True)
class Boost:
    """Multiply the score of matching items by ``1 + weight`` (a negative weight demotes, > -1)."""

    rule: Rule
    weight: float


@dataclass(frozen=True)
class Promotion:
    """Reserve ``share`` of the slots for items matching ``rule`` (at least one slot when share > 0)."""

    rule: Rule
    share: float = 0.2

    def slots(self, total: int) -> int:
        if self.share <= 0 or total <= 0:
            return 0
        return min(total, max(1, round(self.share * total)))


@dataclass(frozen=True)
class Pin:
    """Put ``item_id`` at ``position`` (0-based) whatever its score."""

    item_id: str
    position: int = 0


@dataclass(frozen=True)
class RerankOptions:
    """Everything a request can ask of the re-ranker.

    ``diversity`` is the MMR lambda (1.0: by score only, 0.0: maximally diverse); ``max_per_category``
    caps items sharing a category (``category_level`` 0: the full path, 1: the root, 2: two levels, ...);
    ``explore`` is the number of exploration slots (Thompson sampling over new and under-exposed items).
    ``long_tail`` is the share of the list kept for items outside the popularity head (exposure fairness
    for long-tail and new items: the lowest-ranked head items give way to the best tail candidates).
    ``None`` leaves ``diversity`` and ``explore`` to the service's defaults for the kind of list.
    """

    filters: tuple[Rule, ...] = ()
    boosts: tuple[Boost, ...] = ()
    exclude: tuple[str, ...] = ()
    pins: tuple[Pin, ...] = ()
    promotion: Promotion | None = None
    diversity: float | None = None
    max_per_category: int | None = None
    category_level: int = 0
    explore: int | None = None
    long_tail: float | None = None
    filter_seen: bool = True
    context: dict[str, Any] = field(default_factory=dict)

    def validate(self, n: int) -> None:
        """Check ranges; raise :class:`RequestError` naming the field."""
        if self.diversity is not None and not 0.0 <= self.diversity <= 1.0:
            raise RequestError("diversity", f"must be between 0 and 1, got {self.diversity}")
        if self.max_per_category is not None and self.max_per_category < 1:
            raise RequestError("max_per_category", f"must be >= 1, got {self.max_per_category}")
        if self.category_level < 0:
            raise RequestError("category_level", f"must be >= 0, got {self.category_level}")
        if self.long_tail is not None and not 0.0 <= self.long_tail <= 1.0:
            raise RequestError("long_tail", f"must be between 0 and 1, got {self.long_tail}")
        if self.explore is not None and not 0 <= self.explore <= n:
            raise RequestError("explore", f"must be between 0 and n ({n}), got {self.explore}")
        for b in self.boosts:
            if b.weight <= -1.0:
                raise RequestError("boost", f"weight must be > -1, got {b.weight}")
        if self.promotion is not None and not 0.0 <= self.promotion.share <= 1.0:
            raise RequestError("promote_share", f"must be between 0 and 1, got {self.promotion.share}")
        for p in self.pins:
            if p.position < 0:
                raise RequestError("pin", f"position must be >= 0, got {p.position}")
        for r in self.filters:
            _check_price(r, "filter")


def _check_price(rule: Rule, name: str) -> None:
    if rule.min_price is not None and rule.max_price is not None and rule.min_price > rule.max_price:
        raise RequestError(name, f"price range {rule.min_price:g}..{rule.max_price:g} is empty")


def _number(text: str, field_name: str, what: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise RequestError(field_name, f"{what} {text!r} is not a number") from None
    if not np.isfinite(value):
        raise RequestError(field_name, f"{what} {text!r} is not a finite number")
    return value


def parse_rule(expression: str, field_name: str = "filter") -> Rule:
    """Parse a rule expression (see the module docs); errors name ``field_name``."""
    category: str | None = None
    brands: tuple[str, ...] = ()
    lo = hi = None
    attrs: list[tuple[str, Any]] = []
    item_ids: tuple[str, ...] = ()
    for part in (p.strip() for p in str(expression).split(";")):
        if not part:
            continue
        key, sep, value = part.partition(":")
        key, value = key.strip().lower(), value.strip()
        if not sep or not value:
            raise RequestError(field_name, f"expected KEY:VALUE conditions separated by ';', got {part!r} "
                               "(keys: category, brand, price, attr.NAME, item)")
        alternatives = tuple(v.strip() for v in value.split("|") if v.strip())
        if key == "category":
            category = value
        elif key == "brand":
            brands = alternatives
        elif key == "price":
            low, dots, high = value.partition("..")
            if not dots:
                raise RequestError(field_name, f"price range must look like 10..50, ..50 or 10.., got {value!r}")
            lo, hi = _number(low, field_name, "price"), _number(high, field_name, "price")
        elif key.startswith("attr.") and len(key) > 5:
            attrs.append((part.partition(":")[0].strip()[5:], value))
        elif key in ("item", "item_id", "items"):
            item_ids = alternatives
        else:
            raise RequestError(field_name, f"unknown condition {key!r}; expected category, brand, price, "
                               "attr.NAME or item")
    rule = Rule(category, brands, lo, hi, tuple(attrs), item_ids)
    if rule == Rule():
        raise RequestError(field_name, f"empty rule {expression!r}")
    _check_price(rule, field_name)
    return rule


def parse_boost(expression: str, field_name: str = "boost", default_weight: float = 0.5) -> Boost:
    """Parse ``RULE^WEIGHT`` (weight defaults to 0.5, i.e. scores x1.5)."""
    text, caret, weight = str(expression).rpartition("^")
    if not caret:
        return Boost(parse_rule(expression, field_name), default_weight)
    w = _number(weight, field_name, "boost weight")
    return Boost(parse_rule(text, field_name), default_weight if w is None else w)


def parse_pin(expression: str, default_position: int, field_name: str = "pin") -> Pin:
    """Parse ``ITEM_ID`` or ``ITEM_ID@POSITION``."""
    item, at, pos = str(expression).rpartition("@")
    if not at:
        return Pin(str(expression).strip(), default_position)
    try:
        return Pin(item.strip(), int(pos))
    except ValueError:
        raise RequestError(field_name, f"expected ITEM_ID@POSITION, got {expression!r}") from None
