"""Plain measures of generated copy: tokens, length, distinct-n diversity, percentiles.

Tokens are lower-cased Latin words (with inner apostrophes, dots and hyphens: ``¥1,299``, ``don't``) and
single Chinese characters, so English and Chinese copy are measured with one rule.

>>> tokens("Pure silk, only ¥99 - 丝绸围巾")
['pure', 'silk', 'only', '¥99', '丝', '绸', '围', '巾']
>>> round(distinct_n(["a red bag", "a red hat"], 1), 3), round(distinct_n(["a red bag", "a red hat"], 2), 3)
(0.667, 0.75)
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = rf"[^\W_{_HAN}]"
_TOKEN = re.compile(rf"[{_HAN}]|[¥$€£]?{_WORD}+(?:['’.,\-]{_WORD}+)*%?")


def tokens(text: str) -> list[str]:
    """The tokens of a text (see the module docstring)."""
    return _TOKEN.findall(text.lower())


def ngrams(toks: Sequence[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(toks[i:i + n]) for i in range(len(toks) - n + 1)]


def distinct_n(texts: Iterable[str], n: int) -> float:
    """Distinct n-grams over all n-grams of the texts (n-grams do not cross texts); 0.0 for no n-gram.

    >>> distinct_n(["same words", "same words"], 2)
    0.5
    """
    grams = [g for t in texts for g in ngrams(tokens(t), n)]
    return len(set(grams)) / len(grams) if grams else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation, as numpy's default; NaN for no values.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 95)
    3.85
    """
    if not values:
        return math.nan
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return round(xs[lo] + (xs[hi] - xs[lo]) * (pos - lo), 10)


def mean(values: Iterable[float]) -> float:
    """The mean; NaN for no values."""
    xs = list(values)
    return sum(xs) / len(xs) if xs else math.nan
