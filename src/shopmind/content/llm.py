"""The chat-model backend base class: prompt files in, cleaned and recorded copy out.

:class:`LLMGenerator` honours the :class:`~shopmind.content.backends.Generator` contract. It builds the
messages from the prompt file of the request's language (:class:`~shopmind.content.prompt_book.PromptBook`;
the strict variant when ``request.strict``), calls :meth:`LLMGenerator.complete` - the one method a
concrete backend writes - cleans what the model wrote (quotes, markdown, "Here is ..." preambles, closing
remarks), shapes it per content type (bullets, subject line, one reason per item) and records backend,
model, prompt version, facts, latency and tokens per second. Checking, the strict retry and the template
fallback are :class:`~shopmind.content.service.ContentService`'s job.

>>> class Echo(LLMGenerator):
...     name = "echo"
...     def complete(self, messages, max_tokens, temperature, seed):
...         return 'Sure! Here is the ad:\\n"**Misty Peak** oolong tea, 250 g."', Usage(completion_tokens=9)
>>> from shopmind.content.facts import extract_facts
>>> from shopmind.content.request import ContentRequest
>>> item = extract_facts({"item_id": "t1", "title": "Misty Peak Oolong Tea - 250 g", "brand": "Misty Peak",
...                       "attributes": {"weight": "250 g"}})
>>> out = Echo("echo-1").generate(ContentRequest(content_type="ad_copy", items=(item,)))
>>> out.text, out.backend, out.model, out.prompt_version, out.completion_tokens, out.facts_used["Brand"]
('Misty Peak oolong tea, 250 g.', 'echo', 'echo-1', 'llm-en@2', 9, 'Misty Peak')
"""

from __future__ import annotations

import logging
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shopmind.content.backends import GenerationError
from shopmind.content.lexicon import Lang
from shopmind.content.prompt_book import Message, PromptBook
from shopmind.content.request import ContentRequest, ContentType, GeneratedText
from shopmind.errors import check_float

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Usage:
    """Token counts a model reported for one completion (None where it reported nothing)."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    truncated: bool = False  # the completion stopped at max_tokens (finish_reason "length")


class LLMGenerator(ABC):
    """Base class of the chat-model backends (see the module docstring).

    Parameters
    ----------
    model:
        The model's name as recorded in the outputs (and sent to the server, for HTTP backends).
    temperature:
        Sampling temperature of a first attempt.
    strict_temperature:
        Sampling temperature of the strict retry (lower: closer to the listed facts).
    prompts:
        Prompt books per language (default: the packaged ``prompts/llm_<lang>.toml``).
    """

    name = "llm"

    def __init__(self, model: str, *, temperature: float = 0.7, strict_temperature: float = 0.2,
                 prompts: Mapping[Lang, PromptBook] | None = None) -> None:
        check_float(type(self).__name__, "temperature", temperature, low=0.0, high=2.0)
        check_float(type(self).__name__, "strict_temperature", strict_temperature, low=0.0, high=2.0)
        self.model = model
        self.temperature = temperature
        self.strict_temperature = strict_temperature
        self.prompts = dict(prompts) if prompts is not None else {}

    @abstractmethod
    def complete(self, messages: Sequence[Message], max_tokens: int, temperature: float,
                 seed: int) -> tuple[str, Usage]:
        """Ask the model for one chat completion; raise :class:`GenerationError` when it cannot answer."""

    def prepare(self) -> None:
        """Get ready to answer (a local backend loads its model here), so that loading is not timed as the
        latency of the first text; raise :class:`GenerationError` when the model cannot be used."""

    # ------------------------------------------------------------------ the Generator contract
    def book(self, lang: Lang) -> PromptBook:
        if lang not in self.prompts:
            self.prompts[lang] = PromptBook.load(lang)
        return self.prompts[lang]

    def prompt_version(self, lang: Lang) -> str:
        return self.book(lang).version

    def messages(self, request: ContentRequest) -> list[Message]:
        """The chat messages for ``request`` (what :meth:`generate` sends)."""
        return self.book(request.lang).messages(request)

    def generate(self, request: ContentRequest) -> GeneratedText:
        if not request.items:
            raise GenerationError(f"a {request.content_type.value} request needs at least one item")
        if request.content_type is ContentType.REVIEW_SUMMARY and not request.reviews:
            raise GenerationError(f"item {request.item.item_id!r} has no reviews to summarise")
        book = self.book(request.lang)
        temperature = self.strict_temperature if request.strict else self.temperature
        seed = request.seed * 1_000_003 + request.variant  # ad variants differ, runs repeat
        self.prepare()
        start = time.perf_counter()
        messages = book.messages(request)
        raw, usage = self.complete(messages, book.max_tokens(request), temperature, seed)
        latency = time.perf_counter() - start
        text, parts = shape(request, repair(clean_output(raw), messages, truncated=usage.truncated), book)
        if not text.strip():
            raise GenerationError(f"{self.name} model {self.model!r} wrote no usable {request.content_type.value} "
                                  f"for {','.join(f.item_id for f in request.items)} (raw reply: {raw[:80]!r})")
        tokens = usage.completion_tokens
        log.debug("%s %s: %s in %.2fs (%s tokens)", self.name, self.model, request.content_type.value, latency,
                  tokens)
        out = GeneratedText(
            content_type=request.content_type, lang=request.lang, tone=request.tone, length=request.length,
            text=text, parts=parts, backend=self.name, model=self.model, prompt_version=book.version,
            item_ids=[f.item_id for f in request.items],
            user_id=request.user.user_id if request.user else None,
            segment=request.user.segment_key() if request.user else None,
            seed=request.seed, variant=request.variant, latency_s=round(latency, 4), completion_tokens=tokens,
            tokens_per_s=round(tokens / latency, 2) if tokens and latency > 0 else None)
        out.facts_used = used_facts(book.facts(request), out.texts())
        return out


# ---------------------------------------------------------------------------------------------- cleaning
_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"^\s*```[\w-]*\s*$", re.MULTILINE)
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1|(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])|`([^`\n]+)`")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.MULTILINE)
_ACK = re.compile(r"^(?:sure|certainly|of course|okay|ok|absolutely|好的|当然|没问题)[!.,！。，]?\s*$", re.IGNORECASE)
_PREAMBLE = re.compile(
    r"^(?:"
    r"(?:(?:sure|certainly|of course|okay|ok|absolutely)[!,.]?\s*)?(?:here(?:'s| is| are)|below is)\b[^\n]*[:：]\s*$|"
    r"(?:(?:sure|certainly|of course|okay|ok|absolutely)[!,.]?\s*)?"
    r"here(?:'s| is| are) (?:a|an|your|the|my|some) (?:[\w-]+ ){0,3}(?:product description|description|copy|ad|"
    r"advert\w*|headline|e-?mail|summary|selling points?|notification|message|version|reasons?)"
    r"(?: (?:for|about|of) [^\n]*)?[.:!]?\s*$|"
    r"(?:好的|当然|没问题|以下是|下面是|这是)[^\n]*[:：]\s*$)",
    re.IGNORECASE)
_CLOSING = re.compile(
    r"^(?:let me know\b|i hope\b|hope this\b|feel free\b|note:|notes:|\(?word count\b|\(?this (?:copy|text|ad)\b|"
    r"希望|如需|如果需要|注：|注:|（注|\(注)", re.IGNORECASE)
_LABEL = re.compile(r"^(?:headline|title|description|product description|ad copy|ad|advert|push notification|"
                    r"push|notification|summary|review summary|标题|描述|商品描述|文案|广告文案|广告|推送|推送消息|"
                    r"总结|评价总结)\s*[:：]\s*", re.IGNORECASE)
_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "「": "」", "『": "』", "«": "»"}


def clean_output(text: str) -> str:
    """What a chat model wrote, without reasoning blocks, markdown, quotes, preambles and closing remarks.

    >>> clean_output('Here is a short ad for the kettle:\\n\\n"**Pour** with ease."\\n\\nLet me know if you want more!')
    'Pour with ease.'
    >>> clean_output("好的，以下是广告文案：\\n「轻巧保温杯，随身带。」")
    '轻巧保温杯，随身带。'
    """
    text = _THINK.sub("", text.replace("\r\n", "\n"))
    text = _FENCE.sub("", text)
    text = _HEADING.sub("", text)
    text = _EMPHASIS.sub(lambda m: next(g for g in m.groups()[1:] if g is not None), text)
    lines = [ln.strip() for ln in text.split("\n")]
    while lines and (not lines[0] or _ACK.match(lines[0]) or (_PREAMBLE.match(lines[0]) and any(lines[1:]))):
        lines.pop(0)
    while lines and (not lines[-1] or (_CLOSING.match(lines[-1]) and any(lines[:-1]))):
        lines.pop()
    if lines:
        lines[0] = _LABEL.sub("", lines[0])
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return _unquote(text)


# ---------------------------------------------------------------------------------------------- repairs
# Small chat models (0.1-0.5B) quote their instructions back ("Tone: warm and friendly, like a helpful shop
# assistant"), loop on a phrase, leave form-letter placeholders ("Dear [Customer's Name]") and stop mid-sentence
# at max_tokens. These repairs only ever remove text; the claim check runs on what is left.
_PLACEHOLDER = re.compile(r"[ \t]*\[[^\]\n]{0,30}(?:name|title|company|store|shop|brand|your|customer|shopper|"
                          r"recipient|link|date|address)[^\]\n]{0,30}\]|[ \t]*[\[【](?:[^\]】\n]{0,12})"
                          r"(?:姓名|名字|称呼|公司|店铺|客户|顾客|链接|日期|品牌名)[^\]】\n]{0,12}[\]】]",
                          re.IGNORECASE)
_CLAUSE_SPLIT = re.compile(r"(\s+[-–—]\s+|[,;:，；：、]\s*|[.!?。！？]+\s*|\n)")
_FRAGMENT_SPLIT = re.compile(r"[,;:.!?()\"“”，；：。！？（）、\n]+")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_SENTENCE_END = re.compile(r"[.!?。！？…](?:[\"'”’）)」』]*)(?=\s|$)")


def repair(text: str, messages: Sequence[Message] = (), *, truncated: bool = False) -> str:
    """Remove what a small model added around the copy: clauses that quote the prompt's instructions,
    placeholders, immediate repeats of a clause, and (``truncated``) an unfinished last sentence.

    >>> msgs = [{"role": "user", "content": "Tone: warm and friendly, like a helpful shop assistant.\\n- Brand: Kumo"}]
    >>> repair("Kumo sheet - like a helpful shop assistant.", msgs)
    'Kumo sheet.'
    >>> repair("Dear [Customer's Name],\\nSoft sheets, soft sheets, soft sheets, soft sheets. And a", truncated=True)
    'Dear,\\nSoft sheets.'
    """
    text = _PLACEHOLDER.sub("", text)
    fragments = instruction_fragments(messages)
    whole = instruction_fragments(messages, shortest=2)
    labels = prompt_labels(messages)
    lines = [_drop_clauses(ln, fragments, whole) for ln in text.split("\n") if not _is_prompt_line(ln, labels)]
    text = "\n".join(ln for ln in lines if ln.strip() or not ln)
    if truncated:
        text = _trim_unfinished(text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def instruction_fragments(messages: Sequence[Message], shortest: int = 4) -> list[str]:
    """Phrases of the prompt that are instructions, not facts (lines that are not ``- label: value`` items),
    lower-cased: ``shortest`` words or more in English, ``shortest + 1`` characters or more in Chinese. A
    fragment of four words or more is removed wherever a clause contains it; shorter ones (such as "warm and
    friendly", which is ordinary copy too) only when they are a whole clause."""
    out: list[str] = []
    for m in messages:
        for line in m.get("content", "").split("\n"):
            if line.lstrip().startswith("-") or _ITEM_HEADER.match(line):  # facts and item headers may be copied
                continue
            for frag in _FRAGMENT_SPLIT.split(line.lower()):
                frag = " ".join(frag.split())
                if len(frag.split()) >= shortest or len(_HAN.findall(frag)) >= shortest + 1:
                    out.append(frag)
    return list(dict.fromkeys(out))


_LABEL_LINE = re.compile(r"^\s*(?:[-*•]\s*)?([^:：\n]{1,40}?)\s*[:：]")


def prompt_labels(messages: Sequence[Message]) -> set[str]:
    """The labels of the prompt's lines, lower-cased: fact labels (``- Brand: ...``) and instruction labels
    (``Tone: ...``, ``Item facts (the only facts you may use):``)."""
    out: set[str] = set()
    for m in messages:
        for line in m.get("content", "").split("\n"):
            if match := _LABEL_LINE.match(line):
                out.add(" ".join(match.group(1).lower().split()))
    return out


def _is_prompt_line(line: str, labels: set[str]) -> bool:
    """A line of the reply that copies the prompt: ``Brand: Kumo``, ``- Price: ¥79``, ``Tone: warm``,
    ``Length.``, ``Item facts:`` (copy does not come as the prompt's labelled lines)."""
    if _ITEM_HEADER.match(line):  # "Item 1: <title>" is how replies about a slate number their lines
        return False
    match = _LABEL_LINE.match(line)
    if match and " ".join(match.group(1).lower().split()) in labels:
        return True
    bare = " ".join(re.sub(r"[-*•.。:：!！]", " ", line).lower().split())
    return bool(bare) and bare in labels


def _drop_clauses(line: str, fragments: Sequence[str], whole: Sequence[str] = ()) -> str:
    """``line`` without the clauses that quote an instruction fragment (or are one of the ``whole`` ones) or
    repeat the clause before them."""
    pieces = _CLAUSE_SPLIT.split(line)  # clause, separator, clause, separator, ...
    kept: list[list[str]] = []  # [clause, separator]
    previous = ""
    for i in range(0, len(pieces), 2):
        clause, sep = pieces[i], pieces[i + 1] if i + 1 < len(pieces) else ""
        norm = " ".join(clause.lower().split())
        bare = norm.strip(" -*•")
        echo = bool(norm) and (any(f in norm for f in fragments) or bare in whole)
        repeat = bool(norm) and norm == previous
        previous = norm or previous
        if not (echo or repeat):
            kept.append([clause, sep])
        elif kept and re.search(r"[.!?。！？]", sep):
            kept[-1][1] = sep  # the clause before now ends the sentence
        elif kept and not sep:
            kept[-1][1] = ""
    out = "".join(c + sep for c, sep in kept).rstrip()
    return out if out == line.rstrip() else re.sub(r"[ \t]*[,;:，；：、–—-][ \t]*$", "", out)


def _trim_unfinished(text: str) -> str:
    """Cut a text that stopped at max_tokens back to its last full sentence (when that keeps most of it)."""
    stripped = text.rstrip()
    if not stripped or stripped[-1] in ".!?。！？…\"'”’）)」』":
        return stripped
    ends = list(_SENTENCE_END.finditer(stripped))
    if not ends or ends[-1].end() < len(stripped) * 0.3:
        return stripped
    return stripped[:ends[-1].end()].rstrip()


def _unquote(text: str) -> str:
    while len(text) >= 2 and _QUOTES.get(text[0]) == text[-1] and text[0] not in text[1:-1]:
        text = text[1:-1].strip()
    return text


# ---------------------------------------------------------------------------------------------- shaping
_BULLET = re.compile(r"^\s*(?:[-*•·‣–]|\d{1,2}[.)、]|[一二三四五六七八九十][、.])\s*")
_SUBJECT = re.compile(r"^(?:subject|subject line|主题|邮件主题)\s*[:：]\s*", re.IGNORECASE)


def shape(request: ContentRequest, text: str, book: PromptBook) -> tuple[str, dict[str, Any]]:
    """The text and parts of a cleaned completion, shaped like the template backend's for each content type:
    bullets for selling points, one reason per slate item, the subject of an e-mail, one line for headlines
    and push messages."""
    ctype = request.content_type
    lines = [ln for ln in (x.strip() for x in text.split("\n")) if ln]
    if not lines:
        return "", {}
    if ctype is ContentType.SELLING_POINTS:
        count = book.setting(ctype, "counts", request.length.value) or len(lines)
        bullets = [_unquote(_BULLET.sub("", ln)) for ln in lines if _BULLET.sub("", ln)][:count]
        return "\n".join("- " + b for b in bullets), {"bullets": bullets}
    if ctype is ContentType.RECO_REASONS:
        reasons = [_unquote(_BULLET.sub("", ln)) for ln in _pair_reasons(lines, request.lang)][:len(request.items)]
        return "\n".join(reasons), {"reasons": {f.item_id: r for f, r in zip(request.items, reasons, strict=False)}}
    if ctype in (ContentType.RECO_HEADLINE, ContentType.PUSH):
        return _unquote(_LABEL.sub("", lines[0])), {}
    if ctype is ContentType.EMAIL:
        if _SUBJECT.match(lines[0]):
            subject = _unquote(_SUBJECT.sub("", lines[0]))
            body = "\n".join(ln.strip() for ln in text.split("\n")[1:]).strip()
            return body, {"subject": subject}
        return text, {}
    return text, {}


_ITEM_HEADER = re.compile(r"^(?:item|product|商品|推荐商品)\s*\d{1,2}\s*[:：.、]\s*", re.IGNORECASE)
_REASON_LABEL = re.compile(r"^(?:reason|why|推荐理由|理由|原因)\s*[:：]\s*", re.IGNORECASE)


def _pair_reasons(lines: list[str], lang: Lang) -> list[str]:
    """One line per item from replies that put an item header and its reason on separate lines
    ("Item 1: <title>" / "Reason: ..."); header lines without any text are dropped.

    >>> _pair_reasons(["商品1：云织床笠", "理由：亲肤透气。", "商品2：", "Item 3: Kumo sheet - soft"], "zh")
    ['云织床笠：亲肤透气。', 'Kumo sheet - soft']
    """
    out: list[list[str]] = []  # [title, reason]
    open_header = False
    for ln in lines:
        if _ITEM_HEADER.match(ln):
            out.append([_ITEM_HEADER.sub("", ln).strip(), ""])
            open_header = True
        elif open_header and out and not out[-1][1]:
            out[-1][1] = _REASON_LABEL.sub("", ln).strip()
            open_header = False
        else:
            out.append(["", _REASON_LABEL.sub("", ln).strip()])
            open_header = False
    sep = "：" if lang == "zh" else ": "
    return [sep.join(p for p in pair if p) for pair in out if any(pair)]


def used_facts(shown: Mapping[str, str], texts: Iterable[str]) -> dict[str, str]:
    """The facts handed to the model that its copy uses (their value appears in it, ignoring case).

    >>> used_facts({"Brand": "Ferro", "Colour": "Red", "Price": "¥99"}, ["A red bag.", "Ferro picks"])
    {'Brand': 'Ferro', 'Colour': 'Red'}
    """
    haystack = "\n".join(texts).lower()
    return {k: v for k, v in shown.items() if v.lower() in haystack}
