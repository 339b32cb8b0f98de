"""Three check sets written after every search parameter was fixed, one per catalog: the sixth session's transfer check.

    python benchmarks/search/build_check_sets.py [--data ../shared/data] [--out benchmarks/search]

A held-out query set written by someone else will be run through ``shopmind search evaluate``. Our own sets have
all been used to choose something (the fusion, the floors, the synonyms), so none of them still says how search
does on queries nobody tuned on. These were written on 2026-12-07 (sixth session) from the category lists, the
brand counts and the demo shop's vocabulary only, before any search was run on them, with the kinds the issue
names: head and tail categories, attributes, prices, brands, typos written by hand, synonyms, pinyin and
traditional characters, mixed Chinese and English, needs in the shopper's words, and products the shop lacks.
They are none of the earlier sets' queries. Grades come from ``grading.py`` as for every other set.

Writes ``amazon-beauty-check``, ``rees46-check``, ``demo-zh-check`` and ``demo-zh-check2`` (ninth session;
Chinese only) (``SET.queries.jsonl``, and ``catalogs/SET.items.jsonl``: the same items as the first sets'
catalogs). They are scored as they are, with no
tuning half: a check is not split.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from build_sets import C, amazon_items, demo_items, rees46_items, write_set

HERE = Path(__file__).parent

AMAZON_CHECK: list[tuple[str, str, dict[str, Any]]] = [
    # ---- head and tail categories the earlier sets do not ask for
    ("bath bombs", "head", C("Bath Bombs")),
    ("cuticle pusher", "tail", C("Cuticle Pushers")),
    ("toe separators", "tail", C("Toe Separators")),
    ("shower cap", "head", C("Shower Caps")),
    ("loofah", "head", C("Loofahs, Sponges & Poufs")),
    ("hair clips", "head", C("Styling Accessories > Clips")),
    ("headband", "head", C("Headbands")),
    ("ponytail holder", "head", C("Ponytail Holders")),
    ("lip liner", "head", C("Lip Liners")),
    ("lip stain", "tail", C("Lip Stains")),
    ("bronzer", "head", C("Bronzers & Highlighters")),
    ("setting powder", "head", C("Makeup > Face > Powder")),
    ("makeup sponge", "head", C("Puffs, Sponges & Wedges")),
    ("nail clippers", "head", C("Clippers & Trimmers")),
    ("henna hair dye", "tail", C("Hennas")),
    ("body spray", "head", C("Women's > Body Sprays")),
    ("after sun lotion", "tail", C("After Sun")),
    ("tanning oil", "head", C("Tanning Oils")),
    ("hand soap", "head", C("Hand Soaps")),
    ("paraffin wax bath", "tail", C("Paraffin Baths")),
    ("moisturizing gloves", "tail", C("Moisturizing Gloves")),
    ("blotting papers", "tail", C("Blotting Paper")),
    ("pore strips", "tail", C("Pore Cleansing Strips")),
    ("glycolic acid peel", "tail", C("Glycolic Acid")),
    ("eye gel", "tail", C("Skin Care > Eyes > Gels")),
    ("cotton balls", "head", C("Cotton Balls")),
    ("train case", "tail", C("Train Cases")),
    ("hair drying towel", "tail", C("Hair Drying Towels")),
    ("hot air brush", "tail", C("Hot-Air Brushes")),
    ("nail strengthener", "head", C("Nail Strengthening")),
    # ---- attributes
    ("unscented body lotion", "attribute", C("Body > Moisturizers > Lotions", keywords=[
        ["unscented", "fragrance free", "fragrance-free"]], require_keywords=True)),
    ("lavender soap", "attribute", C("Cleansers > Soaps", keywords=[["lavender"]])),
    ("oil free moisturizer", "attribute", C("Face > Creams & Moisturizers", keywords=[["oil free", "oil-free"]],
                                           require_keywords=True)),
    ("black eyeliner pencil", "attribute", C("Eyeliner", keywords=[["black"], ["pencil"]])),
    ("nude lipstick", "attribute", C("Lipstick", keywords=[["nude"]])),
    ("coconut conditioner", "attribute", C("Hair Care > Conditioners", keywords=[["coconut"]])),
    ("titanium flat iron", "attribute", C("Flattening Irons", keywords=[["titanium"]])),
    ("rose water toner", "attribute", C("Toners & Astringents", keywords=[["rose"]])),
    # ---- brand + product
    ("clinique moisturizer", "brand", C("Creams & Moisturizers", "Body > Moisturizers", brand=["clinique"])),
    ("sally hansen nail polish", "brand", C("Nail Polish", brand=["sally hansen"])),
    ("tresemme shampoo", "brand", C("Shampoos", brand=["tresemme"])),
    ("hot tools curling iron", "brand", C("Curling Irons", brand=["hot tools"])),
    ("olay eye cream", "brand", C("Skin Care > Eyes", brand=["olay"])),
    ("cetaphil", "brand", {"brand": ["cetaphil"]}),
    # ---- typos written by hand
    ("mascera", "typo", C("Mascara")),
    ("lipgloss", "typo", C("Lip Glosses")),
    ("moisterizer", "typo", C("Face > Creams & Moisturizers", "Body > Moisturizers")),
    ("eyeshdow", "typo", C("Eye Shadow")),
    ("nial polish", "typo", C("Nail Polish")),
    ("conceeler", "typo", C("Concealers & Neutralizers")),
    ("shampooo", "typo", C("Shampoos")),
    ("hiar spray", "typo", C("Hair Sprays")),
    # ---- synonyms and the shopper's words
    ("face cream", "synonym", C("Face > Creams & Moisturizers")),
    ("hair gel", "synonym", C("Creams, Gels & Lotions")),
    ("styling mousse", "synonym", C("Mousses & Foams")),
    ("body oil", "synonym", C("Body > Moisturizers > Oils")),
    ("facial cleanser", "synonym", C("Face > Cleansers")),
    ("face serum", "synonym", C("Face > Oils & Serums")),
    ("eyelash glue", "synonym", C("Fake Eyelashes & Adhesives")),
    ("foot file", "synonym", C("Foot Rasps")),
    ("nail stickers", "synonym", C("Nail Art")),
    ("hair straightening iron", "synonym", C("Flattening Irons")),
    # ---- needs
    ("stop my nail polish from chipping", "descriptive", C("Top & Base Coats")),
    ("keep lipstick from bleeding into lines", "descriptive", C("Lip Liners", "Lipstick Primers")),
    ("soften hard skin on my feet", "descriptive", C("Foot Rasps")),
    ("puffy eyes in the morning", "descriptive", C("Puffiness Treatments", "Skin Care > Eyes > Gels",
                                                   "Rollers & Pens")),
    ("cover up a pimple", "descriptive", C("Concealers & Neutralizers")),
    ("grow my hair back", "descriptive", C("Hair Regrowth Treatments")),
    # ---- Chinese queries on an English catalog
    ("眼线笔", "crosslingual", C("Eyeliner")),
    ("卸妆水", "crosslingual", C("Makeup Remover")),
    ("面膜", "crosslingual", C("Treatments & Masks > Masks")),
    ("吹风机", "crosslingual", C("Hair Dryers")),
    ("假睫毛", "crosslingual", C("Fake Eyelashes & Adhesives")),
    ("发胶", "crosslingual", C("Hair Sprays")),
    # ---- products the shop does not sell
    ("kitchen knife", "not_in_catalog", C("Kitchen Knives")),
    ("protein powder", "not_in_catalog", C("Protein")),
    ("wireless mouse", "not_in_catalog", C("Mice")),
    ("sunglasses", "not_in_catalog", C("Sunglasses")),
    ("手机壳", "not_in_catalog", C("Phone Cases")),
]

REES46_CHECK: list[tuple[str, str, dict[str, Any]]] = [
    # ---- head and tail categories the earlier sets do not ask for
    ("mixer", "head", C("kitchen > mixer")),
    ("grill", "head", C("kitchen > grill")),
    ("projector", "head", C("video > projector")),
    ("microphone", "head", C("audio > microphone")),
    ("umbrella", "tail", C("accessories > umbrella")),
    ("diapers", "tail", C("diapers")),
    ("sandals", "head", C("shoes > sandals")),
    ("pillow", "head", C("bedroom > pillow")),
    ("ironing board", "tail", C("ironing board")),
    ("motherboard", "head", C("components > motherboard")),
    ("power supply unit", "tail", C("components > power supply")),
    ("dining table", "head", C("kitchen > table")),
    ("hammock", "tail", C("hammok")),
    ("snowboard", "tail", C("snowboard")),
    ("parking sensors", "tail", C("parktronic")),
    ("car stereo", "head", C("auto > accessories > player")),
    ("toys for kids", "head", C("kids > toys")),
    # ---- brand + product
    ("samsung washing machine", "brand", C("kitchen > washer", brand=["samsung"])),
    ("xiaomi vacuum", "brand", C("environment > vacuum", brand=["xiaomi"])),
    ("apple watch", "brand", C("electronics > clocks", brand=["apple"])),
    ("acer laptop", "brand", C("computers > notebook", brand=["acer"])),
    ("garmin watch", "brand", C("electronics > clocks", brand=["garmin"])),
    ("tefal iron", "brand", C("appliances > iron", brand=["tefal"])),
    ("janome", "brand", {"brand": ["janome"]}),
    # ---- prices
    ("refrigerator under 400", "price", C("refrigerators", price_max=400)),
    ("watch over 500 dollars", "price", C("electronics > clocks", price_min=500)),
    ("laptop between 600 and 900", "price", C("computers > notebook", price_min=600, price_max=900)),
    ("kettle under 30", "price", C("kitchen > kettle", price_max=30)),
    ("tv over 1000", "price", C("video > tv", price_min=1000)),
    ("iphone under 500", "price", C("smartphone", brand=["apple"], price_max=500)),
    # ---- synonyms and the shopper's words
    ("laundry machine", "synonym", C("kitchen > washer")),
    ("earbuds", "synonym", C("audio > headphone")),
    ("baby stroller", "synonym", C("carriage")),
    ("trainers", "synonym", C("apparel > shoes")),
    ("bike", "synonym", C("bicycle")),
    ("chainsaw", "synonym", C("tools > saw")),
    ("welder", "synonym", C("tools > welding")),
    ("hair clipper", "synonym", C("hair cutter")),
    ("blood pressure monitor", "synonym", C("tonometer")),
    ("screen for my computer", "descriptive", C("peripherals > monitor")),
    # ---- typos written by hand
    ("refigerator", "typo", C("refrigerators")),
    ("vaccum cleaner", "typo", C("environment > vacuum")),
    ("dishwahser", "typo", C("dishwasher")),
    ("moniter", "typo", C("peripherals > monitor")),
    ("keyboad", "typo", C("peripherals > keyboard")),
    ("bycicle", "typo", C("bicycle")),
    ("sewing machne", "typo", C("sewing machine")),
    # ---- Chinese queries on an English catalog
    ("平板电脑", "crosslingual", C("electronics > tablet")),
    ("显示器", "crosslingual", C("peripherals > monitor")),
    ("鼠标", "crosslingual", C("peripherals > mouse")),
    ("沙发", "crosslingual", C("living room > sofa")),
    ("电水壶", "crosslingual", C("kitchen > kettle")),
    # ---- products the shop does not sell
    ("golf clubs", "not_in_catalog", C("sport > golf")),
    ("sunglasses", "not_in_catalog", C("accessories > sunglasses")),
    ("dog leash", "not_in_catalog", C("pets")),
    ("face cream", "not_in_catalog", C("beauty")),
    ("眼镜", "not_in_catalog", C("accessories > glasses")),
]


def D(path: str, **more: Any) -> dict[str, Any]:
    return {"category": [path], **more}


DEMO_CHECK: list[tuple[str, str, dict[str, Any]]] = [
    # ---- head categories the earlier sets do not ask for, Chinese and English
    ("上衣", "head", D("Women > Clothing > Tops")),
    ("靴子", "head", D("Women > Shoes > Boots")),
    ("夹克", "head", D("Men > Clothing > Jackets")),
    ("皮鞋", "head", D("Leather Shoes")),
    ("精华", "head", D("Serums")),
    ("充电器", "head", D("Chargers")),
    ("锅具", "head", D("Cookware")),
    ("四件套", "head", D("Bedding Sets")),
    ("被子", "head", D("Duvets")),
    ("紧身裤", "head", D("Leggings")),
    ("登山包", "head", D("Hiking Backpacks")),
    ("坚果", "head", D("Nuts")),
    ("牛奶", "head", D("Milk")),
    ("hiking backpack", "head", D("Hiking Backpacks")),
    ("leggings", "head", D("Leggings")),
    ("cycling helmet", "head", D("Helmets")),
    ("duvet", "head", D("Duvets")),
    # ---- attributes
    ("黑色 皮鞋", "attribute", D("Leather Shoes", keywords=[["黑色", "black"]])),
    ("白色 T恤", "attribute", D("T-Shirts", keywords=[["白色", "white"]])),
    ("防水 登山包", "attribute", D("Hiking Backpacks", keywords=[["防水", "waterproof"]])),
    ("蓝色 牛仔裤", "attribute", D("Jeans", keywords=[["蓝色", "blue"]])),
    ("不锈钢 保温杯", "attribute", D("Water Bottles", keywords=[["不锈钢", "stainless"]])),
    ("乌龙茶", "attribute", D("Tea", keywords=[["乌龙", "oolong"]], require_keywords=True)),
    # ---- prices
    ("手表 2000元以下", "price", D("Watches", price_max=2000)),
    ("咖啡机 1000以内", "price", D("Coffee Makers", price_max=1000)),
    ("被子 500元以下", "price", D("Duvets", price_max=500)),
    ("智能手表 1500元以上", "price", D("Smartwatches", price_min=1500)),
    ("耳机 200到500元", "price", D("Earbuds", price_min=200, price_max=500)),
    ("smartphone under 3000", "price", D("Smartphones", price_max=3000)),
    # ---- brands
    ("北峰 登山包", "brand", D("Hiking Backpacks", brand=["northpeak", "北峰"])),
    ("Sonique 耳机", "brand", D("Earbuds", brand=["sonique", "声韵"])),
    ("Brewmaster coffee machine", "brand", D("Coffee Makers", brand=["brewmaster", "酿师"])),
    ("云巢 被子", "brand", D("Duvets", brand=["cloudnest", "云巢"])),
    # ---- pinyin, initials, traditional characters
    ("zhinengshoubiao", "pinyin", D("Smartwatches")),
    ("baowenbei", "pinyin", D("Water Bottles")),
    ("chongdianqi", "pinyin", D("Chargers")),
    ("niunai", "pinyin", D("Milk")),
    ("qiaokeli", "pinyin", D("Chocolate")),
    ("bwb", "pinyin", D("Water Bottles")),
    ("手錶", "traditional", D("Watches")),
    ("護膚精華", "traditional", D("Serums")),
    ("巧克力禮盒", "traditional", D("Chocolate")),
    ("運動緊身褲", "traditional", D("Leggings")),
    # ---- typos written by hand (homophones an IME gives, English misspellings)
    ("坚过", "typo", D("Nuts")),
    ("登山宝", "typo", D("Hiking Backpacks")),
    ("牛乃", "typo", D("Milk")),
    ("咖啡斗", "typo", D("Coffee Beans")),
    ("leggins", "typo", D("Leggings")),
    ("dumbells", "typo", D("Dumbbells")),
    # ---- mixed Chinese and English, synonyms
    ("wireless 充电器", "mixed", D("Chargers", keywords=[["无线", "wireless"]])),
    ("Nordvik 羽绒服", "mixed", D("Down Jackets", brand=["nordvik", "诺德维克"])),
    ("球鞋", "synonym", {"category": ["Sneakers", "Running Shoes"]}),
    ("手机套", "synonym", D("Phone Cases")),
    ("羽绒外套", "synonym", D("Down Jackets")),
    ("炒锅", "synonym", D("Cookware")),
    ("腕表", "synonym", {"category": ["Men > Accessories > Watches"], "parent": ["Smartwatches"]}),
    # ---- needs
    ("办公室 下午茶 零食", "descriptive", {"category": ["Snacks"]}),
    ("熬夜 皮肤 修护", "descriptive", {"category": ["Serums", "Moisturisers"]}),
    ("露营 过夜 住的", "descriptive", D("Tents")),
    ("宿舍 东西 太多 收纳", "descriptive", D("Storage")),
    # ---- products the shop does not sell
    ("洗衣机", "not_in_catalog", D("Washing Machines")),
    ("猫粮", "not_in_catalog", D("Pet Food")),
    ("电饭煲", "not_in_catalog", D("Rice Cookers")),
    ("钓鱼竿", "not_in_catalog", D("Fishing")),
]


#: Written on 2026-12-07 (ninth session) after the Chinese list was chosen and before anything was scored on it:
#: Chinese queries of the kinds a held-out Chinese set is said to hold (pinyin, traditional characters, typos,
#: price constraints), plus needs and products the shop lacks, from the demo shop's leaf names, brands and
#: median prices only.
DEMO_CHECK2: list[tuple[str, str, dict[str, Any]]] = [
    # ---- heads
    ("香水", "head", D("Perfume")),
    ("粉底液", "head", D("Foundation")),
    ("空气净化器", "head", D("Air Purifiers")),
    ("大米", "head", D("Rice")),
    ("凉鞋", "head", D("Sandals")),
    ("手提包", "head", D("Handbags")),
    # ---- pinyin and initials
    ("xiangshui", "pinyin", D("Perfume")),
    ("kongqijinghuaqi", "pinyin", D("Air Purifiers")),
    ("yujiadian", "pinyin", D("Yoga Mats")),
    ("liangxie", "pinyin", D("Sandals")),
    ("kfd", "pinyin", D("Coffee Beans")),
    ("zhangpeng", "pinyin", D("Tents")),
    # ---- traditional characters
    ("香水 禮盒", "traditional", D("Perfume")),
    ("空氣淨化器", "traditional", D("Air Purifiers")),
    ("羽絨服 女", "traditional", D("Down Jackets")),
    ("運動鞋", "traditional", {"category": ["Sneakers", "Running Shoes"]}),
    ("防曬霜", "traditional", D("Sunscreen")),
    # ---- typos (homophones an IME gives)
    ("香誰", "typo", D("Perfume")),
    ("凉鞋子", "typo", D("Sandals")),
    ("帐蓬", "typo", D("Tents")),
    ("巧克利", "typo", D("Chocolate")),
    ("空气净话器", "typo", D("Air Purifiers")),
    # ---- prices
    ("香水 1000元以下", "price", D("Perfume", price_max=1000)),
    ("凉鞋 100块以内", "price", D("Sandals", price_max=100)),
    ("帐篷 两千以下", "price", D("Tents", price_max=2000)),
    ("笔记本电脑 一万以内", "price", D("Laptops", price_max=10000)),
    ("手提包 500到1000元", "price", D("Handbags", price_min=500, price_max=1000)),
    ("口红 300元以上", "price", D("Lipstick", price_min=300)),
    # ---- brands
    ("九号工坊 香水", "brand", D("Perfume", brand=["atelier nine", "九号工坊"])),
    ("净气 空气净化器", "brand", D("Air Purifiers", brand=["purair", "净气"])),
    ("至日 凉鞋", "brand", D("Sandals", brand=["solstice", "至日"])),
    # ---- needs and occasions
    ("家里 有 宠物 毛 空气不好", "descriptive", D("Air Purifiers")),
    ("夏天 穿 不闷脚 的鞋", "descriptive", D("Sandals")),
    ("早上 提神 自己 煮", "descriptive", {"category": ["Coffee Beans", "Coffee Makers"]}),
    ("上班 通勤 装 笔记本 的包", "descriptive", {"category": ["Handbags", "Hiking Backpacks"]}),
    ("送女朋友 情人节 礼物 香味", "occasion", D("Perfume")),
    ("给爸爸 的 生日 礼物 手表", "occasion", D("Men > Accessories > Watches")),
    # ---- products the shop does not sell
    ("吸尘器", "not_in_catalog", D("Vacuum Cleaners")),
    ("婴儿车", "not_in_catalog", D("Strollers")),
    ("自行车", "not_in_catalog", D("Bicycles")),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=HERE.parents[1] / ".." / "shared" / "data")
    ap.add_argument("--out", type=Path, default=HERE)
    a = ap.parse_args()
    write_set("amazon-beauty-check", amazon_items(a.data), AMAZON_CHECK, a.out)
    write_set("rees46-check", rees46_items(a.data), REES46_CHECK, a.out)
    write_set("demo-zh-check", demo_items(), DEMO_CHECK, a.out)
    write_set("demo-zh-check2", demo_items(), DEMO_CHECK2, a.out)


if __name__ == "__main__":
    main()
