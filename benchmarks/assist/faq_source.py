"""The FAQ benchmark, written by hand: 30 store-policy topics in English and Chinese (60 FAQ entries), five
paraphrases per entry held out from the index (300 questions), and 200 out-of-scope questions.

    python benchmarks/assist/faq_source.py   # writes faq.jsonl, questions.jsonl, out_of_scope.jsonl here

Each topic: (id, category, en question, en answer, zh question, zh answer, 5 en paraphrases, 5 zh paraphrases).
"""

import json
from pathlib import Path

T = [
 ("shipping_time", "shipping", "How long does delivery take?", "Orders ship within 24 hours; delivery takes 2-4 days in mainland China and 5-10 days elsewhere.",
  "多久能到货？", "订单24小时内发货，大陆地区2-4天送达，其他地区5-10天。",
  ["When will my package arrive?", "how many days until i get my order", "What's the usual delivery time?", "How fast do you deliver?", "how soon will my stuff be delivered"],
  ["下单后几天能收到？", "一般几天到货", "快递要多久才到", "发货后多长时间能送到", "什么时候能收到我的包裹"]),
 ("shipping_cost", "shipping", "How much does shipping cost?", "Shipping is free on orders over ¥99; below that a flat fee of ¥10 applies.",
  "运费是多少？", "订单满99元包邮，不满99元收取10元运费。",
  ["Is shipping free?", "what are the delivery charges", "do i have to pay for postage", "How much is the delivery fee?", "minimum order for free shipping?"],
  ["包邮吗？", "邮费怎么算", "满多少免运费", "需要付快递费吗", "配送费多少钱"]),
 ("shipping_international", "shipping", "Do you ship internationally?", "Yes, we ship to over 40 countries; duties and taxes are paid by the recipient.",
  "可以寄到国外吗？", "可以，我们支持配送到40多个国家和地区，关税由收件人承担。",
  ["Can you deliver to the US?", "do you send orders abroad", "Is overseas delivery available?", "can i order from outside china", "Which countries do you ship to?"],
  ["支持海外配送吗", "能发到美国吗", "国外可以下单吗", "你们发国际快递吗", "海外地址能收货吗"]),
 ("shipping_track", "shipping", "How can I track my order?", "Open My Orders and tap Track; you will also get the tracking number by SMS once it ships.",
  "怎么查物流？", "在“我的订单”中点击“查看物流”，发货后也会短信通知您快递单号。",
  ["Where is my order?", "how do i get the tracking number", "Can I see where my parcel is?", "track my package", "Is there a way to follow my shipment?"],
  ["我的快递到哪了", "怎么查看快递单号", "物流信息在哪里看", "包裹现在在哪", "如何跟踪我的订单"]),
 ("shipping_address", "shipping", "Can I change the delivery address after ordering?", "You can change the address in My Orders until the order ships; after that, contact customer service.",
  "下单后可以改地址吗？", "订单发货前可在“我的订单”中修改地址，发货后请联系客服。",
  ["I entered the wrong address, what can I do?", "how to update shipping address on my order", "Can the delivery address be modified?", "change address after purchase", "wrong address on my order"],
  ["地址填错了怎么办", "怎么修改收货地址", "下单后还能换地址吗", "收货地址写错了", "订单的地址可以改吗"]),
 ("shipping_express", "shipping", "Do you offer express delivery?", "Yes, next-day express is available in major cities for ¥20; choose it at checkout.",
  "有加急配送吗？", "有，主要城市支持次日达，加收20元，结算时选择即可。",
  ["Can I get next-day delivery?", "is faster shipping available", "how do i choose express shipping", "Do you have overnight delivery?", "i need it tomorrow, is that possible"],
  ["能次日达吗", "可以加急发货吗", "有没有更快的快递", "明天能送到吗", "怎么选择加急配送"]),
 ("returns_policy", "returns", "What is your return policy?", "You can return most items within 7 days of delivery without giving a reason, if they are unused and in original packaging.",
  "退货政策是什么？", "大部分商品签收后7天内支持无理由退货，需保持商品未使用且包装完好。",
  ["Can I return something I bought?", "how many days do i have to return an item", "Do you accept returns?", "is there a no questions asked return", "What's the return window?"],
  ["支持七天无理由退货吗", "买的东西可以退吗", "退货期限是几天", "不喜欢能退吗", "你们的退货规定"]),
 ("returns_how", "returns", "How do I return an item?", "Go to My Orders, choose Return, print the label and drop the parcel at any courier point.",
  "怎么申请退货？", "在“我的订单”中选择“申请退货”，填写原因后按提示寄回即可。",
  ["What are the steps to send something back?", "how to start a return", "Where do I request a return?", "process for returning a product", "how can i send back my order"],
  ["退货流程是怎样的", "在哪里申请退货", "怎么把东西退回去", "退货要怎么操作", "我想退货该怎么办"]),
 ("refund_time", "returns", "How long does a refund take?", "Refunds are issued within 3 business days after we receive the return, to the original payment method.",
  "退款多久到账？", "我们收到退货后3个工作日内退款，原路返回。",
  ["When will I get my money back?", "how long until my refund arrives", "I returned an item, when is the refund?", "refund processing time", "How many days for a refund to show up?"],
  ["退款什么时候到", "钱多久能退回来", "退款要几天", "退货后多久退钱", "退款还没到账怎么办"]),
 ("return_shipping_fee", "returns", "Who pays for return shipping?", "Return shipping is free for defective items; for other returns a ¥10 fee is deducted from the refund.",
  "退货运费谁出？", "质量问题退货运费由我们承担，其他原因退货将从退款中扣除10元运费。",
  ["Do I have to pay to send it back?", "is return postage free", "Are returns free of charge?", "who covers the shipping cost for returns", "cost of returning an item"],
  ["退货要自己付邮费吗", "退回的快递费谁承担", "退货免运费吗", "寄回去的运费怎么算", "退货邮费多少"]),
 ("exchange", "returns", "Can I exchange an item for a different size?", "Yes, size and colour exchanges are free within 7 days; request an exchange in My Orders.",
  "可以换尺码吗？", "可以，7天内支持免费换尺码或颜色，在“我的订单”中申请换货。",
  ["The shoes are too small, can I swap them?", "how do i exchange for another colour", "is it possible to get a different size instead", "exchange policy", "Can I trade it for a bigger one?"],
  ["衣服小了能换大一码吗", "怎么换颜色", "可以换货吗", "尺码不合适怎么办", "换货流程"]),
 ("damaged", "returns", "My item arrived damaged. What should I do?", "Sorry! Send us photos within 48 hours of delivery and we will send a replacement or a full refund.",
  "收到的商品坏了怎么办？", "非常抱歉！请在签收后48小时内提供照片，我们将为您补发或全额退款。",
  ["The product was broken when it arrived", "I received a defective item", "package came damaged", "what if my order is faulty", "the item I got doesn't work"],
  ["收到的东西是坏的", "商品有质量问题", "快递破损了怎么办", "收到货发现有损坏", "东西收到就不能用"]),
 ("cancel", "orders", "How do I cancel my order?", "Unshipped orders can be cancelled in My Orders; the payment is refunded immediately.",
  "怎么取消订单？", "未发货的订单可在“我的订单”中直接取消，款项立即原路退回。",
  ["I want to cancel my purchase", "can i cancel an order i just placed", "how to cancel an order", "is it too late to cancel", "Cancel order please"],
  ["我不想要了能取消吗", "订单怎么取消", "刚下的单可以取消吗", "取消订单在哪里", "怎么撤销订单"]),
 ("payment_methods", "payment", "What payment methods do you accept?", "We accept Alipay, WeChat Pay, UnionPay and Visa/Mastercard credit cards.",
  "支持哪些支付方式？", "支持支付宝、微信支付、银联卡以及Visa/万事达信用卡。",
  ["Can I pay with a credit card?", "do you take paypal", "which ways can i pay", "Is Alipay accepted?", "how can I pay for my order"],
  ["可以用微信支付吗", "能刷信用卡吗", "付款方式有哪些", "支持支付宝吗", "怎么付款"]),
 ("installments", "payment", "Can I pay in installments?", "Yes, orders over ¥600 can be paid in 3, 6 or 12 interest-free installments with Huabei or credit cards.",
  "可以分期付款吗？", "可以，满600元可使用花呗或信用卡分3、6、12期免息。",
  ["Do you offer buy now pay later?", "can i split the payment", "is there an installment plan", "monthly payments available?", "interest free installments"],
  ["支持花呗分期吗", "能分期吗", "有免息分期吗", "可以分几期付款", "分期怎么用"]),
 ("payment_failed", "payment", "My payment failed. What should I do?", "Check your card limit and network, then retry; if money was taken but the order failed, it is refunded within 24 hours.",
  "付款失败怎么办？", "请检查银行卡额度和网络后重试；如已扣款但订单未成功，款项将在24小时内自动退回。",
  ["Payment didn't go through", "my card was declined", "i was charged but the order failed", "why can't I pay", "transaction error at checkout"],
  ["支付不成功", "扣款了但是订单没生成", "付不了款", "银行卡支付被拒绝", "结账时付款出错"]),
 ("invoice", "payment", "How do I get an invoice?", "Request an electronic invoice in My Orders after delivery; it is emailed within 2 days.",
  "怎么开发票？", "签收后在“我的订单”中申请电子发票，2天内发送到您的邮箱。",
  ["Can I get a receipt for my purchase?", "how to request a VAT invoice", "I need an invoice for my company", "where do i download the invoice", "do you provide invoices"],
  ["能开发票吗", "电子发票在哪里申请", "公司报销需要发票", "怎么申请增值税发票", "发票什么时候给"]),
 ("price_protection", "payment", "The price dropped after I bought it. Can I get the difference?", "Yes, within 7 days of purchase we refund the difference if the same item gets cheaper; apply in My Orders.",
  "买完降价了能退差价吗？", "可以，购买后7天内同款商品降价，可在“我的订单”中申请退还差价。",
  ["Do you have price protection?", "it's cheaper now, can i get a refund of the difference", "price went down after my purchase", "price match after buying", "refund the price difference"],
  ["有价格保护吗", "刚买就降价了", "能补差价吗", "降价退差价怎么申请", "买贵了可以退差价吗"]),
 ("warranty_length", "warranty", "How long is the warranty?", "Electronics and appliances have a 1-year manufacturer warranty; other items 90 days against defects.",
  "保修期多久？", "电子产品和家电享受一年厂家保修，其他商品提供90天质量保障。",
  ["Does this come with a warranty?", "what is the guarantee period", "how many years of warranty on electronics", "is there a warranty on appliances", "warranty coverage length"],
  ["有保修吗", "质保多长时间", "电器保修几年", "保修期是多久", "这个有没有质保"]),
 ("warranty_claim", "warranty", "How do I make a warranty claim?", "Contact customer service with your order number and a description or video of the fault; we arrange free repair or replacement.",
  "怎么申请保修？", "请联系客服并提供订单号和故障描述或视频，我们将安排免费维修或更换。",
  ["My device stopped working, how do I get it repaired?", "how to claim the guarantee", "where to send a product for repair", "warranty repair process", "the product broke within warranty"],
  ["坏了怎么保修", "保修流程是什么", "怎么申请维修", "质保期内坏了怎么办", "去哪里修"]),
 ("membership_join", "membership", "How do I become a member?", "Membership is free: sign up with your phone number and you become a Silver member at once.",
  "怎么成为会员？", "注册即可免费成为会员，用手机号注册后立即成为银卡会员。",
  ["How can I join the membership program?", "is membership free", "sign up for loyalty program", "how to register as a member", "do i need to pay to be a member"],
  ["会员怎么注册", "加入会员要钱吗", "怎么开通会员", "如何办会员卡", "成为会员需要什么条件"]),
 ("membership_benefits", "membership", "What are the member benefits?", "Members earn points, get a birthday coupon, free shipping on every Gold order and early access to sales.",
  "会员有什么权益？", "会员可以积分、领取生日券，金卡会员全场包邮并可提前参加促销。",
  ["What do members get?", "perks of the loyalty program", "why should i become a member", "gold member advantages", "what are the benefits of membership"],
  ["会员有哪些好处", "金卡会员有什么特权", "开会员有什么用", "会员福利", "会员等级权益是什么"]),
 ("points_earn", "membership", "How do I earn points?", "You earn 1 point for every ¥1 spent, plus points for reviews and daily check-ins.",
  "积分怎么获得？", "每消费1元积1分，写评价和每日签到也能获得积分。",
  ["How are reward points collected?", "do i get points for shopping", "how many points per purchase", "ways to get more points", "earning loyalty points"],
  ["怎么攒积分", "买东西送积分吗", "积分怎么算", "怎样获得更多积分", "消费一元几个积分"]),
 ("points_redeem", "membership", "How do I use my points?", "At checkout, 100 points take ¥1 off, up to 50% of the order value.",
  "积分怎么用？", "结算时100积分抵扣1元，最多抵扣订单金额的50%。",
  ["Can I redeem points for a discount?", "how to spend my reward points", "what are points worth", "use points at checkout", "redeem loyalty points"],
  ["积分可以抵钱吗", "怎么兑换积分", "积分能当钱花吗", "积分抵扣规则", "100积分等于多少钱"]),
 ("coupon_use", "coupons", "How do I use a coupon?", "Coupons in your account are applied automatically at checkout when the order meets their threshold.",
  "优惠券怎么用？", "账户中的优惠券在结算时满足门槛会自动使用。",
  ["Where do I enter a promo code?", "how to apply a discount code", "using a voucher at checkout", "how do coupons work", "i have a coupon, how do i redeem it"],
  ["优惠码在哪里输入", "怎么使用优惠券", "领的券怎么用", "结算时怎么用券", "代金券如何使用"]),
 ("coupon_problem", "coupons", "Why doesn't my coupon work?", "Check the minimum spend, the expiry date and whether the items are excluded; each coupon can be used once.",
  "优惠券为什么用不了？", "请检查是否满足使用门槛、是否过期以及商品是否在适用范围内，每张券仅可使用一次。",
  ["My discount code is not being accepted", "coupon says invalid", "promo code not working", "the voucher won't apply", "why can't i use my coupon"],
  ["优惠券无法使用", "提示优惠券无效", "优惠码用不了", "券为什么不能用", "领了券但结算时没有减"]),
 ("coupon_stack", "coupons", "Can I combine several coupons?", "One store coupon and one platform coupon can be combined per order; two store coupons cannot.",
  "优惠券可以叠加吗？", "每笔订单可同时使用一张店铺券和一张平台券，店铺券之间不可叠加。",
  ["Can I use two discount codes?", "stack coupons on one order", "are coupons cumulative", "use multiple vouchers together", "combine promo codes"],
  ["两张券能一起用吗", "优惠可以叠加使用吗", "能同时用多张优惠券吗", "店铺券和平台券能叠加吗", "满减和优惠券能一起用吗"]),
 ("password", "account", "I forgot my password. How do I reset it?", "Tap Forgot password on the login page and follow the SMS code sent to your phone.",
  "忘记密码怎么办？", "在登录页点击“忘记密码”，通过手机短信验证码重置即可。",
  ["Can't log in to my account", "how to reset password", "I lost my login password", "change my password", "locked out of my account"],
  ["密码忘了", "登录不上怎么办", "怎么重置密码", "怎么修改登录密码", "账号登不进去"]),
 ("contact", "service", "How can I contact customer service?", "Chat with us in the app 9:00-22:00 every day or call 400-800-1234.",
  "怎么联系客服？", "每天9:00-22:00可在App内在线咨询，或拨打400-800-1234。",
  ["What are your customer service hours?", "is there a phone number I can call", "how do i talk to a human", "when is support available", "I want to speak to an agent"],
  ["人工客服在哪", "客服电话是多少", "客服几点上班", "怎么找人工", "在线客服什么时间有"]),
 ("gift_wrap", "service", "Do you offer gift wrapping?", "Yes, gift wrapping with a card is available for ¥5; select it at checkout.",
  "可以礼品包装吗？", "可以，结算时选择礼品包装并附贺卡，收费5元。",
  ["Can you wrap my order as a present?", "is gift packaging available", "can i add a gift card message", "do you do gift boxes", "wrap it as a gift please"],
  ["能包装成礼物吗", "有礼盒包装吗", "可以写贺卡吗", "送人的能包装一下吗", "礼品包装多少钱"]),
]

OOS_EN = """What's the weather like tomorrow?
Tell me a joke
Who won the football match last night?
What is the capital of Australia?
How do I bake a chocolate cake?
Can you recommend a good movie?
What's 17 times 23?
How tall is Mount Everest?
Translate hello into French
What time is it in New York?
Who is the president of France?
How do I fix a flat bicycle tire myself?
What's the best programming language?
Write me a poem about the sea
How many calories are in an apple?
When was the Great Wall built?
Is it going to rain this weekend?
What's the meaning of life?
How do I learn to play guitar?
Can you help me with my math homework?
What's the exchange rate of dollars to yen?
How do I get to the airport?
Which stocks should I buy?
What's a good name for my cat?
How do I install Python on Windows?
Are you a robot?
What's your favourite colour?
How long should I boil an egg?
Who wrote Romeo and Juliet?
Book a table for two at a restaurant
How far is the moon?
What are the symptoms of the flu?
Recommend a hotel in Paris
How do I change a car tyre?
What's trending on social media?
Can you sing a song?
How do I make coffee with a French press?
What does DNA stand for?
When is the next public holiday?
How do I lose weight fast?
Explain quantum physics simply
What's the population of China?
How do airplanes fly?
Is coffee bad for your health?
Play some music
What is the speed of light?
How do I write a CV?
Should I buy a house or rent?
How do I meditate?
What's the score of the basketball game?
Give me a random number
How many legs does a spider have?
Who painted the Mona Lisa?
What should I cook for dinner?
How do I unclog a sink?
Tell me about the history of Rome
How do you say thank you in Japanese?
Is the stock market open today?
What's the best smartphone in the world?
How do I train my dog to sit?
Do aliens exist?
What's the distance from Beijing to Shanghai?
How do I start a business?
Can you do my taxes?
What's the boiling point of water?
Recommend a book to read
What's a black hole?
How do I get rid of a headache?
Who invented the telephone?
Where can I watch the Olympics?
How do I grow tomatoes?
What's the longest river in the world?
Can you order me a taxi?
How do I set up a wifi router?
Is tomorrow a good day for a picnic?
What does your company's CEO earn?
How do I apply for a passport?
What's the best way to study for exams?
How many planets are in the solar system?
Do you like pizza?
What is machine learning?
How old is the universe?
Tell me a fun fact
How do I make friends in a new city?
What's the news today?
Who is the richest person alive?
How do I fold a paper airplane?
What is inflation?
How do I clean my laptop screen?
Can you remind me to call mom?
What language is spoken in Brazil?
How do I knit a scarf?
What is the GDP of Japan?
Which university is the best?
How do I fix my broken phone screen myself?
Why is the sky blue?
What's your opinion on politics?
How do I cook rice?
Where is the nearest hospital?
How much does a Tesla cost?""".splitlines()

OOS_ZH = """明天天气怎么样
给我讲个笑话
昨晚足球比赛谁赢了
澳大利亚的首都是哪里
怎么做巧克力蛋糕
推荐一部好看的电影
17乘以23等于多少
珠穆朗玛峰有多高
把你好翻译成法语
纽约现在几点
法国总统是谁
自行车爆胎了怎么自己补
哪种编程语言最好
给我写一首关于大海的诗
一个苹果有多少卡路里
长城是什么时候修的
这个周末会下雨吗
人生的意义是什么
怎么学弹吉他
帮我做一下数学作业
美元兑日元汇率是多少
怎么去机场
买哪只股票好
给我的猫起个名字
怎么在电脑上安装Python
你是机器人吗
你最喜欢什么颜色
鸡蛋要煮几分钟
罗密欧与朱丽叶是谁写的
帮我订一个两人的餐位
月亮离地球多远
流感有什么症状
推荐一家巴黎的酒店
怎么给汽车换轮胎
最近网上流行什么
你会唱歌吗
法压壶怎么做咖啡
DNA是什么意思
下一个法定节假日是哪天
怎么快速减肥
简单解释一下量子物理
中国有多少人口
飞机为什么能飞
喝咖啡对身体不好吗
放首歌听听
光速是多少
简历怎么写
买房好还是租房好
怎么冥想
篮球比赛比分多少
随便给我一个数字
蜘蛛有几条腿
蒙娜丽莎是谁画的
晚饭做什么好
下水道堵了怎么办
讲讲罗马的历史
日语谢谢怎么说
今天股市开盘吗
世界上最好的手机是哪款
怎么训练狗坐下
外星人存在吗
北京到上海有多远
怎么创业
能帮我报税吗
水的沸点是多少
推荐一本书
黑洞是什么
头疼怎么缓解
电话是谁发明的
在哪里看奥运会直播
番茄怎么种
世界上最长的河是哪条
帮我叫辆出租车
路由器怎么设置
明天适合去野餐吗
你们老板工资多少
护照怎么办理
考试怎么复习效率高
太阳系有几颗行星
你喜欢吃披萨吗
什么是机器学习
宇宙有多少岁了
说一个有趣的冷知识
到了新城市怎么交朋友
今天有什么新闻
世界首富是谁
纸飞机怎么折
什么是通货膨胀
笔记本屏幕怎么清洁
提醒我给妈妈打电话
巴西说什么语言
围巾怎么织
日本GDP是多少
哪所大学最好
手机屏幕碎了怎么自己修
天空为什么是蓝色的
你怎么看政治
米饭怎么煮
最近的医院在哪里
特斯拉多少钱""".splitlines()


def main() -> None:
    here = Path(__file__).parent
    faq, questions = [], []
    for tid, cat, qe, ae, qz, az, pe, pz in T:
        assert len(pe) == 5 and len(pz) == 5, tid
        faq.append({"faq_id": f"{tid}.en", "lang": "en", "category": cat, "question": qe, "answer": ae})
        faq.append({"faq_id": f"{tid}.zh", "lang": "zh", "category": cat, "question": qz, "answer": az})
        questions += [{"text": t, "lang": "en", "faq_id": f"{tid}.en"} for t in pe]
        questions += [{"text": t, "lang": "zh", "faq_id": f"{tid}.zh"} for t in pz]
    oos = [{"text": t, "lang": "en"} for t in OOS_EN if t.strip()] + [{"text": t, "lang": "zh"} for t in OOS_ZH if t.strip()]
    for name, rows in (("faq", faq), ("questions", questions), ("out_of_scope", oos)):
        (here / f"{name}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    print(f"{len(faq)} FAQ entries, {len(questions)} held-out questions, {len(oos)} out-of-scope")


if __name__ == "__main__":
    main()
