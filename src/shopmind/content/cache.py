"""Caching generated copy by (content type, item or slate, user segment, language, prompt version, ...).

>>> from shopmind.content.facts import extract_facts
>>> from shopmind.content.request import ContentRequest
>>> req = ContentRequest(content_type="product_description", items=(extract_facts({"item_id": "sku-1"}),))
>>> cache_key(req, "template", "template-en@1").startswith("product_description:en:sku-1:all:template-en@1:")
True
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
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


class MemoryCache:
    """An in-process LRU cache; ``hits`` and ``misses`` count lookups.

    >>> c = MemoryCache(max_items=1)
    >>> c.get("k") is None, c.misses
    (True, 1)
    """

    def __init__(self, max_items: int = 10_000) -> None:
        self.max_items = max_items
        self.hits = 0
        self.misses = 0
        self._data: OrderedDict[str, GeneratedText] = OrderedDict()

    def get(self, key: str) -> GeneratedText | None:
        value = self._data.get(key)
        if value is None:
            self.misses += 1
            return None
        self.hits += 1
        self._data.move_to_end(key)
        return value

    def put(self, key: str, value: GeneratedText) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.max_items:
            self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


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
    ])
    return f"{request.content_type.value}:{request.lang}:{target}:{segment}:{prompt_version}:{_digest(detail)}"


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
