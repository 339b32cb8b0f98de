from shopmind.assist.dialogues import failures


def test_failures_name_each_broken_expectation() -> None:
    items = [{"item_id": "a", "category": "Women > Shoes > Sandals", "price": 99.0, "brand": "Solstice",
              "title": "Solstice Women's Sandals - Black"}]
    assert failures({"leaf": "Sandals", "price_max": 100}, items, [], "search") == []
    bad = failures({"leaf": "Boots", "price_max": 50, "brand": "X", "not_colour": "black", "gender": "men",
                    "cheaper": True, "clarified": True}, items, [80.0], "search")
    assert len(bad) == 7
    assert failures({"leaf": "Sandals"}, [], [], "search") == ["no items"]
