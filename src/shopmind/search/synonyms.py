"""Synonym groups: words and phrases a query may use for the same thing, in either language.

Groups come from a plain text file (``resources/synonyms.txt`` by default: one group per line,
comma-separated; ``a, b => c`` is one-way) plus the colour and material names of the bilingual vocabulary
(``red`` = ``红色``), so a query in one language finds items described in the other.

>>> from shopmind.search.analysis import Analyzer
>>> syn = Synonyms.load(Analyzer())
>>> [" ".join(p) for p in syn.alternatives(("backpack",))][:3]
['rucksack', 'knapsack', '双肩包']
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from shopmind.content.lexicon import lexicon
from shopmind.errors import DataError
from shopmind.search.analysis import Analyzer

Phrase = tuple[str, ...]


def read_groups(text: str, source: str = "synonyms") -> list[tuple[list[str], list[str]]]:
    """``(from, to)`` phrase lists of each line; a two-way group has ``from == to``.

    >>> read_groups("a, b\\nc => d")
    [(['a', 'b'], ['a', 'b']), (['c'], ['d'])]
    """
    out: list[tuple[list[str], list[str]]] = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if "=>" in line:
            left, _, right = line.partition("=>")
            src = [w.strip() for w in left.split(",") if w.strip()]
            dst = [w.strip() for w in right.split(",") if w.strip()]
        else:
            src = dst = [w.strip() for w in line.split(",") if w.strip()]
        if not src or not dst:
            raise DataError("a synonym line needs words on both sides of '=>'", source=source, row=n)
        out.append((src, dst))
    return out


class Synonyms:
    """Phrase -> equivalent phrases, all as analysed query terms."""

    def __init__(self) -> None:
        self._map: dict[Phrase, list[Phrase]] = {}
        self.longest = 1
        #: every single Latin term of the groups (what a misspelt query word may be corrected to)
        self.words: set[str] = set()

    def add(self, analyzer: Analyzer, src: Iterable[str], dst: Iterable[str]) -> None:
        dst_phrases = [p for p in (tuple(analyzer.tokens(w, query=True)) for w in dst) if p]
        for word in src:
            phrase = tuple(analyzer.tokens(word, query=True))
            if not phrase:
                continue
            self.words.update(t for t in phrase if t.isascii() and t.isalpha())
            alts = self._map.setdefault(phrase, [])
            alts.extend(p for p in dst_phrases if p != phrase and p not in alts)
            self.longest = max(self.longest, len(phrase))

    @classmethod
    def load(cls, analyzer: Analyzer, path: str | Path | None = None, *, vocabulary: bool = True) -> Synonyms:
        """The groups of ``path`` (default: the packaged file), plus colour and material names."""
        syn = cls()
        if path is None:
            text = resources.files("shopmind.search").joinpath("resources/synonyms.txt").read_text("utf-8")
            source = "synonyms.txt"
        else:
            p = Path(path).expanduser()
            if not p.is_file():
                raise DataError("no such synonyms file", source=str(p))
            text, source = p.read_text("utf-8"), str(p)
        for src, dst in read_groups(text, source):
            syn.add(analyzer, src, dst)
        if vocabulary:
            lex = lexicon()
            for kind in ("colour", "material"):
                for term in lex.terms[kind].values():
                    names = [*term.en, *term.zh]
                    syn.add(analyzer, names, names)
        return syn

    def alternatives(self, phrase: Phrase) -> list[Phrase]:
        """Phrases equivalent to ``phrase`` (not including it)."""
        return list(self._map.get(tuple(phrase), ()))

    def match(self, terms: list[str], start: int) -> tuple[int, list[Phrase]]:
        """The longest phrase with synonyms starting at ``terms[start]``: ``(length, alternatives)``, or
        ``(0, [])``."""
        for n in range(min(self.longest, len(terms) - start), 0, -1):
            alts = self._map.get(tuple(terms[start:start + n]))
            if alts:
                return n, alts
        return 0, []
