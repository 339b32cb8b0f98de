import pytest

from shopmind.search.constraints import parse_constraints


@pytest.mark.parametrize(("query", "lo", "hi", "text"), [
    ("红色 连衣裙 300元以下", None, 300.0, "红色 连衣裙"),
    ("running shoes under 80", None, 80.0, "running shoes"),
    ("手机 1000-2000元", 1000.0, 2000.0, "手机"),
    ("tv between $200 and $400", 200.0, 400.0, "tv"),
    ("iphone 11-12", None, None, "iphone 11-12"),
    ("cheap washing machine", None, None, "washing machine"),
])
def test_price_phrases_become_bounds(query: str, lo: float | None, hi: float | None, text: str) -> None:
    c = parse_constraints(query)
    assert (c.price_min, c.price_max) == (lo, hi)
    assert " ".join(c.text.split()) == text
