"""`shopmind text bench` and `shopmind text cold-bench`: encoder throughput on this machine, the cost of the
LM re-ranker per request, and the cold-start protocols (new items ranked among themselves; new shoppers after
their first 1, 3, 5 events) over any models.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from shopmind.data.interactions import Interactions
from shopmind.models import create
from shopmind.models.lmtext import LMText, MiniLMBiEncoder
from shopmind.text import get_encoder
from shopmind.training.coldstart import cold_item_split, cold_user_split, evaluate_cold_items, evaluate_cold_users

#: Mixed Chinese / English product titles the throughput bench encodes.
SAMPLE_TEXTS = [
    "Women's breathable running shoes, lightweight mesh, size 38", "不锈钢炒锅 32cm 无涂层 燃气电磁炉通用",
    "Organic green tea, 100 bags", "纯棉短袖T恤 男款 白色 L码", "Wireless noise-cancelling headphones, 30 h battery",
    "保湿面霜 50ml 敏感肌适用", "Stainless steel insulated water bottle 750 ml", "儿童益智积木 200块 3岁以上",
]
#: Events each new shopper reveals in the cold-user protocol.
REVEALS = (1, 3, 5)


def sample_texts(n: int) -> list[str]:
    """``n`` distinct titles cycling through :data:`SAMPLE_TEXTS`."""
    return [f"{SAMPLE_TEXTS[i % len(SAMPLE_TEXTS)]} #{i}" for i in range(n)]


def encoder_throughput(names: Sequence[str], n: int = 512, batch_size: int = 64) -> list[dict[str, Any]]:
    """Texts per second of each encoder on ``n`` sample titles (no cache; one warm-up batch first)."""
    texts = sample_texts(n)
    rows: list[dict[str, Any]] = []
    for name in names:
        t0 = time.perf_counter()
        enc = get_encoder(name)
        load_s = time.perf_counter() - t0
        enc.encode(texts[:8], batch_size=batch_size)  # warm
        t0 = time.perf_counter()
        enc.encode(texts, batch_size=batch_size)
        secs = time.perf_counter() - t0
        rows.append({"encoder": name, "dim": enc.dim, "texts": n, "seconds": round(secs, 3),
                     "texts_per_s": round(n / secs, 1), "load_seconds": round(load_s, 2)})
    return rows


def rerank_cost(n_candidates: int, n_texts: int = 512, history: int = 10, requests: int = 64) -> dict[str, Any]:
    """Per-request cost of :class:`~shopmind.models.lmtext.LMRerank`'s LM step: encode one user text (their
    ``history`` latest titles, as the model builds it) and score ``n_candidates`` cached item vectors."""
    texts = sample_texts(n_texts)
    defaults = LMText()
    lm = MiniLMBiEncoder()
    items = lm.encode(texts[:n_candidates] or texts[:1], defaults.item_tokens)
    users = ["; ".join(texts[(r + j) % len(texts)] for j in range(history)) for r in range(requests)]
    lm.encode(users[:2], defaults.user_tokens)  # warm
    lat = []
    for text in users:
        t0 = time.perf_counter()
        np.argsort(-(lm.encode([text], defaults.user_tokens) @ items.T)[0])
        lat.append(1000 * (time.perf_counter() - t0))
    t0 = time.perf_counter()
    np.argsort(-(lm.encode(users, defaults.user_tokens, batch_size=64) @ items.T), axis=1)
    batched = requests / (time.perf_counter() - t0)
    return {"candidates": n_candidates, "history_titles": history, "requests": requests,
            "p50_ms": round(float(np.percentile(lat, 50)), 2), "p95_ms": round(float(np.percentile(lat, 95)), 2),
            "batched_requests_per_s": round(batched, 1)}


def cold_item_bench(data: Interactions, specs: Sequence[tuple[str, str, dict[str, Any]]], fraction: float = 0.2,
                    seed: int = 0, on_result: Callable[[dict[str, Any]], None] | None = None
                    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Hold out ``fraction`` of the items with all their interactions, fit each ``(label, name, params)`` on
    the rest and rank the held-out items for the users who wanted them: the split's description and one row
    per model (HR / NDCG / recall @10, training seconds)."""
    split = cold_item_split(data, fraction, seed)
    rows: list[dict[str, Any]] = []
    for label, name, params in specs:
        t0 = time.perf_counter()
        model = create(name, **params).fit(split.train)
        fit_s = time.perf_counter() - t0
        row = {"model": label, "metrics": evaluate_cold_items(model, split), "train_seconds": round(fit_s, 2)}
        rows.append(row)
        if on_result:
            on_result(row)
    return split.describe(), rows


def cold_user_bench(data: Interactions, specs: Sequence[tuple[str, str, dict[str, Any]]], fraction: float = 0.2,
                    seed: int = 0) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Hold out ``fraction`` of the shoppers; each reveals their first 1, 3 and 5 events (folded in, no
    retraining) and the later items are the targets: the split's size and one row per model with metrics
    by number of revealed events."""
    split = cold_user_split(data, fraction, max(REVEALS), seed)
    rows: list[dict[str, Any]] = []
    for label, name, params in specs:
        t0 = time.perf_counter()
        model = create(name, **params).fit(split.train)
        fit_s = time.perf_counter() - t0
        res = {r: evaluate_cold_users(model, split, r) for r in REVEALS}
        rows.append({"model": label, "by_reveal": {str(r): m for r, m in res.items()},
                     "train_seconds": round(fit_s, 2)})
    return {"users": len(split.users), "train_interactions": len(split.train)}, rows
