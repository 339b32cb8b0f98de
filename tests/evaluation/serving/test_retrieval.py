"""`shopmind bench-serve`: a tiny end-to-end run against a real server process (latency, real time,
ingestion with kill -9, retrieval), and the pieces it is made of."""

from __future__ import annotations

import numpy as np

from shopmind.evaluation.serving import (
    retrieval_bench,
)
from shopmind.evaluation.serving.retrieval import ann_bench, clustered_vectors


def test_retrieval_is_exact_and_timed_against_the_floor():
    r = retrieval_bench(5000, 16, single=3, batched=32, runs=3, ann=None)
    assert r["exact_match"] and "ann" not in r
    for label in ("single", "batched"):
        assert r[label]["floor_ms_per_query"] > 0 and r[label]["ratio"] > 0 and len(r[label]["ratios"]) == 3
        assert r[label]["ratio"] == sorted(r[label]["ratios"])[1]  # the median of the alternated runs


def test_the_ann_section_reports_recall_speedup_build_time_and_memory():
    r = retrieval_bench(4000, 16, single=2, batched=64, runs=1, ann="hnsw")
    ann = r["ann"]
    assert set(ann) >= {"method", "recall@10", "speedup", "build_s", "memory_mb"} and ann["method"] == "hnsw"
    assert ann["recall@10"] > 0.9 and ann["memory_mb"] > 4000 * 16 * 4 / 2**20  # at least the vectors
    assert 0 <= r["ann_iid_gaussian"]["recall@10"] <= 1


def test_clustered_vectors_have_neighbourhoods_an_index_can_find():
    x = clustered_vectors(3000, 16, seed=0, centres=30)
    q = x[:64]
    clustered = ann_bench(x, q, "ivf", exact_ms=1.0, nlist=32, nprobe=4)
    gaussian = ann_bench(np.random.default_rng(0).standard_normal((3000, 16)).astype(np.float32),
                         q, "ivf", exact_ms=1.0, nlist=32, nprobe=4)
    assert clustered["recall@10"] > gaussian["recall@10"]
