"""Synthetic shoppers: visible attributes plus the latent tastes that drive their behaviour.

Each shopper has a taste over top categories (Dirichlet, shaped by gender) and over leaves within them,
brand affinities, a price level (log price relative to a leaf's typical price) and a language. About 40 %
of shoppers pick up a *new interest* (another top category) at some point in the period, so their taste
drifts; the switch time is part of the ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from shopmind.data.synth.catalog import Taxonomy
from shopmind.data.synth.vocab import AGE_BANDS, CITIES
from shopmind.schema import USER_COLUMNS

GENDERS = ("female", "male", "unknown")
LANGUAGES = ("zh", "en")
DEVICES = ("mobile", "desktop", "app")
#: Share of shoppers whose taste drifts to a new interest during the period.
DRIFT_SHARE = 0.4
NEVER = np.iinfo(np.int64).max

# Dirichlet concentration over top categories (Women, Men, Beauty, Electronics, Home, Sports, Food) by gender
_TOP_ALPHA = {
    "female": (1.0, 0.06, 0.8, 0.3, 0.5, 0.35, 0.45),
    "male": (0.05, 0.9, 0.1, 0.9, 0.4, 0.6, 0.45),
    "unknown": (0.4, 0.35, 0.35, 0.5, 0.45, 0.45, 0.45),
}
_AGE_P = (0.2, 0.38, 0.24, 0.12, 0.06)
_AGE_PRICE = (-0.25, 0.05, 0.2, 0.15, 0.0)  # younger shoppers buy cheaper
_AGE_APP = (0.6, 0.5, 0.4, 0.3, 0.2)  # share preferring the app; the rest split mobile web / desktop


@dataclass
class Population:
    """The user frame plus each shopper's latent taste (row ``u`` of every array is ``users.iloc[u]``)."""

    users: pd.DataFrame
    language: np.ndarray  # 0 zh, 1 en
    top_pref: np.ndarray  # [U, T] initial taste over top categories
    leaf_pref: np.ndarray  # [U, L] initial taste over leaves (rows sum to 1)
    leaf_pref_new: np.ndarray  # [U, L] taste after the drift (equals leaf_pref for non-drifters)
    new_top: np.ndarray  # [U] top category of the new interest, -1 for none
    drift_at: np.ndarray  # [U] epoch seconds of the switch, NEVER for none
    brand_score: np.ndarray  # [U, B] log-affinity for each brand (0 = indifferent)
    price_level: np.ndarray  # [U] preferred log price relative to a leaf's typical price
    activity: np.ndarray  # [U] expected sessions over 90 days
    device: np.ndarray  # [U] primary device index into DEVICES
    created: np.ndarray  # [U] epoch seconds of sign-up


def _dirichlet_rows(alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One Dirichlet draw per row of ``alpha`` (vectorised through gamma variates)."""
    g = rng.gamma(np.maximum(alpha, 1e-3))
    g += 1e-12
    return cast("np.ndarray", g / g.sum(axis=1, keepdims=True))


def build_population(n_users: int, rng: np.random.Generator, tax: Taxonomy, start: pd.Timestamp,
                     days: int) -> Population:
    """Invent ``n_users`` shoppers with attributes, heavy-tailed activity and drifting tastes."""
    n_tops, n_leaves, n_brands = len(tax.tops), tax.n_leaves, tax.n_brands
    gender = rng.choice(3, size=n_users, p=[0.52, 0.42, 0.06])
    language = (rng.random(n_users) < 0.2).astype(np.int64)
    age = rng.choice(len(AGE_BANDS), size=n_users, p=_AGE_P)
    city_p = np.array([[c[2] for c in CITIES], [c[3] for c in CITIES]])
    city_p /= city_p.sum(axis=1, keepdims=True)
    city = np.where(language == 0, rng.choice(len(CITIES), n_users, p=city_p[0]),
                    rng.choice(len(CITIES), n_users, p=city_p[1]))
    tier1 = np.array([c[4] for c in CITIES])[city]

    alpha = np.array([_TOP_ALPHA[g] for g in GENDERS])[gender] * 0.6
    top_pref = _dirichlet_rows(alpha, rng)
    within = _dirichlet_rows(np.full((n_users, n_leaves), 0.5), rng)
    leaf_pref = _normalise_within_tops(within, tax) * top_pref[:, tax.leaf_top]

    # drift: a new top category (one the shopper barely cared about), concentrated on one or two leaves
    drifts = rng.random(n_users) < DRIFT_SHARE
    cand = np.array([_TOP_ALPHA[g] for g in GENDERS])[gender] * (top_pref < 0.15)
    cand += 1e-9
    cdf = np.cumsum(cand, axis=1) / cand.sum(axis=1, keepdims=True)
    new_top = np.minimum((cdf < rng.random(n_users)[:, None]).sum(axis=1), n_tops - 1)
    new_within = _normalise_within_tops(_dirichlet_rows(np.full((n_users, n_leaves), 0.35), rng), tax)
    new_vec = new_within * (tax.leaf_top[None, :] == new_top[:, None])
    leaf_pref_new = np.where(drifts[:, None], 0.55 * leaf_pref + 0.45 * new_vec, leaf_pref)
    new_top = np.where(drifts, new_top, -1)

    start_s = int(start.timestamp())
    span = days * 86400
    drift_at = np.where(drifts, start_s + ((0.3 + 0.45 * rng.random(n_users)) * span).astype(np.int64), NEVER)

    brand_pop = rng.lognormal(0.0, 0.5, n_brands)
    aff = rng.gamma(0.35, size=(n_users, n_brands)) * brand_pop[None, :]
    brand_score = np.clip(np.log(aff / aff.mean(axis=1, keepdims=True) + 0.15), -2.0, 2.5)
    brand_score += np.where(language[:, None] == 1, 0.35, -0.1) * tax.brand_foreign[None, :]

    price_level = rng.normal(np.array(_AGE_PRICE)[age] + 0.1 * tier1, 0.35)
    activity = np.clip(rng.lognormal(np.log(3.2), 1.0, n_users), 0.3, 120.0)

    app = rng.random(n_users) < np.array(_AGE_APP)[age]
    device = np.where(app, 2, np.where(rng.random(n_users) < 0.6, 0, 1))

    joined_during = rng.random(n_users) < 0.18
    created = np.where(joined_during, start_s + (rng.random(n_users) * (span - 86400)).astype(np.int64),
                       start_s - (rng.uniform(1, 1500, n_users) * 86400).astype(np.int64))
    created -= created % 60

    width = max(5, len(str(n_users)))
    users = pd.DataFrame({
        "user_id": [f"U{i:0{width}d}" for i in range(1, n_users + 1)],
        "attributes": [{"city": CITIES[c][0], "city_zh": CITIES[c][1], "age_band": AGE_BANDS[a],
                        "gender": GENDERS[g], "language": LANGUAGES[lang]}
                       for c, a, g, lang in zip(city, age, gender, language, strict=True)],
        "created_at": pd.to_datetime(created, unit="s", utc=True),
    })[list(USER_COLUMNS)]
    return Population(users, language, top_pref, leaf_pref, leaf_pref_new, new_top, drift_at, brand_score,
                      price_level, activity, device, created.astype(np.int64))


def _normalise_within_tops(w: np.ndarray, tax: Taxonomy) -> np.ndarray:
    """Rescale ``[U, L]`` weights so that the leaves of each top category sum to 1."""
    onehot = tax.leaf_top[:, None] == np.arange(len(tax.tops))[None, :]
    sums = w @ onehot
    return cast("np.ndarray", w / np.maximum(sums[:, tax.leaf_top], 1e-12))
