"""Prompt files of the chat-model backends: a system prompt and one user prompt per content type.

A prompt file (``prompts/llm_en.toml``, ``prompts/llm_zh.toml``) has a ``version``, a ``[system]`` prompt,
a ``[strict]`` table added on a retry, ``[format]`` strings for fact lists, ``[tone]`` and ``[length]``
instructions, and one table per content type with its ``user`` prompt and ``max_tokens`` per length.
Prompts hand the model only the facts of the request's fact sheets (:meth:`FactSheet.lines
<shopmind.content.facts.FactSheet.lines>`, the same pairs a person is shown), and the user's history by the
names the template backend uses for it.

>>> from shopmind.content.facts import extract_facts
>>> from shopmind.content.request import ContentRequest
>>> item = extract_facts({"item_id": "t1", "title": "Misty Peak Oolong Tea - 250 g", "brand": "Misty Peak",
...                       "price": 128, "currency": "CNY", "attributes": {"weight": "250 g"}})
>>> book = PromptBook.load("en")
>>> system, user = book.messages(ContentRequest(content_type="ad_copy", items=(item,), length="short"))
>>> book.version, system["role"], user["content"].splitlines()[-3:]
('llm-en@2', 'system', ['- Brand: Misty Peak', '- Price: ¥128', '- Net weight: 250 g'])
>>> strict = book.messages(ContentRequest(content_type="ad_copy", items=(item,), strict=True,
...                                       rejected_claims=("¥99",)))
>>> "STRICT MODE" in strict[0]["content"], "Your previous draft stated '¥99'" in strict[1]["content"]
(True, True)
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shopmind.content.facts import FactSheet
from shopmind.content.lexicon import Lang
from shopmind.content.packaged import load_toml, read_toml_file
from shopmind.content.request import ContentRequest, ContentType
from shopmind.content.slots import anchor_name
from shopmind.errors import DataError

#: Chat messages as OpenAI-compatible servers and llama.cpp take them: ``{"role": ..., "content": ...}``.
Message = dict[str, str]

#: Slate content types list every item under a header; the others list the one item's facts.
SLATE_TYPES = (ContentType.RECO_HEADLINE, ContentType.RECO_REASONS, ContentType.EMAIL, ContentType.PUSH)
_HISTORY_SHOWN = 5
_REVIEWS_SHOWN = 20


class PromptBook:
    """The prompts of one language (see the module docstring)."""

    def __init__(self, doc: Mapping[str, Any], source: str) -> None:
        self.doc = doc
        self.source = source
        lang = doc.get("language")
        if lang not in ("en", "zh"):
            raise DataError("a prompt file needs language = 'en' or 'zh'", source=source)
        self.lang: Lang = lang
        self.version = f"llm-{lang}@{doc.get('version', '0')}"
        for ctype in ContentType:
            if not isinstance(self._table(ctype.value).get("user"), str):
                raise DataError(f"no user prompt for {ctype.value!r} ([{ctype.value}] user = ...)", source=source)

    @classmethod
    def load(cls, lang: Lang) -> PromptBook:
        """The packaged prompts of ``lang``."""
        return cls(load_toml(f"prompts/llm_{lang}.toml"), source=f"prompts/llm_{lang}.toml")

    @classmethod
    def from_file(cls, path: str | Path) -> PromptBook:
        """Prompts from a TOML file shaped like the packaged ones."""
        return cls(read_toml_file(path), source=str(path))

    # ------------------------------------------------------------------ public
    def messages(self, request: ContentRequest) -> list[Message]:
        """The system and user messages for ``request`` (the strict variant when ``request.strict``)."""
        system = self._table("system").get("text", "")
        user = self._render(self._table(request.content_type.value)["user"], self._values(request), request)
        if request.strict:
            strict = self._table("strict")
            system = f"{system}\n\n{strict.get('system', '')}".strip()
            allowed = "\n".join(f"- {v}" for v in dict.fromkeys(self.facts(request).values()))
            extra = [self._render(strict.get("allowed", "{allowed}"), {"allowed": allowed}, request)]
            if request.rejected_claims and strict.get("rejected"):
                claims = self._fmt("list_sep", ", ").join(repr(c) for c in request.rejected_claims)
                extra.append(self._render(strict["rejected"], {"claims": claims}, request))
            if request.corrections and strict.get("corrections"):
                facts = self._fmt("list_sep", ", ").join(request.corrections)
                extra.append(self._render(strict["corrections"], {"facts": facts}, request))
            user = "\n\n".join([user, *extra])
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def max_tokens(self, request: ContentRequest) -> int:
        """The completion budget of a content type at the requested length."""
        budget = self._table(request.content_type.value).get("max_tokens", {})
        value = budget.get(request.length.value) if isinstance(budget, Mapping) else budget
        return int(value) if value else 256

    def setting(self, content_type: ContentType, name: str, length: str | None = None) -> Any:
        """A plain setting of a content type (``counts``, ``max_chars``), per length when it is a table."""
        value = self._table(content_type.value).get(name)
        return value.get(length) if isinstance(value, Mapping) and length is not None else value

    def facts(self, request: ContentRequest) -> dict[str, str]:
        """The facts the prompt hands the model, keyed ``label`` (one item) or ``item_id.label`` (slates)."""
        slate = request.content_type in SLATE_TYPES
        out: dict[str, str] = {}
        for item in request.items if slate else request.items[:1]:
            for label, value in self._fact_pairs(item, request):
                out[f"{item.item_id}.{label}" if slate else label] = value
        if slate and request.user is not None:
            for e in request.user.history[:_HISTORY_SHOWN]:
                if name := anchor_name(e.item, self.lang):
                    out.setdefault(f"{e.item.item_id}.name", name)
        return out

    # ------------------------------------------------------------------ rendering
    def _values(self, request: ContentRequest) -> dict[str, str]:
        ctype, length = request.content_type, request.length.value
        values = {
            "tone": self._table("tone").get(request.tone.value, ""),
            "length": self._table("length").get(length, ""),
            "facts": self._fact_block(request.item, request),
            "n_items": str(len(request.items)),
            "n": str(self.setting(ctype, "counts", length) or len(request.reviews) or 1),
            "max_chars": str(self.setting(ctype, "max_chars", length) or ""),
        }
        if ctype in SLATE_TYPES:
            header = self._fmt("item_header", "Item {n}:")
            values["items"] = "\n\n".join(header.format(n=i) + "\n" + self._fact_block(item, request)
                                          for i, item in enumerate(request.items, 1))
            values["history"] = self._history(request)
        if request.reviews:
            rating = self._fmt("rating", "(rating {rating}) ")
            values["reviews"] = "\n".join(
                self._fmt("review_line", "- {rating}{text}").format(
                    rating=rating.format(rating=f"{r.rating:g}") if r.rating is not None else "",
                    text=" ".join(r.text.split()))
                for r in request.reviews[:_REVIEWS_SHOWN])
        return values

    def _fact_pairs(self, item: FactSheet, request: ContentRequest) -> list[tuple[str, str]]:
        pairs = item.lines(self.lang)
        if item.is_new:
            pairs.append(self._pair("new_arrival"))
        if item.in_stock:
            pairs.append(self._pair("in_stock"))
        if request.content_type is ContentType.REVIEW_SUMMARY:
            if item.review_count is not None:
                pairs.append(self._pair("reviews", n=item.review_count))
            if item.rating_avg is not None:
                pairs.append(self._pair("average_rating", avg=f"{item.rating_avg:.1f}"))
        return pairs

    def _fact_block(self, item: FactSheet, request: ContentRequest) -> str:
        line = self._fmt("fact_line", "- {label}: {value}")
        return "\n".join(line.format(label=label, value=value) for label, value in self._fact_pairs(item, request))

    def _history(self, request: ContentRequest) -> str:
        entries = request.user.history[:_HISTORY_SHOWN] if request.user is not None else ()
        actions = self._table("actions")
        line = self._fmt("history_line", "- {action} {name}")
        lines = [line.format(action=actions.get(e.action, e.action), name=name)
                 for e in entries if (name := anchor_name(e.item, self.lang))]
        return "\n".join(lines) or self._fmt("no_history", "-")

    def _pair(self, name: str, **values: Any) -> tuple[str, str]:
        label, value = self._table("format")[name]
        return str(label), str(value).format(**values)

    def _fmt(self, name: str, default: str) -> str:
        return str(self._table("format").get(name, default))

    def _table(self, name: str) -> Mapping[str, Any]:
        table = self.doc.get(name, {})
        if not isinstance(table, Mapping):
            raise DataError(f"[{name}] must be a table", source=self.source)
        return table

    def _render(self, template: str, values: Mapping[str, str], request: ContentRequest) -> str:
        try:
            return template.format_map(values).strip()
        except (KeyError, IndexError, ValueError) as e:
            raise DataError(f"the {request.content_type.value} prompt uses {e} which this request does not "
                            "fill", source=self.source) from None
