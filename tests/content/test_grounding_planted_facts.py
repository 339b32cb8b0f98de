"""Adversarial checks of the grounding checker, as a reviewer would run them.

Real items of the demo catalog get texts in English and Chinese with one planted wrong fact each (price,
discount, brand, material, colour, size or unit, origin, category, gender), phrased many ways; the planted
fact must be flagged and nothing else in the text may be. The other side matters as much: a text that
restates only correct facts (a price formatted differently, the brand in another case, the material in the
other language) must pass with zero unsupported claims, because every false alarm sends an LLM draft to
the template fallback.

A planted or restated fact is marked with ``[...]`` in the case tables; the brackets are removed before
checking and give the span the verdict is read from."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from shopmind.content import ContentRequest, FactSheet, GroundingChecker, TemplateGenerator, extract_facts
from shopmind.content.grounding import GroundingReport
from shopmind.content.lexicon import lexicon

# ---------------------------------------------------------------------------------------------- items
#: The demo items the case tables are about (seed 11 of the synthetic shop, see conftest.py), with the facts
#: the tables rely on. A generator change that breaks these fails loudly in the ``items`` fixture.
PICKS = {
    "dress": ("SKU00014", {"brand": "Maison Clair", "price": 589.0, "material": "Cotton", "colour": "Red",
                           "origin": "France", "size": "XS-XL", "gender": "women"}),
    "boots": ("SKU00074", {"brand": "Stride", "price": 719.0, "material": "Leather", "material_zh": "真皮",
                           "colour": "Beige", "origin": "China", "size": "EU 35-40"}),
    "serum": ("SKU00005", {"brand": "Jade Spring", "price": 879.0, "capacity": "50 ml", "origin": "Thailand"}),
    "charger": ("SKU00063", {"brand": "Bluefin", "price": 169.9, "spec": "10,000 mAh", "material": "GaN"}),
    "watch": ("SKU00004", {"brand": "Corvin", "price": 2999.0, "spec": "40 mm case", "material": "Stainless Steel",
                           "colour": "Silver", "gender": "men"}),
    "coffee": ("SKU00029", {"brand": "Brewmaster", "price": 659.0, "weight": "1 kg", "origin": "Yunnan, China"}),
    "tee": ("SKU00019", {"brand": "Corvin", "price": 119.9, "size": "M-3XL", "material": "Polyester"}),
    "laptop": ("SKU00024", {"brand": "Apex Digital", "price": 12999.0}),
    "duvet": ("SKU00048", {"brand": "Cloudnest", "material": "Cotton", "material_zh": "纯棉"}),
}


def _check_pick(f: FactSheet, expect: dict[str, object]) -> None:
    got: dict[str, object] = {"brand": f.brand.en, "price": f.price, "origin": f.origin.en if f.origin else None,
                              "gender": f.gender.en if f.gender else None}
    if f.materials:
        got["material"], got["material_zh"] = f.materials[0].value.en, f.materials[0].value.zh
    if f.colours:
        got["colour"] = f.colours[0].value.en
    for s in f.specs:
        got[s.key] = s.value.en
    for k, v in expect.items():
        assert got.get(k) == v, f"demo item {f.item_id}: {k} is {got.get(k)!r}, the tables expect {v!r}"


@pytest.fixture(scope="module")
def items(demo_items: pd.DataFrame, now: pd.Timestamp) -> dict[str, FactSheet]:
    rows = {r["item_id"]: r for r in demo_items.to_dict("records")}
    out = {}
    for name, (item_id, expect) in PICKS.items():
        out[name] = extract_facts(rows[item_id], now=now)
        _check_pick(out[name], expect)
    # the same dress on promotion: ¥559, was ¥799 (30% off, 7折, saving ¥240)
    sale = dict(rows["SKU00014"])
    sale["price"] = 559.0
    sale["attributes"] = {**sale["attributes"], "original_price": 799}
    out["sale"] = extract_facts(sale, now=now)
    assert out["sale"].discount == pytest.approx(0.3, abs=0.001)
    return out


# ---------------------------------------------------------------------------------------------- helpers
def _marked(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Remove ``[...]`` markers; return the clean text and the spans they enclosed."""
    spans, out, pos = [], [], 0
    for m in re.finditer(r"\[([^\]]*)\]", text):
        out.append(text[pos:m.start()])
        start = sum(len(p) for p in out)
        out.append(m.group(1))
        spans.append((start, start + len(m.group(1))))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out), spans


def _overlaps(c, span: tuple[int, int]) -> bool:
    return c.start < span[1] and c.end > span[0]


def _context(f: FactSheet, lang: str) -> str:
    """A correct opening sentence: the item's brand and product type."""
    pt = f.product_type
    if lang == "en":
        return f"{f.brand.en} {(pt.en if pt and pt.en else f.leaf('en') or '').lower()}. "
    return f"{f.brand.zh}{pt.zh if pt and pt.zh else f.leaf('zh')}。"


def assert_caught(checker: GroundingChecker, f: FactSheet, lang: str, planted: str) -> GroundingReport:
    """The planted span is flagged, and nothing outside it is."""
    body, spans = _marked(planted)
    ctx = _context(f, lang)
    text = ctx + body
    spans = [(s + len(ctx), e + len(ctx)) for s, e in spans]
    report = checker.check(text, f)
    assert spans, planted
    for span in spans:
        assert any(c.supported is False and _overlaps(c, span) for c in report.claims), (
            f"missed {text[span[0]:span[1]]!r} in {text!r}: "
            + "; ".join(f"{c.kind} {c.text!r}={c.supported}" for c in report.claims))
    stray = [c for c in report.unsupported if not any(_overlaps(c, s) for s in spans)]
    assert not stray, f"false alarm in {text!r}: {report.summary()}"
    return report


def assert_clean(checker: GroundingChecker, f: FactSheet, lang: str, restated: str) -> GroundingReport:
    """No claim is unsupported, and each marked fact was seen as a claim and verified."""
    body, spans = _marked(restated)
    ctx = _context(f, lang)
    text = ctx + body
    report = checker.check(text, f)
    assert report.ok, f"false alarm in {text!r}: {report.summary()}"
    for s, e in spans:
        s, e = s + len(ctx), e + len(ctx)
        assert any(c.supported is True and _overlaps(c, (s, e)) for c in report.claims), (
            f"{text[s:e]!r} was not checked as a claim in {text!r}: "
            + "; ".join(f"{c.kind} {c.text!r}={c.supported}" for c in report.claims))
    return report


# ---------------------------------------------------------------------------------------------- planted
PLANTED: list[tuple[str, str, str, str]] = [
    # (kind, item, lang, text)
    # --- price: the dress costs ¥589, the watch ¥2,999, the charger ¥169.90
    ("price", "dress", "en", "Now only [$19.99]."),
    ("price", "dress", "en", "Yours for only [19.99]!"),
    ("price", "dress", "en", "Just [19.99 dollars] this week."),
    ("price", "dress", "en", "Grab it for [¥129]."),
    ("price", "dress", "en", "Priced at [129 yuan]."),
    ("price", "dress", "en", "A steal at [RMB 1,299]."),
    ("price", "dress", "en", "All this for under [$20]."),
    ("price", "dress", "en", "Price: [299]."),
    ("price", "dress", "en", "It costs [¥5,890]."),
    ("price", "dress", "en", "Only [¥58.90] today."),
    ("price", "dress", "en", "Yours for [CNY 499.00]."),
    ("price", "dress", "en", "Less than [¥500]!"),
    ("price", "dress", "en", "[US$ 89] only."),
    ("price", "dress", "en", "Yours for just [499]."),
    ("price", "dress", "en", "Priced at just [€59]."),
    ("price", "dress", "en", "A cotton shirt dress for [19.99]."),
    ("price", "dress", "en", "From [¥999]."),
    ("price", "dress", "en", "Shirt dress, [19.99]."),
    ("price", "dress", "en", "Only [129 bucks]."),
    ("price", "dress", "zh", "惊喜价[19.99]。"),
    ("price", "dress", "zh", "仅售[129元]。"),
    ("price", "dress", "zh", "[¥129]到手。"),
    ("price", "dress", "zh", "售价[129]。"),
    ("price", "dress", "zh", "到手价[1,299元]。"),
    ("price", "dress", "zh", "只要[一百二十九元]！"),
    ("price", "dress", "zh", "[129块]带回家。"),
    ("price", "dress", "zh", "现价[￥129]。"),
    ("price", "dress", "zh", "不到[100元]。"),
    ("price", "dress", "zh", "价格：[299]。"),
    ("price", "dress", "zh", "[5890元]。"),
    ("price", "dress", "zh", "仅需[人民币499元]。"),
    ("price", "dress", "zh", "售价[RMB 499]。"),
    ("price", "dress", "zh", "到手仅[499]！"),
    ("price", "dress", "zh", "[58块9]就能带走。"),
    ("price", "watch", "en", "Only [¥2,499]."),
    ("price", "watch", "en", "Only [¥29,990]."),
    ("price", "watch", "zh", "售价[2999美元]。"),
    ("price", "watch", "zh", "仅售[两千四百九十九元]。"),
    ("price", "charger", "en", "Only [¥196.90]."),
    ("price", "charger", "zh", "[169元]入手。"),
    ("price", "laptop", "en", "Only [¥12,990]."),
    ("price", "laptop", "zh", "仅售[1.2万元]。"),
    # --- discount: the dress has none; the sale dress is 30% off (7折), saving ¥240, was ¥799
    ("discount", "dress", "en", "Now [30% off]."),
    ("discount", "dress", "en", "[Save 30%] this week."),
    ("discount", "dress", "en", "[30 percent off] for members."),
    ("discount", "dress", "en", "[Half price] this weekend."),
    ("discount", "dress", "en", "It is [on sale] now."),
    ("discount", "dress", "en", "[Buy one, get one free]."),
    ("discount", "dress", "en", "[Save ¥100] today."),
    ("discount", "dress", "en", "Was [¥799], now ¥589."),
    ("discount", "dress", "en", "[Up to 50% off]."),
    ("discount", "dress", "zh", "限时[打7折]。"),
    ("discount", "dress", "zh", "[七折]优惠。"),
    ("discount", "dress", "zh", "[立减50元]。"),
    ("discount", "dress", "zh", "[半价]抢购。"),
    ("discount", "dress", "zh", "[满300减50]。"),
    ("discount", "dress", "zh", "限时[八五折]。"),
    ("discount", "dress", "zh", "[特价促销]。"),
    ("discount", "dress", "zh", "原价[799元]，现价589元。"),
    ("discount", "dress", "zh", "[买一送一]。"),
    ("discount", "dress", "zh", "[优惠50元]。"),
    ("discount", "dress", "zh", "立省[50]！"),
    ("discount", "dress", "en", "Now [-30%]!"),
    ("discount", "dress", "zh", "限时[优惠30%]。"),
    ("discount", "dress", "en", "Use [coupon code] SPRING."),
    ("discount", "dress", "zh", "[领券]立减。"),
    ("discount", "sale", "en", "Now [20% off]."),
    ("discount", "sale", "en", "[Save ¥100] today."),
    ("discount", "sale", "en", "Was [¥999], now ¥559."),
    ("discount", "sale", "zh", "限时[8折]。"),
    ("discount", "sale", "zh", "[立减100元]。"),
    ("discount", "sale", "zh", "原价[999元]。"),
    ("discount", "sale", "zh", "[五折]。"),
    # --- brand: catalog brands of other items, invented names, well-known brands
    ("brand", "dress", "en", "[Corvin] shirt dress."),
    ("brand", "dress", "en", "A shirt dress from [Aurelle]."),
    ("brand", "dress", "en", "Designed by [Urban Thread]."),
    ("brand", "dress", "en", "The [Sakura Skin] favourite."),
    ("brand", "dress", "en", "Another hit from [Solstice]."),
    ("brand", "dress", "en", "[Solstice] shirt dress in red."),
    ("brand", "dress", "en", "[CORVIN] shirt dress."),
    ("brand", "dress", "en", "A [corvin] shirt dress."),
    ("brand", "dress", "en", "[Lunaria] shirt dress in red."),
    ("brand", "dress", "en", "A red shirt dress by [Velmora]."),
    ("brand", "dress", "en", "[Velmora]'s shirt dress."),
    ("brand", "dress", "en", "The [Brightwell Atelier] cotton shirt dress."),
    ("brand", "dress", "en", "A [Gucci] shirt dress."),
    ("brand", "dress", "en", "[NIKE] shirt dress."),
    ("brand", "dress", "en", "Made by [Zara]."),
    ("brand", "dress", "en", "Just like [Uniqlo]."),
    ("brand", "dress", "zh", "[科文]衬衫裙。"),
    ("brand", "dress", "zh", "[城市织线]出品。"),
    ("brand", "dress", "zh", "来自[樱肌]的衬衫裙。"),
    ("brand", "dress", "zh", "[至日]品牌衬衫裙。"),
    ("brand", "dress", "zh", "[薇摩拉]品牌衬衫裙。"),
    ("brand", "dress", "zh", "品牌：[薇摩拉]。"),
    ("brand", "dress", "zh", "[薇摩拉]出品。"),
    ("brand", "dress", "zh", "来自[薇摩拉]的衬衫裙。"),
    ("brand", "dress", "zh", "[优衣库]同款。"),
    ("brand", "dress", "zh", "[古驰]衬衫裙。"),
    ("brand", "watch", "en", "A [Tempo] automatic watch."),
    ("brand", "watch", "en", "[Tempo] automatic watch."),
    ("brand", "watch", "zh", "[节拍]品牌自动机械表。"),
    ("brand", "watch", "zh", "[节拍]自动机械表。"),
    ("brand", "serum", "en", "From [Hydra Bloom]."),
    ("brand", "serum", "zh", "[水漾]精华液。"),
    # --- material: the dress is cotton, the boots leather (真皮)
    ("material", "dress", "en", "Made of [leather]."),
    ("material", "dress", "en", "[100% wool]."),
    ("material", "dress", "en", "Crafted from pure [silk]."),
    ("material", "dress", "en", "Soft [linen] fabric."),
    ("material", "dress", "en", "In luxurious [cashmere]."),
    ("material", "dress", "en", "A [polyester] blend."),
    ("material", "dress", "zh", "[真皮]材质。"),
    ("material", "dress", "zh", "[羊毛]面料。"),
    ("material", "dress", "zh", "[100%羊毛]。"),
    ("material", "dress", "zh", "采用[真丝]。"),
    ("material", "dress", "zh", "[亚麻]面料，透气。"),
    ("material", "dress", "zh", "[羊绒]质地。"),
    ("material", "dress", "en", "[Woollen] fabric."),
    ("material", "dress", "zh", "[皮质]肩带。"),
    ("material", "dress", "zh", "[纯羊毛]。"),
    ("material", "boots", "en", "Made of [PU leather]."),
    ("material", "boots", "en", "Soft [suede] upper."),
    ("material", "boots", "en", "[Canvas] upper."),
    ("material", "boots", "zh", "[人造革]材质。"),
    ("material", "boots", "zh", "[纯棉]内里。"),
    ("material", "duvet", "en", "[100% silk] cover."),
    ("material", "watch", "en", "[Titanium] case."),
    ("material", "watch", "zh", "[钛合金]表壳。"),
    # --- colour: the dress is red, the boots beige
    ("colour", "dress", "en", "Available in [black]."),
    ("colour", "dress", "en", "A [navy blue] shade."),
    ("colour", "dress", "en", "Colour: [white]."),
    ("colour", "dress", "en", "In deep [burgundy]."),
    ("colour", "dress", "zh", "[黑色]款。"),
    ("colour", "dress", "zh", "颜色：[藏青色]。"),
    ("colour", "dress", "zh", "[酒红色]，显白。"),
    ("colour", "boots", "en", "In classic [black]."),
    ("colour", "boots", "zh", "[棕色]。"),
    # --- sizes and units
    ("size", "serum", "en", "A [500ml] bottle."),
    ("size", "serum", "en", "[250 ml] of serum."),
    ("size", "serum", "en", "[0.5 L] bottle."),
    ("size", "serum", "zh", "容量[500毫升]。"),
    ("size", "serum", "zh", "[五毫升]小样。"),
    ("size", "coffee", "en", "A [2kg] bag."),
    ("size", "coffee", "en", "[500 g] of coffee."),
    ("size", "coffee", "zh", "净含量[2公斤]。"),
    ("size", "coffee", "zh", "[五百克]装。"),
    ("size", "coffee", "zh", "[3斤]装。"),
    ("size", "dress", "en", "Also in [XXL]."),
    ("size", "dress", "en", "Sizes [S-XXL]."),
    ("size", "dress", "en", "Sizes [XS to XXL]."),
    ("size", "dress", "en", "Available in [size 4XL]."),
    ("size", "dress", "en", "Weighs only [2kg]."),
    ("size", "dress", "zh", "[XXL码]有货。"),
    ("size", "dress", "zh", "尺码：[S-XXL]。"),
    ("size", "dress", "zh", "[XXL]也有。"),
    ("size", "tee", "en", "Also in [XS]."),
    ("size", "tee", "zh", "[4XL码]。"),
    ("size", "boots", "en", "Sizes [EU 36-45]."),
    ("size", "boots", "en", "In [EU 42]."),
    ("size", "boots", "zh", "[42码]。"),
    ("size", "charger", "en", "A [20,000 mAh] battery."),
    ("size", "charger", "en", "[5000mAh] capacity."),
    ("size", "charger", "zh", "[2万毫安]大容量。"),
    ("size", "watch", "en", "A [42 mm] case."),
    ("size", "watch", "en", "A [4.2 cm] case."),
    ("size", "watch", "zh", "[42毫米]表盘。"),
    ("size", "serum", "en", "A [16 oz] bottle."),
    ("size", "coffee", "en", "A [2 lb] bag."),
    ("size", "watch", "en", "A [2-inch] case."),
    # --- origin: the dress is from France, the boots from China, the coffee from Yunnan
    ("origin", "dress", "en", "Made in [Italy]."),
    ("origin", "dress", "en", "[Italian]-made."),
    ("origin", "dress", "en", "Imported from [Japan]."),
    ("origin", "dress", "zh", "[意大利]进口。"),
    ("origin", "dress", "zh", "产地：[日本]。"),
    ("origin", "dress", "zh", "[韩国]原装。"),
    ("origin", "boots", "en", "Made in [Italy]."),
    ("origin", "boots", "zh", "[意大利]制造。"),
    ("origin", "coffee", "en", "Grown in [Colombia]."),
    ("origin", "coffee", "zh", "[埃塞俄比亚]咖啡豆。"),
    # --- category
    ("category", "dress", "en", "Better than any [running shoes]."),
    ("category", "dress", "en", "Like a [laptop], it goes everywhere."),
    ("category", "dress", "zh", "一双好[跑步鞋]。"),
    ("category", "dress", "zh", "也是一款[登山包]。"),
    ("category", "coffee", "en", "The best [tea] for mornings."),
    ("category", "coffee", "zh", "一款好[茶叶]。"),
    ("category", "serum", "en", "A light [face cream]."),
    # --- gender
    ("gender", "dress", "en", "A [men's] classic."),
    ("gender", "dress", "zh", "[男款]。"),
    ("gender", "watch", "en", "Made [for women]."),
    ("gender", "watch", "zh", "[女士]手表。"),
]


# ---------------------------------------------------------------------------------------------- correct
CORRECT: list[tuple[str, str, str, str]] = [
    # (kind, item, lang, text)
    ("price", "dress", "en", "Only [¥589]."),
    ("price", "dress", "en", "Yours for [RMB 589]."),
    ("price", "dress", "en", "Yours for [589 yuan]."),
    ("price", "dress", "en", "Now [CNY 589.00]."),
    ("price", "dress", "en", "Just [¥ 589]."),
    ("price", "dress", "en", "Price: [589]."),
    ("price", "dress", "en", "Priced at [589 RMB]."),
    ("price", "dress", "en", "Yours for only [589]!"),
    ("price", "dress", "en", "Shirt dress — [589.00]."),
    ("price", "dress", "en", "All this for under [¥600]."),
    ("price", "dress", "en", "Less than [600 yuan]."),
    ("price", "dress", "zh", "仅售[589元]。"),
    ("price", "dress", "zh", "售价[589]。"),
    ("price", "dress", "zh", "到手价[￥589]。"),
    ("price", "dress", "zh", "只要[五百八十九元]。"),
    ("price", "dress", "zh", "[589块]带回家。"),
    ("price", "dress", "zh", "[人民币589元]。"),
    ("price", "dress", "zh", "不到[600元]。"),
    ("price", "dress", "zh", "[600元以内]。"),
    ("price", "dress", "zh", "价格：[589]。"),
    ("price", "watch", "en", "Only [¥2,999]."),
    ("price", "watch", "en", "Only [¥2999.00]."),
    ("price", "watch", "zh", "售价[2,999元]。"),
    ("price", "watch", "zh", "仅售[两千九百九十九元]。"),
    ("price", "watch", "zh", "[三千元以内]。"),
    ("price", "charger", "en", "Only [¥169.90]."),
    ("price", "charger", "en", "Just [169.9 yuan]."),
    ("price", "charger", "zh", "[169.9元]入手。"),
    ("price", "charger", "zh", "[169块9]入手。"),
    ("price", "laptop", "en", "Only [¥12,999]."),
    ("price", "laptop", "zh", "仅售[12999元]。"),
    ("price", "laptop", "zh", "仅售[一万两千九百九十九元]。"),
    ("discount", "sale", "en", "Now [30% off]."),
    ("discount", "sale", "en", "[Save 30%] this week."),
    ("discount", "sale", "en", "[Save ¥240] today."),
    ("discount", "sale", "en", "Was [¥799], now [¥559]."),
    ("discount", "sale", "en", "[On sale] at [¥559]."),
    ("discount", "sale", "en", "[Up to 50% off]."),
    ("discount", "sale", "zh", "限时[7折]。"),
    ("discount", "sale", "zh", "[打七折]。"),
    ("discount", "sale", "zh", "[立减240元]。"),
    ("discount", "sale", "zh", "原价[799元]，现价[559元]。"),
    ("discount", "sale", "zh", "[特价][559元]。"),
    ("discount", "sale", "en", "Now [-30%]!"),
    ("discount", "sale", "zh", "限时[省30%]。"),
    ("discount", "sale", "zh", "[低至7折]。"),
    ("price", "dress", "en", "From [¥589]."),
    ("price", "dress", "zh", "[589元起]。"),
    ("brand", "dress", "en", "By [Maison Clair]."),
    ("brand", "dress", "en", "[MAISON CLAIR] shirt dress."),
    ("brand", "dress", "en", "A maison clair shirt dress."),
    ("brand", "dress", "en", "[Maison Clair]'s shirt dress."),
    ("brand", "dress", "zh", "[克莱尔之家]出品。"),
    ("brand", "dress", "zh", "品牌：[克莱尔之家]。"),
    ("brand", "dress", "zh", "来自[克莱尔之家]的衬衫裙。"),
    ("brand", "boots", "en", "From [Stride]."),
    ("brand", "boots", "en", "[STRIDE] chelsea boots."),
    ("brand", "boots", "en", "Stride out in comfort."),
    ("brand", "boots", "zh", "[步驰]品牌切尔西靴。"),
    ("brand", "charger", "en", "[BLUEFIN] fast charger."),
    ("brand", "charger", "en", "A bluefin fast charger."),
    ("brand", "tee", "en", "A [corvin] tee."),
    ("material", "dress", "en", "Made of [cotton]."),
    ("material", "dress", "en", "[100% cotton]."),
    ("material", "dress", "en", "Breathable [Cotton] Shirt Dress."),
    ("material", "dress", "zh", "[纯棉]面料。"),
    ("material", "dress", "zh", "[全棉]。"),
    ("material", "dress", "zh", "[棉质]衬衫裙。"),
    ("material", "duvet", "en", "[100% cotton] cover."),
    ("material", "duvet", "zh", "[棉]被套。"),
    ("material", "boots", "en", "Made of [genuine leather]."),
    ("material", "boots", "en", "Soft [leather] upper."),
    ("material", "boots", "zh", "[真皮]材质。"),
    ("material", "boots", "zh", "[皮革]鞋面。"),
    ("material", "boots", "zh", "[皮质]鞋面。"),
    ("material", "watch", "en", "A [steel] case."),
    ("material", "watch", "zh", "[不锈钢]表壳。"),
    ("material", "charger", "en", "[Gallium nitride] inside."),
    ("material", "charger", "zh", "[氮化镓]快充。"),
    ("colour", "dress", "en", "In [red]."),
    ("colour", "dress", "en", "In bold [RED]."),
    ("colour", "dress", "zh", "[红色]款。"),
    ("colour", "boots", "en", "In soft [beige]."),
    ("colour", "boots", "zh", "[米色]。"),
    ("colour", "watch", "zh", "[银色]表盘。"),
    ("size", "serum", "en", "A [50ml] bottle."),
    ("size", "serum", "en", "A [0.05 L] bottle."),
    ("size", "serum", "zh", "容量[五十毫升]。"),
    ("size", "coffee", "en", "A [1000g] bag."),
    ("size", "coffee", "en", "A [1 kilo] bag."),
    ("size", "coffee", "zh", "净含量[1公斤]。"),
    ("size", "coffee", "zh", "[2斤]装。"),
    ("size", "coffee", "zh", "[一千克]装。"),
    ("size", "dress", "en", "Sizes [XS-XL]."),
    ("size", "dress", "en", "Also in [XL]."),
    ("size", "dress", "en", "Sizes [XS to XL]."),
    ("size", "dress", "en", "In [size M]."),
    ("size", "dress", "zh", "[M码]有货。"),
    ("size", "dress", "zh", "[XS至XL]。"),
    ("size", "tee", "en", "Up to [3XL]."),
    ("size", "tee", "zh", "[XXL码]。"),
    ("size", "boots", "en", "In [EU 37]."),
    ("size", "boots", "zh", "[36-39码]。"),
    ("size", "charger", "en", "A [10000mAh] battery."),
    ("size", "charger", "zh", "[1万毫安]。"),
    ("size", "charger", "zh", "[一万毫安]。"),
    ("size", "watch", "en", "A [4 cm] case."),
    ("size", "watch", "zh", "[40毫米]表盘。"),
    ("size", "serum", "en", "A [1.7 fl oz] bottle."),
    ("size", "coffee", "en", "A [2.2 lb] bag."),
    ("size", "watch", "en", "A [1.57-inch] case."),
    ("origin", "dress", "en", "Made in [France]."),
    ("origin", "dress", "en", "[French] style."),
    ("origin", "dress", "zh", "[法国]制造。"),
    ("origin", "boots", "zh", "产地：[中国]。"),
    ("origin", "coffee", "en", "Grown in [Yunnan], [China]."),
    ("origin", "coffee", "zh", "[云南]咖啡。"),
    ("category", "dress", "en", "A [dress] for summer."),
    ("category", "dress", "en", "Our [dresses] are light."),
    ("category", "dress", "zh", "这款[连衣裙]很轻。"),
    ("category", "coffee", "en", "[Ground coffee] for mornings."),
    ("gender", "dress", "en", "A [women's] classic."),
    ("gender", "dress", "zh", "[女款]。"),
    ("gender", "watch", "zh", "[男士]手表。"),
]


#: Ordinary copy that looks like a claim and is not: numbers that are no price, capitalised words that are no
#: name, words before 品牌 / 出品 that describe rather than name.
NEUTRAL: list[tuple[str, str, str]] = [
    ("dress", "en", "Perfect for 2."),
    ("dress", "en", "Ready for 2026."),
    ("dress", "en", "Style it in just 2 easy steps."),
    ("dress", "en", "Only 3 left in this colour!"),
    ("dress", "en", "Chic red shirt dress."),
    ("dress", "en", "Effortless cotton shirt dress."),
    ("dress", "en", "Timeless Red Shirt Dress for Summer Days."),
    ("dress", "en", "Comfy Cotton, Elegant Lines."),
    ("dress", "en", "Meet the Maison Clair shirt dress."),
    ("dress", "en", "Discover the Lightweight, Wrinkle-Resistant Shirt Dress."),
    ("dress", "en", "Today's pick: a red shirt dress."),
    ("dress", "en", "Your Sunday cotton shirt dress."),
    ("dress", "en", "The French-made shirt dress."),
    ("dress", "en", "Fresh as a green pasture."),
    ("charger", "en", "A GaN fast charger with PD."),  # "USB-C" would be a connector claim (issue 25)
    ("dress", "zh", "知名品牌出品，品质保证。"),
    ("dress", "zh", "匠心出品。"),
    ("dress", "zh", "只要3步，轻松搭配。"),
    ("duvet", "zh", "棉被套，亲肤柔软。"),
    ("dress", "zh", "国货品牌，值得信赖。"),
]


# ---------------------------------------------------------------------------------------------- catalog-wide
_DIGITS = "零一二三四五六七八九"


def zh_number(n: int) -> str:
    """An integer in Chinese numerals (589 -> 五百八十九, 12999 -> 一万二千九百九十九)."""
    if n >= 10000:
        hi, lo = divmod(n, 10000)
        rest = zh_number(lo) if lo else ""
        return zh_number(hi) + "万" + ("零" + rest if lo and lo < 1000 else rest)
    out, zero = [], False
    for scale, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d, n = divmod(n, scale)
        if d:
            if zero and out:
                out.append("零")
            out.append(_DIGITS[d] + name)
            zero = False
        elif out:
            zero = True
    s = "".join(out)
    return s[1:] if s.startswith("一十") else s


def _price_forms(p: float, lang: str) -> list[str]:
    whole = abs(p - round(p)) < 0.005
    n = f"{p:.0f}" if whole else f"{p:.2f}"
    comma = f"{p:,.0f}" if whole else f"{p:,.2f}"
    short = f"{p:g}"
    above = math.ceil((p + 1) / 100) * 100
    if lang == "en":
        return [f"Only [¥{comma}].", f"Yours for [RMB {n}].", f"Just [{short} yuan].", f"Now [CNY {p:,.2f}].",
                f"Price: [{short}].", f"All for under [¥{above}]."]
    forms = [f"仅售[{n}元]。", f"到手价[¥{short}]。", f"售价[{short}]。", f"[{n}块]带走。", f"只要[{comma}元]。",
             f"不到[{above}元]。"]
    if whole:
        forms.append(f"只要[{zh_number(round(p))}元]。")
    return forms


def _wrong_prices(p: float) -> list[float]:
    return [round(p * 1.37 + 3), round(p / 2, 1), p * 10, max(1.0, round(p - 10))]


_MATERIALS = ["cotton", "leather", "wool", "silk", "linen", "polyester", "cashmere", "canvas", "nylon", "ceramic",
              "stainless steel", "bamboo", "titanium", "glass", "rubber"]


_COLOURS = ["black", "white", "red", "navy", "green", "pink", "beige", "grey", "purple", "yellow"]


_ORIGINS = ["italy", "japan", "france", "germany", "usa", "south_korea", "vietnam", "china", "sweden"]


@pytest.mark.parametrize(("kind", "item", "lang", "text"), PLANTED,
                         ids=[f"{k}-{i}-{lang}-{n}" for n, (k, i, lang, _) in enumerate(PLANTED)])
def test_a_planted_wrong_fact_is_caught(checker, items, kind, item, lang, text):
    assert_caught(checker, items[item], lang, text)


@pytest.mark.parametrize(("kind", "item", "lang", "text"), CORRECT,
                         ids=[f"{k}-{i}-{lang}-{n}" for n, (k, i, lang, _) in enumerate(CORRECT)])
def test_a_correct_fact_is_supported(checker, items, kind, item, lang, text):
    assert_clean(checker, items[item], lang, text)


@pytest.mark.parametrize(("item", "lang", "text"), NEUTRAL)
def test_ordinary_copy_makes_no_unsupported_claim(checker, items, item, lang, text):
    assert_clean(checker, items[item], lang, text)


def test_zh_number():
    assert [zh_number(n) for n in (589, 109, 1439, 12999, 10, 15, 2000, 10005)] == [
        "五百八十九", "一百零九", "一千四百三十九", "一万二千九百九十九", "十", "十五", "二千", "一万零五"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_item_price_restated_or_planted(checker, demo_facts, lang):
    """Every demo item: the true price in many formats passes; wrong prices in many formats are caught."""
    missed, false_alarms = [], []
    for f in demo_facts:
        assert f.price is not None
        for text in _price_forms(f.price, lang):
            try:
                assert_clean(checker, f, lang, text)
            except AssertionError as e:
                false_alarms.append(str(e))
        for k, wrong in enumerate(_wrong_prices(f.price)):
            for text in _price_forms(wrong, lang)[k::2][:2]:
                if "under" in text or "不到" in text:
                    continue
                try:
                    assert_caught(checker, f, lang, text)
                except AssertionError as e:
                    missed.append(str(e))
    assert not false_alarms, f"{len(false_alarms)} false alarms, e.g. {false_alarms[:3]}"
    assert not missed, f"{len(missed)} missed, e.g. {missed[:3]}"


def test_every_other_catalog_brand_is_caught(checker, demo_facts):
    """Every demo item, both languages: each brand of another item, bare before the product type, in
    "by X" / "X出品" form and in capitals, is flagged; the item's own brand in any case is not."""
    brands = {f.brand.en: f.brand for f in demo_facts}
    missed, false_alarms = [], []
    for i, f in enumerate(demo_facts[::3]):
        pt = f.product_type
        others = [b for name, b in sorted(brands.items()) if name != f.brand.en]
        for j, other in enumerate(others[i % 5::5]):
            assert other.en and other.zh
            plants = [("en", f"[{other.en}] {pt.en.lower() if pt and pt.en else 'item'}."),
                      ("en", f"A great pick by [{other.en}]."),
                      ("en", f"Another [{other.en.upper()}] favourite."),
                      ("zh", f"[{other.zh}]{pt.zh if pt and pt.zh else ''}。"),
                      ("zh", f"[{other.zh}]出品。")]
            for lang, text in plants[j % 2::2] if j % 3 else plants:
                try:
                    assert_caught(checker, f, lang, text)
                except AssertionError as e:
                    missed.append(str(e))
        assert f.brand.en and f.brand.zh
        for lang, text in [("en", f"By [{f.brand.en}]."), ("en", f"[{f.brand.en.upper()}] quality."),
                           ("en", f"A {f.brand.en.lower()} pick."), ("zh", f"[{f.brand.zh}]出品。"),
                           ("zh", f"品牌：[{f.brand.zh}]。")]:
            try:
                assert_clean(checker, f, lang, text)
            except AssertionError as e:
                false_alarms.append(str(e))
    assert not false_alarms, f"{len(false_alarms)} false alarms, e.g. {false_alarms[:3]}"
    assert not missed, f"{len(missed)} missed, e.g. {missed[:3]}"


def test_every_item_material_colour_origin(checker, demo_facts):
    """Every demo item, both languages: a material, colour or origin the data does not give is caught in
    either language; every alias of the item's own material, colour and origin (the other language's
    names included) passes."""
    lex = lexicon()
    missed, false_alarms = [], []
    for i, f in enumerate(demo_facts):
        ev = checker.evidence(f)
        wrong_mats = [t for m in _MATERIALS if (t := lex.lookup("material", m)) and t.id not in ev.materials]
        wrong_cols = [t for c in _COLOURS if (t := lex.lookup("colour", c)) and t.id not in ev.colours]
        wrong_orig = [lex.terms["origin"][o] for o in _ORIGINS if o not in ev.origins]
        m, c, o = wrong_mats[i % len(wrong_mats)], wrong_cols[i % len(wrong_cols)], wrong_orig[i % len(wrong_orig)]
        plants = [("en", f"Made of [{m.en[0]}]."), ("zh", f"采用[{m.zh[0]}]材质。"),
                  ("en", f"Available in [{c.en[0]}]."), ("zh", f"[{c.zh[0]}]款。"),
                  ("en", f"Made in [{o.en[0]}]."), ("zh", f"[{o.zh[0]}]制造。")]
        for lang, text in plants:
            try:
                assert_caught(checker, f, lang, text)
            except AssertionError as e:
                missed.append(str(e))
        fine: list[tuple[str, str]] = []
        for attr, kind in [*((a, "material") for a in f.materials), *((a, "colour") for a in f.colours)]:
            for t in lex.find_all(kind, attr.value.en or "") + lex.find_all(kind, attr.value.zh or ""):
                fine += [("en", f"Note: [{alias}].") for alias in t.en] + [("zh", f"特点：[{a}]。") for a in t.zh]
            fine += [("en", f"Note: {attr.value.en}."), ("zh", f"特点：{attr.value.zh}。")]
        if f.origin is not None:
            for t in lex.find_all("origin", f.origin.en or "") + lex.find_all("origin", f.origin.zh or ""):
                fine += [("en", f"From [{t.en[0]}]."), ("zh", f"产自[{t.zh[0]}]。")]
        for lang, text in fine:
            try:
                assert_clean(checker, f, lang, text)
            except AssertionError as e:
                false_alarms.append(str(e))
    assert not false_alarms, f"{len(false_alarms)} false alarms, e.g. {false_alarms[:3]}"
    assert not missed, f"{len(missed)} missed, e.g. {missed[:3]}"


def test_every_item_spec_restated_in_the_other_language(checker, demo_facts):
    """Every spec value of every demo item, in the other language's sentence, passes (units compare across
    languages: "750克（30袋）" in an English text, "250 ml x 24" in a Chinese one)."""
    false_alarms = []
    for f in demo_facts:
        for s in f.specs:
            for lang, text in [("en", f"Spec: {s.value.zh}."), ("zh", f"规格：{s.value.en}。"),
                               ("en", f"Spec: {s.value.en}."), ("zh", f"规格：{s.value.zh}。")]:
                try:
                    assert_clean(checker, f, lang, text)
                except AssertionError as e:
                    false_alarms.append(str(e))
    assert not false_alarms, f"{len(false_alarms)} false alarms, e.g. {false_alarms[:3]}"


@pytest.mark.parametrize("promo", [{"original_price": "{p2}"}, {"discount": "20% off"}, {"discount": "8折"},
                                   {"sale_price": "{p3}"}])
def test_templates_about_discounted_items_are_grounded(checker, demo_items, now, promo):
    """The demo catalog has no promotions; put some on its items: the template backend's copy about them
    (prices, savings, discounts in both languages) must still make no unsupported claim."""
    gen = TemplateGenerator()
    failures = []
    for i, rec in enumerate(demo_items.to_dict("records")[:24]):
        p = float(rec["price"])
        attrs = {k: (v.format(p2=round(p * 1.25), p3=round(p * 0.7, 1)) if isinstance(v, str) else v)
                 for k, v in promo.items()}
        f = extract_facts({**rec, "attributes": {**rec["attributes"], **attrs}}, now=now)
        assert f.discount, f
        for lang in ("en", "zh"):
            for ctype in ("product_description", "selling_points", "ad_copy"):
                for tone in ("friendly", "premium", "playful", "concise"):
                    req = ContentRequest(content_type=ctype, lang=lang, tone=tone, length=("short", "medium",
                                         "long")[i % 3], items=(f,), variant=i % 3)
                    text = gen.generate(req).text
                    report = checker.check(text, f)
                    if not report.ok:
                        failures.append((f.item_id, lang, ctype, text, report.summary()))
    assert not failures, f"{len(failures)} texts with unsupported claims, e.g. {failures[:3]}"
