"""A short readable summary of a profile, in English and Chinese, built only from the profile's own fields
(no model writes it, so it can state nothing the profile does not hold).

>>> p = {"stage": "active", "purchases": {"orders": 3, "spend": 420.0, "currency": "CNY", "recency_days": 5.2,
...      "first": "2026-06-03T10:00:00+00:00"}, "interests": {"category": {"Beauty > Skin Care > Serums": 1.0}},
...      "rfm": {"label": "Champions", "label_zh": "冠军客户"}, "value": {"clv_12m": 800.0},
...      "churn": {"risk": 0.12}}
>>> s = summarise_profile(p)
>>> s["en"].split(". ")[0]
'Active customer: 3 orders since 2026-06-03, 420 CNY spent, last purchase 5 days ago'
>>> s["zh"].split("。")[0]
'活跃客户：自2026-06-03起下单3次，消费420 CNY，最近一次购买在5天前'
>>> "RFM group: Champions. Predicted 12-month value: 800 CNY. Churn risk: 12%." in s["en"]
True
>>> "RFM分组：冠军客户。预计未来12个月价值：800 CNY。流失风险：12%。" in s["zh"]
True
"""

from __future__ import annotations

from typing import Any

STAGE_LABELS = {
    "prospect": ("Prospect (no purchase yet)", "潜在客户（尚未购买）"),
    "new": ("New customer", "新客户"),
    "active": ("Active customer", "活跃客户"),
    "reactivated": ("Reactivated customer", "回流客户"),
    "at_risk": ("Customer at risk", "有流失风险的客户"),
    "lapsed": ("Lapsed customer", "已流失客户"),
}
BAND_LABELS = {"budget": ("budget", "平价"), "mid": ("mid-price", "中等价位"), "upper": ("upper-mid", "中高价位"),
               "premium": ("premium", "高端")}


def _money(v: float, currency: str | None) -> str:
    return f"{v:,.0f}" + (f" {currency}" if currency else "")


def _leaf(tag: str) -> str:
    return tag.split(">")[-1].strip()


def summarise_profile(profile: dict[str, Any]) -> dict[str, str]:
    """``{"en": ..., "zh": ...}``: stage, orders, spend, recency, main interests, RFM group, value, churn."""
    en: list[str] = []
    zh: list[str] = []
    stage_en, stage_zh = STAGE_LABELS.get(str(profile.get("stage")), (str(profile.get("stage")),) * 2)
    buys = profile.get("purchases") or {}
    orders = int(buys.get("orders") or 0)
    if orders:
        cur = buys.get("currency")
        since = str(buys.get("first") or "")[:10]
        days = buys.get("recency_days")
        en_parts = [f"{orders} order{'s' if orders != 1 else ''}" + (f" since {since}" if since else "")]
        zh_parts = [(f"自{since}起" if since else "") + f"下单{orders}次"]
        if buys.get("spend"):
            en_parts.append(f"{_money(buys['spend'], cur)} spent")
            zh_parts.append(f"消费{_money(buys['spend'], cur)}")
        if days is not None:
            en_parts.append(f"last purchase {days:.0f} days ago")
            zh_parts.append(f"最近一次购买在{days:.0f}天前")
        en.append(f"{stage_en}: {', '.join(en_parts)}.")
        zh.append(f"{stage_zh}：{'，'.join(zh_parts)}。")
    else:
        en.append(f"{stage_en}.")
        zh.append(f"{stage_zh}。")
    interests = profile.get("interests") or {}
    names_en = [_leaf(t) for t in list(interests.get("category") or {})[:2]]
    names_en += list(interests.get("brand") or {})[:1]
    names_zh = list(names_en)
    bands = list(interests.get("price_band") or {})
    if bands:
        b_en, b_zh = BAND_LABELS.get(bands[0], (bands[0],) * 2)
        names_en.append(f"{b_en} items")
        names_zh.append(f"{b_zh}商品")
    if names_en:
        en.append(f"Interested in {', '.join(names_en)}.")
        zh.append(f"兴趣：{'、'.join(names_zh)}。")
    rfm = profile.get("rfm") or {}
    if rfm.get("label"):
        en.append(f"RFM group: {rfm['label']}.")
        zh.append(f"RFM分组：{rfm.get('label_zh') or rfm['label']}。")
    value = (profile.get("value") or {}).get("clv_12m")
    cur = buys.get("currency")
    if value is not None and orders:
        en.append(f"Predicted 12-month value: {_money(value, cur)}.")
        zh.append(f"预计未来12个月价值：{_money(value, cur)}。")
    risk = (profile.get("churn") or {}).get("risk")
    if risk is not None and orders:
        en.append(f"Churn risk: {risk:.0%}.")
        zh.append(f"流失风险：{risk:.0%}。")
    return {"en": " ".join(en), "zh": "".join(zh)}
