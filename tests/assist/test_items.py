"""Item questions are answered from the item's record only: 0 unsupported claims, "not stated" otherwise."""

from __future__ import annotations

import pandas as pd
import pytest

from shopmind.assist.items import answer_item_question
from shopmind.content import GroundingChecker, extract_facts
from shopmind.data.synth import generate_demo_shop

QUESTIONS = ["这款有几种颜色?", "is it waterproof?", "what is it made of?", "多少钱", "哪里产的", "what size is it?",
             "有货吗", "which brand?", "does it come with a charger?"]


@pytest.fixture(scope="module")
def items() -> pd.DataFrame:
    return generate_demo_shop(n_items=40, seed=2, items_only=True).items


def test_every_answer_is_supported_by_the_item(items: pd.DataFrame) -> None:
    checker = GroundingChecker.from_items(items)
    for item in items.to_dict("records"):
        for q in QUESTIONS:
            a = answer_item_question(q, item)
            assert checker.check(a.text, extract_facts(item)).ok, (q, a.text)


def test_not_stated_when_the_catalog_does_not_say() -> None:
    item = {"item_id": "x", "title": "Plain Mug"}
    text = answer_item_question("is it waterproof?", item).text
    assert text == "The catalog does not state whether it is waterproof."
    assert "没有说明" in answer_item_question("这款有几种颜色?", item).text
    assert answer_item_question("what colour?", {"item_id": "y", "attributes": {"colour": "Red"}}).stated
