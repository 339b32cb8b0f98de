"""Build the checker's evaluation sets by mutating real attribute values of real catalog items.

    python benchmarks/content/build_checker_sets.py [--data ../shared/data] [--out benchmarks/content]

Writes ``checker-tune.jsonl`` and ``checker-heldout.jsonl`` (committed; the tests and the scorer never read
../shared). Each line is an input of ``shopmind content audit`` (the item inline) plus labels:
``{"id", "source", "split", "lang", "label": "faithful" | "planted", "attribute", "planted", "text", "item"}``.

Items: the demo shop (``generate_demo_shop(n_items=500, seed=7)``), REES46 products (real brand, category
code and price; the title is brand + category leaf, as an import of that file would make it) and Amazon
Beauty titles (the brand is the title's first word when at least 8 titles start with it).

A faithful text restates true facts in another wording or unit ("1.2 L" -> "1200 ml", "2人" -> "两人",
prices formatted differently, Chinese or English names). A planted text restates true facts and plants ONE
false one: another value of the same attribute taken from another real item (brand, colour, material,
origin, size, category), a changed number (price, capacity, power, ...), a changed version (Bluetooth 5.3 ->
5.0, 5G -> 4G, IP68 -> IP67), or a claim about a fact the item does not state (a warranty, free shipping, a
returns window, a resolution). The split is by item (a hash of source and id): 60% tune, 40% held out; the
held-out file was not looked at while the checker was changed.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd

from shopmind.data.synth import generate_demo_shop

HERE = Path(__file__).parent
ZH_DIGITS = "零一二三四五六七八九"


def split_of(source: str, item_id: str) -> str:
    h = int(hashlib.sha1(f"{source}:{item_id}".encode()).hexdigest()[:8], 16)
    return "tune" if h % 10 < 6 else "heldout"


def zh_number(n: int) -> str:
    """1..99 in Chinese numerals (two is 两 before a measure word)."""
    if n == 2:
        return "两"
    if n < 10:
        return ZH_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else ZH_DIGITS[tens]) + "十" + (ZH_DIGITS[ones] if ones else "")


def fmt_num(x: float) -> str:
    return f"{x:,.0f}" if abs(x - round(x)) < 1e-9 else f"{x:g}"


# ----------------------------------------------------------------------------------------- unit rewrites
#: value in the first unit -> (factor, second unit) for a faithful restatement in another unit
_CONVERT = {"ml": (0.001, "L"), "l": (1000, "ml"), "g": (0.001, "kg"), "kg": (1000, "g"), "cm": (10, "mm"),
            "mm": (0.1, "cm"), "毫升": (0.001, "升"), "升": (1000, "毫升"), "克": (0.001, "千克"),
            "公斤": (1000, "克"), "厘米": (10, "毫米"), "毫米": (0.1, "厘米")}
_QTY = re.compile(r"(?P<n>\d+(?:,\d{3})*(?:\.\d+)?)\s?(?P<u>ml|L|g|kg|cm|mm|W|mAh|GB|TB|h|毫升|升|克|公斤|厘米|毫米|"
                  r"人|英寸|毫安|小时|Hz)(?![A-Za-z])")


def convert(text: str) -> str | None:
    """The first measure of ``text`` in another unit ("1.2 L" -> "1200 ml"), or None."""
    m = _QTY.search(text)
    if re.search(r"\d\s?[x×~-]\s?\d|\d\s?[x×]", text):  # "150 x 200 cm": both numbers carry the unit
        return None
    if not m or (m.group("u") not in _CONVERT and m.group("u").lower() not in _CONVERT):
        return None
    factor, unit = _CONVERT.get(m.group("u"), _CONVERT.get(m.group("u").lower(), (1, "")))
    value = float(m.group("n").replace(",", "")) * factor
    sep = "" if not unit.isascii() else " "
    return text[:m.start()] + f"{value:g}{sep}{unit}" + text[m.end():]


def scale(text: str, rng: random.Random) -> str | None:
    """The first number of a measure changed to a clearly different value ("20 W" -> "65 W")."""
    m = _QTY.search(text)
    if not m:
        return None
    v = float(m.group("n").replace(",", ""))
    new = v * rng.choice([2, 3, 0.5]) if v > 2 else v + rng.choice([1, 2])
    new = round(new, 1)
    return text[:m.start("n")] + fmt_num(new) + text[m.end("n"):]


# ----------------------------------------------------------------------------------------- demo shop
_SPEC_KEYS = ("capacity", "weight", "spec", "dimensions", "size", "length")
_UNSTATED_EN = ["Comes with a 2-year warranty.", "Free shipping on this one.", "30-day free returns.",
                "Free installation included.", "Now with Bluetooth 5.0.", "Streams in 4K.", "Supports Wi-Fi 6.",
                "Backed by a three-year warranty."]
_UNSTATED_ZH = ["整机保修两年。", "全国包邮。", "支持7天无理由退货。", "免费安装。", "支持蓝牙5.0。", "4K超清画质。",
                "支持Wi-Fi 6。", "质保3年。"]
_PLANTED_MARK = {"Comes with a 2-year warranty.": "2-year warranty", "Free shipping on this one.": "Free shipping",
                 "30-day free returns.": "30-day free returns", "Free installation included.": "Free installation",
                 "Now with Bluetooth 5.0.": "Bluetooth 5.0", "Streams in 4K.": "4K", "Supports Wi-Fi 6.": "Wi-Fi 6",
                 "Backed by a three-year warranty.": "three-year warranty", "整机保修两年。": "保修两年",
                 "全国包邮。": "包邮", "支持7天无理由退货。": "7天无理由退货", "免费安装。": "免费安装",
                 "支持蓝牙5.0。": "蓝牙5.0", "4K超清画质。": "4K", "支持Wi-Fi 6。": "Wi-Fi 6", "质保3年。": "质保3年"}
_VERSION_SWAPS = [("Bluetooth 5.3", "Bluetooth 5.0"), ("蓝牙5.3", "蓝牙5.0"), ("5G", "4G"), ("IP68", "IP67"),
                  ("5 ATM", "3 ATM"), ("5ATM", "3ATM"), ("120 Hz", "90 Hz"), ("120Hz", "90Hz"), ("H13", "H11")]


def demo_items() -> list[dict[str, Any]]:
    items = generate_demo_shop(n_users=20, n_items=500, days=10, seed=7, items_only=True).items
    cols = ["item_id", "title", "brand", "category", "price", "currency", "attributes"]
    return [{k: r[k] for k in cols} for r in items.to_dict("records")]


def _spec(a: dict[str, Any]) -> tuple[str, str, str] | None:
    for k in _SPEC_KEYS:
        if a.get(k):
            return k, str(a[k]), str(a.get(k + "_zh") or a[k])
    return None


def _colour(a: dict[str, Any]) -> tuple[str, str] | None:
    for k in ("colour", "shade"):
        if a.get(k):
            return str(a[k]), str(a.get(k + "_zh") or a[k])
    return None


def demo_cases(items: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    brands = sorted({(i["brand"], i["attributes"]["brand_zh"]) for i in items})
    colours = sorted({c for i in items if (c := _colour(i["attributes"]))})
    materials = sorted({(i["attributes"]["material"], i["attributes"]["material_zh"]) for i in items
                        if i["attributes"].get("material")})
    origins = sorted({(i["attributes"]["origin"], i["attributes"]["origin_zh"]) for i in items})
    out = []
    for item in items:
        a = item["attributes"]
        for lang in ("en", "zh"):
            facts = _demo_facts(item, lang)
            out.append(_case("demo", item, lang, "faithful", None, None, _demo_text(facts, lang, rng, faithful=True)))
            kind = rng.choice([k for k in ("brand", "price", "colour", "material", "spec", "origin", "unstated",
                                           "version") if k in facts or k in ("unstated", "price")
                               or (k == "version" and _version_of(item, lang))])
            planted_facts = dict(facts)
            mark: str
            if kind == "brand":
                other = rng.choice([b for b in brands if b[0] != item["brand"]])
                planted_facts["brand"] = mark = other[0] if lang == "en" else other[1]
            elif kind == "price":
                p = float(item["price"]) * rng.choice([1.5, 2.0, 0.5, 0.7])
                planted_facts["price"] = round(p, 1) if p < 100 else float(round(p))
                mark = _price_text(planted_facts["price"], lang, 0)
            elif kind == "colour":
                other_c = rng.choice([c for c in colours if c[0] != _colour(a)[0]])  # type: ignore[index]
                planted_facts["colour"] = mark = other_c[0] if lang == "en" else other_c[1]
            elif kind == "material":
                other_m = rng.choice([m for m in materials if m[0] != a["material"] and m[1] != a["material_zh"]
                                      and m[0].lower() not in a["material"].lower()
                                      and a["material"].lower() not in m[0].lower()])
                planted_facts["material"] = mark = other_m[0] if lang == "en" else other_m[1]
            elif kind == "origin":
                other_o = rng.choice([o for o in origins if o[0] != a["origin"] and o[1] not in a["origin_zh"]
                                      and a["origin_zh"] not in o[1]])
                planted_facts["origin"] = mark = other_o[0] if lang == "en" else other_o[1]
            elif kind == "spec":
                changed = scale(facts["spec"], rng)
                if changed is None:
                    continue
                planted_facts["spec"] = mark = changed
            elif kind == "version":
                true, false = _version_of(item, lang)  # type: ignore[misc]
                planted_facts["extra"] = mark = false
            else:
                sentence = rng.choice(_UNSTATED_EN if lang == "en" else _UNSTATED_ZH)
                if ("蓝牙" in sentence or "Bluetooth" in sentence) and "Bluetooth" in item["title"]:
                    sentence = _UNSTATED_EN[0] if lang == "en" else _UNSTATED_ZH[0]
                planted_facts["tail"] = sentence
                mark = _PLANTED_MARK[sentence]
            text = _demo_text(planted_facts, lang, rng, faithful=False)
            out.append(_case("demo", item, lang, "planted", kind, mark, text))
    return out


def _version_of(item: dict[str, Any], lang: str) -> tuple[str, str] | None:
    blob = item["title"] + " " + " ".join(item["attributes"].get("features", []))
    if lang == "zh":
        blob = item["attributes"]["title_zh"] + " " + " ".join(item["attributes"].get("features_zh", []))
    for true, false in _VERSION_SWAPS:
        if re.search(rf"(?<![A-Za-z0-9]){re.escape(true)}(?![A-Za-z0-9])", blob):
            return true, false
    return None


def _demo_facts(item: dict[str, Any], lang: str) -> dict[str, Any]:
    a = item["attributes"]
    zh = lang == "zh"
    f: dict[str, Any] = {"brand": a["brand_zh"] if zh else item["brand"], "price": float(item["price"]),
                         "noun": a["product_type_zh"] if zh else a["product_type"]}
    if c := _colour(a):
        f["colour"] = c[1] if zh else c[0]
    if a.get("material"):
        f["material"] = a["material_zh"] if zh else a["material"]
    if s := _spec(a):
        f["spec"] = s[2] if zh else s[1]
    f["origin"] = a["origin_zh"] if zh else a["origin"]
    if v := _version_of(item, lang):
        f["version"] = v[0]
    return f


def _price_text(p: float, lang: str, style: int) -> str:
    whole = abs(p - round(p)) < 1e-9
    num = f"{p:,.0f}" if whole else f"{p:.2f}"
    if lang == "zh":
        return [f"{num.replace(',', '')}元", f"¥{num.replace(',', '')}", f"{num.replace(',', '')}块"][style % 3]
    return [f"¥{num}", f"{num.replace(',', '')} yuan", f"RMB {num.replace(',', '')}"][style % 3]


def _demo_text(f: dict[str, Any], lang: str, rng: random.Random, *, faithful: bool) -> str:
    style = rng.randrange(3)
    spec = f.get("spec")
    if spec and faithful and rng.random() < 0.6:
        spec = convert(spec) or spec
        if lang == "zh" and rng.random() < 0.5:  # "2人" -> "两人", "30毫升" -> "三十毫升"
            m = re.match(r"^(\d{1,2})(人|毫升|升|厘米|克)$", spec)
            if m:
                spec = zh_number(int(m.group(1))) + m.group(2)
    price = _price_text(f["price"], lang, style)
    parts: list[str] = []
    if lang == "en":
        head = [f"{f['brand']} {f['noun']}", f"The {f['noun']} from {f['brand']}",
                f"Meet the {f['brand']} {f['noun']}"][style]
        parts.append(head + (f" in {f['colour'].lower()}" if f.get("colour") else "") + ".")
        if f.get("material"):
            parts.append(rng.choice(["Made of {m}.", "Crafted from {m}.", "{M} throughout."]).format(
                m=f["material"].lower(), M=f["material"]))
        if spec:
            parts.append(rng.choice(["Size: {s}.", "Spec: {s}.", "It measures up at {s}."]).format(s=spec))
        if f.get("extra") or f.get("version"):
            parts.append(f"With {f.get('extra') or f['version']}.")
        parts.append(rng.choice(["Made in {o}.", "From {o}.", "Origin: {o}."]).format(o=f["origin"]))
        parts.append(rng.choice(["Only {p}.", "Yours for {p}.", "Price: {p}."]).format(p=price))
    else:
        head = [f"{f['brand']}{f['noun']}", f"来自{f['brand']}的{f['noun']}", f"{f['brand']}出品{f['noun']}"][style]
        parts.append(head + (f"，{f['colour']}" if f.get("colour") else "") + "。")
        if f.get("material"):
            parts.append(rng.choice(["采用{m}材质。", "{m}面料。", "材质：{m}。"]).format(m=f["material"]))
        if spec:
            parts.append(rng.choice(["规格：{s}。", "{s}。", "尺寸/规格为{s}。"]).format(s=spec))
        if f.get("extra") or f.get("version"):
            parts.append(f"支持{f.get('extra') or f['version']}。")
        parts.append(rng.choice(["产地{o}。", "产自{o}。", "{o}制造。"]).format(o=f["origin"]))
        parts.append(rng.choice(["到手价{p}。", "仅售{p}。", "售价{p}。"]).format(p=price))
    if f.get("tail"):
        parts.insert(rng.randrange(1, len(parts)), f["tail"])
    return (" " if lang == "en" else "").join(parts)


# ----------------------------------------------------------------------------------------- REES46
def rees46_items(data: Path) -> list[dict[str, Any]]:
    d = pd.read_csv(data / "rees46" / "2019-Oct-first10k.csv", dtype={"product_id": str})
    d = d.dropna(subset=["brand", "category_code"]).drop_duplicates("product_id", keep="last")
    out = []
    for r in d.itertuples():
        leaf = str(r.category_code).split(".")[-1].replace("_", " ")
        out.append({"item_id": f"r{r.product_id}", "title": f"{str(r.brand).title()} {leaf}", "brand": r.brand,
                    "category": str(r.category_code).replace(".", " > "), "price": float(r.price),
                    "currency": "USD", "attributes": {}})
    return out


_REES_ZH = {"smartphone": "手机", "notebook": "笔记本电脑", "headphone": "耳机", "tv": "电视", "clocks": "手表",
            "washer": "洗衣机", "refrigerators": "冰箱", "vacuum": "吸尘器", "tablet": "平板电脑"}


def rees46_cases(items: list[dict[str, Any]], rng: random.Random, n: int) -> list[dict[str, Any]]:
    by_cat: dict[str, set[str]] = {}
    for i in items:
        by_cat.setdefault(i["category"], set()).add(i["brand"])
    picked = [i for i in items if len(by_cat[i["category"]]) >= 2]
    rng.shuffle(picked)
    picked = picked[:n]
    # swapped values come from the sampled items only: the audit's catalog is the items of the file
    by_cat = {}
    for i in picked:
        by_cat.setdefault(i["category"], set()).add(i["brand"])
    picked = [i for i in picked if len(by_cat[i["category"]]) >= 2]
    leaves = sorted({i["category"].split(" > ")[-1] for i in picked})
    out = []
    for item in picked:
        brand = item["brand"].title() if rng.random() < 0.8 else item["brand"].upper()
        leaf = item["category"].split(" > ")[-1]
        p = item["price"]
        for lang in ("en", "zh"):
            out.append(_case("rees46", item, lang, "faithful", None, None, _rees_text(brand, leaf, p, lang, rng)))
            kind = rng.choice(["brand", "price", "category"])
            if kind == "brand":
                mark = rng.choice(sorted(by_cat[item["category"]] - {item["brand"]})).title()
                text = _rees_text(mark, leaf, p, lang, rng)
            elif kind == "price":
                newp = round(p * rng.choice([1.3, 1.6, 0.6, 0.75]), 2)
                mark = f"{newp:.2f}"
                text = _rees_text(brand, leaf, newp, lang, rng)
            else:
                others = [x for x in leaves if x != leaf and x not in leaf and leaf not in x
                          and len(x) > 3 and x not in ("accessories", "components", "environment", "kitchen")]
                mark = rng.choice(others)
                text = _rees_text(brand, mark, p, lang, rng)
            out.append(_case("rees46", item, lang, "planted", kind, mark, text))
    return out


def _rees_text(brand: str, leaf: str, price: float, lang: str, rng: random.Random) -> str:
    num = f"{price:.2f}"
    if lang == "en":
        return rng.choice(["{b} {l} for just ${p}.", "Get the {b} {l} - now ${p}.", "{b} {l}: ${p}, ready to ship.",
                           "A {l} by {b} at US${p}."]).format(b=brand, l=leaf, p=num)
    return rng.choice(["{b} {l}，到手价{p}美元。", "{b} {l}仅售${p}！", "入手{b} {l}，只要{p}美元。"]).format(
        b=brand, l=leaf, p=num)


# ----------------------------------------------------------------------------------------- Amazon Beauty
_BEAUTY_QTY = re.compile(r"(?<![\d.])(?P<n>\d+(?:\.\d+)?)[\s-]?(?P<u>Fl\.? ?Oz|fl\.? ?oz|Fluid Ounces?|Ounces?|oz|"
                         r"Oz|ml|ML|mL|g|Gram|Grams|Count|Pack)\b")


def beauty_items(data: Path) -> list[dict[str, Any]]:
    d = pd.read_csv(data / "amazon-beauty" / "items.tsv", sep="\t", dtype=str).dropna(subset=["title"])
    titles = [html.unescape(t) for t in d["title"]]
    first = Counter(t.split()[0] for t in titles if t.split())
    out = []
    for asin, t, cat in zip(d["asin"], titles, d["categories"], strict=True):
        w = t.split()[0] if t.split() else ""
        if first[w] < 8 or not re.fullmatch(r"[A-Z][A-Za-z'&.-]+", w) or w.lower() in ("the", "new", "professional",
                                                                                    "natural", "organic", "pure"):
            continue
        if not _BEAUTY_QTY.search(t):
            continue
        out.append({"item_id": asin, "title": t, "brand": w, "category": cat, "attributes": {}})
    return out


def beauty_cases(items: list[dict[str, Any]], rng: random.Random, n: int) -> list[dict[str, Any]]:
    rng.shuffle(items)
    items = items[:n]
    brands = sorted({i["brand"] for i in items})
    out = []
    for item in items:
        m = _BEAUTY_QTY.search(item["title"])
        assert m is not None
        n, unit = float(m.group("n")), m.group("u").lower()
        is_oz = "oz" in unit or "ounce" in unit
        unit_en = "fl oz" if "fl" in unit or "fluid" in unit else "oz" if is_oz else (
            "ml" if unit == "ml" else "g" if unit.startswith("g") else unit)
        leaf = item["category"].split(" > ")[-1]
        qty = f"{n:g} {unit_en}"
        for lang in ("en", "zh"):
            faithful_qty = qty
            if unit_en == "fl oz" and rng.random() < 0.5:
                faithful_qty = f"{n:g} fl oz ({round(n * 29.5735):d} ml)"
            elif unit_en == "ml" and rng.random() < 0.5 and lang == "zh":
                faithful_qty = f"{n:g}毫升"
            out.append(_case("beauty", item, lang, "faithful", None, None,
                             _beauty_text(item["brand"], leaf, faithful_qty, lang, rng)))
            kind = rng.choice(["brand", "quantity", "unstated"])
            if kind == "brand":
                mark = rng.choice([b for b in brands if b != item["brand"]])
                text = _beauty_text(mark, leaf, qty, lang, rng)
            elif kind == "quantity":
                newn = n * 2 if n < 5 else round(n / 2, 1)
                if unit_en in ("count", "pack"):
                    newn = n + 2
                mark = f"{newn:g} {unit_en}"
                text = _beauty_text(item["brand"], leaf, mark, lang, rng)
            else:
                tail = rng.choice(["Free shipping.", "Only $9.99.", "Rated 4.8 out of 5.", "30-day returns."]
                                  if lang == "en" else ["包邮。", "仅售59元。", "7天无理由退货。", "月销1万+。"])
                mark = tail.rstrip(".。")
                text = _beauty_text(item["brand"], leaf, qty, lang, rng) + (" " if lang == "en" else "") + tail
            out.append(_case("beauty", item, lang, "planted", kind, mark, text))
    return out


def _beauty_text(brand: str, leaf: str, qty: str, lang: str, rng: random.Random) -> str:
    if lang == "en":
        return rng.choice(["{b} {l}, {q}.", "From {b}: {l} in a {q} size.", "{b}'s {l} ({q})."]).format(
            b=brand, l=leaf.lower(), q=qty)
    return rng.choice(["{b} {l}，规格{q}。", "{b} 出品的{l}，{q}装。", "来自{b}的{l}，容量/规格：{q}。"]).format(
        b=brand, l=leaf, q=qty)


# ----------------------------------------------------------------------------------------- output
def _case(source: str, item: dict[str, Any], lang: str, label: str, attribute: str | None, planted: str | None,
          text: str) -> dict[str, Any]:
    return {"source": source, "split": split_of(source, item["item_id"]), "lang": lang, "label": label,
            "attribute": attribute, "planted": planted, "text": text, "item": item}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=HERE.parents[1].parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=HERE)
    ap.add_argument("--demo-items", type=int, default=110, help="demo items used (two languages each)")
    ap.add_argument("--seed", type=int, default=25)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    demo = demo_items()
    rng.shuffle(demo)
    rees, beauty = rees46_items(args.data), beauty_items(args.data)
    cases = []
    # one split at a time: a swapped value comes from another item of the same file, whose items are the
    # catalog ``content audit`` knows when it checks that file
    for split in ("tune", "heldout"):
        cases += demo_cases([i for i in demo[:args.demo_items] if split_of("demo", i["item_id"]) == split], rng)
        cases += rees46_cases([i for i in rees if split_of("rees46", i["item_id"]) == split], rng,
                              120 if split == "tune" else 80)
        cases += beauty_cases([i for i in beauty if split_of("beauty", i["item_id"]) == split], rng,
                              110 if split == "tune" else 75)
    for n, c in enumerate(cases):
        c["id"] = f"{c['source']}-{n:04d}"
    for split in ("tune", "heldout"):
        rows = [c for c in cases if c["split"] == split]
        path = args.out / f"checker-{split}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for c in rows:
                fh.write(json.dumps({"id": c["id"], **{k: v for k, v in c.items() if k != "id"}},
                                    ensure_ascii=False, default=str) + "\n")
        counts = Counter((c["source"], c["label"]) for c in rows)
        print(f"{path}: {len(rows)} cases {dict(sorted(counts.items()))}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
