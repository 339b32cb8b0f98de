"""Extractive review summaries: pick representative positive and negative sentences, in either language.

Nothing is paraphrased: the summary quotes customers' own sentences, chosen by a small bilingual polarity
lexicon (``resources/sentiment.toml``, with negation: "not comfortable", "不舒服") plus the review's rating,
and by centrality (the sentence that shares most words with the other sentences of its polarity).

>>> pick = summarise([Review(text="Love it. Very comfortable and warm.", rating=5),
...                   Review(text="Comfortable, but the zip broke after a week.", rating=2),
...                   Review(text="Warm and comfortable. Looks great.", rating=5)])
>>> pick.positive, pick.negative, pick.count, round(pick.average, 2)
('Very comfortable and warm.', 'Comfortable, but the zip broke after a week.', 3, 4.0)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

from shopmind.content.packaged import load_toml
from shopmind.content.request import Review

_SENTENCE = re.compile(r"[^.!?。！？；;\n]+[.!?。！？；;]*")
_EN_WORD = re.compile(r"[a-z']+")
_STOP = frozenset({"the", "a", "an", "and", "or", "but", "it", "is", "was", "this", "that", "i", "my", "to", "of",
                   "for", "in", "on", "with", "very", "so", "too", "after", "its", "it's", "are", "be", "have"})


@dataclass(frozen=True)
class ReviewPick:
    """The chosen sentences and the review statistics."""

    positive: str | None
    negative: str | None
    count: int
    average: float | None
    n_positive: int
    n_negative: int


@dataclass(frozen=True)
class _Lexicon:
    positive: tuple[str, ...]
    negative: tuple[str, ...]
    negators: tuple[str, ...]


@cache
def _lexicons() -> dict[str, _Lexicon]:
    doc = load_toml("resources/sentiment.toml")
    return {lang: _Lexicon(tuple(doc[lang]["positive"]), tuple(doc[lang]["negative"]), tuple(doc[lang]["negators"]))
            for lang in ("en", "zh")}


def sentences(text: str) -> list[str]:
    """Split a review into sentences (English and Chinese punctuation)."""
    return [s.strip() for s in _SENTENCE.findall(text) if len(s.strip()) > 1]


def polarity(sentence: str) -> int:
    """Positive minus negative lexicon hits, negation-aware.

    >>> polarity("Not comfortable at all."), polarity("质量不错，很喜欢"), polarity("有点偏小，不舒服")
    (-1, 2, -2)
    """
    if re.search(r"[\u4e00-\u9fff]", sentence):
        return _polarity_zh(sentence)
    return _polarity_en(sentence)


def _polarity_en(sentence: str) -> int:
    lex = _lexicons()["en"]
    low = " " + re.sub(r"\s+", " ", sentence.lower()) + " "
    score = 0
    for words, sign in ((lex.positive, 1), (lex.negative, -1)):
        for w in sorted(words, key=len, reverse=True):
            for m in re.finditer(rf"(?<![a-z']){re.escape(w)}(?![a-z])", low):
                before = low[max(0, m.start() - 14):m.start()].split()
                negated = any(b in lex.negators or b.endswith("n't") for b in before[-2:])
                score += -sign if negated else sign
            low = re.sub(rf"(?<![a-z']){re.escape(w)}(?![a-z])", " ", low)
    return score


def _polarity_zh(sentence: str) -> int:
    lex = _lexicons()["zh"]
    entries = sorted([(w, 1) for w in lex.positive] + [(w, -1) for w in lex.negative], key=lambda e: -len(e[0]))
    score, i = 0, 0
    while i < len(sentence):
        for w, sign in entries:
            if sentence.startswith(w, i):
                negated = any(sentence[max(0, i - len(n)):i] == n for n in lex.negators)
                score += -sign if negated else sign
                i += len(w)
                break
        else:
            i += 1
    return score


def _tokens(sentence: str) -> set[str]:
    if re.search(r"[\u4e00-\u9fff]", sentence):
        chars = [c for c in sentence if "\u4e00" <= c <= "\u9fff"]
        return {a + b for a, b in pairwise(chars)}
    return {w for w in _EN_WORD.findall(sentence.lower()) if w not in _STOP}


def _central(candidates: list[str]) -> str | None:
    if not candidates:
        return None
    toks = [_tokens(s) for s in candidates]

    def score(i: int) -> tuple[float, int]:
        sim = sum(len(toks[i] & toks[j]) / max(1, len(toks[i] | toks[j])) for j in range(len(toks)) if j != i)
        good_length = 8 <= len(candidates[i]) <= 160
        return sim + (0.5 if good_length else 0.0), -i

    return candidates[max(range(len(candidates)), key=score)]


def summarise(reviews: Sequence[Review], *, keep: Callable[[str], bool] | None = None) -> ReviewPick:
    """Choose one representative positive and one negative sentence.

    ``keep`` can veto sentences (the service vetoes those a compliance filter would have to change, so
    customers are quoted verbatim or not at all).
    """
    pos: list[str] = []
    neg: list[str] = []
    n_pos = n_neg = 0
    for r in reviews:
        rating_sign = 0 if r.rating is None else (1 if r.rating >= 4 else -1 if r.rating <= 2 else 0)
        n_pos += rating_sign > 0
        n_neg += rating_sign < 0
        for s in sentences(r.text):
            p = polarity(s)
            sign = (1 if p > 0 else -1) if p else rating_sign
            if keep is not None and not keep(s):
                continue
            if sign > 0 and rating_sign >= 0:
                pos.append(s)
            elif sign < 0:
                neg.append(s)
    ratings = [r.rating for r in reviews if r.rating is not None]
    return ReviewPick(positive=_central(pos), negative=_central(neg), count=len(reviews),
                      average=sum(ratings) / len(ratings) if ratings else None, n_positive=n_pos,
                      n_negative=n_neg)
