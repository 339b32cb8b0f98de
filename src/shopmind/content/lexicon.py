"""The bilingual vocabulary: colours, materials and places in English and Chinese, with their hierarchy.

It serves two purposes: translating attribute values when an item lacks one language (an English-only
catalog rendered in Chinese), and letting the grounding checker compare claims across languages
("牛皮" in a Chinese text is checked against "Cowhide Leather" in the data).

>>> lex = lexicon()
>>> lex.lookup("material", "Cowhide Leather").id, lex.translate("material", "牛皮", "en")
('cowhide', 'cowhide leather')
>>> sorted(lex.closure("material", {"cowhide"}))
['cowhide', 'genuine_leather', 'leather']
>>> lex.label("capacity", "zh")
'容量'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

from shopmind.content.packaged import load_toml

Lang = Literal["en", "zh"]
TermKind = Literal["colour", "material", "origin"]
_SECTIONS: dict[TermKind, str] = {"colour": "colours", "material": "materials", "origin": "origins"}


@dataclass(frozen=True)
class Term:
    """One vocabulary entry: an id, its aliases per language and the broader ids it implies."""

    id: str
    kind: TermKind
    en: tuple[str, ...]
    zh: tuple[str, ...]
    broader: tuple[str, ...] = ()
    blend: bool = False  # a mix of fibres ("cotton blend"), never "100%" of one

    def name(self, lang: Lang) -> str:
        """The display form in ``lang`` (first alias)."""
        names = self.en if lang == "en" else self.zh
        return names[0] if names else (self.zh or self.en)[0]


def key(text: str) -> str:
    """Normalised lookup key: lower case, single spaces, straight quotes."""
    return re.sub(r"\s+", " ", str(text).strip().lower().replace("’", "'"))


@dataclass
class Lexicon:
    """The vocabulary loaded from ``resources/vocab.toml``."""

    terms: dict[TermKind, dict[str, Term]]
    labels: dict[str, tuple[str, str]]
    values: dict[str, tuple[str, str]]
    shields: dict[Lang, tuple[str, ...]]
    version: str
    common_words: frozenset[str] = frozenset()
    #: Well-known brands outside any catalog: canonical English name -> every alias (both languages).
    known_brands: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _index: dict[tuple[TermKind, str], Term] = field(default_factory=dict, repr=False)
    _patterns: dict[TermKind, re.Pattern[str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for kind, table in self.terms.items():
            for term in table.values():
                for alias in (*term.en, *term.zh):
                    self._index.setdefault((kind, key(alias)), term)

    def lookup(self, kind: TermKind, text: str) -> Term | None:
        """The entry whose alias is ``text`` (any language, any case), or None."""
        return self._index.get((kind, key(text)))

    def find_all(self, kind: TermKind, text: str) -> list[Term]:
        """Every entry mentioned in ``text``, longest aliases first ("cowhide leather", not "leather")."""
        if kind not in self._patterns:
            aliases = sorted({a for (k, a) in self._index if k == kind}, key=len, reverse=True)
            alts = [rf"(?<![a-z0-9]){re.escape(a)}(?![a-z0-9])" if a.isascii() else re.escape(a)
                    for a in aliases]
            self._patterns[kind] = re.compile("|".join(alts))
        found: list[Term] = []
        for m in self._patterns[kind].finditer(key(text)):
            term = self._index[(kind, m.group(0))]
            if term not in found:
                found.append(term)
        return found

    def translate(self, kind: TermKind, text: str, to: Lang) -> str | None:
        """``text`` in the other language when the vocabulary knows it (None otherwise)."""
        term = self.lookup(kind, text)
        return term.name(to) if term else None

    def closure(self, kind: TermKind, ids: Iterable[str]) -> set[str]:
        """``ids`` plus every broader id they imply (transitively)."""
        table = self.terms[kind]
        out: set[str] = set()
        todo = list(ids)
        while todo:
            i = todo.pop()
            if i in out:
                continue
            out.add(i)
            if i in table:
                todo.extend(table[i].broader)
        return out

    def label(self, name: str, lang: Lang) -> str:
        """The display label of an attribute key (``capacity`` -> ``Capacity`` / ``容量``)."""
        pair = self.labels.get(name)
        if pair is None:
            return name.replace("_", " ").capitalize() if lang == "en" else name
        return pair[0] if lang == "en" else pair[1]

    def value(self, text: str, to: Lang) -> str | None:
        """Plain attribute values (gender, season) in ``to``."""
        k = key(text)
        for en, zh in self.values.values():
            if k in (key(en), key(zh)):
                return en if to == "en" else zh
        return None


@cache
def lexicon() -> Lexicon:
    """The packaged vocabulary (loaded once)."""
    doc = load_toml("resources/vocab.toml")
    terms: dict[TermKind, dict[str, Term]] = {}
    for kind, section in _SECTIONS.items():
        table: dict[str, Term] = {}
        for tid, spec in doc.get(section, {}).items():
            broader = tuple(spec.get("family", ())) + tuple(spec.get("parents", ()))
            table[tid] = Term(tid, kind, tuple(spec.get("en", ())), tuple(spec.get("zh", ())), broader,
                              bool(spec.get("blend", False)))
        terms[kind] = table
    shields = doc.get("shields", {})
    return Lexicon(
        terms=terms,
        labels={k: (v[0], v[1]) for k, v in doc.get("labels", {}).items()},
        values={k: (v[0], v[1]) for k, v in doc.get("values", {}).items()},
        shields={"en": tuple(shields.get("en", ())), "zh": tuple(shields.get("zh", ()))},
        version=str(doc.get("version", "0")),
        common_words=frozenset(key(w) for words in doc.get("common_words", {}).values() for w in words),
        known_brands={(spec.get("en") or spec.get("zh"))[0]: (*spec.get("en", ()), *spec.get("zh", ()))
                      for spec in doc.get("brands", {}).values() if spec.get("en") or spec.get("zh")},
    )


@cache
def english_words() -> frozenset[str]:
    """Common English words, lower case (``resources/english_words.toml``): a capitalised word that is not one
    of them, nor an inflection of one, may be a name."""
    doc = load_toml("resources/english_words.toml")
    return frozenset(w.lower() for part in ("words", "extra") for w in doc.get(part, "").split())
