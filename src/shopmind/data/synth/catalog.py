"""The synthetic catalog: items with bilingual titles and descriptions built only from their own facts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from shopmind.data.synth.vocab import (
    BRANDS,
    FACTORY_ORIGINS,
    LABELS,
    LEAVES,
    ORIGINS,
    TIERS,
    Leaf,
    Option,
)
from shopmind.schema import ITEM_COLUMNS

#: Share of items that arrive during the simulated period (seasonal next-season items more often).
NEW_ARRIVAL_SHARE = 0.10
NEW_ARRIVAL_SHARE_WINTER = 0.35
OUT_OF_STOCK_SHARE = 0.03

_GENDER = {"women": ("Women's", "女款"), "men": ("Men's", "男款")}
_SEASON_CODE = {None: 0, "summer": 1, "winter": 2}
# words kept capitalised when a noun or material is used inside a sentence
_PROPER = {"Pu'er", "Chelsea", "Oxford", "Derby", "Polo", "Egyptian", "Arabica", "Eau", "Parfum", "Toilette",
           "Northeast"}


@dataclass(frozen=True)
class Taxonomy:
    """Index arrays over the static vocabulary (leaves, top categories, brands)."""

    leaves: tuple[Leaf, ...]
    tops: tuple[str, ...]
    leaf_top: np.ndarray  # [L] top index of each leaf
    leaf_brands: np.ndarray  # [L, B] bool: brand sells in leaf
    leaf_price: np.ndarray  # [L] typical price (CNY)
    leaf_season: np.ndarray  # [L] 0 none, 1 summer, 2 winter
    leaf_consumable: np.ndarray  # [L] days between repeat purchases (0 = none)
    complements: tuple[tuple[int, ...], ...]  # per leaf, complement leaf indices
    brand_tier_mult: np.ndarray  # [B]
    brand_tier_quality: np.ndarray  # [B]
    brand_foreign: np.ndarray  # [B] bool: brand is not Chinese

    @property
    def n_leaves(self) -> int:
        return len(self.leaves)

    @property
    def n_brands(self) -> int:
        return len(BRANDS)


@cache
def taxonomy() -> Taxonomy:
    """The (cached) index arrays of the vocabulary; validates that every leaf has at least two brands."""
    tops = tuple(dict.fromkeys(leaf.top for leaf in LEAVES))
    paths = {leaf.path: i for i, leaf in enumerate(LEAVES)}
    leaf_brands = np.zeros((len(LEAVES), len(BRANDS)), dtype=bool)
    for b, brand in enumerate(BRANDS):
        for i, leaf in enumerate(LEAVES):
            leaf_brands[i, b] = any(leaf.path == s or leaf.path.startswith(s + " > ") for s in brand.scopes)
    thin = [LEAVES[i].path for i in np.flatnonzero(leaf_brands.sum(axis=1) < 2)]
    if thin:
        raise ValueError(f"synthetic vocabulary: leaves with fewer than two brands: {thin}")
    return Taxonomy(
        leaves=LEAVES,
        tops=tops,
        leaf_top=np.array([tops.index(leaf.top) for leaf in LEAVES], dtype=np.int64),
        leaf_brands=leaf_brands,
        leaf_price=np.array([leaf.price for leaf in LEAVES], dtype=np.float64),
        leaf_season=np.array([_SEASON_CODE[leaf.season] for leaf in LEAVES], dtype=np.int64),
        leaf_consumable=np.array([leaf.consumable for leaf in LEAVES], dtype=np.int64),
        complements=tuple(tuple(paths[c] for c in leaf.complements) for leaf in LEAVES),
        brand_tier_mult=np.array([TIERS[b.tier][0] for b in BRANDS]),
        brand_tier_quality=np.array([TIERS[b.tier][1] for b in BRANDS]),
        brand_foreign=np.array([b.origin != "CN" for b in BRANDS]),
    )


@dataclass
class Catalog:
    """The item frame plus the latent facts behind it (index ``i`` is row ``i`` of ``items``)."""

    items: pd.DataFrame
    leaf: np.ndarray  # leaf index
    brand: np.ndarray  # brand index
    price: np.ndarray
    rel_price: np.ndarray  # log(price / typical price of the leaf)
    quality: np.ndarray  # latent quality, ~N(0, 1)
    exposure: np.ndarray  # latent popularity (how often the shop shows it), heavy-tailed
    created: np.ndarray  # int64 epoch seconds


def round_price(raw: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Round to shop-like prices: 9.90, 59.90 or 59.00, 199.00, 2999.00 (always > 0).

    >>> round_price(np.array([8.3, 57.2, 203.0, 2951.0]), np.random.default_rng(0)).tolist()
    [8.9, 59.9, 199.0, 2999.0]
    """
    p = np.maximum(np.asarray(raw, dtype=np.float64), 1.0)
    cents = np.where(rng.random(len(p)) < 0.6, 0.1, 1.0)  # 59.90 or 59.00
    out = np.where(p < 20, np.floor(p) + 0.9,
                   np.where(p < 200, np.maximum(np.round(p / 10), 1) * 10 - cents,
                            np.where(p < 2000, np.round(p / 10) * 10 - 1, np.round(p / 100) * 100 - 1)))
    return np.round(out, 2)


def soft_lower(text: str) -> str:
    """Lower-case ordinary capitalised words for use inside a sentence.

    >>> soft_lower("Non-Stick Aluminium T-Shirt 5G Pu'er")
    "non-stick aluminium T-shirt 5G Pu'er"
    """
    def part(w: str) -> str:
        plain = len(w) > 1 and w[0].isupper() and w[1:].islower() and w not in _PROPER
        return w.lower() if plain else w

    return " ".join("-".join(part(p) for p in word.split("-")) for word in text.split(" "))


class _Facet:
    """One facet (nouns, specs, ...) of all leaves as flat object arrays; the last row is an empty option."""

    def __init__(self, kind: str) -> None:
        opts: list[Option] = []
        self.offset = np.zeros(len(LEAVES), dtype=np.int64)
        self.count = np.zeros(len(LEAVES), dtype=np.int64)
        for i, leaf in enumerate(LEAVES):
            self.offset[i] = len(opts)
            self.count[i] = len(leaf.parsed[kind])
            opts.extend(leaf.parsed[kind])
        opts.append(Option("", ""))
        self.empty = len(opts) - 1
        self.en = np.array([o.en for o in opts], dtype=object)
        self.zh = np.array([o.zh for o in opts], dtype=object)
        self.low = np.array([soft_lower(o.en) for o in opts], dtype=object)
        self.mult = np.array([o.price_mult for o in opts])

    def draw(self, leaf: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A uniformly chosen option of each item's leaf (global row; the empty row where there is none)."""
        n = self.count[leaf]
        local = np.minimum((rng.random(len(leaf)) * n).astype(np.int64), np.maximum(n - 1, 0))
        return np.where(n > 0, self.offset[leaf] + local, self.empty)


@cache
def _facets() -> dict[str, _Facet]:
    return {k: _Facet(k) for k in ("nouns", "specs", "materials", "tints", "features")}


def _leaf_strings(getter: Callable[[Leaf], str]) -> np.ndarray:
    return np.array([getter(leaf) for leaf in LEAVES], dtype=object)


def build_catalog(n_items: int, rng: np.random.Generator, start: pd.Timestamp, days: int) -> Catalog:
    """Invent ``n_items`` items: leaf, brand, facets, price, quality, popularity, arrival date and text.

    Vectorised over items (string columns are numpy object arrays), so 100,000 items take about a second.
    """
    tax = taxonomy()
    fac = _facets()
    n_leaves, n_brands = tax.n_leaves, tax.n_brands
    share = np.array([leaf.share for leaf in LEAVES])
    first = np.arange(min(n_items, n_leaves))  # every leaf gets an item when there is room
    rest = rng.choice(n_leaves, size=n_items - len(first), p=share / share.sum())
    leaf = rng.permutation(np.concatenate([first, rest]).astype(np.int64))

    # brands: a few dominate each leaf (brand size is heavy-tailed)
    brand_size = rng.lognormal(0.0, 0.8, n_brands)
    w = tax.leaf_brands * brand_size[None, :]
    cdf = np.cumsum(w, axis=1) / w.sum(axis=1, keepdims=True)
    brand = np.minimum((cdf[leaf] < rng.random(n_items)[:, None]).sum(axis=1), n_brands - 1)

    noun, spec = fac["nouns"].draw(leaf, rng), fac["specs"].draw(leaf, rng)
    material, tint = fac["materials"].draw(leaf, rng), fac["tints"].draw(leaf, rng)
    feat1 = fac["features"].draw(leaf, rng)
    n_feat = fac["features"].count[leaf]
    step = 1 + np.minimum((rng.random(n_items) * (n_feat - 1)).astype(np.int64), np.maximum(n_feat - 2, 0))
    f_off = fac["features"].offset[leaf]
    feat2 = f_off + (feat1 - f_off + step) % np.maximum(n_feat, 1)
    feat2 = np.where((n_feat > 1) & (rng.random(n_items) < 0.6), feat2, fac["features"].empty)

    # origin: the leaf's growing regions, else the brand's home country or a factory country
    origin_keys = list(ORIGINS)
    brand_origin = np.array([origin_keys.index(b.origin) for b in BRANDS])
    factory = np.array([origin_keys.index(k) for k in FACTORY_ORIGINS])
    origin = np.where((rng.random(n_items) < 0.45) & tax.brand_foreign[brand], brand_origin[brand],
                      factory[rng.integers(0, len(factory), n_items)])
    for i, lf in enumerate(LEAVES):
        at = np.flatnonzero(leaf == i)
        if lf.origins and len(at):
            origin[at] = np.array([origin_keys.index(k) for k in lf.origins])[rng.integers(0, len(lf.origins),
                                                                                            len(at))]

    quality = rng.normal(0.0, 1.0, n_items) + tax.brand_tier_quality[brand]
    exposure = rng.lognormal(0.0, 1.4, n_items) * np.exp(0.25 * quality)
    mult = fac["nouns"].mult[noun] * fac["specs"].mult[spec] * fac["materials"].mult[material]
    raw = tax.leaf_price[leaf] * tax.brand_tier_mult[brand] * mult * np.exp(rng.normal(0, 0.22, n_items)
                                                                           + 0.08 * quality)
    price = round_price(raw, rng)

    start_s = int(start.timestamp())
    span = max(days - 3, 1) * 86400
    is_winter = tax.leaf_season[leaf] == 2
    new = rng.random(n_items) < np.where(is_winter, NEW_ARRIVAL_SHARE_WINTER, NEW_ARRIVAL_SHARE)
    # next season's collection arrives in the second half of the period
    frac = np.where(is_winter, 0.45 + 0.55 * rng.random(n_items), rng.random(n_items))
    created = np.where(new, start_s + (frac * span).astype(np.int64),
                       start_s - (rng.uniform(7, 900, n_items) * 86400).astype(np.int64))
    created -= created % 60  # listings go live on the minute
    in_stock = rng.random(n_items) >= OUT_OF_STOCK_SHARE
    say_facets = rng.random(n_items) < 0.85
    say_origin = rng.random(n_items) < 0.65

    title, title_zh, desc, desc_zh = _texts(leaf, brand, noun, spec, material, tint, feat1, feat2, origin,
                                            say_facets, say_origin)
    width = max(5, len(str(n_items)))
    ids = np.array([f"SKU{i:0{width}d}" for i in range(1, n_items + 1)], dtype=object)
    attrs = _attributes(leaf, brand, noun, spec, material, tint, feat1, feat2, origin, title_zh, desc_zh)
    items = pd.DataFrame({
        "item_id": ids, "title": title, "description": desc,
        "category": _leaf_strings(lambda lf: lf.path)[leaf],
        "brand": np.array([b.en for b in BRANDS], dtype=object)[brand],
        "price": price, "currency": "CNY", "attributes": attrs,
        "image": "img/" + ids + ".jpg",
        "created_at": pd.to_datetime(created, unit="s", utc=True), "in_stock": in_stock,
    })[list(ITEM_COLUMNS)]
    rel_price = np.log(price / tax.leaf_price[leaf])
    return Catalog(items, leaf, brand, price, rel_price, quality, exposure, created.astype(np.int64))


def _texts(leaf: np.ndarray, brand: np.ndarray, noun: np.ndarray, spec: np.ndarray, material: np.ndarray,
           tint: np.ndarray, feat1: np.ndarray, feat2: np.ndarray, origin: np.ndarray, say_facets: np.ndarray,
           say_origin: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """English and Chinese titles and descriptions, built only from each item's facts."""
    fac = _facets()
    nouns, specs, mats, tints, feats = (fac[k] for k in ("nouns", "specs", "materials", "tints", "features"))
    b_en = np.array([b.en for b in BRANDS], dtype=object)[brand]
    b_zh = np.array([b.zh for b in BRANDS], dtype=object)[brand]
    g_en = _leaf_strings(lambda lf: _GENDER[lf.gender][0] + " " if lf.gender else "")[leaf]
    g_zh = _leaf_strings(lambda lf: _GENDER[lf.gender][1] if lf.gender else "")[leaf]
    has_mat = material != mats.empty
    has_tint = tint != tints.empty
    has_f2 = feat2 != feats.empty
    ingredient = np.array([lf.material_key == "ingredient" for lf in LEAVES])[leaf]
    mat_in_title = has_mat & (ingredient | np.array([lf.top not in ("Electronics", "Food & Grocery")
                                                     for lf in LEAVES])[leaf])
    spec_in_title = np.array([lf.spec_key != "size" for lf in LEAVES])[leaf]  # sizes are picked at checkout

    # titles: "Northpeak Men's Breathable Mesh Running Shoes - Black" / "北峰 男款 透气 网面 跑步鞋 黑色"
    tail = np.where(has_tint & spec_in_title, " - " + tints.en[tint] + ", " + specs.en[spec],
                    np.where(has_tint, " - " + tints.en[tint],
                             np.where(spec_in_title, " - " + specs.en[spec], "")))
    title = (b_en + " " + g_en + feats.en[feat1] + " " + np.where(mat_in_title, mats.en[material] + " ", "")
             + nouns.en[noun] + tail)
    title_zh = (b_zh + " " + np.where(g_zh != "", g_zh + " ", "") + feats.zh[feat1] + " "
                + np.where(mat_in_title, mats.zh[material] + " ", "") + nouns.zh[noun]
                + np.where(has_tint, " " + tints.zh[tint], "")
                + np.where(spec_in_title, " " + specs.zh[spec], ""))

    # sentence 1: what it is; 2: its facets; 3: where it comes from
    f_low = np.where(has_f2, feats.low[feat1] + " and " + feats.low[feat2], feats.low[feat1])
    f_cap = np.array([s[:1].upper() + s[1:] for s in f_low], dtype=object)
    made = np.where(has_mat, np.where(ingredient, ", made with ", ", made of ") + mats.low[material], "")
    g_low = np.char.lower(g_en.astype(str)).astype(object)
    s1 = f_cap + " " + g_low + nouns.low[noun] + " from " + b_en + made + "."
    made_zh = np.where(has_mat, np.where(ingredient, "，含" + mats.zh[material],
                                         "，采用" + mats.zh[material] + "材质"), "")
    s1_zh = (b_zh + g_zh + nouns.zh[noun] + "，" + feats.zh[feat1]
             + np.where(has_f2, "、" + feats.zh[feat2], "") + made_zh + "。")
    spec_label = _leaf_strings(lambda lf: LABELS[lf.spec_key][0])[leaf]
    spec_label_zh = _leaf_strings(lambda lf: LABELS[lf.spec_key][1])[leaf]
    tint_label = _leaf_strings(lambda lf: LABELS[lf.tint_key][0])[leaf]
    tint_label_zh = _leaf_strings(lambda lf: LABELS[lf.tint_key][1])[leaf]
    spec_low = np.char.lower(spec_label.astype(str)).astype(object)
    s2 = np.where(has_tint, tint_label + ": " + tints.en[tint] + "; " + spec_low + ": ", spec_label + ": ")
    s2 = s2 + specs.en[spec] + "."
    s2_zh = np.where(has_tint, tint_label_zh + "：" + tints.zh[tint] + "；", "")
    s2_zh = s2_zh + spec_label_zh + "：" + specs.zh[spec] + "。"
    o_en = np.array([o.en for o in ORIGINS.values()], dtype=object)[origin]
    o_zh = np.array([o.zh for o in ORIGINS.values()], dtype=object)[origin]
    grown = _leaf_strings(lambda lf: "Origin: " if lf.top == "Food & Grocery" else "Made in ")[leaf]
    desc = s1 + np.where(say_facets, " " + s2, "") + np.where(say_origin, " " + grown + o_en + ".", "")
    desc_zh = s1_zh + np.where(say_facets, s2_zh, "") + np.where(say_origin, "产地：" + o_zh + "。", "")
    return title, title_zh, desc, desc_zh


def _attributes(leaf: np.ndarray, brand: np.ndarray, noun: np.ndarray, spec: np.ndarray, material: np.ndarray,
                tint: np.ndarray, feat1: np.ndarray, feat2: np.ndarray, origin: np.ndarray,
                title_zh: np.ndarray, desc_zh: np.ndarray) -> list[dict[str, object]]:
    """The facts grounded copy may use, both languages, one dict per item."""
    fac = _facets()
    nouns, specs, mats, tints, feats = (fac[k] for k in ("nouns", "specs", "materials", "tints", "features"))
    origins = list(ORIGINS.values())
    # per-leaf keys, and every per-item value as a plain list (indexing numpy scalars one by one is slow)
    keys = [(lf.tint_key, lf.tint_key + "_zh", lf.material_key, lf.material_key + "_zh", lf.spec_key,
             lf.spec_key + "_zh", lf.gender, lf.season, lf.path_zh) for lf in LEAVES]
    cols = (leaf.tolist(), nouns.en[noun].tolist(), nouns.zh[noun].tolist(), specs.en[spec].tolist(),
            specs.zh[spec].tolist(), mats.en[material].tolist(), mats.zh[material].tolist(),
            tints.en[tint].tolist(), tints.zh[tint].tolist(), feats.en[feat1].tolist(),
            feats.zh[feat1].tolist(), feats.en[feat2].tolist(), feats.zh[feat2].tolist(),
            [origins[o] for o in origin.tolist()], [BRANDS[b].zh for b in brand.tolist()], title_zh.tolist(),
            desc_zh.tolist())
    out: list[dict[str, object]] = []
    for (lf, n_en, n_zh, s_en, s_zh, m_en, m_zh, t_en, t_zh, f1_en, f1_zh, f2_en, f2_zh, org, b_zh, ti_zh,
         de_zh) in zip(*cols, strict=True):
        t_key, t_key_zh, m_key, m_key_zh, s_key, s_key_zh, gender, season, path_zh = keys[lf]
        a: dict[str, object] = {"product_type": n_en, "product_type_zh": n_zh}
        if t_en:
            a[t_key] = t_en
            a[t_key_zh] = t_zh
        if m_en:
            a[m_key] = m_en
            a[m_key_zh] = m_zh
        a[s_key] = s_en
        a[s_key_zh] = s_zh
        a["features"] = [f1_en, f2_en] if f2_en else [f1_en]
        a["features_zh"] = [f1_zh, f2_zh] if f2_zh else [f1_zh]
        a["origin"] = org.en
        a["origin_zh"] = org.zh
        if gender:
            a["gender"] = gender
        if season:
            a["season"] = season
        a["category_zh"] = path_zh
        a["brand_zh"] = b_zh
        a["title_zh"] = ti_zh
        a["description_zh"] = de_zh
        out.append(a)
    return out
