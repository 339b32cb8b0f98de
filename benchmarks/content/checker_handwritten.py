"""A second held-out set for the checker, written by hand (not by the generator's templates).

    python benchmarks/content/checker_handwritten.py [--out benchmarks/content/checker-handwritten.jsonl]

Each text below was written by a person as shop copy is written: free sentences, marketing turns, numbers in
words, units converted, names in the other language, several facts per text. Planted texts carry one false
fact (marked in ``planted``); faithful texts only true ones. The items are real: demo-shop items of the
held-out split (``generate_demo_shop(n_items=500, seed=7)``) and REES46 / Amazon Beauty records copied from
the held-out file. The set was written after the checker was tuned and was not used to change it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from shopmind.data.synth import generate_demo_shop

HERE = Path(__file__).parent

INLINE: dict[str, dict[str, Any]] = {
    "r1003934": {"item_id": "r1003934", "title": "Lg smartphone", "brand": "lg",
                 "category": "electronics > smartphone", "price": 344.9, "currency": "USD", "attributes": {}},
    "r1002634": {"item_id": "r1002634", "title": "Apple smartphone", "brand": "apple",
                 "category": "electronics > smartphone", "price": 377.03, "currency": "USD", "attributes": {}},
    "r21410835": {"item_id": "r21410835", "title": "Casio clocks", "brand": "casio", "category": "electronics > clocks",
                  "price": 158.82, "currency": "USD", "attributes": {}},
    "r28716866": {"item_id": "r28716866", "title": "Rieker shoes", "brand": "rieker", "category": "apparel > shoes",
                  "price": 94.98, "currency": "USD", "attributes": {}},
    "r28717034": {"item_id": "r28717034", "title": "Strobbs keds", "brand": "strobbs",
                  "category": "apparel > shoes > keds", "price": 51.22, "currency": "USD", "attributes": {}},
    "B000FPPW9O": {"item_id": "B000FPPW9O", "title": "Aveeno Continuous Protection Lotion Face SPF 30, 3 Ounce",
                   "brand": "Aveeno", "category": "Beauty > Skin Care > Sun > Skin Protection", "attributes": {}},
    "B0000531II": {"item_id": "B0000531II",
                   "title": "Maybelline New York Shine Free Oil Control Loose Powder, Light, 0.7 Ounce",
                   "brand": "Maybelline", "category": "Beauty > Makeup > Face > Powder", "attributes": {}},
    "B00AWLB9I4": {"item_id": "B00AWLB9I4", "title": "Dove Color Care Daily Treatment Conditioner, 8 Ounce",
                   "brand": "Dove", "category": "Beauty > Hair Care > Conditioners", "attributes": {}},
    "B009ARXD7Q": {"item_id": "B009ARXD7Q",
                   "title": "SHANY Cosmetics SHANY Lipstick Set No.1 Opaque Kissable Colors, 6 Count",
                   "brand": "SHANY", "category": "Beauty > Makeup > Lips > Lipstick", "attributes": {}},
    "B000FBK5HW": {"item_id": "B000FBK5HW", "title": "Benefit Cosmetics Benetint 12.5 ml / 0.4 US fl.oz",
                   "brand": "Benefit", "category": "Beauty > Makeup > Lips > Lip Glosses", "attributes": {}},
}

F, P = "faithful", "planted"
#: (item id, lang, label, planted false fact or None, text)
CASES: list[tuple[str, str, str, str | None, str]] = [
    # Zenflow running tights, black, polyester spandex, S-XXL, Vietnam, ¥129.90
    ("SKU00222", "en", F, None, "Hit the track in Zenflow's high-waisted running tights: quick-dry polyester spandex, "
                                "jet black, sizes S through XXL, and just ¥129.90."),
    ("SKU00222", "zh", F, None, "禅流高腰跑步紧身裤，涤纶氨纶速干面料，黑色，S-XXL码都有，到手129.9元。"),
    ("SKU00222", "en", P, "XS", "Zenflow running tights in black, available from XS to XXL, for ¥129.90."),
    ("SKU00222", "zh", P, "纯棉", "禅流跑步紧身裤，纯棉面料，黑色，仅需129.9元。"),
    # Nutty Farm hazelnut milk chocolate 250 g, Switzerland, ¥39.90
    ("SKU00095", "en", F, None, "A quarter kilo of Swiss hazelnut milk chocolate from Nutty Farm, gift-wrapped and "
                                "ready to give - only ¥39.90."),
    ("SKU00095", "zh", F, None, "坚果农场榛子牛奶巧克力，瑞士出产，礼盒包装，净含量250克，39.9元。"),
    ("SKU00095", "en", P, "500 g", "Nutty Farm hazelnut milk chocolate: a generous 500 g bar from Switzerland."),
    ("SKU00095", "zh", P, "比利时", "坚果农场牛奶巧克力，产自比利时，榛子口味，250克。"),
    # Maison Clair chiffon slip dress, black, XS-XL, France, women, ¥799
    ("SKU00414", "en", F, None, "Maison Clair's lightweight chiffon slip dress for women, in classic black, "
                                "made in France. Sizes XS-XL. ¥799."),
    ("SKU00414", "zh", F, None, "克莱尔之家女款吊带裙，轻薄雪纺，黑色，法国制造，XS到XL码，售价799元。"),
    ("SKU00414", "en", P, "mulberry silk", "Maison Clair slip dress cut from mulberry silk, black, ¥799."),
    ("SKU00414", "zh", P, "599", "克莱尔之家雪纺吊带裙，黑色，限时599元。"),
    # Zenflow travel yoga mat, black, NBR foam, 6 mm, China, ¥69.90
    ("SKU00169", "en", F, None, "Roll out Zenflow's double-sided travel yoga mat anywhere: 6 mm of NBR foam, "
                                "black, under ¥70 at ¥69.90."),
    ("SKU00169", "zh", F, None, "禅流便携瑜伽垫，双面可用，NBR发泡材质，厚度6毫米，黑色，69.9元。"),
    ("SKU00169", "en", P, "10 mm", "Zenflow travel yoga mat, a cushy 10 mm thick, NBR foam, ¥69.90."),
    ("SKU00169", "zh", P, "TPE", "禅流瑜伽垫，TPE材质，6毫米厚，黑色。"),
    # Nordhaus cast iron saucepan, red, 28 cm, China, ¥349
    ("SKU00004", "en", F, None, "Nordhaus cast iron saucepan in red - 28 cm across, induction-compatible and "
                                "dishwasher-safe. ¥349."),
    ("SKU00004", "zh", F, None, "北屋铸铁奶锅，红色，直径28厘米，电磁炉适用，可洗碗机清洗，售价349元。"),
    ("SKU00004", "en", P, "24 cm", "The Nordhaus cast iron saucepan: a compact 24 cm, in red, ¥349."),
    ("SKU00004", "zh", P, "德国", "北屋铸铁奶锅，德国制造，红色，28厘米。"),
    # Pixelon wireless charger, black, ABS plastic, 20,000 mAh, China, ¥79
    ("SKU00462", "en", F, None, "Pixelon's compact wireless charger packs 20000mAh in black ABS plastic, for ¥79."),
    ("SKU00462", "zh", F, None, "像素龙无线充电器，两万毫安大容量，小巧便携，黑色，79元。"),
    ("SKU00462", "en", P, "Bluetooth 5.3", "Pixelon wireless charger, 20,000 mAh, with Bluetooth 5.3, ¥79."),
    ("SKU00462", "zh", P, "10000毫安", "像素龙无线充电器，10000毫安，黑色，仅售79元。"),
    # Daily Fresh japonica rice 10 kg, Heilongjiang, ¥119
    ("SKU00356", "en", F, None, "Ten kilos of new-crop japonica rice from Heilongjiang, vacuum-packed by Daily Fresh. "
                                "¥119 a bag."),
    ("SKU00356", "zh", F, None, "每日鲜当季新米，黑龙江粳米，真空包装，10公斤装，119元。"),
    ("SKU00356", "en", P, "5 kg", "Daily Fresh japonica rice from Heilongjiang, a 5 kg bag for ¥119."),
    ("SKU00356", "zh", P, "包邮", "每日鲜黑龙江粳米10千克，全国包邮，119元。"),
    # Cloudnest mulberry silk fitted sheet, grey, for 1.8 m beds, China, ¥859
    ("SKU00354", "en", F, None, "Sleep on Cloudnest mulberry silk: a soft grey fitted sheet for 1.8 m beds, ¥859."),
    ("SKU00354", "zh", F, None, "云巢桑蚕丝床笠，亲肤柔软，灰色，适用1.8米床，859元。"),
    ("SKU00354", "en", P, "white", "Cloudnest mulberry silk fitted sheet in crisp white, for 1.8 m beds."),
    ("SKU00354", "zh", P, "1.5米", "云巢桑蚕丝床笠，灰色，适用1.5米床。"),
    # Maison Clair eau de toilette, woody, 100 ml, Vietnam, ¥2899
    ("SKU00371", "en", F, None, "Maison Clair's long-lasting woody eau de toilette, 100 ml in a gift box, ¥2,899."),
    ("SKU00371", "zh", F, None, "克莱尔之家淡香水，木质调，留香持久，礼盒装，100毫升，2899元。"),
    ("SKU00371", "en", P, "50 ml", "Maison Clair woody eau de toilette in a 50 ml bottle, ¥2,899."),
    ("SKU00371", "zh", P, "Chanel", "克莱尔之家淡香水，Chanel同款木质调，100毫升。"),
    # Apex Digital 2-in-1 laptop, black, magnesium alloy, 13-inch, 8 GB, 256 GB, Cambodia, ¥12799
    ("SKU00448", "en", F, None, "Apex Digital's 2-in-1 laptop: a 13-inch screen, 8 GB of memory and a 256 GB SSD "
                                "in a black magnesium alloy body, with all-day battery. ¥12,799."),
    ("SKU00448", "zh", F, None, "巅峰数码二合一笔记本，13英寸，8GB内存，256GB固态硬盘，镁合金机身，黑色，12799元。"),
    ("SKU00448", "en", P, "512 GB", "Apex Digital 2-in-1 laptop with a 13-inch display and a roomy 512 GB SSD."),
    ("SKU00448", "zh", P, "两年保修", "巅峰数码二合一笔记本，13英寸，整机两年保修。"),
    # Summit Gear MTB helmet, white, EPS/PC, L (58-62 cm), Cambodia, ¥339
    ("SKU00417", "en", F, None, "Summit Gear MTB helmet with a rear light, white, EPS foam with a PC shell, size L "
                                "for 58-62 cm heads. ¥339."),
    ("SKU00417", "zh", F, None, "登顶装备山地骑行头盔，带尾灯，白色，L码（58-62厘米），339元。"),
    ("SKU00417", "en", P, "carbon fibre", "Summit Gear MTB helmet with a carbon fibre shell and rear light."),
    ("SKU00417", "zh", P, "M码", "登顶装备骑行头盔，白色，M码，339元。"),
    # Urban Thread women's puffer, black, 90% white duck down, S-XXL, Cambodia, ¥489
    ("SKU00117", "en", F, None, "Urban Thread's warm women's puffer jacket, filled with 90% white duck down, "
                                "water-repellent, black, S to XXL, ¥489."),
    ("SKU00117", "zh", F, None, "城市织线女款短款羽绒服，90%白鸭绒，保暖防泼水，黑色，S-XXL码，489元。"),
    ("SKU00117", "en", P, "goose down", "Urban Thread women's puffer filled with white goose down, black, ¥489."),
    ("SKU00117", "zh", P, "男款", "城市织线男款羽绒服，90%白鸭绒，黑色。"),
    # Orbit smartwatch, black, stainless steel, 45 mm, GPS, China, ¥3099
    ("SKU00148", "en", F, None, "Orbit's smartwatch has built-in GPS and heart-rate monitoring in a 45 mm black "
                                "stainless steel case. ¥3,099."),
    ("SKU00148", "zh", F, None, "轨迹智能手表，内置GPS，心率监测，45毫米不锈钢表壳，黑色，3099元。"),
    ("SKU00148", "en", P, "Wi-Fi 6", "Orbit smartwatch with built-in GPS and Wi-Fi 6, 45 mm, ¥3,099."),
    ("SKU00148", "zh", P, "41毫米", "轨迹智能手表，41毫米表盘，内置GPS，3099元。"),
    # Ironcore adjustable dumbbells, grey, rubber-coated steel, 2 x 5 kg, China, ¥659
    ("SKU00495", "en", F, None, "A pair of Ironcore quick-adjust dumbbells, 5 kg each, rubber-coated steel in grey. "
                                "¥659."),
    ("SKU00495", "zh", F, None, "铁芯可调节哑铃，包胶钢，灰色，5公斤×2，快速调节，659元。"),
    ("SKU00495", "en", P, "10 kg", "Ironcore adjustable dumbbells, 2 x 10 kg, grey, ¥659."),
    ("SKU00495", "zh", P, "铸铁", "铁芯可调节哑铃，铸铁材质，5公斤×2。"),
    # Pixelon noise-cancelling earbuds, white, 30 h, Bluetooth 5.3, China, ¥619
    ("SKU00429", "en", F, None, "Pixelon noise-cancelling earbuds: Bluetooth 5.3, low latency, thirty hours of "
                                "battery, white. ¥619."),
    ("SKU00429", "zh", F, None, "像素龙降噪耳机，蓝牙5.3，低延迟，续航30小时，白色，619元。"),
    ("SKU00429", "en", P, "Bluetooth 5.0", "Pixelon earbuds with Bluetooth 5.0 and 30 h of battery, ¥619."),
    ("SKU00429", "zh", P, "50小时", "像素龙降噪耳机，续航50小时，白色，619元。"),
    # Nordhaus sports bottle, white, 316 stainless steel, 750 ml, Vietnam, ¥169.90
    ("SKU00343", "en", F, None, "Nordhaus's BPA-free sports bottle holds 0.75 litres in 316 stainless steel, white, "
                                "¥169.90."),
    ("SKU00343", "zh", F, None, "北屋运动水壶，316不锈钢，不含BPA，750毫升，白色，169.9元。"),
    ("SKU00343", "en", P, "1 L", "Nordhaus sports bottle, a full 1 L of 316 stainless steel, white."),
    ("SKU00343", "zh", P, "玻璃", "北屋运动水壶，高硼硅玻璃材质，750毫升。"),
    # Summit Gear daypack, blue, ripstop nylon, 50 L, Vietnam, ¥399
    ("SKU00172", "en", F, None, "Summit Gear's lightweight ripstop nylon daypack swallows 50 litres, with a "
                                "ventilated back panel. Blue, ¥399."),
    ("SKU00172", "zh", F, None, "登顶装备日用双肩包，防撕裂尼龙，透气背板，50升，蓝色，399元。"),
    ("SKU00172", "en", P, "35 L", "Summit Gear ripstop nylon daypack, 35 L, blue, ¥399."),
    ("SKU00172", "zh", P, "终身保修", "登顶装备双肩包，50升，终身保修。"),
    # Zenith 5G smartphone, purple, titanium, 6.7-inch, 256 GB, USA, ¥9099
    ("SKU00292", "en", F, None, "Zenith's dual-SIM 5G smartphone: a 6.7-inch screen, 256 GB of storage and a "
                                "purple titanium frame. ¥9,099."),
    ("SKU00292", "zh", F, None, "天顶双卡双待5G智能手机，6.7英寸，256GB，钛金属，紫色，9099元。"),
    ("SKU00292", "en", P, "4G", "Zenith dual-SIM 4G smartphone, 6.7-inch, 256 GB, ¥9,099."),
    ("SKU00292", "zh", P, "512GB", "天顶5G智能手机，6.7英寸，512GB大存储。"),
    # Corvin men's cowhide loafers, black, EU 38-45, UK, ¥789
    ("SKU00449", "en", F, None, "Corvin men's loafers in black cowhide leather, comfortable and non-slip, EU 38 to "
                                "45, made in the UK. ¥789."),
    ("SKU00449", "zh", F, None, "科文男款乐福鞋，牛皮，黑色，舒适防滑，38-45码，英国制造，789元。"),
    ("SKU00449", "en", P, "Gucci", "Corvin men's loafers, a Gucci-style classic in black leather, ¥789."),
    ("SKU00449", "zh", P, "46码", "科文男款牛皮乐福鞋，黑色，46码有货。"),
    # Daily Fresh macadamia nuts, lightly salted, 500 g, China, ¥39.90
    ("SKU00400", "en", F, None, "Daily Fresh roasted macadamia nuts, lightly salted and individually packed, half a "
                                "kilo for ¥39.90."),
    ("SKU00400", "zh", F, None, "每日鲜盐焗夏威夷果，独立小包装，500克，39.9元。"),
    ("SKU00400", "en", P, "1 kg", "Daily Fresh macadamia nuts, a 1 kg pack, lightly salted."),
    ("SKU00400", "zh", P, "美国", "每日鲜夏威夷果，美国进口，500克。"),
    # REES46
    ("r1003934", "en", F, None, "The LG smartphone, yours for $344.90."),
    ("r1003934", "zh", F, None, "LG智能手机 smartphone，到手仅344.9美元。"),
    ("r1003934", "en", P, "Apple", "An Apple smartphone for $344.90."),
    ("r1003934", "zh", P, "299", "LG smartphone，只要299美元。"),
    ("r1002634", "en", F, None, "Apple smartphone at US$377.03."),
    ("r1002634", "en", P, "Huawei", "The Huawei smartphone at US$377.03."),
    ("r1002634", "zh", P, "华为", "华为 smartphone，377.03美元。"),
    ("r21410835", "en", F, None, "Casio clocks from $158.82."),
    ("r21410835", "zh", F, None, "卡西欧 Casio clocks，158.82美元。"),
    ("r21410835", "en", P, "Rolex", "A Rolex-style Casio clock for $158.82."),
    ("r28716866", "en", F, None, "Rieker shoes, only $94.98."),
    ("r28716866", "en", P, "$79.99", "Rieker shoes, only $79.99."),
    ("r28717034", "en", F, None, "Strobbs keds for $51.22."),
    ("r28717034", "zh", P, "Rieker", "Rieker keds，51.22美元。"),
    # Amazon Beauty
    ("B000FPPW9O", "en", F, None, "Aveeno face lotion with SPF 30 sun protection, a 3 oz tube."),
    ("B000FPPW9O", "zh", F, None, "艾惟诺 Aveeno 面部防晒乳，SPF 30，3盎司（约85克）。"),
    ("B000FPPW9O", "en", P, "SPF 50", "Aveeno face lotion, SPF 50, 3 oz."),
    ("B000FPPW9O", "zh", P, "6 oz", "Aveeno 防晒乳 SPF 30，大容量6 oz。"),
    ("B0000531II", "en", F, None, "Maybelline loose powder in Light, 0.7 oz, shine-free all day."),
    ("B0000531II", "en", P, "L'Oreal", "L'Oreal loose powder in Light, 0.7 oz."),
    ("B0000531II", "zh", P, "1.5 oz", "美宝莲 Maybelline 散粉，1.5 oz。"),
    ("B00AWLB9I4", "en", F, None, "Dove Color Care daily conditioner, 8 oz (about 237 ml)."),
    ("B00AWLB9I4", "zh", F, None, "Dove 护色护发素，8盎司。"),
    ("B00AWLB9I4", "en", P, "12 oz", "Dove Color Care conditioner, 12 oz bottle."),
    ("B009ARXD7Q", "en", F, None, "SHANY lipstick set: six kissable opaque colours."),
    ("B009ARXD7Q", "en", P, "12", "SHANY lipstick set with 12 colours."),
    ("B000FBK5HW", "en", F, None, "Benefit Benetint, 12.5 ml of lip and cheek stain."),
    ("B000FBK5HW", "zh", F, None, "Benefit 贝玲妃 Benetint 唇颊两用液，12.5毫升。"),
    ("B000FBK5HW", "en", P, "free shipping", "Benefit Benetint 12.5 ml, with free shipping."),
    ("B000FBK5HW", "zh", P, "25毫升", "Benefit Benetint，25毫升。"),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE / "checker-handwritten.jsonl")
    args = ap.parse_args(argv)
    demo = generate_demo_shop(n_users=20, n_items=500, days=10, seed=7, items_only=True).items
    cols = ["item_id", "title", "brand", "category", "price", "currency", "attributes"]
    items = {r["item_id"]: {k: r[k] for k in cols} for r in demo.to_dict("records")} | INLINE
    with args.out.open("w", encoding="utf-8") as fh:
        for n, (item_id, lang, label, planted, text) in enumerate(CASES):
            source = "rees46" if item_id.startswith("r") else "beauty" if item_id.startswith("B") else "demo"
            fh.write(json.dumps({"id": f"hand-{n:03d}", "source": source, "split": "handwritten", "lang": lang,
                                 "label": label, "attribute": "hand" if planted else None, "planted": planted,
                                 "text": text, "item": items[item_id]}, ensure_ascii=False, default=str) + "\n")
    print(f"{args.out}: {len(CASES)} cases")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
