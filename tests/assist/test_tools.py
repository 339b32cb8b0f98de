"""Which tool a turn asks for, and which of the shown items it names, in English and Chinese."""

from __future__ import annotations

import pytest

from shopmind.assist.tools import ToolCall, detect, references


@pytest.mark.parametrize(("text", "shown", "refs"), [
    ("compare the first and the third", 3, [0, 2]),
    ("1 and 3", 3, [0, 2]),
    ("#2 vs #1", 3, [1, 0]),
    ("the last one", 3, [2]),
    ("the second one", 1, []),  # only one was shown
    ("第一个和第三个", 3, [0, 2]),
    ("第2个", 3, [1]),
    ("二号", 3, [1]),
    ("running shoes under 900", 3, []),
    ("I want 2 t-shirts", 3, []),
])
def test_references(text: str, shown: int, refs: list[int]) -> None:
    assert references(text, shown) == refs


@pytest.mark.parametrize(("text", "shown", "call"), [
    ("compare the first and the third", 3, ToolCall("compare", [0, 2])),
    ("which is cheaper?", 3, ToolCall("compare", [0, 1, 2])),
    ("比较一下第一个和第二个", 3, ToolCall("compare", [0, 1])),
    ("有什么区别", 2, ToolCall("compare", [0, 1])),
    ("more like the second one", 3, ToolCall("similar", [1])),
    ("anything similar to it?", 3, ToolCall("similar", [0])),
    ("类似第三个的", 3, ToolCall("similar", [2])),
    ("is the first one waterproof?", 3, ToolCall("facts", [0])),
    ("what is it made of?", 2, ToolCall("facts", [0, 1])),
    ("第二个是什么材质", 3, ToolCall("facts", [1])),
    ("这款有几种颜色", 1, ToolCall("facts", [0])),
    ("any coupons for me?", 0, ToolCall("coupons")),
    ("有优惠券吗", 3, ToolCall("coupons")),
    ("recommend me something", 0, ToolCall("recommend")),
    ("猜我喜欢", 0, ToolCall("recommend")),
])
def test_detect(text: str, shown: int, call: ToolCall) -> None:
    assert detect(text, shown) == call


@pytest.mark.parametrize("text", ["running shoes under 900", "cheaper", "not black", "for my mother", "only Sony",
                                  "红色 连衣裙 300元以下", "便宜一点", "不要黑色的", "送给妈妈", "hello"])
def test_refinements_are_not_tools(text: str) -> None:
    assert detect(text, 3) is None


def test_item_tools_need_items_shown() -> None:
    assert detect("compare them", 0) is None
    assert detect("is it waterproof?", 0) is None
    assert detect("recommend me something", 3) is None  # with items on screen: a refinement of the search
