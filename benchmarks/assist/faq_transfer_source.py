"""A second, independent FAQ benchmark: another shop's policies, written after the matcher was tuned.

The first benchmark (``faq_source.py``) chose the matcher's weights and thresholds. This one asks whether they
carry over to an FAQ nobody tuned on, as an independent FAQ set would: a consumer-electronics shop, its own
topics (trade-in, installation, price match, pre-orders, gift cards, recycling, ...) and its own wording, 4
paraphrases per entry written as shoppers ask, and 40 out-of-scope questions per language (half general, half
shop-adjacent but not answered by this FAQ). Written by hand on 2026-12-07 before any score was taken.

    python benchmarks/assist/faq_transfer_source.py     # writes faq_transfer*.jsonl next to this file
"""

from __future__ import annotations

import json
from pathlib import Path

#: (topic, category, en question, en answer, zh question, zh answer, en paraphrases, zh paraphrases)
TOPICS: list[tuple[str, str, str, str, str, str, list[str], list[str]]] = [
    ("trade_in", "orders",
     "Can I trade in my old phone?",
     "Yes. Bring or mail your old phone; we value it within 2 days and credit the amount to your account.",
     "旧手机可以折价换新吗？",
     "可以。把旧手机寄来或送到门店，我们2天内估价，金额返到您的账户余额。",
     ["do you take old devices as part payment", "How does your trade-in programme work?",
      "I want to swap my old iPhone for credit toward a new one", "what will you give me for my used phone"],
     ["以旧换新怎么操作", "我的旧手机能抵多少钱", "旧机回收换新机可以吗", "老手机能不能折现买新的"]),
    ("installation", "services",
     "Do you offer installation for TVs and appliances?",
     "Wall mounting and appliance installation can be booked at checkout for ¥199; a technician comes within 3 days.",
     "电视和家电可以上门安装吗？",
     "结账时可预约上门安装，电视挂装和家电安装收费199元，技师3天内上门。",
     ["can someone come and mount my new tv on the wall", "Is setup of the washing machine included?",
      "do you send a technician to install the dishwasher", "how do I book installation for a fridge"],
     ["买了洗衣机谁来装", "电视挂墙有人上门吗", "安装师傅什么时候能来", "空调买了包安装吗"]),
    ("price_match", "payment",
     "Do you match competitors' prices?",
     "We match the price of authorised retailers for the same model in stock; send us the link within 14 days of purchase.",
     "你们能跟别家比价吗？",
     "同型号在授权商家有货且更便宜，购买后14天内发来链接，我们按对方价格补差。",
     ["another store sells this cheaper, will you match it", "Is there a price match guarantee?",
      "I found the same laptop for less on a different site", "can you beat a lower price I saw elsewhere"],
     ["别的店更便宜能补差价吗", "京东卖得比你们便宜怎么办", "有没有保价比价服务", "看到其他平台价格低能按那个价买吗"]),
    ("preorder", "orders",
     "How do pre-orders work?",
     "Pre-orders are charged when the item ships; you can cancel any time before shipping at no cost.",
     "预售商品怎么购买？",
     "预售商品在发货时才扣款，发货前可随时免费取消。",
     ["when am I charged for a preordered console", "Can I reserve a phone before its release?",
      "is my card billed now if I pre-order", "how does reserving an upcoming product work"],
     ["预订新品什么时候扣钱", "还没上市的手机可以先订吗", "预售能取消吗", "付了定金什么时候发货扣尾款"]),
    ("gift_card", "payment",
     "Can I pay with a gift card?",
     "Gift cards can be used for any order on the site and combined with one other payment method; they never expire.",
     "可以用礼品卡付款吗？",
     "礼品卡可用于全站订单，并可与另一种支付方式组合使用，永久有效。",
     ["how do i redeem a gift card at checkout", "Do your gift cards expire?",
      "can I split payment between a gift card and my credit card", "where do I enter my gift card code"],
     ["购物卡怎么用", "礼品卡有有效期吗", "礼品卡余额不够能和微信一起付吗", "礼品卡的卡号在哪里输入"]),
    ("recycling", "services",
     "Do you recycle old electronics?",
     "We collect old electronics and batteries free of charge at every store and when we deliver a new appliance.",
     "旧电器可以回收吗？",
     "所有门店免费回收旧电器和电池，送新家电时也可以把旧的带走。",
     ["where can I drop off dead batteries", "Will you take away my old fridge when delivering the new one?",
      "how do I dispose of an old laptop responsibly", "do you haul away the old washer"],
     ["废旧电池放哪里回收", "送新冰箱能把旧冰箱拉走吗", "旧电脑怎么处理比较环保", "坏掉的电器你们收不收"]),
    ("store_pickup", "shipping",
     "Can I pick up my order in a store?",
     "Choose 'pick up in store' at checkout; we text you when it is ready, usually within 2 hours, and hold it for 7 days.",
     "可以到门店自提吗？",
     "结账时选择“门店自提”，备好后短信通知，一般2小时内，保留7天。",
     ["buy online and collect at the shop, is that possible", "How long will you hold my pickup order?",
      "I'd rather collect it myself than have it delivered", "when will my click and collect order be ready"],
     ["网上买了去店里拿可以吗", "自提的货能放几天", "不想等快递自己去取行不行", "门店自取多久能备好货"]),
    ("order_tracking", "shipping",
     "How can I track my order?",
     "Open 'My orders' and tap the order: the tracking number and the courier's latest scan are shown there.",
     "怎么查询物流？",
     "在“我的订单”中点开订单，即可看到运单号和快递最新动态。",
     ["where is my package right now", "Is there a tracking number for my delivery?",
      "I want to see where my parcel is", "how do I follow the shipment of my order"],
     ["我的快递到哪了", "运单号在哪里看", "怎么看包裹现在在哪", "订单物流信息去哪查"]),
    ("change_address", "shipping",
     "Can I change the delivery address after ordering?",
     "You can change the address in 'My orders' until the order ships; after that, contact the courier with the tracking number.",
     "下单后可以改收货地址吗？",
     "订单发货前可在“我的订单”中修改地址；发货后请凭运单号联系快递公司。",
     ["I put the wrong address on my order", "how do I update where my parcel goes",
      "Can my order be sent to my office instead of home?", "entered an old address by mistake, can it be fixed"],
     ["地址填错了怎么办", "能不能把收货地址改成公司", "下完单想换个收件地址", "收货人电话写错了能改吗"]),
    ("restock_alert", "orders",
     "Can I get notified when an item is back in stock?",
     "Tap 'Notify me' on the product page; we e-mail you once it is back in stock.",
     "缺货商品到货能通知我吗？",
     "在商品页点击“到货通知”，补货后我们会发邮件提醒您。",
     ["the headphones I want are sold out, will you tell me when they return", "How do I set up a stock alert?",
      "when will this item be available again", "can you let me know once it's restocked"],
     ["没货了什么时候补", "到货提醒怎么设置", "卖光了的耳机有货了能告诉我吗", "缺货能登记一下吗"]),
    ("bulk_order", "orders",
     "Do you offer discounts for bulk or business orders?",
     "Orders of 10 or more units get a business quote; fill in the form on the 'Business' page and a rep replies within a day.",
     "企业采购或批量购买有优惠吗？",
     "单次购买10台及以上可申请企业报价，在“企业采购”页面填写表单，一个工作日内回复。",
     ["we need 30 laptops for our office, is there a volume price", "How do companies buy in bulk from you?",
      "can I get a quote for a large order", "is there a wholesale discount"],
     ["公司要买一批电脑怎么谈价格", "买得多能便宜点吗", "团购价怎么申请", "单位集采找谁报价"]),
    ("product_registration", "warranty",
     "Do I need to register my product for the warranty?",
     "No registration is needed: your order number is your proof of purchase for the warranty.",
     "保修需要注册产品吗？",
     "不需要注册，订单号即为保修的购买凭证。",
     ["should I register my new tv to keep the guarantee", "Is product registration required?",
      "what do I need to show to use the warranty", "do I have to activate the warranty somewhere"],
     ["保修要不要先激活", "买的电视需要登记才能保修吗", "保修凭证是什么", "没注册还能保修吗"]),
    ("extended_warranty", "warranty",
     "Can I buy an extended warranty?",
     "Extended protection adds 2 years to the maker's warranty, including accidental damage; buy it within 30 days of purchase.",
     "可以购买延长保修吗？",
     "延保服务在厂家保修外再延长2年，含意外损坏，需在购买后30天内购买。",
     ["is there extra protection for accidental drops", "How much longer can I extend the guarantee?",
      "can I add a protection plan after buying", "does the care plan cover a cracked screen"],
     ["延保怎么买", "屏幕摔碎了延保管不管", "买完还能补买延保吗", "有没有意外险之类的保障"]),
    ("student_discount", "membership",
     "Is there a student discount?",
     "Verified students get 5% off laptops and tablets; verify once with your school e-mail in your account.",
     "学生有优惠吗？",
     "通过学生认证可享笔记本和平板95折，在账户中用学校邮箱认证一次即可。",
     ["do you give discounts to university students", "How do I verify I'm a student?",
      "is there education pricing on laptops", "I'm at college, can I get money off an ipad"],
     ["学生买电脑打折吗", "学生认证怎么弄", "大学生有教育优惠吗", "在校生买平板便宜吗"]),
    ("refund_time", "returns",
     "When will I get my refund?",
     "Refunds go back to the original payment method within 3 working days after we receive the return.",
     "退款多久到账？",
     "收到退货后3个工作日内原路退回。",
     ["how long do refunds take to show up", "I returned an item last week, where is my money?",
      "Is the refund paid to my card or as credit?", "when do I get the money back for my return"],
     ["退的钱什么时候到", "退货后钱退到哪里", "退款几天能收到", "东西寄回去了钱还没退"]),
    ("missing_item", "returns",
     "An item is missing from my package. What should I do?",
     "Report it in 'My orders' within 7 days with a photo of the package; we send the missing item or refund it.",
     "包裹里少了东西怎么办？",
     "请在7天内于“我的订单”中提交申请并附包裹照片，我们会补发或退款。",
     ["my box came without the charger", "Only part of my order was delivered",
      "the parcel arrived but the cable is not inside", "something I paid for wasn't in the delivery"],
     ["收到货发现少了配件", "包裹里没有充电器", "只收到一部分商品", "买了两件只到了一件"]),
    ("company_invoice", "payment",
     "Can I get a VAT invoice for my company?",
     "Enter your company name and tax number at checkout; the VAT invoice is e-mailed within 2 days of delivery.",
     "可以开公司增值税发票吗？",
     "结账时填写公司名称和税号，签收后2天内将增值税发票发送到您的邮箱。",
     ["I need an invoice with our tax number", "How do I get a business invoice?",
      "can the receipt be issued to my employer", "where do i put my company details for the invoice"],
     ["开专票需要什么信息", "发票抬头能写公司吗", "报销要公司发票怎么开", "税号在哪里填"]),
    ("subscription_cancel", "membership",
     "How do I cancel my Plus membership?",
     "Turn off auto-renewal in 'Account > Plus'; the membership stays active until the end of the paid period.",
     "怎么取消Plus会员？",
     "在“账户 > Plus会员”中关闭自动续费，会员权益保留到已付费周期结束。",
     ["stop the automatic renewal of my membership", "I don't want Plus anymore",
      "How can I end my paid subscription?", "will I lose my benefits right away if I cancel plus"],
     ["会员自动续费怎么关", "不想续费Plus了", "取消会员后权益还有吗", "怎么退订付费会员"]),
    ("payment_failed", "payment",
     "Why was my payment declined?",
     "Declines usually come from the bank's limits or a wrong security code; try again or use another card, and your order is kept for 30 minutes.",
     "为什么付款失败？",
     "付款失败通常是银行限额或验证码有误，请重试或换一张卡，订单保留30分钟。",
     ["my card keeps getting rejected at checkout", "The payment didn't go through, what now?",
      "why won't my credit card work on your site", "checkout says transaction failed"],
     ["付不了款怎么回事", "银行卡支付一直不成功", "支付失败订单还在吗", "刷卡被拒绝了"]),
    ("damaged_on_arrival", "returns",
     "My item arrived damaged. What can I do?",
     "Send photos of the item and box within 48 hours of delivery; we replace it free of charge and collect the damaged one.",
     "收到的商品损坏了怎么办？",
     "签收后48小时内发送商品和外箱照片，我们免费换新并上门取回损坏的商品。",
     ["the screen was cracked when i opened the box", "My TV came broken",
      "the speaker arrived with a dent", "what if the product is smashed on delivery"],
     ["打开箱子屏幕是裂的", "快递送来的电视是坏的", "东西到手就有磕碰", "收到货外壳碎了"]),
    ("international_shipping", "shipping",
     "Do you ship abroad?",
     "We ship to 25 countries; import duties are shown at checkout and paid with the order.",
     "可以寄到国外吗？",
     "我们可配送至25个国家，进口关税在结账时显示并随订单支付。",
     ["can you deliver to Canada", "Do you send orders overseas?",
      "will I have to pay customs if I order from abroad", "which countries do you ship to"],
     ["能发货到美国吗", "海外能不能下单", "寄到国外要交关税吗", "你们支持国际快递吗"]),
    ("reward_points", "membership",
     "How do I earn reward points?",
     "Every ¥1 spent earns 1 point; 100 points are worth ¥1 off your next order.",
     "怎么获得积分？",
     "每消费1元得1积分，100积分可在下单时抵扣1元。",
     ["do purchases give me points", "How much are my points worth?",
      "what's the conversion rate of points to money", "how can I collect more loyalty points"],
     ["买东西送积分吗", "积分能抵多少钱", "怎么攒积分", "积分怎么换算成钱"]),
    ("exchange_model", "returns",
     "Can I exchange a product for a different model?",
     "Unopened items can be exchanged for another model within 15 days; you pay or get back the price difference.",
     "可以换成别的型号吗？",
     "未拆封商品15天内可换其他型号，多退少补。",
     ["I bought the wrong size of tv, can I swap it", "Is it possible to switch to the bigger model?",
      "want to change my phone for another colour", "exchange for a different version, how"],
     ["买错型号了能换吗", "想换个大一点的尺寸", "手机能换别的颜色吗", "不拆封可以换款吗"]),
    ("contact_support", "account",
     "How can I contact customer service?",
     "Chat with us in the app from 8:00 to 22:00 every day, or call 400-820-8820.",
     "怎么联系客服？",
     "每天8:00-22:00可在App内在线咨询，或拨打400-820-8820。",
     ["what's your phone number", "I want to talk to a real person",
      "What are your support hours?", "how do I reach your help desk"],
     ["客服电话多少", "怎么找人工客服", "客服几点上班", "有问题找谁"]),
]

#: Out-of-scope questions: general ones, then shop-adjacent ones this FAQ does not answer.
OUT_OF_SCOPE_EN = [
    "what's the capital of Australia", "how many calories are in an apple", "will it rain this weekend",
    "who won the football match yesterday", "recommend a good novel to read", "how do I boil an egg",
    "what time is it in Tokyo", "how far is the moon", "translate hello into French", "what is 17 times 23",
    "how do I change a flat tyre", "best exercises for back pain", "how to write a cover letter",
    "what's a good name for a cat", "explain quantum computing simply", "how do vaccines work",
    "when is the next full moon", "how tall is Mount Everest", "what should I cook tonight",
    "how do I learn to play guitar",
    "which laptop is best for gaming", "is the new phone better than last year's", "do you sell furniture",
    "what's the battery life of this tablet", "are you hiring", "how do I reset my router",
    "can I become a seller on your site", "do you have a store in Shanghai", "what's your company's revenue",
    "is this camera good for beginners", "how do I connect my headphones by bluetooth",
    "why is my laptop so slow", "do you repair phones you didn't sell", "what's the difference between OLED and LED",
    "can you recommend a printer", "who makes the best vacuum cleaner", "do you sell second-hand phones",
    "how do I update my phone's software", "what's the warranty law in Germany", "can I rent a projector",
]
OUT_OF_SCOPE_ZH = [
    "今天北京天气怎么样", "一个苹果多少卡路里", "周末会下雨吗", "昨天足球比赛谁赢了", "推荐一本好看的小说",
    "鸡蛋要煮几分钟", "东京现在几点", "月亮离地球多远", "你好用法语怎么说", "十七乘以二十三等于几",
    "自行车胎爆了怎么补", "腰疼做什么运动好", "求职信怎么写", "给猫取个什么名字好", "量子计算是什么",
    "疫苗是怎么起作用的", "下一次满月是什么时候", "珠穆朗玛峰有多高", "今晚做什么菜", "怎么学吉他",
    "打游戏买哪款笔记本好", "新款手机比去年的好吗", "你们卖家具吗", "这个平板续航多久", "你们招人吗",
    "路由器怎么重置", "我能在你们平台开店吗", "上海有实体店吗", "你们公司一年营业额多少", "这款相机适合新手吗",
    "蓝牙耳机怎么连手机", "电脑很卡怎么办", "不是在你们这买的手机能修吗", "OLED和LED有什么区别", "推荐一款打印机",
    "哪个牌子的吸尘器最好", "你们卖二手手机吗", "手机系统怎么升级", "德国的保修法律是怎样的", "投影仪可以租吗",
]


#: One topic: (topic, category, en question, en answer, zh question, zh answer, en paraphrases, zh paraphrases).
Topic = tuple[str, str, str, str, str, str, list[str], list[str]]


def write_set(suffix: str, topics: list[Topic], out_of_scope_en: list[str], out_of_scope_zh: list[str],
              out_dir: Path) -> dict[str, int]:
    """Write ``faq_<suffix>.jsonl``, ``questions_<suffix>.jsonl`` and ``out_of_scope_<suffix>.jsonl`` in the
    formats ``shopmind assist faq evaluate`` reads; returns the line count of each."""
    faq, questions = [], []
    for topic, category, q_en, a_en, q_zh, a_zh, para_en, para_zh in topics:
        for lang, q, a, paras in (("en", q_en, a_en, para_en), ("zh", q_zh, a_zh, para_zh)):
            faq_id = f"{topic}.{lang}"
            faq.append({"faq_id": faq_id, "lang": lang, "category": category, "question": q, "answer": a})
            questions.extend({"text": p, "lang": lang, "faq_id": faq_id} for p in paras)
    oos = [{"text": t, "lang": "en"} for t in out_of_scope_en] + [{"text": t, "lang": "zh"} for t in out_of_scope_zh]
    files = {f"faq_{suffix}.jsonl": faq, f"questions_{suffix}.jsonl": questions,
             f"out_of_scope_{suffix}.jsonl": oos}
    for name, rows in files.items():
        with (out_dir / name).open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return {name: len(rows) for name, rows in files.items()}


def write(out_dir: Path) -> dict[str, int]:
    return write_set("transfer", TOPICS, OUT_OF_SCOPE_EN, OUT_OF_SCOPE_ZH, out_dir)


if __name__ == "__main__":
    print(write(Path(__file__).resolve().parent))
