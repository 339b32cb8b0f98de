"""Removing or rewriting terms that advertising rules forbid, from a configurable list.

The default list (``resources/compliance.toml``) covers the absolute terms of the Chinese advertising law
(最好, 第一, 顶级, 国家级, 唯一, 100%, 万能, 绝对, ...), their English counterparts ("best ever", "number one",
"#1"), guarantees ("guaranteed", "100% safe") and false urgency ("only today", "last chance", 仅限今天),
which is allowed only while an item's data has a promotion that has not ended. A term inside the item's
own data ("100% Arabica") is a fact and stays.

>>> flt = ComplianceFilter.default()
>>> flt.apply("这是最好的咖啡豆，全网第一！").text
'这是很好的咖啡豆！'
>>> r = flt.apply("The best ever kettle. Last chance: only today!")
>>> r.text, [v.kind for v in r.violations]
('A great kettle.', ['absolute', 'urgency', 'urgency'])
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shopmind.content.facts import FactSheet
from shopmind.content.packaged import load_toml, read_toml_file
from shopmind.errors import DataError


class ComplianceTerm(BaseModel):
    """One forbidden term: a regular expression (case-insensitive), its language, kind and replacement."""

    model_config = ConfigDict(frozen=True)

    pattern: str
    lang: Literal["en", "zh", "any"] = "any"
    kind: str = "absolute"
    replace: str = ""


class Violation(BaseModel):
    """A forbidden term found in a text and what was done about it."""

    term: str
    kind: str
    start: int
    end: int
    action: Literal["removed", "replaced"]
    replacement: str = ""


class ComplianceResult(BaseModel):
    """The cleaned text and the violations that were fixed."""

    text: str
    violations: list[Violation]

    @property
    def changed(self) -> bool:
        return bool(self.violations)


class ComplianceFilter:
    """Finds and fixes forbidden terms. ``terms`` is the list; ``version`` names it in output records."""

    def __init__(self, terms: Sequence[ComplianceTerm], version: str = "custom") -> None:
        self.terms = tuple(terms)
        self.version = version
        self._compiled: list[tuple[re.Pattern[str], ComplianceTerm]] = []
        for t in self.terms:
            try:
                self._compiled.append((re.compile(t.pattern, re.IGNORECASE), t))
            except re.error as e:
                raise DataError(f"compliance term {t.pattern!r} is not a valid regular expression: {e}") from None

    @classmethod
    def default(cls) -> ComplianceFilter:
        """The packaged list."""
        doc = load_toml("resources/compliance.toml")
        return cls([ComplianceTerm(**t) for t in doc["terms"]], version=f"compliance@{doc.get('version', '0')}")

    @classmethod
    def from_file(cls, path: str | Path, *, extend_default: bool = True) -> ComplianceFilter:
        """A list from a TOML file shaped like ``resources/compliance.toml`` (``terms = [...]``).

        With ``extend_default`` the file's terms are added to the packaged list.
        """
        doc = read_toml_file(path)
        terms = [ComplianceTerm(**t) for t in doc.get("terms", [])]
        base = list(cls.default().terms) if extend_default else []
        return cls(base + terms, version=f"{Path(path).name}@{doc.get('version', '0')}")

    # ------------------------------------------------------------------ public
    def find(self, text: str, *, facts: FactSheet | Iterable[FactSheet] = (), now: datetime | None = None,
             lang: str | None = None) -> list[Violation]:
        """The violations in ``text`` (nothing is changed); ``lang`` limits the list to that language's terms."""
        sheets = [facts] if isinstance(facts, FactSheet) else list(facts)
        urgency_ok = _promotion_running(sheets, now)
        protected = _protected_spans(text, sheets)
        hits: list[tuple[int, int, ComplianceTerm]] = []
        for pattern, term in self._compiled:
            if (term.kind == "urgency" and urgency_ok) or (lang and term.lang not in (lang, "any")):
                continue
            for m in pattern.finditer(text):
                if m.end() > m.start() and not any(s <= m.start() and m.end() <= e for s, e in protected):
                    hits.append((m.start(), m.end(), term))
        hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
        out: list[Violation] = []
        last_end = -1
        for s, e, term in hits:
            if s < last_end:
                continue
            replacement = _match_case(term.replace, text[s:e])
            out.append(Violation(term=text[s:e], kind=term.kind, start=s, end=e,
                                 action="replaced" if replacement else "removed", replacement=replacement))
            last_end = e
        return out

    def apply(self, text: str, *, facts: FactSheet | Iterable[FactSheet] = (), now: datetime | None = None,
              lang: str | None = None) -> ComplianceResult:
        """``text`` with every violation removed or rewritten, and the list of violations."""
        violations = self.find(text, facts=facts, now=now, lang=lang)
        if not violations:
            return ComplianceResult(text=text, violations=[])
        parts, pos = [], 0
        for v in violations:
            parts.append(text[pos:v.start])
            parts.append(v.replacement)
            pos = v.end
        parts.append(text[pos:])
        return ComplianceResult(text=tidy("".join(parts)), violations=violations)

    def is_clean(self, text: str) -> bool:
        """True when ``text`` has no violation (urgency counts: no promotion is known)."""
        return not self.find(text)


def tidy(text: str) -> str:
    """Repair the punctuation and spacing a removal leaves behind.

    >>> tidy("A great  , bag !  ( ) Now.")
    'A great, bag! Now.'
    """
    t = re.sub(r"[ \t]{2,}", " ", text)
    t = re.sub(r"\(\s*\)|（\s*）|“\s*”|\"\s*\"", "", t)
    t = re.sub(r"[ \t]+([,.!?;:，。！？；：、])", r"\1", t)
    t = re.sub(r"([,;:，；：、])\s*([,.!?;:，。！？；：、])", r"\2", t)
    t = re.sub(r"([.!?。！？])\s*[.!?。！？]+", r"\1", t)
    t = re.sub(r"(^|\n)\s*[,.!?;:，。！？；：、]+\s*", r"\1", t)
    t = re.sub(r"(^|[.!?。！？]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), t)
    t = re.sub(r"[ \t]{2,}", " ", t)
    return t.strip()


def _match_case(replacement: str, original: str) -> str:
    if replacement and original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def _promotion_running(sheets: Sequence[FactSheet], now: datetime | None) -> bool:
    ref = now or datetime.now(UTC)
    if ref.tzinfo is None:
        ref = ref.replace(tzinfo=UTC)
    return any(f.promotion_end is not None and f.promotion_end >= ref for f in sheets)


def _protected_spans(text: str, sheets: Sequence[FactSheet]) -> list[tuple[int, int]]:
    spans = []
    low = text.lower()
    for f in sheets:
        for s in f.strings():
            s = s.strip().lower()
            if len(s) < 2:
                continue
            start = low.find(s)
            while start >= 0:
                spans.append((start, start + len(s)))
                start = low.find(s, start + 1)
    return spans
