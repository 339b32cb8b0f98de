from __future__ import annotations

import pytest

from shopmind.assist.faq import FaqEntry
from shopmind.assist.service import AssistService
from shopmind.errors import UnknownIdError
from shopmind.storage import open_store


def test_faq_lives_in_the_store_and_items_are_answered_from_facts(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/s.db"
    with open_store(url) as st:
        st.upsert_items([{"item_id": "m1", "title": "Mug", "attributes": {"colour": "Blue", "colour_zh": "蓝色"}}])
        AssistService(st).import_faq([FaqEntry("ship", "en", "How much is shipping?", "Free over ¥99.")])
    with open_store(url) as st:
        service = AssistService(st)
        assert service.answer("is shipping free?")["faq_id"] == "ship"
        assert service.answer("tell me a joke")["handoff"] is True
        item = service.answer("这款有几种颜色?", item_id="m1")
        assert item["answer"] == "颜色：蓝色。" and item["grounded"]
        with pytest.raises(UnknownIdError):
            service.answer("colour?", item_id="nope")
