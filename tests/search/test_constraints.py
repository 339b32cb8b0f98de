import pytest

from shopmind.search.constraints import parse_constraints


@pytest.mark.parametrize(("query", "lo", "hi", "text"), [
    ("红色 连衣裙 300元以下", None, 300.0, "红色 连衣裙"),
    ("running shoes under 80", None, 80.0, "running shoes"),
    ("手机 1000-2000元", 1000.0, 2000.0, "手机"),
    ("tv between $200 and $400", 200.0, 400.0, "tv"),
    ("iphone 11-12", None, None, "iphone 11-12"),
    ("cheap washing machine", None, None, "washing machine"),
    # Chinese numerals next to a price word, a colloquial tail, and "about" with a stated bound
    ("三千以内的手机", None, 3000.0, "的手机"),
    ("三百左右 耳机 不超过三百五", 240.0, 350.0, "耳机"),
    ("一千到两千元 手机", 1000.0, 2000.0, "手机"),
    ("三只松鼠 坚果", None, None, "三只松鼠 坚果"),  # a brand with a numeral, no price word
    ("paobuxie 400yuan yixia", None, 400.0, "paobuxie"),  # the price in pinyin
])
def test_price_phrases_become_bounds(query: str, lo: float | None, hi: float | None, text: str) -> None:
    c = parse_constraints(query)
    assert (c.price_min, c.price_max) == (lo, hi)
    assert " ".join(c.text.split()) == text


@pytest.mark.parametrize(("text", "value"), [("三千", 3000), ("三百五", 350), ("一千二", 1200), ("十五", 15),
                                             ("一千零五", 1005), ("两万", 20000), ("三五", None), ("百", None)])
def test_chinese_numerals(text: str, value: int | None) -> None:
    from shopmind.search.constraints import zh_number

    assert zh_number(text) == value
