"""From a query string to clauses the lexical index can score.

A query becomes a list of :class:`Clause`: one per word (or per phrase with synonyms), each satisfied by
any of its :class:`Alternative` term sequences - the word itself, its synonyms, the Chinese words its
pinyin spells, the catalog word it is a typo of, or the words it joins or splits into. A word the catalog
cannot resolve at all is reported in ``unknown``; when most words are unknown the query asks for something
the catalog does not have, and the search says so instead of returning near misses.

>>> from shopmind.search.analysis import Analyzer, Token
>>> from shopmind.search.lexical import LexicalIndex
>>> from shopmind.search.vocabulary import TermVocabulary, max_edits
>>> a = Analyzer(); lex = LexicalIndex({"title": 1.0}); vocab = TermVocabulary(lex)
>>> doc = a.analyse("女士 双肩包 red")
>>> lex.add(0, {"title": [t.term for t in doc]}); vocab.learn(doc)
>>> plan = QueryPlanner(a, vocab).plan("shuangjianbao")
>>> [(c.word, [alt.terms for alt in c.alternatives]) for c in plan.clauses]
[('shuangjianbao', [('双肩包',)])]
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from shopmind.content.lexicon import english_words
from shopmind.search.analysis import Analyzer, Token, is_cjk, pinyin_keys
from shopmind.search.dictionary import english_phrases
from shopmind.search.synonyms import Synonyms
from shopmind.search.vocabulary import TermVocabulary, max_edits

#: Weight of each way of matching a word, relative to the word itself.
WEIGHTS = {"exact": 1.0, "synonym": 0.9, "pinyin": 0.95, "initials": 0.8, "typo": 0.85, "join": 0.95,
           "split": 0.7, "head": 0.6, "dictionary": 0.8}
#: At most this many English renderings of a Chinese word the catalog lacks are tried (most common sense first) ...
RENDERINGS = 4
#: ... for at most this many such words of a query (a 1,000-character query of random characters stays cheap).
TRANSLATED = 8
#: Ways of matching after which the dense side reads the catalog's words rather than the query's.
_READ_AS = ("pinyin", "initials", "typo", "join", "split", "dictionary")
#: At most this many catalog names stand for a lone Chinese character that ends them (``鞋`` -> 跑步鞋, 皮鞋).
HEAD_NAMES = 6
#: Chinese noun suffixes: ``裤子`` is ``裤``, ``垫子`` is ``垫``.
_NOUN_SUFFIXES = frozenset("子儿")


@dataclass(frozen=True)
class Alternative:
    """A term sequence that satisfies a clause (all its terms must be in the document)."""

    terms: tuple[str, ...]
    weight: float
    how: str
    #: the catalog's words for ``terms`` when they differ from the query's (a typo's correction, unstemmed)
    text: str = ""


@dataclass
class Clause:
    """One word or phrase of the query and the ways the catalog can match it."""

    word: str
    alternatives: list[Alternative] = field(default_factory=list)

    @property
    def resolved(self) -> bool:
        return bool(self.alternatives)


@dataclass
class QueryPlan:
    """The clauses of a query, the words nothing in the catalog matches, and what was corrected."""

    clauses: list[Clause]
    unknown: list[str]
    #: words of the query after stop words, lone characters that became no clause included
    words: int = 0

    @property
    def resolved(self) -> list[Clause]:
        return [c for c in self.clauses if c.resolved]

    @property
    def not_in_catalog(self) -> bool:
        """True when the catalog holds none, or fewer than half, of the query's words (so the query is for
        something the shop does not sell)."""
        n = len(self.clauses)
        return n > 0 and len(self.resolved) * 2 <= n

    @property
    def described(self) -> bool:
        """True when the query is a need in the shopper's words rather than a product name: three or more
        words ("夏天 出门 怕晒黑", "跑马拉松 穿的 鞋"), where a product the shop lacks is named in one or two
        ("汽车轮胎", "婴儿 纸尿裤", "laptop charger")."""
        return max(self.words, len(self.clauses)) >= 3

    def min_should_match(self) -> int:
        """Clauses a document must match: all of up to two, all but one of three or four, else 3/4."""
        n = len(self.resolved)
        return n if n <= 2 else n - 1 if n <= 4 else math.ceil(0.75 * n)

    def resolved_text(self) -> str:
        """The query as the catalog reads it: each word, or what its pinyin, typo or join resolved to (what
        the dense encoder should see: "lianyiqun" is 连衣裙 to the index, gibberish to e5)."""
        out = []
        for c in self.clauses:
            if c.alternatives and c.alternatives[0].how == "dictionary":
                out.append(f"{c.word} {c.alternatives[0].text}")
            elif c.alternatives and c.alternatives[0].how in _READ_AS:
                out.append("".join(c.alternatives[0].terms) if all(len(t) > 1 and not t.isascii()
                                                                   for t in c.alternatives[0].terms)
                           else " ".join(c.alternatives[0].terms))
            else:
                out.append(c.word)
        return " ".join(out)

    def dense_text(self, text: str) -> str:
        """``text`` (the normalised query) with each word the catalog read through pinyin, a typo or a join
        replaced by what it read (a misspelt Latin word is kept beside its correction), every other word - stop
        words included - left as the shopper wrote it: the encoder reads "something for dry skin in winter"
        better than "something dry skin winter"."""
        out = text
        for c in self.clauses:
            if not (c.alternatives and c.alternatives[0].how in _READ_AS):
                continue
            alt = c.alternatives[0]
            terms = alt.terms
            fixed = "".join(terms) if all(len(t) > 1 and not t.isascii() for t in terms) else " ".join(terms)
            if alt.how in ("typo", "dictionary") and alt.text:
                # the word as written and the catalog's word: the encoder knows "lippy" better than a wrong
                # correction, and "mascara" better than "mascarra"; "假睫毛" beside "eyelashes" in an English
                # catalog
                fixed = f"{c.word} {alt.text}"
            # a joined word may have been written apart ("莲 衣裙", "eye shadow")
            pattern = r"\s*".join(re.escape(ch) for ch in c.word.replace(" ", ""))
            out, n = re.subn(pattern, f" {fixed} ", out, count=1)
            if not n:
                return self.resolved_text()
        return " ".join(out.split())

    def corrections(self) -> dict[str, str]:
        """Query words matched through a typo, pinyin, a join or the dictionary: word -> what it matched (the
        English rendering of a Chinese word: "眼线笔" -> "eyeliner")."""
        out = {}
        for c in self.clauses:
            if c.alternatives and c.alternatives[0].how in ("typo", "pinyin", "initials", "join"):
                out[c.word] = " ".join(c.alternatives[0].terms)
            elif c.alternatives and c.alternatives[0].how == "dictionary":
                out[c.word] = c.alternatives[0].text
        return out


class QueryPlanner:
    """Builds a :class:`QueryPlan` against what the index holds (see the module docs)."""

    def __init__(self, analyzer: Analyzer, vocabulary: TermVocabulary, synonyms: Synonyms | None = None) -> None:
        self.analyzer = analyzer
        self.vocabulary = vocabulary
        self.synonyms = synonyms or Synonyms()
        #: the catalog's Chinese product and category names by their last character (see :meth:`_head`)
        self._names: dict[str, set[str]] = {}
        #: the last word (analysed) of the catalog's English product and category names and attribute values,
        #: with how many live items name it (see :meth:`_names_a_product`)
        self._english_heads: dict[str, int] = {}

    def add_names(self, names: Iterable[str], english: Iterable[str] = ()) -> None:
        """Record product and category names of the catalog: Chinese ones (``皮鞋``, ``手表``; see :meth:`_head`)
        and ``english`` ones ("Frying Pan", "Helmets"; their head nouns, see :meth:`_translate`)."""
        for w in names:
            if w:
                self._names.setdefault(w[-1], set()).add(w)
        for head in self._heads(english):
            self._english_heads[head] = self._english_heads.get(head, 0) + 1

    def forget_names(self, english: Iterable[str]) -> None:
        """An item with these English names left the catalog (deleted, or changed and re-added)."""
        for head in self._heads(english):
            n = self._english_heads.get(head, 0) - 1
            if n > 0:
                self._english_heads[head] = n
            else:
                self._english_heads.pop(head, None)

    def _heads(self, names: Iterable[str]) -> set[str]:
        out = set()
        for w in names:
            terms = self.analyzer.tokens(w, query=True)
            if terms:
                out.add(terms[-1])
        return out

    def _known(self, terms: tuple[str, ...]) -> bool:
        return all(self.vocabulary.df(t) > 0 for t in terms)

    def _phrase_alternatives(self, phrase: tuple[str, ...], how: str = "exact") -> list[Alternative]:
        """The phrase itself when the catalog holds it, then its synonyms that the catalog holds. A Chinese
        phrase that a catalog with Chinese words of its own lacks takes an English synonym only when it names
        what a product is (see :meth:`_names_a_product`: "吸尘器" is not "vacuum" of vacuum-packed rice)."""
        out = []
        known = self._known(phrase)
        if known:
            out.append(Alternative(phrase, WEIGHTS[how], how))
        foreign = not known and self.vocabulary.chinese and any(is_cjk(t) for t in phrase)
        for alt in self.synonyms.alternatives(phrase):
            if foreign and not any(is_cjk(t) for t in alt) and not self._names_a_product(alt):
                continue
            if self._known(alt):
                out.append(Alternative(alt, WEIGHTS["synonym"] * WEIGHTS[how], "synonym"))
        return out

    def _pinyin(self, key: str, word: str | None = None) -> list[Alternative]:
        """Catalog words whose pinyin (or initials) is ``key``; for a Chinese ``word`` (a homophone typo such as
        ``连衣群``) only words that keep all but one of its characters (``超过`` is not a typo of 炒锅)."""
        if len(key) < 2 or not key.isalpha():
            return []
        found = self.vocabulary.pinyin(key)
        if word is not None:
            found = [w for w in found if len(w) == len(word)
                     and sum(a == b for a, b in zip(w, word, strict=True)) >= len(word) - 1]
        if not found:
            return []
        full = any(key in pinyin_keys(w)[:2] for w in found)
        how = "pinyin" if full else "initials"
        out: list[Alternative] = []
        for w in found:
            out.extend(self._phrase_alternatives((w,), how))
        return out

    def _resolve(self, token: Token, translate: bool = True) -> list[Alternative]:
        """Alternatives of one word the catalog does not hold verbatim (``translate``: its English renderings
        may stand for a Chinese word)."""
        if token.cjk:
            if len(token.term) == 2 and token.term[1] in _NOUN_SUFFIXES:
                head = self._head(token.term[0])  # 裤子 -> 牛仔裤, 紧身裤; 垫子 -> 瑜伽垫
                if head:
                    return head
            found = self._pinyin(pinyin_keys(token.term)[0], token.term) if len(token.term) >= 2 else []
            if found:
                return found
            found = self._translate(token.term, WEIGHTS["dictionary"]) if translate else []
            if found:
                return found
            parts = tuple(w for w in self.analyzer.subwords(token.term) if w != token.term)
            inside = tuple(w for w in parts if self.vocabulary.df(w) > 0 and len(w) >= 2)
            if inside or not translate:
                return [Alternative(inside, WEIGHTS["split"], "split")] if inside else []
            # the head of the compound in English: Chinese puts it last (电水壶 -> 水壶 "kettle", 假睫毛 ->
            # 睫毛 "eyelashes"), so the longest part that ends latest
            for part in sorted((w for w in parts if len(w) >= 2), key=lambda w: (-len(w), -token.term.rfind(w), w)):
                found = self._translate(part, WEIGHTS["dictionary"] * WEIGHTS["split"])
                if found:
                    return found
            return []
        return self._pinyin(token.surface)

    def _translate(self, word: str, weight: float) -> list[Alternative]:
        """The English renderings of a Chinese word (CC-CEDICT, :mod:`~shopmind.search.dictionary`) whose words
        the catalog holds, with their synonyms: how an English catalog reads "假睫毛" or "显示器". In a catalog
        with Chinese words of its own, the word is not one of them, so a rendering must name what a product
        *is*: its last word (the English head noun) must end one of the catalog's English product or category
        names ("平底锅" -> frying pan, a product type; not "自行车" -> bike, a word of bike-helmet titles, nor
        "吸尘" -> vacuum, a word of vacuum-packed rice)."""
        out: list[Alternative] = []
        seen: set[tuple[str, ...]] = set()
        for phrase in english_phrases(word)[:RENDERINGS]:
            terms = tuple(self.analyzer.tokens(phrase, query=True))
            if not terms:
                continue
            for alt in self._phrase_alternatives(terms):
                if self.vocabulary.chinese and not self._names_a_product(alt.terms):
                    continue
                if alt.terms not in seen:
                    seen.add(alt.terms)
                    out.append(Alternative(alt.terms, weight * alt.weight, "dictionary", phrase))
        return out

    def _names_a_product(self, terms: tuple[str, ...]) -> bool:
        """Whether English ``terms`` end with the head of one of the catalog's English product or category
        names or attribute values (English puts the head last: "road bike helmet" is a helmet, not a bike;
        "silk" is a material the catalog names)."""
        return bool(terms) and self._english_heads.get(terms[-1], 0) > 0

    def _head(self, char: str) -> list[Alternative]:
        """The catalog's product and category names a lone Chinese character ends (Chinese compounds put the
        head noun last: ``鞋`` is the head of 跑步鞋 and 皮鞋, ``表`` of 手表) - so "跑马拉松 穿的 鞋" asks for
        shoes. The most frequent names first."""
        names = [w for w in self._names.get(char, ()) if len(w) >= 2 and self.vocabulary.df(w) > 0]
        names.sort(key=lambda w: (-self.vocabulary.df(w), w))
        return [Alternative((w,), WEIGHTS["head"], "head") for w in names[:HEAD_NAMES]]

    def _spell(self, token: Token) -> Token | None:
        """The catalog (or synonym) word a misspelt Latin word stands for, as a token; None when the word is
        known, a real English word (a word the shop does not use is not a typo), pinyin, or too short."""
        w = token.surface
        if token.cjk or self.vocabulary.df(token.term) > 0 or max_edits(w) == 0 or not w.isalpha():
            return None
        if w in english_words() or (w.endswith("s") and w[:-1] in english_words()) or self.vocabulary.pinyin(w):
            return None  # a real English word (or its plural: "tongs") the shop does not use is not a typo
        # fewest edits; then a word with the same first letter ("wasing" is "washing", not "casing"); then
        # the catalog's more frequent word; then alphabetical order (never the order of a set)
        best: tuple[int, bool, int, str] | None = None
        for term, edits in self.vocabulary.fuzzy(w):
            cand = (edits, term[:1] != token.term[:1], -self.vocabulary.df(term), term)
            best = cand if best is None or cand < best else best
        # lazy: rapidfuzz is only needed for misspelt words
        from rapidfuzz.distance import OSA

        for term in self.synonyms.words:
            d = OSA.distance(token.term, term, score_cutoff=max_edits(w))
            if d <= max_edits(w):
                cand = (d, term[:1] != token.term[:1], 0, term)
                best = cand if best is None or cand < best else best
        return Token(best[3], token.surface, False) if best is not None else None

    def _weak(self, token: Token) -> bool:
        """A token the catalog does not hold, or a lone Chinese character (often a piece of a word that the
        segmenter did not know, as in a homophone typo)."""
        return self.vocabulary.df(token.term) == 0 or (token.cjk and len(token.term) == 1)

    def _join(self, tokens: list[Token], i: int) -> tuple[int, list[Alternative]]:
        """Words written apart that the catalog writes as one (``eye shadow``, ``shuang jian bao``,
        a homophone typo cut into pieces such as ``莲 衣裙``): ``(tokens used, alternatives)``."""
        for n in (4, 3, 2):
            span = tokens[i:i + n]
            if len(span) < n or len({t.cjk for t in span}) > 1:
                continue
            if not any(self._weak(t) for t in span):
                continue
            joined = "".join(t.surface for t in span)
            if span[0].cjk:
                if self.vocabulary.df(joined) > 0:
                    return n, self._phrase_alternatives((joined,))
                found = self._pinyin(pinyin_keys(joined)[0], joined) if pinyin_keys(joined) else []
            else:
                found = self._pinyin(joined)
                if not found:
                    found = [Alternative(a.terms, WEIGHTS["join"], "join")
                             for a in self._phrase_alternatives(((self.analyzer.tokens(joined) or [joined])[0],))]
            if found:
                return n, found
        return 0, []

    def plan(self, text: str) -> QueryPlan:
        """The clauses of ``text`` (price phrases should already be taken out: see
        :func:`~shopmind.search.constraints.parse_constraints`)."""
        tokens = self.analyzer.analyse(text, query=True)
        typos: set[int] = set()
        for i, t in enumerate(tokens):
            fixed = self._spell(t)
            if fixed is not None:
                tokens[i] = fixed
                typos.add(i)
        terms = [t.term for t in tokens]
        # English renderings of the Chinese words the catalog lacks: always in a catalog without Chinese; in
        # one with Chinese only for a product named in one or two words ("平底锅"), not for a need described in
        # more, which the dense side reads better than word-for-word renderings ("家里 练 手臂 力量")
        translate = not self.vocabulary.chinese or len(tokens) < 3
        looked_up = 0
        clauses: list[Clause] = []
        unknown: list[str] = []
        dropped: list[str] = []
        i = 0
        while i < len(tokens):
            if any(self._weak(t) for t in tokens[i:i + 4]):
                n, alts = self._join(tokens, i)
                if n:
                    clauses.append(Clause("".join(t.surface for t in tokens[i:i + n]), alts))
                    i += n
                    continue
            n, _ = self.synonyms.match(terms, i)
            if n:
                phrase = tuple(terms[i:i + n])
                alts = self._phrase_alternatives(phrase)
                if any(j in typos for j in range(i, i + n)):
                    alts = [Alternative(a.terms, a.weight * WEIGHTS["typo"], "typo",
                                        " ".join(self.vocabulary.word(t) for t in a.terms)) for a in alts]
                if alts:
                    clauses.append(Clause(" ".join(t.surface for t in tokens[i:i + n]), alts))
                    i += n
                    continue
            token = tokens[i]
            if self.vocabulary.df(token.term) > 0 and not (token.cjk and len(token.term) == 1):
                alts = self._phrase_alternatives((token.term,))
                if i in typos:
                    alts = [Alternative(a.terms, a.weight * WEIGHTS["typo"], "typo",
                                        " ".join(self.vocabulary.word(t) for t in a.terms)) for a in alts]
                clauses.append(Clause(token.surface, alts))
                i += 1
                continue
            if token.cjk and len(token.term) > 1:
                looked_up += 1
            alts = (self._resolve(token, translate and looked_up <= TRANSLATED)
                    if not (token.cjk and len(token.term) == 1) else [])
            if not alts and token.cjk and len(token.term) == 1:
                alts = self._head(token.term)
            if not alts and self.vocabulary.df(token.term) > 0:
                alts = [Alternative((token.term,), WEIGHTS["exact"], "exact")]
            if len(token.term) == 1 and not alts:
                dropped.append(token.surface)
                i += 1  # a stray single character or digit says too little to be a clause of its own
                continue
            clauses.append(Clause(token.surface, alts))
            if not alts:
                unknown.append(token.surface)
            i += 1
        if not clauses and dropped and any(t.cjk for t in tokens):
            # only lone characters the catalog cannot place ("狗粮" cut into 狗 / 粮): a word it does not have
            word = "".join(dropped)
            return QueryPlan([Clause(word)], [word], len(tokens))
        return QueryPlan(clauses, unknown, len(tokens))
