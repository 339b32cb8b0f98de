"""What the index knows about its words, for resolving query words it does not hold verbatim.

- pinyin: every Chinese word of the catalog under its full pinyin and its initials (``shuangjianbao``,
  ``sjb``), so a query typed in pinyin (or a homophone typo such as ``莲衣裙``) finds the word;
- typos: every English surface word of the catalog, searched with Damerau (OSA) distance, where swapping two
  letters is one edit ("colonge"), 1 edit for words of 5+ characters, 2 for 9+ (the rule Meilisearch uses),
  mapped back to its stem.

>>> from shopmind.search.lexical import LexicalIndex
>>> from shopmind.search.analysis import Token
>>> lex = LexicalIndex({"title": 1.0})
>>> vocab = TermVocabulary(lex)
>>> lex.add(0, {"title": ["双肩包", "moistur"]})
>>> vocab.learn([Token("双肩包", "双肩包", True), Token("moistur", "moisturizer", False)])
>>> vocab.pinyin("sjb"), vocab.fuzzy("moisturiser")
(['双肩包'], [('moistur', 1)])
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from shopmind.search.analysis import Token, pinyin_keys
from shopmind.search.lexical import LexicalIndex


def max_edits(word: str) -> int:
    """Typos tolerated in a query word: 0 below 5 characters, 1 from 5, 2 from 9."""
    n = len(word)
    return 2 if n >= 9 else 1 if n >= 5 else 0


class TermVocabulary:
    """Pinyin keys and surface words of the terms of ``lexical`` (see the module docs)."""

    def __init__(self, lexical: LexicalIndex) -> None:
        self.lexical = lexical
        self._pinyin: dict[str, set[str]] = defaultdict(set)
        self._surface: dict[str, str] = {}
        #: term -> the first surface word seen for it ("exfoli" -> "exfoliating")
        self._word: dict[str, str] = {}
        self._choices: list[str] = []

    def learn(self, tokens: Iterable[Token]) -> None:
        """Record the words of a newly indexed document."""
        for t in tokens:
            if t.cjk:
                if len(t.term) >= 2:
                    for k in pinyin_keys(t.term):
                        self._pinyin[k].add(t.term)
            elif t.surface.isalpha() and t.surface not in self._surface:
                self._surface[t.surface] = t.term
                self._word.setdefault(t.term, t.surface)
                self._choices.append(t.surface)

    def df(self, term: str) -> int:
        return self.lexical.df(term)

    @property
    def chinese(self) -> bool:
        """True when the catalog has held Chinese words (titles or categories in Chinese)."""
        return bool(self._pinyin)

    def word(self, term: str) -> str:
        """A word of the catalog that analyses to ``term`` (the stem itself when none was seen)."""
        return self._word.get(term, term)

    def pinyin(self, key: str, limit: int = 6) -> list[str]:
        """Chinese words of the catalog whose pinyin (or initials) is ``key``, most frequent first."""
        found = [t for t in self._pinyin.get(key, ()) if self.lexical.df(t) > 0]
        return sorted(found, key=lambda t: (-self.lexical.df(t), t))[:limit]

    def fuzzy(self, surface: str, limit: int = 4) -> list[tuple[str, int]]:
        """Terms whose surface word is within the tolerated edits of ``surface``: ``(term, edits)``, closest
        and most frequent first. Empty for short words."""
        k = max_edits(surface)
        if k == 0 or not self._choices:
            return []
        # lazy: rapidfuzz is only needed when a query word is not in the catalog
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        hits = process.extract(surface, self._choices, scorer=OSA.distance, score_cutoff=k,
                               limit=20)
        best: dict[str, int] = {}
        for word, dist, _ in hits:
            if word[:1] != surface[:1] and dist > 1:
                continue  # two edits and a different first letter is a different word, not a typo
            term = self._surface[word]
            if self.lexical.df(term) > 0:
                best[term] = min(best.get(term, 99), int(dist))
        ranked = sorted(best.items(), key=lambda kv: (kv[1], -self.lexical.df(kv[0])))
        return ranked[:limit]
