"""Every claim class the checker knows, in English and Chinese: the verdict (supported / contradicted /
unsupported) and the fact it was checked against.

A case marks the claim it is about with ``[...]``; the brackets are removed before checking. The items are
small records in the item schema with the attributes a shop's catalog has (capacity, power, warranty,
author, ...); the checker is built from all of them, as ``content audit`` builds it from a catalog.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from shopmind.content import ClaimExtractor, GroundingChecker, extract_facts
from shopmind.content.claims import Claim, attribute_of

ITEMS: dict[str, dict[str, Any]] = {
    "powerbank": {"item_id": "pb1", "title": "Voltix Power Bank 20,000 mAh", "brand": "Voltix",
                  "category": "Electronics > Phones > Power Banks", "price": 199.0, "currency": "CNY",
                  "attributes": {"brand_zh": "沃帝斯", "capacity": "20,000 mAh", "power": "65 W", "voltage": "5 V",
                                 "connector": "USB-C", "warranty": "2 years", "weight": "0.4 kg",
                                 "colour": "Black", "material": "Aluminium"}},
    "tv": {"item_id": "tv1", "title": "Lumina 55-inch 4K Smart TV", "brand": "Lumina",
           "category": "Electronics > TV > Televisions", "price": 3999.0, "currency": "CNY",
           "attributes": {"brand_zh": "流明", "screen_size": "55 inch", "resolution": "4K", "wifi": "Wi-Fi 6",
                          "bluetooth": "Bluetooth 5.2", "usb": "USB 3.0", "storage": "32 GB",
                          "installation": "free installation", "warranty": "1 year", "network": "5G",
                          "manufacturer": "Lumina Display", "manufacturer_zh": "流明显示"}},
    "ac": {"item_id": "ac1", "title": "Frostair Inverter Air Conditioner 1.5匹", "brand": "Frostair",
           "category": "Home Appliances > Climate > Air Conditioners", "price": 2999.0, "currency": "CNY",
           "attributes": {"brand_zh": "霜风", "cooling_power": "1.5匹", "power": "1100 W", "voltage": "220 V",
                          "shipping": "free shipping", "returns": "7 days", "tank": "2 L"}},
    "book": {"item_id": "bk1", "title": "The Three-Body Problem", "brand": "Head of Zeus",
             "category": "Books > Fiction > Science Fiction", "price": 59.0, "currency": "CNY",
             "attributes": {"author": "Liu Cixin", "author_zh": "刘慈欣", "publisher": "Head of Zeus",
                            "publisher_zh": "重庆出版社", "series": "Remembrance of Earth's Past",
                            "series_zh": "地球往事"}},
    "book2": {"item_id": "bk2", "title": "To Live", "brand": "Penguin", "category": "Books > Fiction > Novels",
              "price": 45.0, "currency": "CNY",
              "attributes": {"author": "Yu Hua", "author_zh": "余华", "publisher": "Penguin",
                             "publisher_zh": "企鹅出版社", "series": "Penguin Modern Classics",
                             "series_zh": "企鹅现代经典"}},
    "shirt": {"item_id": "sh1", "title": "Corvin Oxford Shirt - Navy", "brand": "Corvin",
              "category": "Men > Clothing > Shirts", "price": 299.0, "currency": "CNY",
              "attributes": {"colour": "Navy", "material": "Cotton", "size": "S-XL", "length": "75 cm"}},
    "sheet": {"item_id": "bs1", "title": "Cloudnest Fitted Sheet, Queen Size", "brand": "Cloudnest",
              "category": "Home > Bedding > Sheets", "price": 199.0, "currency": "CNY",
              "attributes": {"bed_size": "Queen", "material": "Linen"}},
    "shoes": {"item_id": "rs1", "title": "Stride Running Shoes", "brand": "Stride",
              "category": "Men > Shoes > Running Shoes", "price": 499.0, "currency": "CNY",
              "attributes": {"size": "EU 39-44", "size_zh": "39-44码"}},
    "kettle": {"item_id": "kt1", "title": "Nordhaus Kettle 1.5 L", "brand": "Nordhaus",
               "category": "Home & Kitchen > Kitchen > Kettles", "price": 159.0, "currency": "CNY",
               "attributes": {"capacity": "1.5 L", "capacity_zh": "1.5升", "power": "1800 W", "warranty": "24 months",
                              "weight": "1.2 kg"}},
    "phone": {"item_id": "ph1", "title": "Pixelon 5G Smartphone, 6.1-inch, 256 GB", "brand": "Pixelon",
              "category": "Electronics > Phones > Smartphones", "price": 4999.0, "currency": "CNY",
              "attributes": {"spec": "6.1-inch, 256 GB", "storage": "256 GB", "battery": "4,500 mAh",
                             "resolution": "1080p", "bluetooth": "Bluetooth 5.3", "screen": "6.1 inch"}},
}

S, C, U = "supported", "contradicted", "unsupported"

#: (item, lang, text with the claim in [brackets], verdict)
CASES = [
    # values with units and their conversions
    ("powerbank", "en", "A [20000mAh] power bank.", S),
    ("powerbank", "en", "A [10,000 mAh] power bank.", C),
    ("powerbank", "zh", "容量[两万毫安]。", S),
    ("powerbank", "zh", "容量[一万毫安]。", C),
    ("powerbank", "en", "Charges at [65W].", S),
    ("powerbank", "en", "Charges at [100 W].", C),
    ("powerbank", "zh", "[65瓦]快充。", S),
    ("powerbank", "en", "[5V] output.", S),
    ("powerbank", "zh", "[12伏]输出。", C),
    ("powerbank", "en", "Weighs [400 g].", S),
    ("powerbank", "zh", "仅重[0.4公斤]。", S),
    ("powerbank", "en", "Weighs [1 kg].", C),
    ("kettle", "en", "Holds [1500 ml].", S),
    ("kettle", "zh", "容量[1500毫升]。", S),
    ("kettle", "zh", "容量[一点五升]。", C),  # read as 1 + 5: not a numeral shops write; it must not pass as 1.5
    ("kettle", "zh", "容量[2升]。", C),
    ("kettle", "en", "A [two litre] kettle.", C),
    ("tv", "en", "A [55-inch] screen.", S),
    ("tv", "zh", "[55英寸]大屏。", S),
    ("tv", "zh", "[55寸]大屏。", S),
    ("tv", "zh", "[65寸]大屏。", C),
    ("tv", "en", "A [139.7 cm] screen.", S),
    ("tv", "en", "[32GB] of storage.", S),
    ("tv", "en", "[1 TB] of storage.", C),
    ("phone", "en", "[256 GB] storage.", S),
    ("phone", "zh", "[256G内存]。", S),
    ("ac", "zh", "[1.5匹]变频空调。", S),
    ("ac", "zh", "[2匹]变频空调。", C),
    ("ac", "zh", "水箱[两升]。", S),
    ("ac", "en", "A [two-litre] tank.", S),
    # versions, generations, connectors, resolutions
    ("tv", "en", "[Bluetooth 5.2] built in.", S),
    ("tv", "en", "[Bluetooth 5.0] built in.", C),
    ("tv", "zh", "支持[蓝牙5.2]。", S),
    ("tv", "zh", "支持[蓝牙4.2]。", C),
    ("tv", "en", "Fast [USB 3.0] port.", S),
    ("tv", "en", "Fast [USB 2.0] port.", C),
    ("powerbank", "en", "[Type-C] charging.", S),
    ("powerbank", "zh", "[Type-C]接口。", S),
    ("powerbank", "en", "[Lightning] cable included.", C),
    ("tv", "en", "Supports [Wi-Fi 6].", S),
    ("tv", "en", "Supports [802.11ax].", S),
    ("tv", "zh", "支持[WiFi 5]。", C),
    ("tv", "en", "[5G] ready.", S),
    ("tv", "zh", "支持[4G]网络。", C),
    ("tv", "en", "Crisp [2160p] picture.", S),
    ("tv", "en", "Crisp [8K] picture.", C),
    ("tv", "zh", "[超高清]画质。", S),
    ("phone", "en", "A [Full HD] display.", S),
    ("phone", "zh", "[4K]屏幕。", C),
    ("powerbank", "en", "Streams in [4K].", U),
    ("kettle", "zh", "支持[蓝牙5.0]。", U),
    # named sizes, shoe sizes, colours, materials
    ("shirt", "en", "Comes in [S to XL].", S),
    ("shirt", "en", "Up to [XXL].", C),
    ("shirt", "zh", "[S-XL码]可选。", S),
    ("shirt", "zh", "尺码[XXL码]。", C),
    ("shoes", "zh", "[40码]有货。", S),
    ("shoes", "zh", "[46码]有货。", C),
    ("shoes", "en", "Available in [EU 42].", S),
    ("sheet", "en", "A [queen] size fitted sheet.", S),
    ("sheet", "en", "A [king] size fitted sheet.", C),
    ("sheet", "zh", "适合[双人]床。", C),
    ("shirt", "en", "A [navy] shirt.", S),
    ("shirt", "en", "A [red] shirt.", C),
    ("shirt", "zh", "[藏青色]衬衫。", S),
    ("shirt", "zh", "[红色]衬衫。", C),
    ("shirt", "en", "Pure [cotton].", S),
    ("shirt", "zh", "[亚麻]面料。", C),
    ("tv", "en", "A [cotton] cover.", U),
    # durations and service terms
    ("powerbank", "en", "[2-year warranty].", S),
    ("powerbank", "en", "A [two-year warranty].", S),
    ("powerbank", "zh", "[两年保修]。", S),
    ("powerbank", "zh", "[保修24个月]。", S),
    ("powerbank", "en", "[3-year warranty].", C),
    ("powerbank", "zh", "[质保一年]。", C),
    ("kettle", "en", "A [2-year warranty].", S),
    ("kettle", "zh", "[整机保修两年]。", S),
    ("ac", "en", "[Free shipping].", S),
    ("ac", "zh", "全国[包邮]。", S),
    ("ac", "zh", "[7天无理由退货]。", S),
    ("ac", "en", "[30-day returns].", C),
    ("ac", "en", "[Returns within 7 days].", S),
    ("tv", "en", "[Free installation].", S),
    ("tv", "zh", "[免费安装]。", S),
    ("kettle", "en", "[Free shipping] today.", U),
    ("kettle", "zh", "[免费安装]。", U),
    ("shirt", "en", "A [lifetime warranty].", U),
    ("shirt", "zh", "[保修一年]。", U),
    # names: brands, authors, publishers, manufacturers, series
    ("tv", "en", "A [Lumina] TV.", S),
    ("tv", "zh", "[流明]电视。", S),
    ("tv", "en", "A [Samsung] TV.", C),  # a well-known brand, not the item's
    ("tv", "zh", "[华为]电视。", C),
    ("tv", "en", "A [Voltix] TV.", C),  # a catalog brand, not the item's
    ("tv", "en", "Made by [Lumina Display].", S),
    ("tv", "zh", "由[流明显示]制造。", S),
    ("tv", "en", "Fast [USB 3.0] port.", S),
    ("tv", "zh", "[USB 2.0]接口。", C),
    ("book", "zh", "[重庆出版社]出版。", S),
    ("book", "zh", "[企鹅出版社]出版。", C),
    ("book", "zh", "[地球往事]三部曲。", S),
    ("book", "zh", "收入[企鹅现代经典]。", C),
    ("book", "en", "A novel by [Liu Cixin].", S),
    ("book", "zh", "[刘慈欣]代表作。", S),
    ("book", "en", "A novel by [Yu Hua].", C),
    ("book", "zh", "[余华]代表作。", C),
    ("book", "en", "Published by [Head of Zeus].", S),
    ("book", "en", "Published by [Penguin].", C),
    ("book", "en", "Part of [Remembrance of Earth's Past].", S),
    ("book", "en", "Part of [Penguin Modern Classics].", C),
    ("shirt", "en", "A novel by [Yu Hua].", U),  # the shirt has no author: not a contradiction
    # other wording of a stated fact
    ("kettle", "en", "[Nordhaus] kettle, [1.5 L], only [¥159].", S),
    ("kettle", "zh", "[Nordhaus]电水壶，[1500毫升]，仅售[159元]。", S),
]


def _marked(text: str) -> tuple[str, list[tuple[int, int]]]:
    spans, out, i = [], "", 0
    for m in re.finditer(r"\[([^\]]+)\]", text):
        out += text[i:m.start()]
        spans.append((len(out), len(out) + len(m.group(1))))
        out += m.group(1)
        i = m.end()
    return out + text[i:], spans


@pytest.fixture(scope="module")
def checker() -> GroundingChecker:
    return GroundingChecker.from_items(list(ITEMS.values()))


def _at(claims: list[Claim], span: tuple[int, int]) -> Claim | None:
    return next((c for c in claims if c.start < span[1] and span[0] < c.end), None)


@pytest.mark.parametrize(("item", "lang", "text", "verdict"), CASES,
                         ids=[f"{i}-{lang}-{n}" for n, (i, lang, _, _) in enumerate(CASES)])
def test_verdict_of_each_claim_class(checker: GroundingChecker, item: str, lang: str, text: str,
                                     verdict: str) -> None:
    body, spans = _marked(text)
    report = checker.check(body, extract_facts(ITEMS[item]))
    for span in spans:
        claim = _at(report.claims, span)
        assert claim is not None, f"no claim at {body[span[0]:span[1]]!r} in {body!r}: {report.claims}"
        assert claim.verdict == verdict, f"{claim.text!r}: {claim.verdict} ({claim.reason}), expected {verdict}"
        if verdict == "unsupported":
            assert claim.fact == ""
        else:
            assert claim.fact, f"{claim.text!r} names no fact"


def test_a_contradiction_quotes_the_fact_it_was_checked_against(checker: GroundingChecker) -> None:
    claim = checker.check("A [3-year warranty].".strip("[]"), extract_facts(ITEMS["powerbank"])).claims[-1]
    assert (claim.attribute, claim.verdict, claim.fact) == ("warranty", "contradicted", "Warranty: 2 years")
    claim = checker.check("Capacity 10,000 mAh.", extract_facts(ITEMS["powerbank"])).claims[-1]
    assert claim.verdict == "contradicted" and "20,000 mAh" in claim.fact


def test_attribute_names() -> None:
    assert attribute_of("quantity", {"dim": "ml"}) == "volume"
    assert attribute_of("service", {"attribute": "warranty"}) == "warranty"
    assert attribute_of("brand", {"brand": "X"}) == "brand"


def test_five_g_is_a_network_not_five_grams() -> None:
    claims = ClaimExtractor().extract("5G phone, 5 g sample")
    assert [(c.kind, c.attribute) for c in claims] == [("spec", "network"), ("quantity", "weight")]


def test_template_texts_of_every_item_are_clean(checker: GroundingChecker) -> None:
    """Restating an item's own attribute values, as templates do, raises no flag."""
    for item in ITEMS.values():
        facts = extract_facts(item)
        for lang in ("en", "zh"):
            text = "; ".join(f"{label}: {value}" for label, value in facts.lines(lang))
            report = checker.check(text, facts)
            assert report.ok, f"{item['item_id']} {lang}: {report.summary()}"


@pytest.mark.parametrize("text", ["来自你喜欢的Corvin", "你喜欢的Corvin，更多好物", "来自您关注的Corvin品牌"])
def test_our_own_headline_templates_are_not_read_as_a_brand(checker: GroundingChecker, text: str) -> None:
    """Regression (issue 25): "来自你喜欢的{brand}" read "你喜欢" as an unknown brand and flagged the template."""
    report = checker.check(text, extract_facts(ITEMS["shirt"]))
    assert report.ok, report.summary()
    assert [c.text for c in report.claims if c.kind == "brand"] == ["Corvin"]
