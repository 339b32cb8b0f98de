"""Bilingual (English / Chinese) vocabulary of the synthetic demo shop: categories, brands, colours, places.

Everything here is static data. The brands are *fictional* on purpose: generated marketing copy must never
state facts about a real company's products.

Option lists use a compact notation, ``"English|中文|price multiplier"`` entries separated by ``;`` (the
multiplier is optional and defaults to 1). :func:`parse_options` turns them into :class:`Option` tuples.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class Option(NamedTuple):
    """One value of an item facet, in both languages, with its effect on the price."""

    en: str
    zh: str
    price_mult: float = 1.0


def parse_options(spec: str) -> tuple[Option, ...]:
    """Parse ``"Cotton|棉; Silk|真丝|2.0"`` into options.

    >>> parse_options("Cotton|棉; Silk|真丝|2.0")[1]
    Option(en='Silk', zh='真丝', price_mult=2.0)
    """
    out = []
    for chunk in spec.split(";"):
        chunk = chunk.strip()
        if not chunk:
            continue
        parts = [p.strip() for p in chunk.split("|")]
        if len(parts) not in (2, 3):
            raise ValueError(f"bad option {chunk!r}: expected 'English|中文' or 'English|中文|multiplier'")
        out.append(Option(parts[0], parts[1], float(parts[2]) if len(parts) == 3 else 1.0))
    return tuple(out)


#: Colours, shades, flavours and scents share one table; leaves name the keys they offer.
TINTS: dict[str, Option] = {k: Option(en, zh) for k, en, zh in (
    ("black", "Black", "黑色"), ("white", "White", "白色"),
    ("grey", "Grey", "灰色"), ("navy", "Navy", "藏青色"),
    ("beige", "Beige", "米色"), ("red", "Red", "红色"), ("pink", "Pink", "粉色"), ("blue", "Blue", "蓝色"),
    ("green", "Green", "绿色"), ("khaki", "Khaki", "卡其色"), ("brown", "Brown", "棕色"),
    ("silver", "Silver", "银色"), ("gold", "Gold", "金色"), ("purple", "Purple", "紫色"),
    ("orange", "Orange", "橙色"), ("floral", "Floral Print", "碎花"), ("clear", "Clear", "透明"),
    ("ruby", "Ruby Red", "正红色"), ("coral", "Coral", "珊瑚色"),
    ("nude", "Nude", "裸色"), ("rose", "Rose", "玫瑰色"),
    ("berry", "Berry", "莓果色"), ("brick", "Brick Red", "砖红色"),
    ("ivory", "Ivory", "象牙白"), ("natural", "Natural Beige", "自然色"), ("sand", "Warm Sand", "暖沙色"),
    ("floral_scent", "Floral", "花香调"), ("woody", "Woody", "木质调"), ("citrus", "Citrus", "柑橘调"),
    ("oriental", "Amber", "琥珀调"), ("fresh", "Fresh Aquatic", "清新水生调"),
    ("original", "Original", "原味"),
    ("salted", "Lightly Salted", "盐焗"), ("honey", "Honey Roasted", "蜂蜜烘烤"),
    ("sea_salt", "Sea Salt", "海盐"), ("hazelnut", "Hazelnut", "榛子"), ("matcha", "Matcha", "抹茶"),
    ("light_roast", "Light Roast", "浅度烘焙"), ("medium_roast", "Medium Roast", "中度烘焙"),
    ("dark_roast", "Dark Roast", "深度烘焙"),
)}

#: Where items are made (or grown).
ORIGINS: dict[str, Option] = {k: Option(en, zh) for k, en, zh in (
    ("CN", "China", "中国"), ("JP", "Japan", "日本"), ("KR", "South Korea", "韩国"), ("FR", "France", "法国"),
    ("IT", "Italy", "意大利"), ("DE", "Germany", "德国"), ("US", "USA", "美国"), ("GB", "UK", "英国"),
    ("SE", "Sweden", "瑞典"), ("CH", "Switzerland", "瑞士"), ("BE", "Belgium", "比利时"),
    ("NZ", "New Zealand", "新西兰"), ("AU", "Australia", "澳大利亚"), ("VN", "Vietnam", "越南"),
    ("TH", "Thailand", "泰国"), ("KH", "Cambodia", "柬埔寨"), ("ET", "Ethiopia", "埃塞俄比亚"),
    ("CO", "Colombia", "哥伦比亚"), ("BR", "Brazil", "巴西"), ("LK", "Sri Lanka", "斯里兰卡"),
    ("CN-FJ", "Fujian, China", "中国福建"), ("CN-YN", "Yunnan, China", "中国云南"),
    ("CN-ZJ", "Zhejiang, China", "中国浙江"), ("CN-HL", "Heilongjiang, China", "中国黑龙江"),
    ("CN-NM", "Inner Mongolia, China", "中国内蒙古"),
)}

#: Countries where brands of any origin have goods made.
FACTORY_ORIGINS = ("CN", "CN", "CN", "VN", "KH", "TH")

#: Facet labels used in descriptions: key -> (English, Chinese).
LABELS: dict[str, tuple[str, str]] = {
    "colour": ("Colour", "颜色"), "shade": ("Shade", "色号"), "flavour": ("Flavour", "口味"),
    "scent": ("Scent", "香调"), "roast": ("Roast", "烘焙度"), "size": ("Sizes", "尺码"),
    "capacity": ("Capacity", "容量"), "weight": ("Net weight", "净含量"), "spec": ("Specification", "规格"),
    "dimensions": ("Size", "尺寸"), "material": ("Material", "材质"),
    "ingredient": ("Key ingredient", "核心成分"),
}


@dataclass(frozen=True)
class Leaf:
    """A leaf category and everything needed to invent plausible items in it.

    ``price`` is the typical price in CNY; ``consumable`` the typical days between repeat purchases
    (0 = not bought repeatedly); ``season`` makes demand follow the calendar; ``complements`` are leaves
    bought together with this one (phone -> case).
    """

    path: str
    path_zh: str
    price: float
    nouns: str
    spec_key: str
    specs: str
    features: str
    materials: str = ""
    material_key: str = "material"
    tints: str = ""
    tint_key: str = "colour"
    gender: str | None = None
    season: str | None = None
    consumable: int = 0
    complements: tuple[str, ...] = ()
    origins: tuple[str, ...] = ()
    share: float = 1.0
    parsed: dict[str, tuple[Option, ...]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("nouns", "specs", "features", "materials"):
            self.parsed[name] = parse_options(getattr(self, name))
        self.parsed["tints"] = tuple(TINTS[k] for k in self.tints.split())

    @property
    def top(self) -> str:
        return self.path.split(" > ")[0]


LEAVES: tuple[Leaf, ...] = (
    # ---------------------------------------------------------------- Women
    Leaf("Women > Clothing > Dresses", "女士 > 服装 > 连衣裙", 299,
         "Midi Dress|中长款连衣裙; Maxi Dress|长款连衣裙|1.1; Shirt Dress|衬衫裙; Slip Dress|吊带裙|0.9",
         "size", "XS-XL|XS-XL码; S-XXL|S-XXL码",
         "Breathable|透气; Slim-Fit|修身; Lightweight|轻薄; Wrinkle-Resistant|抗皱",
         "Cotton|棉; Linen|亚麻|1.2; Mulberry Silk|桑蚕丝|2.2; Chiffon|雪纺|0.9; Polyester|聚酯纤维|0.7",
         tints="black white navy beige red pink floral blue", gender="women", season="summer",
         complements=("Women > Shoes > Sandals", "Women > Bags > Handbags"), share=1.4),
    Leaf("Women > Clothing > Tops", "女士 > 服装 > 上衣", 129,
         "T-Shirt|T恤|0.8; Blouse|衬衫|1.2; Knit Top|针织衫|1.3; Tank Top|背心|0.6",
         "size", "XS-XL|XS-XL码; S-XXL|S-XXL码",
         "Breathable|透气; Soft|柔软; Relaxed-Fit|宽松; Quick-Dry|速干",
         "Cotton|纯棉; Modal|莫代尔|1.2; Linen|亚麻|1.3; Polyester|聚酯纤维|0.7",
         tints="black white grey pink beige blue green", gender="women",
         complements=("Women > Shoes > Sneakers",), share=1.5),
    Leaf("Women > Clothing > Down Jackets", "女士 > 服装 > 羽绒服", 899,
         "Puffer Jacket|短款羽绒服; Long Down Coat|长款羽绒服|1.3; Hooded Down Jacket|连帽羽绒服|1.1",
         "size", "XS-XL|XS-XL码; S-XXL|S-XXL码",
         "Windproof|防风; Water-Repellent|防泼水; Warm|保暖; Lightweight|轻盈",
         "90% White Duck Down|90%白鸭绒; 90% White Goose Down|90%白鹅绒|1.5",
         tints="black beige white navy pink khaki", gender="women", season="winter",
         complements=("Women > Shoes > Boots",)),
    Leaf("Women > Shoes > Sneakers", "女士 > 鞋靴 > 休闲运动鞋", 399,
         "Sneakers|休闲运动鞋; Canvas Shoes|帆布鞋|0.6; Platform Sneakers|厚底板鞋|1.1",
         "size", "EU 35-40|35-40码",
         "Lightweight|轻便; Non-Slip|防滑; Breathable|透气; Cushioned|缓震",
         "Leather|皮革|1.3; Canvas|帆布|0.7; Mesh|网面; Suede|麂皮|1.2",
         tints="white black pink beige grey", gender="women",
         complements=("Women > Clothing > Tops",), share=1.2),
    Leaf("Women > Shoes > Sandals", "女士 > 鞋靴 > 凉鞋", 259,
         "Flat Sandals|平底凉鞋; Heeled Sandals|高跟凉鞋|1.2; Slides|凉拖|0.6",
         "size", "EU 35-40|35-40码",
         "Comfortable|舒适; Non-Slip|防滑; Adjustable|可调节",
         "Leather|真皮|1.4; PU Leather|人造革|0.7; Rubber|橡胶|0.5",
         tints="black white beige brown pink gold", gender="women", season="summer"),
    Leaf("Women > Shoes > Boots", "女士 > 鞋靴 > 靴子", 599,
         "Ankle Boots|短靴; Knee-High Boots|长靴|1.4; Chelsea Boots|切尔西靴",
         "size", "EU 35-40|35-40码",
         "Warm|保暖; Waterproof|防水; Non-Slip|防滑",
         "Leather|真皮|1.3; Suede|麂皮|1.1; PU Leather|人造革|0.6",
         tints="black brown khaki beige", gender="women", season="winter"),
    Leaf("Women > Bags > Handbags", "女士 > 箱包 > 手提包", 699,
         "Tote Bag|托特包; Shoulder Bag|单肩包; Crossbody Bag|斜挎包|0.9; Mini Bag|迷你包|0.8",
         "dimensions",
         "Small (20 cm)|小号（20厘米）|0.8; Medium (28 cm)|中号（28厘米）; Large (35 cm)|大号（35厘米）|1.2",
         "Lightweight|轻便; Water-Resistant|防水; Large-Capacity|大容量",
         "Cowhide Leather|牛皮|1.5; Canvas|帆布|0.6; Nylon|尼龙|0.7; PU Leather|人造革|0.5",
         tints="black brown beige red white", gender="women", share=1.2),
    # ---------------------------------------------------------------- Men
    Leaf("Men > Clothing > T-Shirts", "男士 > 服装 > T恤", 99,
         "Crew-Neck T-Shirt|圆领T恤; Polo Shirt|Polo衫|1.4; V-Neck T-Shirt|V领T恤",
         "size", "S-XXL|S-XXL码; M-3XL|M-3XL码",
         "Breathable|透气; Quick-Dry|速干; Regular-Fit|常规版型; Anti-Odour|抗菌防臭",
         "Cotton|纯棉; Pima Cotton|长绒棉|1.4; Cotton Blend|棉混纺|0.8; Polyester|聚酯纤维|0.7",
         tints="black white grey navy blue green khaki", gender="men", season="summer",
         complements=("Men > Clothing > Jeans",), share=1.4),
    Leaf("Men > Clothing > Jeans", "男士 > 服装 > 牛仔裤", 299,
         "Slim Jeans|修身牛仔裤; Straight Jeans|直筒牛仔裤; Relaxed Jeans|宽松牛仔裤",
         "size", "W28-W36|28-36码; W30-W40|30-40码",
         "Stretch|弹力; Classic|经典; Washed|水洗",
         "Denim|牛仔布; Stretch Denim|弹力牛仔布|1.1; Selvedge Denim|赤耳牛仔布|2.0",
         tints="blue navy black grey", gender="men",
         complements=("Men > Clothing > T-Shirts",)),
    Leaf("Men > Clothing > Jackets", "男士 > 服装 > 夹克外套", 699,
         "Down Jacket|羽绒服|1.3; Bomber Jacket|飞行员夹克; Windbreaker|防风夹克|0.8",
         "size", "S-XXL|S-XXL码; M-3XL|M-3XL码",
         "Windproof|防风; Warm|保暖; Water-Repellent|防泼水",
         "Nylon|尼龙; Polyester|聚酯纤维|0.8; 90% White Duck Down|90%白鸭绒|1.4",
         tints="black navy khaki green grey", gender="men", season="winter",
         complements=("Men > Clothing > Jeans",)),
    Leaf("Men > Shoes > Running Shoes", "男士 > 鞋靴 > 跑步鞋", 499,
         "Running Shoes|跑步鞋; Trail Running Shoes|越野跑鞋|1.2; Racing Shoes|竞速跑鞋|1.4",
         "size", "EU 39-45|39-45码",
         "Breathable|透气; Cushioned|缓震; Lightweight|轻量; Non-Slip|防滑",
         "Mesh|网面; Knit|飞织|1.1; Synthetic Leather|合成革|0.9",
         tints="black white grey blue red", gender="men",
         complements=("Sports & Outdoors > Sportswear > Leggings", "Electronics > Wearables > Smartwatches"),
         share=1.3),
    Leaf("Men > Shoes > Leather Shoes", "男士 > 鞋靴 > 皮鞋", 599,
         "Oxford Shoes|牛津鞋; Loafers|乐福鞋|0.9; Derby Shoes|德比鞋",
         "size", "EU 38-45|38-45码",
         "Handcrafted|手工; Comfortable|舒适; Non-Slip|防滑",
         "Calf Leather|小牛皮|1.3; Cowhide Leather|牛皮; Suede|麂皮|0.9",
         tints="black brown", gender="men"),
    Leaf("Men > Accessories > Watches", "男士 > 配饰 > 手表", 1299,
         "Automatic Watch|自动机械表|1.8; Quartz Watch|石英表; Chronograph Watch|计时腕表|1.3",
         "spec", "40 mm case|40毫米表盘; 42 mm case|42毫米表盘; 44 mm case|44毫米表盘",
         "Water-Resistant|防水; Sapphire Crystal|蓝宝石镜面; Luminous Hands|夜光指针",
         "Stainless Steel|不锈钢; Titanium|钛合金|1.5; Ceramic|陶瓷|1.3",
         tints="black silver gold blue", gender="men", share=0.8),
    # ---------------------------------------------------------------- Beauty
    Leaf("Beauty > Skin Care > Serums", "美妆个护 > 护肤 > 精华", 329,
         "Serum|精华液; Ampoule|安瓶精华|1.2",
         "capacity", "30 ml|30毫升; 50 ml|50毫升|1.5",
         "Hydrating|补水; Brightening|提亮; Firming|紧致; Fragrance-Free|无香精",
         "Hyaluronic Acid|玻尿酸; Vitamin C|维生素C; "
         "Niacinamide|烟酰胺; Retinol|视黄醇|1.2; Peptides|多肽|1.3",
         material_key="ingredient", consumable=60,
         complements=("Beauty > Skin Care > Moisturisers", "Beauty > Skin Care > Sunscreen"), share=1.3),
    Leaf("Beauty > Skin Care > Moisturisers", "美妆个护 > 护肤 > 面霜", 259,
         "Face Cream|面霜; Gel Cream|啫喱面霜|0.9; Night Cream|晚霜|1.1",
         "capacity", "50 ml|50毫升; 100 ml|100毫升|1.6",
         "Hydrating|补水; Soothing|舒缓; Lightweight|清爽; Nourishing|滋润",
         "Ceramides|神经酰胺; Squalane|角鲨烷; Hyaluronic Acid|玻尿酸; Shea Butter|乳木果油",
         material_key="ingredient", consumable=75,
         complements=("Beauty > Skin Care > Serums",), share=1.2),
    Leaf("Beauty > Skin Care > Sunscreen", "美妆个护 > 护肤 > 防晒", 149,
         "Sunscreen|防晒霜; Sunscreen Spray|防晒喷雾; Sun Milk|防晒乳",
         "capacity", "50 ml SPF50+ PA++++|50毫升 SPF50+ PA++++; 100 ml SPF50+|100毫升 SPF50+|1.6; "
                     "30 ml SPF30|30毫升 SPF30|0.7",
         "Water-Resistant|防水; Non-Greasy|清爽不油腻; Lightweight|轻薄",
         "Zinc Oxide|氧化锌; Titanium Dioxide|二氧化钛",
         material_key="ingredient", season="summer", consumable=45),
    Leaf("Beauty > Makeup > Lipstick", "美妆个护 > 彩妆 > 口红", 199,
         "Matte Lipstick|哑光口红; Satin Lipstick|缎光口红; Lip Tint|唇釉|0.9",
         "weight", "3.5 g|3.5克",
         "Long-Lasting|持久; Moisturising|滋润; Transfer-Proof|不沾杯",
         tints="ruby coral nude rose berry brick", tint_key="shade",
         complements=("Beauty > Makeup > Foundation",), share=1.1),
    Leaf("Beauty > Makeup > Foundation", "美妆个护 > 彩妆 > 粉底", 289,
         "Liquid Foundation|粉底液; Cushion Foundation|气垫粉底|0.9; Foundation Stick|粉底棒",
         "capacity", "30 ml|30毫升; 15 g|15克|0.8",
         "Long-Lasting|持久; Full-Coverage|高遮瑕; Oil-Control|控油; Lightweight|轻薄",
         tints="ivory natural sand", tint_key="shade", consumable=90,
         complements=("Beauty > Makeup > Lipstick",)),
    Leaf("Beauty > Fragrance > Perfume", "美妆个护 > 香水 > 香水", 699,
         "Eau de Parfum|浓香水|1.2; Eau de Toilette|淡香水",
         "capacity", "30 ml|30毫升|0.6; 50 ml|50毫升; 100 ml|100毫升|1.5",
         "Long-Lasting|留香持久; Gift-Boxed|礼盒装",
         tints="floral_scent woody citrus oriental fresh", tint_key="scent", share=0.8),
    # ---------------------------------------------------------------- Electronics
    Leaf("Electronics > Phones > Smartphones", "数码电子 > 手机通讯 > 智能手机", 3999,
         "5G Smartphone|5G智能手机; Foldable Smartphone|折叠屏手机|2.0",
         "spec", "6.1-inch, 128 GB|6.1英寸 128GB|0.85; 6.7-inch, 256 GB|6.7英寸 256GB; "
                 "6.7-inch, 512 GB|6.7英寸 512GB|1.25",
         "Dual-SIM|双卡双待; Fast-Charging|快充; IP68 Water-Resistant|IP68防水",
         "Aluminium|铝合金; Titanium|钛金属|1.2",
         tints="black white blue green purple silver",
         complements=("Electronics > Phones > Phone Cases", "Electronics > Phones > Chargers",
                      "Electronics > Audio > Earbuds"), share=1.1),
    Leaf("Electronics > Phones > Phone Cases", "数码电子 > 手机通讯 > 手机壳", 79,
         "Phone Case|手机壳; Wallet Case|钱包式手机壳|1.5; Clear Case|透明手机壳|0.7",
         "spec", "for 6.1-inch phones|适用6.1英寸手机; for 6.7-inch phones|适用6.7英寸手机",
         "Shockproof|防摔; Slim|超薄; Magnetic|磁吸",
         "Silicone|硅胶; TPU|TPU|0.7; Leather|皮革|2.0; Aramid Fibre|芳纶纤维|2.5",
         tints="black clear blue pink green", share=1.2),
    Leaf("Electronics > Phones > Chargers", "数码电子 > 手机通讯 > 充电器", 129,
         "Fast Charger|快充充电器; Power Bank|充电宝|1.3; Wireless Charger|无线充电器",
         "spec", "20 W|20W|0.7; 65 W|65W|1.3; 10,000 mAh|10000毫安; 20,000 mAh|20000毫安|1.4",
         "Fast-Charging|快充; Compact|小巧便携; Multi-Port|多口",
         "GaN|氮化镓|1.2; ABS Plastic|ABS塑料|0.8",
         tints="black white"),
    Leaf("Electronics > Audio > Earbuds", "数码电子 > 影音 > 耳机", 599,
         "Wireless Earbuds|真无线蓝牙耳机; "
         "Noise-Cancelling Earbuds|降噪耳机|1.5; Sports Earbuds|运动耳机|0.8",
         "spec", "30 h battery|续航30小时; 40 h battery|续航40小时|1.1",
         "Bluetooth 5.3|蓝牙5.3; Low-Latency|低延迟; Water-Resistant|防水",
         tints="black white blue", share=1.1),
    Leaf("Electronics > Computers > Laptops", "数码电子 > 电脑办公 > 笔记本电脑", 5999,
         "Ultrabook|轻薄本; Gaming Laptop|游戏本|1.4; 2-in-1 Laptop|二合一笔记本|1.1",
         "spec",
         "13-inch, 8 GB, 256 GB SSD|13英寸 8GB 256GB|0.7; 14-inch, 16 GB, 512 GB SSD|14英寸 16GB 512GB; "
         "16-inch, 32 GB, 1 TB SSD|16英寸 32GB 1TB|1.4",
         "Lightweight|轻薄; All-Day Battery|长续航; 120 Hz Display|120Hz高刷屏",
         "Aluminium|铝合金; Magnesium Alloy|镁合金|1.1",
         tints="silver grey black",
         complements=("Electronics > Phones > Chargers", "Electronics > Audio > Earbuds"), share=0.7),
    Leaf("Electronics > Wearables > Smartwatches", "数码电子 > 智能穿戴 > 智能手表", 1299,
         "Smartwatch|智能手表; Fitness Tracker|运动手环|0.3",
         "spec", "41 mm|41毫米; 45 mm|45毫米|1.1",
         "Heart-Rate Monitoring|心率监测; Built-in GPS|内置GPS; 5 ATM Water-Resistant|5ATM防水",
         "Aluminium|铝合金; Stainless Steel|不锈钢|1.4",
         tints="black silver pink",
         complements=("Electronics > Audio > Earbuds",)),
    # ---------------------------------------------------------------- Home & Kitchen
    Leaf("Home & Kitchen > Kitchen > Cookware", "家居厨具 > 厨房 > 锅具", 299,
         "Frying Pan|煎锅; Wok|炒锅|1.1; Saucepan|奶锅|0.8; Casserole|炖锅|1.3",
         "dimensions", "24 cm|24厘米|0.8; 28 cm|28厘米; 32 cm|32厘米|1.2",
         "Induction-Compatible|电磁炉适用; Dishwasher-Safe|可洗碗机清洗; Even-Heating|受热均匀",
         "Stainless Steel|不锈钢; Cast Iron|铸铁|1.3; Non-Stick Aluminium|不粘涂层铝|0.8",
         tints="black silver red", share=1.1),
    Leaf("Home & Kitchen > Kitchen > Coffee Makers", "家居厨具 > 厨房 > 咖啡机", 1499,
         "Espresso Machine|意式咖啡机; "
         "Drip Coffee Maker|滴滤咖啡机|0.3; Capsule Coffee Machine|胶囊咖啡机|0.6",
         "capacity", "1.2 L|1.2升; 1.8 L|1.8升|1.2",
         "15-Bar Pressure|15Bar压力; Milk Frother|自带奶泡; Programmable|可预约",
         "Stainless Steel|不锈钢|1.2; ABS Plastic|ABS塑料|0.8",
         tints="black silver white red",
         complements=("Food & Grocery > Beverages > Coffee Beans",), share=0.7),
    Leaf("Home & Kitchen > Kitchen > Water Bottles", "家居厨具 > 厨房 > 水杯", 129,
         "Insulated Bottle|保温杯; Tumbler|随行杯|0.9; Sports Bottle|运动水壶|0.7",
         "capacity", "500 ml|500毫升; 750 ml|750毫升|1.2; 1 L|1升|1.4",
         "Leak-Proof|防漏; Insulated|保温; BPA-Free|不含BPA",
         "316 Stainless Steel|316不锈钢; Tritan|Tritan|0.7; Borosilicate Glass|高硼硅玻璃|0.8",
         tints="black white blue green pink", share=1.1),
    Leaf("Home & Kitchen > Bedding > Bedding Sets", "家居厨具 > 床上用品 > 床品套件", 399,
         "Four-Piece Bedding Set|床品四件套; Duvet Cover|被套|0.6; Fitted Sheet|床笠|0.5",
         "dimensions", "for 1.5 m beds|适用1.5米床; for 1.8 m beds|适用1.8米床|1.2",
         "Soft|柔软; Breathable|透气; Skin-Friendly|亲肤",
         "Cotton|纯棉; Egyptian Cotton|埃及棉|1.8; Mulberry Silk|桑蚕丝|3.0; Linen|亚麻|1.4",
         tints="white grey beige blue pink green",
         complements=("Home & Kitchen > Bedding > Duvets",)),
    Leaf("Home & Kitchen > Bedding > Duvets", "家居厨具 > 床上用品 > 被子", 699,
         "Down Duvet|羽绒被; Silk Duvet|蚕丝被|1.3; Cotton Quilt|棉被|0.6",
         "dimensions", "150 x 200 cm|150×200厘米; 200 x 230 cm|200×230厘米|1.3",
         "Warm|保暖; Breathable|透气; Anti-Mite|防螨",
         "White Goose Down|白鹅绒|1.4; Mulberry Silk|桑蚕丝; Polyester Fibre|聚酯纤维|0.5",
         tints="white", season="winter", share=0.8),
    Leaf("Home & Kitchen > Household > Storage", "家居厨具 > 家居日用 > 收纳", 59,
         "Storage Box|收纳箱; Drawer Organiser|抽屉收纳盒|0.7; Storage Basket|收纳篮|0.9",
         "dimensions", "Small|小号|0.7; Medium|中号; Large|大号|1.4",
         "Stackable|可叠放; Foldable|可折叠; Dust-Proof|防尘",
         "PP Plastic|PP塑料; Bamboo|竹|1.3; Cotton Rope|棉绳|1.1",
         tints="white grey beige", share=1.2),
    Leaf("Home & Kitchen > Appliances > Air Purifiers", "家居厨具 > 生活电器 > 空气净化器", 1299,
         "Air Purifier|空气净化器; Desktop Air Purifier|桌面空气净化器|0.35",
         "spec", "for rooms up to 40 m²|适用面积40平方米; for rooms up to 80 m²|适用面积80平方米|1.5",
         "H13 HEPA Filter|H13级HEPA滤网; Quiet|静音; App-Controlled|App智能控制",
         tints="white grey", share=0.6),
    # ---------------------------------------------------------------- Sports & Outdoors
    Leaf("Sports & Outdoors > Fitness > Yoga Mats", "运动户外 > 健身训练 > 瑜伽垫", 159,
         "Yoga Mat|瑜伽垫; Travel Yoga Mat|便携瑜伽垫|0.8",
         "spec", "6 mm thick|6毫米厚; 8 mm thick|8毫米厚|1.1; 10 mm thick|10毫米厚|1.2",
         "Non-Slip|防滑; Eco-Friendly|环保; Double-Sided|双面可用",
         "TPE|TPE; Natural Rubber|天然橡胶|1.6; NBR Foam|NBR发泡|0.7",
         tints="purple pink blue green grey black",
         complements=("Sports & Outdoors > Sportswear > Leggings",)),
    Leaf("Sports & Outdoors > Fitness > Dumbbells", "运动户外 > 健身训练 > 哑铃", 299,
         "Adjustable Dumbbells|可调节哑铃|2.5; Hex Dumbbells|六角哑铃; Neoprene Dumbbells|包胶哑铃|0.5",
         "weight", "2 x 5 kg|5公斤×2|0.6; 2 x 10 kg|10公斤×2; 2 x 20 kg|20公斤×2|1.7",
         "Knurled Grip|防滑手柄; Anti-Roll|防滚设计; Quick-Adjust|快速调节",
         "Cast Iron|铸铁; Rubber-Coated Steel|包胶钢|1.2; Neoprene|氯丁橡胶|0.8",
         tints="black grey", share=0.8),
    Leaf("Sports & Outdoors > Sportswear > Leggings", "运动户外 > 运动服饰 > 紧身裤", 199,
         "Yoga Leggings|瑜伽裤; Running Tights|跑步紧身裤; Training Shorts|训练短裤|0.7",
         "size", "XS-XL|XS-XL码; S-XXL|S-XXL码",
         "Quick-Dry|速干; High-Waisted|高腰; Four-Way Stretch|四面弹",
         "Nylon Spandex|锦纶氨纶; Polyester Spandex|涤纶氨纶|0.8",
         tints="black grey navy purple green", share=1.2),
    Leaf("Sports & Outdoors > Outdoor > Tents", "运动户外 > 户外装备 > 帐篷", 799,
         "Camping Tent|露营帐篷; Pop-Up Tent|速开帐篷|0.7; Ultralight Tent|超轻帐篷|1.6",
         "spec", "2-person|2人; 4-person|4人|1.4",
         "Waterproof|防水; Windproof|防风; Quick-Setup|快速搭建; UV-Protective|防晒",
         "Polyester|涤纶; Ripstop Nylon|防撕裂尼龙|1.3",
         tints="green khaki orange grey", season="summer",
         complements=("Sports & Outdoors > Outdoor > Hiking Backpacks",), share=0.8),
    Leaf("Sports & Outdoors > Outdoor > Hiking Backpacks", "运动户外 > 户外装备 > 登山包", 459,
         "Hiking Backpack|登山包; Daypack|日用双肩包|0.6",
         "capacity", "20 L|20升|0.8; 35 L|35升; 50 L|50升|1.3",
         "Water-Resistant|防水; Lightweight|轻量; Ventilated Back Panel|透气背板",
         "Nylon|尼龙; Ripstop Nylon|防撕裂尼龙|1.2; Polyester|涤纶|0.8",
         tints="black grey green blue orange",
         complements=("Sports & Outdoors > Outdoor > Tents", "Home & Kitchen > Kitchen > Water Bottles")),
    Leaf("Sports & Outdoors > Cycling > Helmets", "运动户外 > 骑行运动 > 骑行头盔", 399,
         "Road Bike Helmet|公路骑行头盔; Commuter Helmet|通勤头盔|0.7; MTB Helmet|山地骑行头盔",
         "dimensions", "M (54-58 cm)|M码（54-58厘米）; L (58-62 cm)|L码（58-62厘米）",
         "Ventilated|透气; Lightweight|轻量; Rear Light|带尾灯",
         "EPS Foam with PC Shell|EPS缓冲层+PC外壳; Carbon Fibre Shell|碳纤维外壳|1.8",
         tints="black white red blue",
         complements=("Home & Kitchen > Kitchen > Water Bottles",), share=0.7),
    # ---------------------------------------------------------------- Food & Grocery
    Leaf("Food & Grocery > Snacks > Nuts", "食品饮料 > 休闲零食 > 坚果", 69,
         "Mixed Nuts|每日坚果; Cashews|腰果; Almonds|巴旦木; Macadamia Nuts|夏威夷果|1.3",
         "weight", "500 g|500克; 750 g (30 packs)|750克（30袋）|1.4",
         "Roasted|烘焙; No Added Sugar|无添加糖; Individually Packed|独立小包装",
         tints="original salted honey", tint_key="flavour", consumable=21,
         origins=("US", "AU", "CN"), share=1.2),
    Leaf("Food & Grocery > Snacks > Chocolate", "食品饮料 > 休闲零食 > 巧克力", 89,
         "Dark Chocolate|黑巧克力; Milk Chocolate|牛奶巧克力; Chocolate Gift Box|巧克力礼盒|1.8",
         "weight", "100 g|100克|0.5; 250 g|250克; 500 g|500克|1.7",
         "70% Cocoa|70%可可; Low-Sugar|低糖; Gift-Wrapped|礼盒包装",
         tints="original sea_salt hazelnut matcha", tint_key="flavour", consumable=30,
         origins=("BE", "CH", "CN")),
    Leaf("Food & Grocery > Beverages > Tea", "食品饮料 > 茶饮冲调 > 茶叶", 128,
         "Oolong Tea|乌龙茶; Green Tea|绿茶; Black Tea|红茶; Jasmine Tea|茉莉花茶; Pu'er Tea|普洱茶|1.2",
         "weight", "100 g|100克|0.6; 250 g|250克; 500 g|500克|1.7",
         "Hand-Picked|手工采摘; Spring Harvest|春茶; Organic|有机",
         consumable=45, origins=("CN-FJ", "CN-YN", "CN-ZJ", "LK"), share=1.1),
    Leaf("Food & Grocery > Beverages > Coffee Beans", "食品饮料 > 茶饮冲调 > 咖啡豆", 98,
         "Coffee Beans|咖啡豆; Ground Coffee|咖啡粉; Drip Bag Coffee|挂耳咖啡|1.2",
         "weight", "250 g|250克; 500 g|500克|1.8; 1 kg|1千克|3.2",
         "Single-Origin|单一产地; Freshly Roasted|新鲜烘焙; 100% Arabica|100%阿拉比卡",
         tints="light_roast medium_roast dark_roast", tint_key="roast", consumable=30,
         origins=("ET", "CO", "CN-YN", "BR"),
         complements=("Home & Kitchen > Kitchen > Coffee Makers",)),
    Leaf("Food & Grocery > Staples > Rice", "食品饮料 > 粮油调味 > 大米", 69,
         "Jasmine Rice|茉莉香米; Northeast Rice|东北大米; Japonica Rice|粳米",
         "weight", "5 kg|5千克; 10 kg|10千克|1.9",
         "New Crop|当季新米; Vacuum-Packed|真空包装",
         consumable=30, origins=("CN-HL", "TH"), share=0.8),
    Leaf("Food & Grocery > Dairy > Milk", "食品饮料 > 乳品 > 牛奶", 69,
         "Whole Milk|全脂牛奶; Skimmed Milk|脱脂牛奶; Organic Milk|有机牛奶|1.3; Oat Milk|燕麦奶|1.1",
         "spec", "250 ml x 12|250毫升×12盒; 250 ml x 24|250毫升×24盒|1.9; 1 L x 6|1升×6盒|1.1",
         "High-Protein|高蛋白; Long-Life|常温保存; Grass-Fed|草饲",
         consumable=14, origins=("NZ", "AU", "CN-NM", "DE"), share=0.9),
)

#: Price tiers: multiplier on the leaf's typical price and a small quality offset.
TIERS: dict[str, tuple[float, float]] = {
    "budget": (0.6, -0.4), "mid": (1.0, 0.0), "premium": (1.7, 0.35), "luxury": (2.8, 0.6),
}


class Brand(NamedTuple):
    """A fictional brand: names, price tier, home country and the category prefixes it sells in."""

    en: str
    zh: str
    tier: str
    origin: str
    scopes: tuple[str, ...]


def _b(en: str, zh: str, tier: str, origin: str, *scopes: str) -> Brand:
    return Brand(en, zh, tier, origin, scopes)


BRANDS: tuple[Brand, ...] = (
    _b("Velora", "薇洛拉", "premium", "IT", "Women > Clothing", "Women > Bags"),
    _b("Maison Clair", "克莱尔之家", "luxury", "FR", "Women > Clothing > Dresses", "Women > Bags",
       "Beauty > Fragrance"),
    _b("Urban Thread", "城市织线", "budget", "CN", "Women > Clothing", "Men > Clothing"),
    _b("Kumo", "云织", "mid", "JP",
       "Women > Clothing > Tops", "Men > Clothing > T-Shirts", "Home & Kitchen > Bedding"),
    _b("Hanfeng", "汉风", "mid", "CN", "Women > Clothing", "Men > Clothing"),
    _b("Nordvik", "诺德维克", "premium", "SE", "Women > Clothing > Down Jackets", "Men > Clothing > Jackets",
       "Sports & Outdoors > Outdoor"),
    _b("Solstice", "至日", "mid", "US", "Women > Clothing > Dresses", "Women > Clothing > Tops",
       "Women > Shoes > Sandals"),
    _b("Corvin", "科文", "premium", "GB",
       "Men > Clothing", "Men > Shoes > Leather Shoes", "Men > Accessories"),
    _b("Lotus Lane", "莲巷", "mid", "CN", "Women > Bags", "Women > Shoes"),
    _b("Basico", "本色", "budget", "CN", "Women > Clothing > Tops", "Men > Clothing > T-Shirts",
       "Men > Clothing > Jeans", "Home & Kitchen > Household"),
    _b("Denimworks", "丹宁工坊", "mid", "US", "Men > Clothing > Jeans", "Men > Clothing > Jackets"),
    _b("Stride", "步驰", "mid", "CN", "Women > Shoes", "Men > Shoes"),
    _b("Aerorun", "气跑", "mid", "CN", "Men > Shoes > Running Shoes", "Women > Shoes > Sneakers",
       "Sports & Outdoors > Sportswear"),
    _b("Northpeak", "北峰", "mid", "CN", "Men > Shoes > Running Shoes", "Sports & Outdoors > Outdoor",
       "Men > Clothing > Jackets", "Women > Clothing > Down Jackets"),
    _b("Velocity", "疾速", "premium", "US", "Men > Shoes > Running Shoes", "Women > Shoes > Sneakers",
       "Sports & Outdoors > Sportswear", "Sports & Outdoors > Cycling"),
    _b("Ferro", "费罗", "luxury", "IT",
       "Men > Shoes > Leather Shoes", "Women > Shoes > Boots", "Women > Bags"),
    _b("Tempo", "节拍", "mid", "CN", "Men > Accessories > Watches", "Electronics > Wearables"),
    _b("Helvetia Time", "赫尔维时", "luxury", "CH", "Men > Accessories > Watches"),
    _b("Lumina", "露米娜", "premium", "FR", "Beauty > Skin Care", "Beauty > Makeup"),
    _b("Hydra Bloom", "水漾", "mid", "KR", "Beauty > Skin Care"),
    _b("Pure Leaf", "纯叶", "budget", "CN", "Beauty > Skin Care"),
    _b("Dewy Lab", "露研", "mid", "KR", "Beauty > Skin Care", "Beauty > Makeup > Foundation"),
    _b("Aurelle", "奥蕾尔", "luxury", "FR",
       "Beauty > Skin Care > Serums", "Beauty > Makeup", "Beauty > Fragrance"),
    _b("Jade Spring", "玉泉", "mid", "CN", "Beauty > Skin Care"),
    _b("Sakura Skin", "樱肌", "mid", "JP",
       "Beauty > Skin Care > Sunscreen", "Beauty > Skin Care > Moisturisers",
       "Beauty > Makeup > Foundation"),
    _b("Velvet Rouge", "丝绒红", "mid", "CN", "Beauty > Makeup"),
    _b("Botanica", "植萃", "budget", "CN", "Beauty > Skin Care", "Beauty > Makeup > Lipstick"),
    _b("Atelier Nine", "九号工坊", "luxury", "FR", "Beauty > Fragrance", "Women > Bags"),
    _b("Zenith", "天顶", "premium", "US", "Electronics > Phones > Smartphones", "Electronics > Computers",
       "Electronics > Wearables", "Electronics > Audio"),
    _b("Novatech", "诺瓦科技", "mid", "CN", "Electronics > Phones", "Electronics > Computers",
       "Electronics > Wearables"),
    _b("Pixelon", "像素龙", "budget", "CN", "Electronics > Phones > Smartphones", "Electronics > Audio",
       "Electronics > Phones > Chargers"),
    _b("Orbit", "轨迹", "mid", "CN", "Electronics > Wearables", "Electronics > Audio"),
    _b("Sonique", "声韵", "premium", "DE", "Electronics > Audio"),
    _b("Voltix", "伏特", "budget", "CN",
       "Electronics > Phones > Chargers", "Electronics > Phones > Phone Cases"),
    _b("Lumen Mobile", "流明", "mid", "CN",
       "Electronics > Phones > Smartphones", "Electronics > Phones > Chargers"),
    _b("Apex Digital", "巅峰数码", "premium", "KR", "Electronics > Phones > Smartphones",
       "Electronics > Computers > Laptops", "Electronics > Wearables"),
    _b("Shellguard", "壳卫", "budget", "CN", "Electronics > Phones > Phone Cases"),
    _b("Bluefin", "蓝鳍", "mid", "CN", "Electronics > Audio", "Electronics > Phones > Chargers",
       "Sports & Outdoors > Cycling"),
    _b("Casa Verde", "绿居", "mid", "IT",
       "Home & Kitchen > Kitchen > Cookware", "Home & Kitchen > Household"),
    _b("Homely", "家悦", "budget", "CN", "Home & Kitchen > Household", "Home & Kitchen > Bedding",
       "Home & Kitchen > Kitchen > Water Bottles"),
    _b("Brewmaster", "酿师", "premium", "IT", "Home & Kitchen > Kitchen > Coffee Makers",
       "Food & Grocery > Beverages > Coffee Beans"),
    _b("Ironleaf", "铁叶", "mid", "DE", "Home & Kitchen > Kitchen > Cookware"),
    _b("Cloudnest", "云巢", "mid", "CN", "Home & Kitchen > Bedding"),
    _b("Purair", "净气", "premium", "SE", "Home & Kitchen > Appliances"),
    _b("Tidy", "整洁", "budget", "CN", "Home & Kitchen > Household"),
    _b("Nordhaus", "北屋", "premium", "DE", "Home & Kitchen > Kitchen", "Home & Kitchen > Appliances"),
    _b("Mono", "素简", "mid", "JP", "Home & Kitchen > Household", "Home & Kitchen > Bedding",
       "Home & Kitchen > Kitchen > Water Bottles", "Women > Clothing > Tops"),
    _b("Everwarm", "恒暖", "mid", "CN",
       "Home & Kitchen > Kitchen > Water Bottles", "Home & Kitchen > Bedding > Duvets"),
    _b("Flexa", "弗莱莎", "mid", "US",
       "Sports & Outdoors > Fitness > Yoga Mats", "Sports & Outdoors > Sportswear"),
    _b("Ironcore", "铁芯", "mid", "CN", "Sports & Outdoors > Fitness"),
    _b("Trailhawk", "径鹰", "premium", "US", "Sports & Outdoors > Outdoor", "Men > Clothing > Jackets"),
    _b("Peakform", "峰形", "budget", "CN", "Sports & Outdoors > Fitness", "Sports & Outdoors > Sportswear"),
    _b("Zenflow", "禅流", "mid", "CN",
       "Sports & Outdoors > Fitness > Yoga Mats", "Sports & Outdoors > Sportswear",
       "Women > Clothing > Tops"),
    _b("Summit Gear", "登顶装备", "mid", "CN", "Sports & Outdoors > Outdoor", "Sports & Outdoors > Cycling"),
    _b("Golden Harvest", "金穗", "budget", "CN", "Food & Grocery > Staples"),
    _b("Tea Garden", "茶园", "mid", "CN", "Food & Grocery > Beverages > Tea"),
    _b("Misty Peak", "雾峰", "premium", "CN", "Food & Grocery > Beverages > Tea"),
    _b("Highland Roast", "高地烘焙", "mid", "CN", "Food & Grocery > Beverages > Coffee Beans"),
    _b("Nutty Farm", "坚果农场", "budget", "CN", "Food & Grocery > Snacks"),
    _b("Cocoa Crown", "可可皇冠", "premium", "BE", "Food & Grocery > Snacks > Chocolate"),
    _b("Green Pasture", "绿原牧场", "mid", "NZ", "Food & Grocery > Dairy"),
    _b("Daily Fresh", "每日鲜", "budget", "CN", "Food & Grocery > Dairy", "Food & Grocery > Snacks",
       "Food & Grocery > Staples"),
    _b("Everyday", "日常", "budget", "CN", "Home & Kitchen > Household", "Food & Grocery > Staples",
       "Men > Clothing > T-Shirts"),
)

#: (English name, Chinese name, share of zh-speaking users, share of en-speaking users, tier-1 city)
CITIES: tuple[tuple[str, str, float, float, bool], ...] = (
    ("Shanghai", "上海", 0.14, 0.28, True), ("Beijing", "北京", 0.12, 0.20, True),
    ("Shenzhen", "深圳", 0.10, 0.14, True), ("Guangzhou", "广州", 0.09, 0.07, True),
    ("Hangzhou", "杭州", 0.08, 0.05, False), ("Chengdu", "成都", 0.08, 0.03, False),
    ("Wuhan", "武汉", 0.06, 0.01, False), ("Nanjing", "南京", 0.06, 0.02, False),
    ("Xi'an", "西安", 0.05, 0.01, False), ("Chongqing", "重庆", 0.06, 0.01, False),
    ("Suzhou", "苏州", 0.05, 0.03, False), ("Tianjin", "天津", 0.05, 0.01, False),
    ("Changsha", "长沙", 0.04, 0.01, False), ("Hong Kong", "香港", 0.01, 0.08, True),
    ("Singapore", "新加坡", 0.01, 0.05, True),
)

AGE_BANDS: tuple[str, ...] = ("18-24", "25-34", "35-44", "45-54", "55+")
