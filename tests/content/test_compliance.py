"""The compliance filter: absolute terms, guarantees and false urgency, configurable."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shopmind.content import ComplianceFilter, ComplianceTerm, extract_facts


@pytest.fixture(scope="module")
def flt() -> ComplianceFilter:
    return ComplianceFilter.default()


@pytest.mark.parametrize("text", [
    "这是最好的咖啡豆", "全网第一的销量", "顶级牛皮", "国家级工艺", "唯一的选择", "100%纯棉", "万能充电器",
    "绝对舒适", "最佳拍档", "史上最低价", "仅限今天", "最后机会", "无效退款",
    "The best ever kettle", "Number one in comfort", "#1 choice", "Guaranteed to last", "100% safe for kids",
    "Only today", "Last chance to buy", "The world's best mug", "Hurry, while stocks last",
])
def test_forbidden_terms_are_removed(flt, text):
    result = flt.apply(text)
    assert result.violations, text
    assert flt.find(result.text) == [], (text, result.text)


def test_rewrites_read_well(flt):
    assert flt.apply("这是最好的选择。").text == "这是很好的选择。"
    assert flt.apply("Meet the best ever kettle!").text == "Meet a great kettle!"
    assert flt.apply("第一次用就爱上了").violations == []  # "the first time", not "number one"
    assert flt.apply("A lovely, soft scarf.").violations == []


def test_violations_say_what_and_where(flt):
    r = flt.apply("顶级面料，仅限今天！")
    assert [(v.term, v.kind, v.action) for v in r.violations] == [("顶级", "absolute", "removed"),
                                                                 ("仅限今天", "urgency", "removed")]
    assert r.changed and "顶级" not in r.text


def test_facts_of_the_item_are_kept(flt):
    coffee = extract_facts({"item_id": "c", "attributes": {"features": ["100% Arabica"],
                                                           "features_zh": ["100%阿拉比卡"]}})
    assert flt.apply("100% Arabica beans.", facts=coffee).violations == []
    assert flt.apply("100%阿拉比卡咖啡豆", facts=coffee).violations == []
    assert flt.apply("100% natural beans.", facts=coffee).violations  # not a fact of the item


def test_urgency_is_allowed_only_while_a_promotion_runs(flt):
    promo = extract_facts({"item_id": "p", "price": 80, "attributes": {"discount": 0.2,
                                                                     "promotion_end": "2026-07-01T00:00:00Z"}})
    before, after = datetime(2026, 6, 30, tzinfo=UTC), datetime(2026, 7, 2, tzinfo=UTC)
    assert flt.apply("Last chance: 20% off.", facts=promo, now=before).violations == []
    assert flt.apply("Last chance: 20% off.", facts=promo, now=after).violations
    assert flt.apply("Last chance: 20% off.").violations


def test_custom_terms_from_a_file(tmp_path):
    path = tmp_path / "terms.toml"
    path.write_text('version = "7"\nterms = [{ pattern = "\\\\bmagic\\\\b", lang = "en", kind = "absolute", '
                    'replace = "clever" }]\n', encoding="utf-8")
    flt = ComplianceFilter.from_file(path)
    assert flt.apply("A magic pan.").text == "A clever pan."
    assert flt.apply("最好的锅").violations  # the defaults still apply
    assert flt.version == "terms.toml@7"
    only = ComplianceFilter([ComplianceTerm(pattern="cheap", replace="affordable")])
    assert only.apply("Cheap and good.").text == "Affordable and good."
