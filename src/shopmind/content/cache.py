"""Caching generated copy by (content type, item or slate, user segment, language, prompt version, ...).

>>> from shopmind.content.facts import extract_facts
>>> from shopmind.content.request import ContentRequest
>>> req = ContentRequest(content_type="product_description", items=(extract_facts({"item_id": "sku-1"}),))
>>> cache_key(req, "template", "template-en@1").startswith("product_description:en:sku-1:all:template-en@1:")
True
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from shopmind.content.request import ContentRequest, GeneratedText


@runtime_checkable
class ContentCache(Protocol):
    """Where generated copy is kept between requests."""

    def get(self, key: str) -> GeneratedText | None:
        """The cached copy for ``key``, or None."""
        ...

    def put(self, key: str, value: GeneratedText) -> None:
        """Keep ``value`` under ``key``."""
        ...

    def invalidate_items(self, item_ids: Iterable[str]) -> int:
        """Drop every copy that uses a fact of one of ``item_ids``; returns how many were dropped."""
        ...


class MemoryCache:
    """An in-process LRU cache; ``hits`` and ``misses`` count lookups. Thread-safe (the API's worker threads
    and its job runner share one).

    >>> c = MemoryCache(max_items=1)
    >>> c.get("k") is None, c.misses
    (True, 1)
    """

    def __init__(self, max_items: int = 10_000) -> None:
        self.max_items = max_items
        self.hits = 0
        self.misses = 0
        self.invalidated = 0
        self._data: OrderedDict[str, GeneratedText] = OrderedDict()
        self._by_item: dict[str, set[str]] = {}
        self._lock = threading.RLock()

    def get(self, key: str) -> GeneratedText | None:
        with self._lock:
            value = self._data.get(key)
            if value is None:
                self.misses += 1
                return None
            self.hits += 1
            self._data.move_to_end(key)
            return value

    def put(self, key: str, value: GeneratedText) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            for item_id in items_of(value):
                self._by_item.setdefault(item_id, set()).add(key)
            while len(self._data) > self.max_items:
                old_key, old = self._data.popitem(last=False)
                self._unindex(old_key, old)

    def invalidate_items(self, item_ids: Iterable[str]) -> int:
        """Drop every copy about (or quoting a history fact of) one of ``item_ids``.

        >>> from shopmind.content.request import GeneratedText
        >>> c = MemoryCache()
        >>> c.put("k", GeneratedText(content_type="ad_copy", lang="en", tone="friendly", length="short",
        ...                          text="x", backend="template", prompt_version="v", item_ids=["a"]))
        >>> c.invalidate_items(["b"]), c.invalidate_items(["a"]), len(c)
        (0, 1, 0)
        """
        dropped = 0
        with self._lock:
            for item_id in item_ids:
                for key in self._by_item.pop(str(item_id), set()):
                    value = self._data.pop(key, None)
                    if value is not None:
                        self._unindex(key, value)
                        dropped += 1
            self.invalidated += dropped
        return dropped

    def _unindex(self, key: str, value: GeneratedText) -> None:
        for item_id in items_of(value):
            keys = self._by_item.get(item_id)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_item[item_id]

    def __len__(self) -> int:
        return len(self._data)


def items_of(value: GeneratedText) -> set[str]:
    """The items whose facts a copy depends on: its items, plus the history items whose facts it quotes
    (``facts_used`` keys such as ``"SKU1.anchor"``)."""
    owners = {k.split(".", 1)[0] for k in value.facts_used if "." in k}
    return {*value.item_ids, *owners}


def cache_key(request: ContentRequest, backend: str, prompt_version: str) -> str:
    """A readable prefix (type, language, item or slate, segment, prompt version) and a digest of
    everything else that changes the text (item data, tone, length, variant, seed, reviews)."""
    items = request.items
    target = items[0].item_id if len(items) == 1 else "slate-" + _digest(",".join(f.item_id for f in items))
    segment = request.user.segment_key() if request.user is not None else "all"
    detail = "|".join([
        backend, request.tone.value, request.length.value, str(request.variant), str(request.seed),
        ",".join(f"{f.item_id}:{f.digest()}:{int(f.is_new)}" for f in items),
        ",".join(f"{e.item.item_id}:{e.action}" for e in request.user.history) if request.user else "",
        _digest("\n".join(f"{r.rating}:{r.text}" for r in request.reviews)) if request.reviews else "",
        ",".join(f"{k}<{v}" for k, v in sorted(request.because.items())),
    ])
    return f"{request.content_type.value}:{request.lang}:{target}:{segment}:{prompt_version}:{_digest(detail)}"


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
