"""Scripted shopping tasks for the assistant, derived from the demo catalog's facts (leaf names in both
languages, the brands of each leaf, the leaf's median price), never from the assistant's output.

    python benchmarks/assist/build_dialogues.py     # writes dialogues.jsonl here

Each line: {"id", "lang", "turns": [...], "expect": {"leaf", "price_max"?, "brand"?, "not_colour"?,
"gender"?, "cheaper"?}}; the last 15 tasks end with the similar tool ("more like the second one", "类似第一个的").
A task succeeds when the last reply shows at least one item and every item shown
meets every expectation (see shopmind.assist.dialogues).
"""

import json
from pathlib import Path

from shopmind.data.synth import generate_demo_shop

LEAVES = ["Dresses", "Running Shoes", "Earbuds", "Handbags", "Tents", "Laptops", "Smartphones", "Perfume",
          "Yoga Mats", "Jeans", "Coffee Makers", "Tea", "Sandals", "Lipstick", "Smartwatches"]


def main() -> None:
    items = generate_demo_shop(n_items=3000, seed=42, items_only=True).items
    items["leaf"] = items["category"].str.split(" > ").str[-1]
    rows = []
    for n, leaf in enumerate(LEAVES):
        part = items[items["leaf"] == leaf]
        zh = part["attributes"].iloc[0]["category_zh"].split(" > ")[-1]
        en = leaf.lower()
        budget = int(round(float(part["price"].median()), -1))
        brand_counts = part["brand"].value_counts()
        brand = brand_counts.index[0]
        brand_zh = part[part["brand"] == brand]["attributes"].iloc[0]["brand_zh"]
        gender = "women" if part["category"].iloc[0].startswith("Women") else None
        rows += [
            {"lang": "en", "turns": [f"I'm looking for {en}", f"under {budget}", "not black"],
             "expect": {"leaf": leaf, "price_max": budget, "not_colour": "black"}},
            {"lang": "zh", "turns": [f"我想买{zh}", f"{budget}元以内", "不要黑色的"],
             "expect": {"leaf": leaf, "price_max": budget, "not_colour": "black"}},
            {"lang": "en", "turns": [f"{en} for my mother" if gender or n % 2 else f"{en} please", "cheaper"],
             "expect": {"leaf": leaf, "cheaper": True, **({"gender": "women"} if gender or n % 2 else {})}},
            {"lang": "zh", "turns": [f"推荐{zh}", f"只要{brand_zh}的"], "expect": {"leaf": leaf, "brand": brand}},
        ]
        if n % 3 == 0:
            rows.append({"lang": "en", "turns": ["hi", f"{en} under {budget}, only {brand}"],
                         "expect": {"leaf": leaf, "price_max": budget, "brand": brand, "clarified": True}})
        if n % 3 == 1:
            rows.append({"lang": "zh", "turns": ["你好", f"帮我找{zh}，预算{budget}元", "便宜点"],
                         "expect": {"leaf": leaf, "cheaper": True, "clarified": True}})
    for n, leaf in enumerate(LEAVES):  # the similar tool: the items like one shown stay in the leaf and the budget
        part = items[items["leaf"] == leaf]
        zh = part["attributes"].iloc[0]["category_zh"].split(" > ")[-1]
        budget = int(round(float(part["price"].median()), -1))
        rows.append({"lang": "en", "turns": [f"{leaf.lower()} under {budget}", "more like the second one"],
                     "expect": {"leaf": leaf, "price_max": budget}} if n % 2 == 0 else
                    {"lang": "zh", "turns": [f"{zh} {budget}元以内", "类似第一个的"],
                     "expect": {"leaf": leaf, "price_max": budget}})
    for i, r in enumerate(rows):
        r["id"] = f"task-{i + 1:03d}"
    out = Path(__file__).parent / "dialogues.jsonl"
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    print(f"{len(rows)} scripted tasks")


if __name__ == "__main__":
    main()
