"""Checking texts in bulk: one verdict per claim (supported / contradicted / unsupported) with the fact it was
checked against, for ``POST /content/check``, ``POST /content/audit`` and any batch of existing copy.

A line is ``{"item_id" or "item_ids", "text", "lang"?}`` (items looked up by the caller's ``lookup``) or
``{"item": {item record}, "text", "lang"?}`` with the item's facts inline. A line that cannot be checked
(no text, an unknown item id, a bad item record) gets ``ok: false`` and an ``error``, in its place: no line is
lost or reordered.

>>> from shopmind.content.grounding import GroundingChecker
>>> mug = {"item_id": "mug-1", "title": "Homely Ceramic Mug - White, 350 ml", "brand": "Homely",
...        "price": 39.0, "currency": "CNY", "attributes": {"material": "Ceramic", "colour": "White"}}
>>> out = check_lines([{"item": mug, "text": "A white ceramic mug for ¥49."}], GroundingChecker())
>>> [(c["text"], c["verdict"], c["fact"]) for c in out[0]["claims"]]
[('white', 'supported', 'White'), ('ceramic', 'supported', 'Ceramic'), ('¥49', 'contradicted', '¥39')]
>>> summarise(out)["contradicted"]
1
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from shopmind.content.claims import Claim
from shopmind.content.facts import FactSheet, ItemLike, extract_facts, format_price
from shopmind.content.grounding import GroundingChecker, GroundingReport
from shopmind.errors import ShopmindError

Verdict = Literal["supported", "contradicted", "unsupported", "not_judged"]
#: Looks up an item record by id (None: unknown).
Lookup = Callable[[str], ItemLike | None]


def fact_of(claim: Claim, facts: Sequence[FactSheet]) -> str | None:
    """What the data says about the claim's attribute (the fact the claim was checked against), or None when
    no item states it."""
    kind = claim.kind
    values: list[str] = []
    for f in facts:
        if kind == "brand":
            values += [v for v in (f.brand.en, f.brand.zh) if v]
        elif kind == "price" and f.price is not None:
            values.append(format_price(f.price, f.currency, "en"))
        elif kind == "discount" and f.discount:
            values.append(f"{round(f.discount * 100)}% off")
        elif kind in ("material", "colour"):
            attrs = f.materials if kind == "material" else f.colours
            values += [v for a in attrs if (v := a.value.en or a.value.zh)]
        elif kind == "quantity" or kind == "size":
            values += [f"{a.key}: {v}" for a in f.specs if (v := a.value.en or a.value.zh)]
        elif kind == "origin" and f.origin is not None:
            values += [v for v in (f.origin.en, f.origin.zh) if v][:1]
        elif kind == "gender" and f.gender is not None:
            values += [v for v in (f.gender.en, f.gender.zh) if v][:1]
        elif kind == "category":
            values += [" > ".join(f.category_path("en"))] if f.category else []
        elif kind == "availability" and f.in_stock is not None:
            values.append("in stock" if f.in_stock else "out of stock")
        elif kind == "rating" and (f.rating_avg is not None or f.review_count is not None):
            values.append(f"rating {f.rating_avg}, {f.review_count} reviews")
        elif kind == "newness" and f.created_at is not None:
            values.append(f"listed {f.created_at.date().isoformat()}" + (" (new)" if f.is_new else ""))
    values = list(dict.fromkeys(values))
    return "; ".join(values) if values else None


def verdict_of(claim: Claim, fact: str | None) -> Verdict:
    """``supported``; ``contradicted`` when the data states the attribute with another value; ``unsupported``
    when the data does not state it; ``not_judged`` for claims the checker could not decide. A checker that
    gives a verdict of its own (a ``verdict`` attribute) is taken at its word."""
    own = getattr(claim, "verdict", None)
    if own in ("supported", "contradicted", "unsupported", "not_judged"):
        return own  # type: ignore[no-any-return]
    if claim.supported is None:
        return "not_judged"
    if claim.supported:
        return "supported"
    return "contradicted" if fact is not None else "unsupported"


def claims_json(report: GroundingReport, facts: Sequence[FactSheet]) -> list[dict[str, Any]]:
    """The claims of a report as ``{"text", "attribute", "verdict", "fact", "reason", "supported", "start",
    "end"}`` (``supported`` is the checker's own True / False / None)."""
    out = []
    for c in report.claims:
        fact = fact_of(c, facts)
        out.append({"text": c.text, "attribute": c.kind, "verdict": verdict_of(c, fact), "fact": fact,
                    "reason": c.reason, "supported": c.supported, "start": c.start, "end": c.end})
    return out


def check_text(text: str, items: Sequence[ItemLike], checker: GroundingChecker, *,
               now: datetime | None = None) -> dict[str, Any]:
    """Check one text against the items it is about: ``{"ok", "summary", "claims"}`` (``ok``: no claim is
    contradicted or unsupported)."""
    facts = [i if isinstance(i, FactSheet) else extract_facts(i, now=now) for i in items]
    report = checker.check(text, facts)
    return {"ok": report.ok, "summary": report.summary(), "claims": claims_json(report, facts)}


def check_lines(lines: Iterable[Mapping[str, Any] | Any], checker: GroundingChecker, *,
                lookup: Lookup | None = None, now: datetime | None = None,
                on_line: Callable[[], None] | None = None) -> list[dict[str, Any]]:
    """Check every line (see the module docstring); the result has one record per line, in order:
    ``{"line", "ok", "claims", "summary"}`` or ``{"line", "ok": false, "error", "claims": []}``."""
    out: list[dict[str, Any]] = []
    for n, line in enumerate(lines, 1):
        try:
            text, items = _parse(line, lookup)
            out.append({"line": n, **check_text(text, items, checker, now=now)})
        except ShopmindError as e:
            out.append({"line": n, "ok": False, "error": str(e), "claims": []})
        if on_line is not None:
            on_line()
    return out


def summarise(results: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Counts over checked lines: lines, ok lines, errors, claims checked, contradicted, unsupported, and the
    same per attribute."""
    verdicts: Counter[str] = Counter()
    by_attr: dict[str, Counter[str]] = {}
    for r in results:
        for c in r.get("claims", []):
            verdicts[c["verdict"]] += 1
            by_attr.setdefault(c["attribute"], Counter())[c["verdict"]] += 1
    return {
        "lines": len(results), "ok": sum(bool(r.get("ok")) for r in results),
        "errors": sum("error" in r for r in results), "claims": sum(verdicts.values()),
        "supported": verdicts["supported"], "contradicted": verdicts["contradicted"],
        "unsupported": verdicts["unsupported"], "not_judged": verdicts["not_judged"],
        "by_attribute": {k: {"claims": sum(v.values()), "contradicted": v["contradicted"],
                             "unsupported": v["unsupported"]} for k, v in sorted(by_attr.items())},
    }


def _parse(line: Any, lookup: Lookup | None) -> tuple[str, list[ItemLike]]:
    if not isinstance(line, Mapping):
        raise ShopmindError(f"a line must be a JSON object, got {type(line).__name__}")
    text = line.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ShopmindError("text: expected a non-empty string")
    if "item" in line:
        item = line["item"]
        if not isinstance(item, Mapping) or not str(item.get("item_id") or "").strip():
            raise ShopmindError("item: expected an item record with an item_id")
        return text, [dict(item)]
    ids = line.get("item_ids")
    if ids is None and line.get("item_id") is not None:
        ids = [line["item_id"]]
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str | int) for i in ids):
        raise ShopmindError("item_id / item_ids / item: expected the item(s) the text is about")
    if lookup is None:
        raise ShopmindError("item ids need a catalog to look them up in; give the item inline as 'item'")
    items: list[ItemLike] = []
    for i in ids:
        found = lookup(str(i))
        if found is None:
            raise ShopmindError(f"item_id: unknown item {str(i)!r}")
        items.append(found)
    return text, items
