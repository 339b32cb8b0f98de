"""The shopping assistant's tools beyond search: compare, similar, item facts, coupons and "recommend me something".

A turn that asks about what was just shown ("compare 1 and 3", "more like the second one", "is the first one
waterproof?", "比较一下第一个和第二个", "类似第二个的", "第二个是什么材质") or about the shopper ("any coupons for
me?", "有优惠券吗", "recommend me something", "猜我喜欢") is recognised here, deterministically, in both languages;
:class:`~shopmind.assist.chat.ShoppingAssistant` then calls the tool and writes the reply from the tool's data.

>>> detect("compare the first and the third", 3)
ToolCall(name='compare', refs=[0, 2])
>>> detect("类似第二个的", 3)
ToolCall(name='similar', refs=[1])
>>> detect("is it waterproof?", 1)
ToolCall(name='facts', refs=[0])
>>> detect("有优惠券吗", 0)
ToolCall(name='coupons', refs=[])
>>> detect("red dress under 300", 3) is None
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from shopmind.assist.items import FACTS

#: Ordinal words for the items shown (1-based), both languages.
_ORDINALS_EN = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "last": -1}
_ORDINALS_ZH = {"一": 1, "二": 2, "两": 2, "三": 3, "1": 1, "2": 2, "3": 3}
_REF_EN = re.compile(r"\b(?:the\s+)?(first|1st|second|2nd|third|3rd|last)(?:\s+(?:one|item|option))?\b|"
                     r"(?:#|\bno\.?\s*|\bnumber\s+|\boption\s+|\bitem\s+)([1-3])\b|\b([1-3])\s*(?:and|&|vs\.?|or)\s*([1-3])\b|"
                     r"\b(?:and|&|vs\.?|or)\s+([1-3])\b", re.I)
_REF_ZH = re.compile(r"第\s*([一二三123])\s*(?:个|款|件|项|种)?|([一二两三123])号")
#: Words that point at what was shown without numbering it.
_PRONOUN = re.compile(r"\b(it|this|that|these|those|them|this one|that one|they)\b|这款|这个|那款|那个|它|这些|这几款|"
                      r"这两款|这三款|它们", re.I)
_COMPARE = re.compile(r"\bcompare\b|\bcomparison\b|\bwhich (?:one )?is (?:better|cheaper)\b|\bdifferences?\b|"
                      r"\b(?:versus|vs\.?)\b|比较|对比|比一比|哪个好|哪个更好|哪款好|区别|有什么不同", re.I)
_SIMILAR = re.compile(r"\bsimilar\b|\bmore like\b|\b(?:something|anything|others?|ones?) like\b|\balternatives?\b|"
                      r"类似|相似|差不多的|同类|同款|像第", re.I)
_COUPONS = re.compile(r"\bcoupons?\b|\bvouchers?\b|\bpromo(?:tion)?(?:\s+codes?)?\b|\bdiscount codes?\b|"
                      r"\bdeals? for me\b|优惠券|优惠码|代金券|折扣码|有优惠|有什么优惠|红包", re.I)
_RECOMMEND = re.compile(r"\brecommend(?: me)? (?:something|anything)\b|\bwhat (?:would|do|can) you recommend\b|"
                        r"\bsurprise me\b|\bpicks? for me\b|\bsomething for me\b|"
                        r"猜我喜欢|给我推荐|推荐点|推荐一下|有什么推荐|有什么好的", re.I)


@dataclass
class ToolCall:
    """A tool the turn asks for, and which of the items shown (0-based positions) it is about."""

    name: str
    refs: list[int] = field(default_factory=list)


def references(text: str, shown: int) -> list[int]:
    """Positions (0-based, in the order named, no repeats) of the shown items a message names: "the second
    one", "#3", "1 and 3", "第二个", "2号". Positions past what was shown are dropped."""
    out: list[int] = []
    for m in _REF_EN.finditer(text):
        for g in m.groups():
            if g is None:
                continue
            n = _ORDINALS_EN.get(g.lower()) if not g.isdigit() else int(g)
            if n is not None:
                out.append(shown + n if n < 0 else n - 1)
    for m in _REF_ZH.finditer(text):
        n = _ORDINALS_ZH[m.group(1) or m.group(2)]
        out.append(n - 1)
    seen: list[int] = []
    for i in out:
        if 0 <= i < shown and i not in seen:
            seen.append(i)
    return seen


def detect(text: str, shown: int) -> ToolCall | None:
    """The tool a message asks for, or None (then the message refines the search). ``shown`` is how many items
    the previous reply showed: compare, similar and item facts are about them."""
    if _COUPONS.search(text):
        return ToolCall("coupons")
    if _RECOMMEND.search(text) and not shown:
        return ToolCall("recommend")
    if not shown:
        return None
    refs = references(text, shown)
    pointed = bool(refs) or bool(_PRONOUN.search(text))
    if _COMPARE.search(text):
        return ToolCall("compare", refs if len(refs) >= 2 else list(range(shown)))
    if _SIMILAR.search(text) and pointed:
        return ToolCall("similar", refs[:1] or [0])
    if pointed and any(pattern.search(text) for pattern, *_ in FACTS.values()):
        return ToolCall("facts", refs or list(range(shown)))
    return None
