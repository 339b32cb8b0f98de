"""Autocomplete: prefixes of titles, brands, categories and popular queries, typed in letters, Chinese or pinyin.

>>> s = Suggester()
>>> s.add("双肩包", "category", 5.0); s.add("Shampoo", "category", 3.0); s.add("shampoo dry", "query", 9.0)
>>> [x["text"] for x in s.suggest("sha")]
['shampoo dry', 'Shampoo']
>>> [x["text"] for x in s.suggest("shuangj")], [x["text"] for x in s.suggest("sjb")]
(['双肩包'], ['双肩包'])
"""

from __future__ import annotations

import bisect
import threading
from typing import Any

from shopmind.search.analysis import is_cjk, normalise, pinyin_keys

#: Longest suggestion text kept (long titles are cut at a word boundary).
MAX_TEXT = 60


class Suggester:
    """Sorted keys (normal form, and pinyin of Chinese entries) -> entries with a kind and a weight."""

    def __init__(self) -> None:
        self._keys: list[tuple[str, int]] = []
        self._sorted = True
        self.entries: list[dict[str, Any]] = []
        self._by_text: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def add(self, text: str | None, kind: str, weight: float = 1.0) -> None:
        """Add (or re-weigh) an entry; the heaviest entry of a text wins on ties."""
        if not text or not str(text).strip():
            return
        text = str(text).strip()
        if len(text) > MAX_TEXT:
            text = text[:MAX_TEXT].rsplit(" ", 1)[0]
        key = normalise(text).strip()
        with self._lock:
            known = self._by_text.get((key, kind))
            if known is not None:
                self.entries[known]["weight"] = max(self.entries[known]["weight"], weight)
                return
            i = len(self.entries)
            self.entries.append({"text": text, "kind": kind, "weight": float(weight)})
            self._by_text[(key, kind)] = i
            keys = [key]
            compact = key.replace(" ", "")
            if is_cjk(compact) and compact.isalnum():
                keys += list(pinyin_keys(compact))
            self._keys.extend((k, i) for k in dict.fromkeys(keys))
            self._sorted = False

    def suggest(self, prefix: str, limit: int = 10) -> list[dict[str, Any]]:
        """Entries whose text (or pinyin) starts with ``prefix``, heaviest first, one per text."""
        p = normalise(prefix).strip()
        if not p:
            return []
        with self._lock:
            if not self._sorted:
                self._keys.sort()
                self._sorted = True
            keys = self._keys
            lo = bisect.bisect_left(keys, (p, -1))
            found: dict[int, None] = {}
            for k, i in keys[lo: lo + 2000]:
                if not k.startswith(p):
                    break
                found[i] = None
            hits = [self.entries[i] for i in found]
        hits.sort(key=lambda e: (-e["weight"], len(e["text"]), e["text"]))
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        for e in hits:
            if e["text"].lower() not in seen:
                seen.add(e["text"].lower())
                out.append(dict(e))
            if len(out) >= limit:
                break
        return out
