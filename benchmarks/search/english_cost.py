"""What the English side (all-MiniLM-L6-v2) adds to a hybrid query: the MiniLM query encoding (a query not seen
before) and re-ordering 400 candidates at 100,000 items with the query vector cached.

    PYTHONPATH=src python benchmarks/search/english_cost.py
"""

import json
import time

import numpy as np

from shopmind.search.dense import DenseIndex, QueryEncoder
from shopmind.search.engine import SearchEngine
from shopmind.search.speed import QUERIES
from shopmind.text.encoders import get_encoder


def percentiles(ms: list[float]) -> dict[str, float]:
    return {"p50_ms": round(float(np.percentile(ms, 50)), 3), "p99_ms": round(float(np.percentile(ms, 99)), 3)}


enc = get_encoder("minilm")
enc.encode(["warm up"], kind="query")
encode_ms = []
for i in range(5):
    for q in QUERIES:
        t = time.perf_counter()
        enc.encode([f"{q} {i}"], kind="query")
        encode_ms.append((time.perf_counter() - t) * 1000)
rng = np.random.default_rng(0)
n = 100_000
vectors = rng.standard_normal((n, enc.dim), dtype=np.float32)
vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
engine = SearchEngine()
engine.english = DenseIndex(enc.dim)
engine.english.add(list(range(n)), vectors)
engine.english_vector = QueryEncoder(enc)
for q in QUERIES:
    engine.english_vector(q)  # cached, as for a repeated query
rank_ms = []
for _ in range(20):
    for q in QUERIES:
        candidates = rng.integers(0, n, 400)
        t = time.perf_counter()
        engine.english_ranking(q, candidates)
        rank_ms.append((time.perf_counter() - t) * 1000)
print(json.dumps({"minilm_query_encoding": percentiles(encode_ms),
                  "english_ranking_400_of_100k_cached": percentiles(rank_ms)}))
