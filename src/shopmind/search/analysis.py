"""Text analysis for search: one normal form, then tokens, in Chinese and English alike.

- normal form: Unicode NFKC (full-width letters and digits become ASCII), lower case, traditional Chinese
  folded to simplified with OpenCC (``連衣裙`` -> ``连衣裙``), control characters dropped;
- tokens: runs of Chinese characters are segmented with jieba's search mode (``双肩包`` gives ``双肩``
  and ``双肩包``), runs of letters and digits are stemmed with the Snowball English stemmer
  (``running shoes`` -> ``run``, ``shoe``);
- pinyin keys of a Chinese word: full pinyin (``shuangjianbao``) and initials (``sjb``), so a query typed in
  pinyin finds the word.

>>> a = Analyzer()
>>> a.tokens("Women's Running Shoes")
['women', 'run', 'shoe']
>>> a.tokens("女士雙肩包")
['女士', '双肩', '双肩包']
>>> pinyin_keys("双肩包")
('shuangjianbao', 'sjb')
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

logger = logging.getLogger(__name__)

#: A run of Chinese characters, or of Latin letters / digits (with inner ``.`` ``'`` ``-``).
TOKEN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z0-9]+(?:['.][a-z0-9]+)*")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
#: English words too common to carry meaning in a product query.
STOPWORDS = frozenset([
    "a", "an", "the", "and", "or", "of", "for", "with", "in", "on", "to", "by", "at", "from", "is", "are", "be",
    "it", "this", "that", "my", "me", "i", "your", "our", "as", "its"
])
#: Chinese function words and request phrases that say nothing about the product.
STOPWORDS_ZH = frozenset([
    "的", "了", "和", "与", "及", "或", "给", "帮", "我", "想", "要", "买", "找", "一款", "一个", "一下",
    "有没有", "有", "吗", "呢", "吧",
    "请", "推荐", "适合", "需要", "看看", "什么", "哪些", "哪款", "款"
])
#: Longest text analysed (a longer query is cut here: a 10k-character query must not cost 10k tokens).
MAX_CHARS = 512


def is_cjk(text: str) -> bool:
    """True when ``text`` holds a Chinese character."""
    return bool(CJK.search(text))


@cache
def _opencc() -> Any:
    # lazy: OpenCC loads its dictionaries on first use (tens of milliseconds)
    import opencc

    return opencc.OpenCC("t2s")


@cache
def _stemmer() -> Any:
    # lazy: only loaded when English text is analysed
    import Stemmer

    return Stemmer.Stemmer("english")


_JIEBA_LOCK = threading.Lock()


@cache
def _jieba() -> Any:
    # lazy: jieba builds its prefix dictionary (about a second) on first use
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def normalise(text: str) -> str:
    """The normal form every field and query goes through (see the module docs).

    >>> normalise("ＮＩＫＥ 連衣裙\\x00!")
    'nike 连衣裙 !'
    """
    text = unicodedata.normalize("NFKC", str(text))[: MAX_CHARS * 4]
    text = _CONTROL.sub(" ", text).lower()
    if is_cjk(text):
        text = _opencc().convert(text)
    return text


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The English stem of one lower-case word (digits and Chinese pass through)."""
    if not word.isascii() or not word[:1].isalpha():
        return word
    return str(_stemmer().stemWord(word.replace("'", "")))


@cache
def pinyin_keys(word: str) -> tuple[str, ...]:
    """Full pinyin and initials of a Chinese word (``女士`` -> ``nvshi``, ``nushi``, ``ns``); empty for other
    words. ``ü`` is written both ``v`` and ``u``, as people type it."""
    if not word or not all(CJK.match(c) for c in word):
        return ()
    # lazy: pypinyin loads its phrase dictionary on first use
    from pypinyin import Style, lazy_pinyin

    syllables = lazy_pinyin(word, style=Style.NORMAL, errors="ignore")
    full = "".join(syllables)
    initials = "".join(s[0] for s in syllables if s)
    keys = [full, full.replace("v", "u"), initials]
    return tuple(dict.fromkeys(k for k in keys if k))


@dataclass(frozen=True)
class Token:
    """One token: its normal form (``term``), the surface word it came from, and whether it is Chinese."""

    term: str
    surface: str
    cjk: bool


class Analyzer:
    """Normalise and tokenise text (see the module docs). ``words`` are extra Chinese words for the segmenter
    (brand and category names of the catalog), so that they are never cut apart.

    >>> Analyzer(words=["北峰", "跑步鞋"]).tokens("北峰跑步鞋")
    ['北峰', '跑步', '步鞋', '跑步鞋']
    """

    def __init__(self, words: Iterable[str] = ()) -> None:
        self.words = sorted({normalise(w) for w in words if w and is_cjk(str(w))})
        self._added: set[str] = set()
        self._add_words(self.words)

    def _add_words(self, words: Iterable[str]) -> None:
        new = [w for w in words if w not in self._added and " " not in w]
        if not new:
            return
        tokenizer = _jieba()
        with _JIEBA_LOCK:
            for w in new:
                tokenizer.add_word(w, freq=max(tokenizer.suggest_freq(w), 50_000))
                self._added.add(w)

    def add_words(self, words: Iterable[str]) -> None:
        """Teach the segmenter more words (a new brand arriving with an item)."""
        self._add_words(normalise(w) for w in words if w and is_cjk(str(w)))

    def analyse(self, text: str | None, *, keep_stopwords: bool = False, query: bool = False) -> list[Token]:
        """The tokens of ``text`` with their surface words. Documents (``query=False``) get jieba's search
        mode (each word and the dictionary words inside it); a query gets the precise cut, one token per
        word, so that each word of a query is one clause."""
        if not text:
            return []
        out: list[Token] = []
        for m in TOKEN_RUN.finditer(normalise(text)[:MAX_CHARS]):
            run = m.group(0)
            if CJK.match(run):
                words = self._segment(run, query, len(self._added))
                out.extend(Token(w, w, True) for w in words
                           if w.strip() and (keep_stopwords or not query or w not in STOPWORDS_ZH))
            else:
                if keep_stopwords or run not in STOPWORDS:
                    out.append(Token(stem(run), run, False))
        return out

    @staticmethod
    @lru_cache(maxsize=200_000)
    def _segment(run: str, query: bool, generation: int) -> tuple[str, ...]:
        """jieba's words of one run of Chinese characters (cached: catalog titles repeat their words;
        ``generation`` changes when words are added, so older cuts are not reused)."""
        with _JIEBA_LOCK:
            tok = _jieba()
            return tuple(tok.cut(run, HMM=False) if query else tok.cut_for_search(run, HMM=False))

    def tokens(self, text: str | None, *, query: bool = False) -> list[str]:
        """Just the terms of ``text``."""
        return [t.term for t in self.analyse(text, query=query)]

    def subwords(self, word: str) -> list[str]:
        """The dictionary words inside a Chinese word (what a document indexes for it)."""
        with _JIEBA_LOCK:
            return [w for w in _jieba().cut_for_search(word, HMM=False) if w.strip()]
