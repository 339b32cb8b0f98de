"""Build the graded search benchmark: catalogs in the item schema and judged query files.

    python benchmarks/search/build_sets.py [--data ../shared/data] [--out benchmarks/search]

Writes ``catalogs/<set>.items.jsonl`` (not committed: Amazon and REES46 come from ../shared/data, the demo
shop is generated) and ``<set>.queries.jsonl`` (committed), each line ``{"query", "kind", "intent",
"judgments"}``. Judgments come from :mod:`grading` applied to the catalog fields of every item; the
intents below were written by reading the catalogs' category lists and titles, never from search output.
Query variants (typos, traditional characters, pinyin) are derived from a base query by fixed rules
(:func:`typo`, OpenCC s2t, pypinyin) and keep the base query's intent.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from grading import judge  # noqa: E402

HERE = Path(__file__).parent


# ------------------------------------------------------------------------------------------- catalogs
def amazon_items(data: Path) -> list[dict[str, Any]]:
    d = pd.read_csv(data / "amazon-beauty" / "items.tsv", sep="\t", dtype=str)
    d["title"] = d["title"].str.replace("&amp;", "&", regex=False).str.replace("&quot;", '"', regex=False)
    return [{"item_id": r.asin, "title": r.title, "category": r.categories} for r in d.itertuples()]


def rees46_items(data: Path) -> list[dict[str, Any]]:
    d = pd.read_csv(data / "rees46" / "2019-Oct-first10k.csv", dtype={"product_id": str})
    d = d.drop_duplicates("product_id", keep="last")
    out = []
    for r in d.itertuples():
        cat = str(r.category_code) if isinstance(r.category_code, str) else None
        path = " > ".join(p.replace("_", " ") for p in cat.split(".")) if cat else None
        out.append({"item_id": r.product_id, "category": path,
                    "brand": r.brand if isinstance(r.brand, str) else None, "price": float(r.price),
                    "currency": "USD"})
    return out


def demo_items() -> list[dict[str, Any]]:
    from shopmind.data.synth import generate_demo_shop

    items = generate_demo_shop(n_items=3000, seed=42, items_only=True).items
    items = items.drop(columns=["image"])
    items["created_at"] = items["created_at"].astype(str)
    return items.to_dict("records")


# ------------------------------------------------------------------------------------------- variants
def typo(query: str, n: int = 0) -> str:
    """One deterministic spelling mistake in the longest word (a letter dropped, or doubled for n=1)."""
    words = query.split()
    i = max(range(len(words)), key=lambda j: len(words[j]))
    w = words[i]
    k = len(w) // 2
    words[i] = w[:k] + w[k + 1:] if n == 0 else w[:k] + w[k] + w[k:]
    return " ".join(words)


def traditional(query: str) -> str:
    import opencc

    return str(opencc.OpenCC("s2t").convert(query))


def pinyin(query: str, initials: bool = False) -> str:
    from pypinyin import Style, lazy_pinyin

    style = Style.FIRST_LETTER if initials else Style.NORMAL
    return "".join(lazy_pinyin(query, style=style))


# ------------------------------------------------------------------------------------------- intents
def C(*paths: str, **more: Any) -> dict[str, Any]:
    """An intent for these category path patterns (and any other intent fields: brand, price_max, ...)."""
    return {"category": list(paths), **more}


AMAZON: list[tuple[str, str, dict[str, Any]]] = [
    # head queries: category names as shoppers type them
    ("nail polish", "head", C("Nail Polish")), ("shampoo", "head", C("Shampoos")),
    ("conditioner", "head", C("Hair Care > Conditioners")), ("mascara", "head", C("Mascara")),
    ("lipstick", "head", C("Lipstick")), ("eye shadow", "head", C("Eye Shadow")),
    ("eyeliner", "head", C("Eyeliner")), ("foundation", "head", {**C("Makeup > Face > Foundation")}),
    ("body wash", "head", C("Body Washes")), ("hair dryer", "head", C("Hair Dryers")),
    ("flat iron", "head", C("Flattening Irons")), ("curling iron", "head", C("Curling Irons")),
    ("lip gloss", "head", C("Lip Glosses")), ("hair spray", "head", C("Hair Sprays")),
    ("body scrub", "head", C("Body Scrubs")), ("makeup brushes", "head", C("Makeup Brushes & Tools")),
    ("false eyelashes", "head", C("Fake Eyelashes & Adhesives")), ("concealer", "head", C("Concealers & Neutralizers")),
    ("blush", "head", C("Makeup > Face > Blush")), ("wig", "head", C("Wigs")),
    ("hair dye", "head", C("Hair Color")), ("self tanner", "head", C("Self-Tanners & Bronzers")),
    ("body butter", "head", C("Body Butter")), ("toner", "head", C("Toners & Astringents")),
    ("eau de parfum", "head", C("Eau de Parfum")), ("hand cream", "head", C("Hand Creams & Lotions")),
    ("nail file", "head", C("Nail Files & Buffers")), ("hair extensions", "head", C("Hair Extensions")),
    ("eyebrow pencil", "head", {**C("Eyebrow Color"), "keywords": [["pencil"]]}),
    ("night cream", "head", C("Night Creams")), ("face primer", "head", C("Foundation Primers")),
    ("top coat", "head", C("Top & Base Coats")), ("nail art", "head", C("Nail Art", "Nail Art Equipment")),
    ("makeup remover", "head", C("Makeup Remover")), ("face mask", "head", C("Skin Care > Face > Masks",
                                                                          "Treatments & Masks")),
    ("hair loss treatment", "head", C("Hair Loss Products")), ("soap", "head", C("Soaps", "Hand Soaps")),
    ("hair rollers", "head", C("Hair Rollers")), ("nail dryer", "head", C("Nail Dryers")),
    ("makeup bag", "head", C("Bags & Cases")),
    # brand + product (tail)
    ("opi nail polish", "brand", {**C("Nail Polish"), "brand": ["opi"]}),
    ("essie nail polish", "brand", {**C("Nail Polish"), "brand": ["essie"]}),
    ("maybelline mascara", "brand", {**C("Mascara"), "brand": ["maybelline"]}),
    ("revlon lipstick", "brand", {**C("Lipstick"), "brand": ["revlon"]}),
    ("loreal shampoo", "brand", {**C("Shampoos"), "brand": ["l'oreal", "l'oreal paris"]}),
    ("neutrogena cleanser", "brand", {**C("Cleansers"), "brand": ["neutrogena"]}),
    ("olay moisturizer", "brand", {**C("Creams & Moisturizers", "Face > Creams", "Lotions"), "brand": ["olay"]}),
    ("conair hair dryer", "brand", {**C("Hair Dryers"), "brand": ["conair"]}),
    ("remington flat iron", "brand", {**C("Flattening Irons"), "brand": ["remington"]}),
    ("nyx eyeliner", "brand", {**C("Eyeliner"), "brand": ["nyx"]}),
    ("covergirl foundation", "brand", {**C("Makeup > Face > Foundation"), "brand": ["covergirl"]}),
    ("dove body wash", "brand", {**C("Body Washes"), "brand": ["dove"]}),
    ("burt's bees lip balm", "tail", {**C("Lips"), "brand": ["burt's"], "keywords": [["balm"]]}),
    ("pantene conditioner", "brand", {**C("Conditioners"), "brand": ["pantene"]}),
    ("garnier fructis shampoo", "brand", {**C("Shampoos"), "brand": ["garnier"]}),
    ("suave body lotion", "brand", {**C("Lotions"), "brand": ["suave"]}),
    ("sigma brush set", "tail", {**C("Makeup Brushes & Tools"), "brand": ["sigma"], "keywords": [["set", "kit"]]}),
    ("konad stamping plate", "tail", {**C("Nail Art", "Nail Art Equipment"), "brand": ["konad"],
                                      "keywords": [["plate", "plates"]]}),
    ("gelish gel polish", "tail", {**C("Nail Polish"), "brand": ["gelish"], "keywords": [["gel"]]}),
    ("aveeno lotion", "brand", {**C("Lotions"), "brand": ["aveeno"]}),
    # attributes
    ("red nail polish", "attribute", {**C("Nail Polish"), "keywords": [["red"]]}),
    ("waterproof mascara", "attribute", {**C("Mascara"), "keywords": [["waterproof"]]}),
    ("matte lipstick", "attribute", {**C("Lipstick"), "keywords": [["matte"]]}),
    ("argan oil shampoo", "attribute", {**C("Shampoos"), "keywords": [["argan"]]}),
    ("dry shampoo", "attribute", {**C("Shampoos"), "keywords": [["dry"]]}),
    ("coconut body lotion", "attribute", {**C("Lotions"), "keywords": [["coconut"]]}),
    ("tea tree oil", "attribute", {"keywords": [["tea tree"], ["oil"]]}),
    ("vitamin c serum", "attribute", {"keywords": [["vitamin c"], ["serum"]]}),
    ("spf 30 sunscreen", "attribute", {**C("Skin Care > Sun", "Sunscreens"), "keywords": [["30"]]}),
    ("glitter nail polish", "attribute", {**C("Nail Polish"), "keywords": [["glitter"]]}),
    ("liquid eyeliner", "attribute", {**C("Eyeliner"), "keywords": [["liquid"]]}),
    ("ceramic flat iron", "attribute", {**C("Flattening Irons"), "keywords": [["ceramic"]]}),
    ("mineral foundation", "attribute", {**C("Makeup > Face > Foundation"), "keywords": [["mineral"]]}),
    ("shea butter hand cream", "attribute", {**C("Hand Creams & Lotions"), "keywords": [["shea"]]}),
    ("anti aging night cream", "attribute", {**C("Night Creams"), "keywords": [["anti-aging", "anti aging",
                                                                                  "age"]]}),
    ("purple eye shadow", "attribute", {**C("Eye Shadow"), "keywords": [["purple", "violet", "plum"]]}),
    ("curly human hair wig", "attribute", {**C("Wigs"), "keywords": [["curly"], ["human hair"]]}),
    ("sulfate free shampoo", "attribute", {**C("Shampoos"), "keywords": [["sulfate"]]}),
    ("pink lip gloss", "attribute", {**C("Lip Glosses"), "keywords": [["pink"]]}),
    ("men's cologne", "attribute", {**C("Fragrance > Men's")}),
    # synonyms and other words for the same thing
    ("nail varnish", "synonym", C("Nail Polish")), ("nail lacquer", "synonym", C("Nail Polish")),
    ("moisturiser", "synonym", C("Creams & Moisturizers")), ("sunblock", "synonym", C("Skin Care > Sun", "Sunscreens")),
    ("lip colour", "synonym", C("Lipstick")), ("fragrance for women", "synonym", C("Fragrance > Women's")),
    ("shower gel", "synonym", C("Body Washes")), ("hair straightener", "synonym", C("Flattening Irons")),
    ("blow dryer", "synonym", C("Hair Dryers")), ("face wash", "synonym", {**C("Cleansers")}),
    ("fake lashes", "synonym", C("Fake Eyelashes & Adhesives")), ("lip stick", "synonym", C("Lipstick")),
    ("perfume for men", "synonym", C("Fragrance > Men's")), ("hairspray", "synonym", C("Hair Sprays")),
    ("eyeshadow palette", "synonym", {**C("Eye Shadow"), "keywords": [["palette"]]}),
    # cross-lingual: Chinese queries on an English catalog
    ("指甲油", "crosslingual", C("Nail Polish")), ("洗发水", "crosslingual", C("Shampoos")),
    ("睫毛膏", "crosslingual", C("Mascara")), ("口红", "crosslingual", C("Lipstick")),
    ("防晒霜", "crosslingual", C("Skin Care > Sun", "Sunscreens")), ("护发素", "crosslingual", C("Hair Care > Conditioners")),
    ("香水 women", "crosslingual", C("Fragrance > Women's")), ("沐浴露", "crosslingual", C("Body Washes")),
    # not in the catalog
    ("laptop charger", "not_in_catalog", {"keywords": [["laptop"]]}),
    ("printer ink", "not_in_catalog", {"keywords": [["printer"]]}),
    ("garden hose", "not_in_catalog", {"keywords": [["garden hose"]]}),
    ("bluetooth speaker", "not_in_catalog", {"keywords": [["bluetooth"]]}),
    ("car tires", "not_in_catalog", {"keywords": [["tires", "tyres"]]}),
    ("hdmi cable", "not_in_catalog", {"keywords": [["hdmi"]]}),
    ("running shoes", "not_in_catalog", {"keywords": [["running shoes"]]}),
    ("coffee maker", "not_in_catalog", {"keywords": [["coffee maker"]]}),
    ("笔记本电脑", "not_in_catalog", {"keywords": [["laptop"]]}),
    ("guitar strings", "not_in_catalog", {"keywords": [["guitar"]]}),
]
# typos of head/brand queries (1 edit in a word of 5+ letters)
AMAZON_TYPOS = ["shampoo", "conditioner", "mascara", "lipstick", "eyeliner", "foundation", "concealer",
                "curling iron", "body butter", "nail polish", "hair extensions", "makeup remover", "eye shadow",
                "neutrogena cleanser", "maybelline mascara", "remington flat iron"]


REES: list[tuple[str, str, dict[str, Any]]] = [
    ("smartphone", "head", C("smartphone")), ("refrigerator", "head", C("refrigerators")),
    ("washing machine", "head", C("washer")), ("vacuum cleaner", "head", C("vacuum")),
    ("headphones", "head", C("headphone")), ("tv", "head", C("video > tv")), ("sofa", "head", C("sofa")),
    ("bicycle", "head", C("bicycle")), ("drill", "head", C("drill")), ("microwave", "head", C("microwave")),
    ("blender", "head", C("blender")), ("kettle", "head", C("kettle")), ("tablet", "head", C("tablet")),
    ("monitor", "head", C("monitor")), ("air conditioner", "head", C("air conditioner")),
    ("water heater", "head", C("water heater")), ("sewing machine", "head", C("sewing machine")),
    ("dishwasher", "head", C("dishwasher")), ("printer", "head", C("printer")), ("bed", "head", C("bedroom > bed")),
    ("oven", "head", C("kitchen > oven")), ("iron", "head", C("appliances > iron")),
    ("video card", "head", C("videocards")), ("keyboard", "head", C("keyboard")), ("mouse", "head", C("mouse")),
    ("subwoofer", "head", C("subwoofer")), ("meat grinder", "head", C("meat grinder")),
    ("car alarm", "head", C("auto > accessories > alarm")), ("saw", "head", C("tools > saw")),
    ("welding machine", "head", C("welding")), ("stroller", "synonym", C("carriage")),
    # brands
    ("samsung smartphone", "brand", {**C("smartphone"), "brand": ["samsung"]}),
    ("apple iphone", "brand", {**C("smartphone"), "brand": ["apple"]}),
    ("xiaomi smartphone", "brand", {**C("smartphone"), "brand": ["xiaomi"]}),
    ("huawei phone", "brand", {**C("smartphone"), "brand": ["huawei"]}),
    ("lenovo notebook", "brand", {**C("notebook"), "brand": ["lenovo"]}),
    ("bosch washing machine", "brand", {**C("washer"), "brand": ["bosch"]}),
    ("lg refrigerator", "brand", {**C("refrigerators"), "brand": ["lg"]}),
    ("casio watch", "brand", {**C("clocks"), "brand": ["casio"]}),
    ("sony headphones", "brand", {**C("headphone"), "brand": ["sony"]}),
    ("samsung tv", "brand", {**C("video > tv"), "brand": ["samsung"]}),
    ("philips iron", "brand", {**C("appliances > iron"), "brand": ["philips"]}),
    ("redmond", "brand", {"brand": ["redmond"]}),
    ("janome sewing machine", "brand", {**C("sewing machine"), "brand": ["janome"]}),
    ("asus notebook", "brand", {**C("notebook"), "brand": ["asus"]}),
    ("samsung", "brand", {"brand": ["samsung"]}), ("xiaomi", "brand", {"brand": ["xiaomi"]}),
    ("apple", "brand", {"brand": ["apple"]}), ("bosch", "brand", {"brand": ["bosch"]}),
    # prices
    ("smartphone under 200", "price", {**C("smartphone"), "price_max": 200}),
    ("smartphone over 1000", "price", {**C("smartphone"), "price_min": 1000}),
    ("tv under $300", "price", {**C("video > tv"), "price_max": 300}),
    ("refrigerator between 300 and 500 dollars", "price", {**C("refrigerators"), "price_min": 300,
                                                           "price_max": 500}),
    ("notebook under 500", "price", {**C("notebook"), "price_max": 500}),
    ("headphones under 30", "price", {**C("headphone"), "price_max": 30}),
    ("samsung smartphone under 300", "price", {**C("smartphone"), "brand": ["samsung"], "price_max": 300}),
    ("vacuum cleaner below 100", "price", {**C("vacuum"), "price_max": 100}),
    ("sofa under 400", "price", {**C("sofa"), "price_max": 400}),
    ("watch under 100", "price", {**C("clocks"), "price_max": 100}),
    ("手机 200元以下", "price", {**C("smartphone"), "price_max": 200}),
    ("cheap washing machine under 250", "price", {**C("washer"), "price_max": 250}),
    # synonyms
    ("fridge", "synonym", C("refrigerators")), ("mobile phone", "synonym", C("smartphone")),
    ("cell phone", "synonym", C("smartphone")), ("laptop", "synonym", C("notebook")),
    ("couch", "synonym", C("sofa")), ("television", "synonym", C("video > tv")),
    ("earphones", "synonym", C("headphone")), ("washer", "synonym", C("washer")),
    ("wristwatch", "synonym", C("clocks")), ("hoover", "synonym", C("vacuum")),
    # cross-lingual
    ("冰箱", "crosslingual", C("refrigerators")), ("洗衣机", "crosslingual", C("washer")),
    ("吸尘器", "crosslingual", C("vacuum")), ("笔记本电脑", "crosslingual", C("notebook")),
    ("耳机", "crosslingual", C("headphone")), ("电视", "crosslingual", C("video > tv")),
    # not in the catalog
    ("lipstick", "not_in_catalog", {"keywords": [["lipstick"]]}),
    ("dog food", "not_in_catalog", {"keywords": [["dog food"]]}),
    ("guitar", "not_in_catalog", {"keywords": [["guitar"]]}),
    ("coffee beans", "not_in_catalog", {"keywords": [["coffee beans"]]}),
    ("yoga mat", "not_in_catalog", {"keywords": [["yoga"]]}),
    ("口红", "not_in_catalog", {"keywords": [["lipstick"]]}),
]
REES_TYPOS = ["smartphone", "refrigerator", "washing machine", "headphones", "dishwasher", "samsung smartphone",
              "lenovo notebook", "microwave", "subwoofer", "sewing machine", "blender"]


def D(path: str, **kw: Any) -> dict[str, Any]:
    return {"category": [path], **kw}


DEMO: list[tuple[str, str, dict[str, Any]]] = [
    ("连衣裙", "head", D("Dresses")), ("双肩包", "head", {"keywords": [["双肩包", "backpack", "daypack"]]}),
    ("跑步鞋", "head", D("Running Shoes")), ("蓝牙耳机", "head", D("Earbuds")), ("口红", "head", D("Lipstick")),
    ("笔记本电脑", "head", D("Laptops")), ("智能手机", "head", D("Smartphones")), ("羽绒服", "head",
                                                                               {**D("Down Jackets"),
                                                                                "parent": ["Jackets"]}),
    ("香水", "head", D("Perfume")), ("面霜", "head", D("Moisturisers")), ("防晒霜", "head", D("Sunscreen")),
    ("咖啡豆", "head", D("Coffee Beans")), ("茶叶", "head", D("Tea")), ("牛仔裤", "head", D("Jeans")),
    ("手机壳", "head", D("Phone Cases")), ("充电宝", "head", {**D("Chargers"), "keywords": [["充电宝"]]}),
    ("瑜伽垫", "head", D("Yoga Mats")), ("帐篷", "head", D("Tents")), ("哑铃", "head", D("Dumbbells")),
    ("智能手表", "head", D("Smartwatches")), ("咖啡机", "head", D("Coffee Makers")), ("空气净化器", "head",
                                                                               D("Air Purifiers")),
    ("巧克力", "head", D("Chocolate")), ("大米", "head", D("Rice")), ("凉鞋", "head", D("Sandals")),
    ("手提包", "head", D("Handbags")), ("保温杯", "head", {**D("Water Bottles"), "keywords": [["保温杯"]]}),
    ("精华液", "head", D("Serums")), ("粉底液", "head", {**D("Foundation"), "keywords": [["粉底液"]]}),
    ("男士手表", "head", D("Men > Accessories > Watches")),
    # attributes
    ("红色连衣裙", "attribute", D("Dresses", keywords=[["红色", "red"]])),
    ("黑色双肩包", "attribute", {"keywords": [["双肩包", "backpack", "daypack"], ["黑色", "black"]]}),
    ("真丝连衣裙", "attribute", D("Dresses", keywords=[["桑蚕丝", "真丝", "silk"]])),
    ("降噪耳机", "attribute", D("Earbuds", keywords=[["降噪", "noise-cancelling"]])),
    ("女士 白色 运动鞋", "attribute", D("Women > Shoes > Sneakers", keywords=[["白色", "white"]])),
    ("男士 黑色 T恤", "attribute", D("Men > Clothing > T-Shirts", keywords=[["黑色", "black"]])),
    ("哑光口红", "attribute", D("Lipstick", keywords=[["哑光", "matte"]])),
    ("绿茶", "attribute", D("Tea", keywords=[["绿茶", "green tea"]])),
    ("黑巧克力", "attribute", D("Chocolate", keywords=[["黑巧克力", "dark chocolate"]])),
    ("无线充电器", "attribute", D("Chargers", keywords=[["无线充电器", "wireless charger"]])),
    ("越野跑鞋", "attribute", D("Running Shoes", keywords=[["越野跑鞋", "trail running"]])),
    ("蚕丝被", "attribute", D("Duvets", keywords=[["蚕丝被", "silk duvet"]])),
    ("可调节哑铃", "attribute", D("Dumbbells", keywords=[["可调节", "adjustable"]])),
    ("red dress", "attribute", D("Dresses", keywords=[["红色", "red"]])),
    ("black running shoes", "attribute", D("Running Shoes", keywords=[["黑色", "black"]])),
    # prices
    ("红色 连衣裙 300元以下", "price", D("Dresses", keywords=[["红色", "red"]], price_max=300)),
    ("跑步鞋 500以内", "price", D("Running Shoes", price_max=500)),
    ("5000元以内的笔记本电脑", "price", D("Laptops", price_max=5000)),
    ("笔记本电脑 8000元以上", "price", D("Laptops", price_min=8000)),
    ("蓝牙耳机 300元以下", "price", D("Earbuds", price_max=300)),
    ("香水 1000元以上", "price", D("Perfume", price_min=1000)),
    ("手机 3000到5000元", "price", D("Smartphones", price_min=3000, price_max=5000)),
    ("羽绒服 1000以下", "price", {**D("Down Jackets", price_max=1000)}),
    ("running shoes under 500", "price", D("Running Shoes", price_max=500)),
    ("dress under 200", "price", D("Dresses", price_max=200)),
    ("帐篷 1000元以内", "price", D("Tents", price_max=1000)),
    ("面霜 200元以下", "price", D("Moisturisers", price_max=200)),
    # brands
    ("疾速 跑步鞋", "brand", D("Running Shoes", brand=["velocity"])),
    ("Velocity running shoes", "brand", D("Running Shoes", brand=["velocity"])),
    ("露研 精华", "brand", D("Serums", brand=["dewy lab"])), ("汉风 连衣裙", "brand", D("Dresses", brand=["hanfeng"])),
    ("Zenith 手机", "mixed", D("Smartphones", brand=["zenith"])), ("径鹰 帐篷", "brand", D("Tents", brand=["trailhawk"])),
    ("丝绒红 口红", "brand", D("Lipstick", brand=["velvet rouge"])),
    # mixed zh / en
    ("Pixelon 耳机", "mixed", {"category": ["Earbuds"], "brand": ["pixelon"]}),
    ("T恤 cotton", "mixed", {"category": ["T-Shirts", "Tops"], "keywords": [["棉", "cotton"]]}),
    ("5G 手机", "mixed", D("Smartphones", keywords=[["5g"]])),
    ("iPhone 手机壳", "mixed", D("Phone Cases")), ("women's 连衣裙", "mixed", D("Dresses")),
    ("蓝牙 earbuds", "mixed", D("Earbuds")), ("yoga 垫", "mixed", D("Yoga Mats")),
    ("gaming 笔记本", "mixed", D("Laptops", keywords=[["gaming", "游戏本"]])),
    # synonyms
    ("背包", "synonym", {"keywords": [["双肩包", "backpack", "daypack"]]}), ("裙子", "synonym", D("Dresses")),
    ("手提电脑", "synonym", D("Laptops")), ("运动鞋", "synonym", {"category": ["Sneakers", "Running Shoes"]}),
    ("女士双肩包", "synonym", {"keywords": [["双肩包", "backpack", "daypack"]]}),
    ("移动电源", "synonym", {**D("Chargers"), "keywords": [["充电宝", "power bank"]]}),
    ("唇膏", "synonym", D("Lipstick")), ("耳塞", "synonym", D("Earbuds")),
    # not in the catalog
    ("汽车轮胎", "not_in_catalog", {"keywords": [["轮胎", "tire", "tyre"]]}),
    ("狗粮", "not_in_catalog", {"keywords": [["狗粮", "dog food"]]}),
    ("钢琴", "not_in_catalog", {"keywords": [["钢琴", "piano"]]}),
    ("电动自行车", "not_in_catalog", {"keywords": [["电动自行车", "e-bike"]]}),
    ("drone", "not_in_catalog", {"keywords": [["drone", "无人机"]]}),
    ("冰箱", "not_in_catalog", {"keywords": [["冰箱", "refrigerator", "fridge"]]}),
]
# derived variants of Chinese head/attribute queries
DEMO_TRADITIONAL = ["连衣裙", "双肩包", "蓝牙耳机", "笔记本电脑", "羽绒服", "红色连衣裙", "智能手机", "空气净化器",
                    "降噪耳机", "黑巧克力", "保温杯", "运动鞋", "凉鞋", "咖啡机", "男士手表"]
DEMO_PINYIN = ["连衣裙", "双肩包", "跑步鞋", "羽绒服", "口红", "帐篷", "哑铃", "香水", "牛仔裤", "咖啡豆", "瑜伽垫",
               "充电宝"]
DEMO_INITIALS = ["连衣裙", "双肩包", "跑步鞋", "羽绒服", "牛仔裤", "瑜伽垫"]
DEMO_HOMOPHONES = [("莲衣裙", "连衣裙"), ("双间包", "双肩包"), ("跑布鞋", "跑步鞋"), ("兰牙耳机", "蓝牙耳机"),
                   ("羽容服", "羽绒服"), ("瑜加垫", "瑜伽垫"), ("咖啡几", "咖啡机"), ("防晒双", "防晒霜")]
DEMO_EN_TYPOS = [("runing shoes", "跑步鞋"), ("smartphnes", "智能手机"), ("headphnes", "蓝牙耳机")]


def expand(base: list[tuple[str, str, dict[str, Any]]], typos: list[str]) -> list[tuple[str, str, dict[str, Any]]]:
    by_query = {q: intent for q, _, intent in base}
    out = list(base)
    for i, q in enumerate(typos):
        out.append((typo(q, i % 2), "typo", by_query[q]))
    return out


def demo_queries() -> list[tuple[str, str, dict[str, Any]]]:
    by_query = {q: intent for q, _, intent in DEMO}
    by_query.update({"运动鞋": {"category": ["Sneakers", "Running Shoes"]}})
    out = list(DEMO)
    out += [(traditional(q), "traditional", by_query[q]) for q in DEMO_TRADITIONAL]
    out += [(pinyin(q), "pinyin", by_query[q]) for q in DEMO_PINYIN]
    out += [(pinyin(q, initials=True), "pinyin", by_query[q]) for q in DEMO_INITIALS]
    out += [(wrong, "typo", by_query[right]) for wrong, right in DEMO_HOMOPHONES]
    out += [(wrong, "typo", by_query[right]) for wrong, right in DEMO_EN_TYPOS]
    return out


def write_set(name: str, items: list[dict[str, Any]], queries: list[tuple[str, str, dict[str, Any]]],
              out: Path) -> None:
    (out / "catalogs").mkdir(parents=True, exist_ok=True)
    with (out / "catalogs" / f"{name}.items.jsonl").open("w", encoding="utf-8") as f:
        for r in items:
            f.write(json.dumps({k: v for k, v in r.items() if v is not None}, ensure_ascii=False) + "\n")
    seen = set()
    n = 0
    with (out / f"{name}.queries.jsonl").open("w", encoding="utf-8") as f:
        for query, kind, intent in queries:
            if query in seen:
                continue
            seen.add(query)
            judgments = judge(items, intent)
            if kind == "not_in_catalog":
                assert not judgments, f"{name}: {query!r} is in the catalog: {list(judgments)[:5]}"
            elif not any(g >= 2 or (g >= 1 and not intent.get("category")) for g in judgments.values()):
                raise SystemExit(f"{name}: {query!r} ({kind}) has no relevant item; fix its intent")
            f.write(json.dumps({"query": query, "kind": kind, "intent": intent, "judgments": judgments},
                               ensure_ascii=False) + "\n")
            n += 1
    print(f"{name}: {len(items):,} items, {n} queries")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", default=str(HERE.parents[2] / ".." / "shared" / "data"))
    ap.add_argument("--out", default=str(HERE))
    args = ap.parse_args()
    data, out = Path(args.data).resolve(), Path(args.out)
    write_set("amazon-beauty", amazon_items(data), expand(AMAZON, AMAZON_TYPOS), out)
    write_set("rees46", rees46_items(data), expand(REES, REES_TYPOS), out)
    write_set("demo-zh", demo_items(), demo_queries(), out)


if __name__ == "__main__":
    main()
