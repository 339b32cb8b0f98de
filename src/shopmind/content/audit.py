"""Checking existing copy: every line of a JSONL file (or of a ``POST /content/audit`` body) is a text about one
or more items; each gets its claims with the checker's verdicts (supported / contradicted / unsupported) and the
fact each was checked against. :func:`check_text` checks one text (``POST /content/check``,
``shopmind content check --json``); :func:`audit_lines` a batch (``shopmind content audit``,
``POST /content/audit``). Both give the same claim JSON: ``{"text", "attribute", "verdict", "fact", "reason"}``.

A line names its items by id (``{"item_id": "SKU1", "text": ...}`` or ``{"item_ids": [...], "text": ...}``,
resolved with a lookup callable, such as the store) or carries the item inline (``{"item": {"item_id", "title",
"brand", "category", "price", "currency", "attributes"}, "text": ..., "lang": "zh"}``). A malformed line is not
dropped: it gets an ``error`` and ``ok: false`` in its place, so outputs line up with inputs one to one.

>>> lines = ['{"item": {"item_id": "a", "title": "Acme Kettle 1.5 L", "brand": "Acme"}, "text": "1500 ml kettle"}',
...          'not json']
>>> [(r.line, r.ok, r.error is None) for r in audit_lines(lines, lambda _: None)]
[(1, True, True), (2, False, False)]
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from shopmind.content.claims import Verdict
from shopmind.content.facts import FactSheet, ItemLike, extract_facts
from shopmind.content.grounding import GroundingChecker
from shopmind.errors import ShopmindError

#: Finds an item by id (None when there is no such item).
ItemLookup = Callable[[str], ItemLike | None]


class AuditClaim(BaseModel):
    """One claim of an audited text."""

    text: str
    attribute: str
    verdict: Verdict  # the checker's own: supported / contradicted / unsupported
    #: The item's fact the claim was checked against, empty when the item states none.
    fact: str = ""
    reason: str = ""


class CheckedText(BaseModel):
    """The verdicts on one text: ``ok`` when every judged claim is supported (claims the checker could not
    judge, such as a brand name that is also an ordinary word, are left out)."""

    ok: bool
    claims: list[AuditClaim] = Field(default_factory=list)
    item_ids: list[str] = Field(default_factory=list)


class AuditLine(BaseModel):
    """The verdicts of one input line (``line`` counts from 1)."""

    line: int
    ok: bool
    claims: list[AuditClaim] = Field(default_factory=list)
    item_ids: list[str] = Field(default_factory=list)
    error: str | None = None


class AuditSummary(BaseModel):
    """Counts over an audit: lines, claims and verdicts, overall and by attribute."""

    lines: int = 0
    ok: int = 0
    flagged: int = 0
    errors: int = 0
    claims: int = 0
    supported: int = 0
    contradicted: int = 0
    unsupported: int = 0
    by_attribute: dict[str, dict[str, int]] = Field(default_factory=dict)

    def add(self, result: AuditLine) -> None:
        self.lines += 1
        if result.error is not None:
            self.errors += 1
        elif result.ok:
            self.ok += 1
        else:
            self.flagged += 1
        for c in result.claims:
            self.claims += 1
            setattr(self, c.verdict, getattr(self, c.verdict) + 1)
            row = self.by_attribute.setdefault(c.attribute, {"checked": 0, "supported": 0, "contradicted": 0,
                                                             "unsupported": 0})
            row["checked"] += 1
            row[c.verdict] += 1


#: One input: a JSONL line, or an already parsed record (a REST request body's list element).
AuditInput = str | Mapping[str, Any]


def parse_line(raw: AuditInput) -> dict[str, Any]:
    """One input line as a record, or a :class:`ShopmindError` that says what is wrong with it."""
    if isinstance(raw, Mapping):
        rec: Any = dict(raw)
    elif not raw.strip():
        raise ShopmindError("empty line; expected a JSON object with 'text' and 'item_id', 'item_ids' or 'item'")
    else:
        try:
            rec = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ShopmindError(f"not JSON ({exc.msg} at column {exc.colno}); expected one JSON object per line") \
                from exc
    if not isinstance(rec, dict):
        raise ShopmindError(f"a line must be a JSON object, got {type(rec).__name__}")
    text = rec.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ShopmindError(f"field 'text' must be a non-empty string, got {text!r}")
    lang = rec.get("lang")
    if lang is not None and lang not in ("en", "zh"):
        raise ShopmindError(f"field 'lang' must be 'en' or 'zh', got {lang!r}")
    given = [k for k in ("item", "item_id", "item_ids") if rec.get(k) is not None]
    if len(given) != 1:
        raise ShopmindError("a line needs exactly one of 'item', 'item_id' or 'item_ids', got "
                            + (", ".join(repr(k) for k in given) or "none"))
    if "item" in given and not isinstance(rec["item"], dict):
        raise ShopmindError(f"field 'item' must be an object with the item's facts, got {rec['item']!r}")
    if "item_ids" in given and (not isinstance(rec["item_ids"], list) or not rec["item_ids"]
                                or not all(isinstance(i, str | int) for i in rec["item_ids"])):
        raise ShopmindError(f"field 'item_ids' must be a non-empty list of ids, got {rec['item_ids']!r}")
    if "item_id" in given and not isinstance(rec["item_id"], str | int):
        raise ShopmindError(f"field 'item_id' must be a string, got {rec['item_id']!r}")
    return rec


def inline_items(lines: Iterable[AuditInput]) -> list[dict[str, Any]]:
    """The inline items of well-formed lines (a checker built from them knows their brands and categories)."""
    out = []
    for raw in lines:
        try:
            rec = parse_line(raw)
        except ShopmindError:
            continue
        if isinstance(rec.get("item"), dict) and rec["item"].get("item_id") is not None:
            out.append(rec["item"])
    return out


def audit_lines(lines: Sequence[AuditInput], lookup: ItemLookup, checker: GroundingChecker | None = None, *,
                catalog: Iterable[ItemLike] = (), now: datetime | None = None,
                on_line: Callable[[AuditLine], None] | None = None) -> Iterator[AuditLine]:
    """Audit every line (a JSONL string or a parsed record), in order, one result per line.

    ``lookup`` resolves ids; ``checker`` defaults to one that knows the brands, categories and named attribute
    values of ``catalog`` plus the inline items of the file. ``now`` dates new-arrival claims (default: the
    clock). ``on_line`` is called after each line (progress).
    """
    if checker is None:
        checker = GroundingChecker.from_items([*catalog, *inline_items(lines)])
    for n, raw in enumerate(lines, start=1):
        result = audit_one(n, raw, lookup, checker, now=now)
        if on_line is not None:
            on_line(result)
        yield result


def audit_one(n: int, raw: AuditInput, lookup: ItemLookup, checker: GroundingChecker, *,
              now: datetime | None = None) -> AuditLine:
    """The verdicts of line ``n`` (an error result when the line is malformed or names unknown items)."""
    try:
        rec = parse_line(raw)
        sheets = _sheets(rec, lookup, now)
    except (ShopmindError, ValueError, TypeError, KeyError) as exc:  # an odd record must not end the batch
        return AuditLine(line=n, ok=False, error=str(exc))
    checked = check_text(rec["text"], sheets, checker)
    return AuditLine(line=n, ok=checked.ok, claims=checked.claims, item_ids=checked.item_ids)


def check_text(text: str, items: Sequence[ItemLike], checker: GroundingChecker, *,
               now: datetime | None = None) -> CheckedText:
    """The verdicts on one text about ``items`` (records or fact sheets; ``now`` dates new arrivals)."""
    sheets = [i if isinstance(i, FactSheet) else extract_facts(i, now=now) for i in items]
    report = checker.check(text, sheets)
    claims = [AuditClaim(text=c.text, attribute=c.attribute, verdict=c.verdict, fact=c.fact, reason=c.reason)
              for c in report.claims if c.verdict is not None]
    return CheckedText(ok=all(c.verdict == "supported" for c in claims), claims=claims,
                       item_ids=[s.item_id for s in sheets])


def summarise(results: Iterable[AuditLine]) -> AuditSummary:
    """Counts over audit results (:class:`AuditSummary`)."""
    summary = AuditSummary()
    for r in results:
        summary.add(r)
    return summary


def _sheets(rec: Mapping[str, Any], lookup: ItemLookup, now: datetime | None) -> list[FactSheet]:
    if isinstance(rec.get("item"), dict):
        return [extract_facts(rec["item"], now=now)]
    ids = [str(rec["item_id"])] if rec.get("item_id") is not None else [str(i) for i in rec["item_ids"]]
    sheets = []
    missing = []
    for i in ids:
        item = lookup(i)
        if item is None:
            missing.append(i)
        else:
            sheets.append(extract_facts(item, now=now))
    if missing:
        raise ShopmindError(f"unknown item id(s): {', '.join(repr(m) for m in missing)}")
    return sheets

