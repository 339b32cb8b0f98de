"""Learned segments: k-means picks k by silhouette, LDA finds planted topics, and lift describes a segment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from shopmind.customers.profiles import TagWeights
from shopmind.customers.segments import KMeansSegmenter, TopicSegmenter, describe_segment, lift_table
from shopmind.errors import DataError, ParameterError


def test_kmeans_chooses_the_planted_number_of_groups():
    rng = np.random.default_rng(1)
    centres = np.eye(4)
    x = np.vstack([c + rng.normal(0, 0.05, (60, 4)) for c in centres] + [np.zeros((5, 4))])
    seg = KMeansSegmenter(k_min=2, k_max=6, seed=0).fit(x)
    assert seg.k_ == 4 and seg.scores_[4] == max(seg.scores_.values())
    labels = seg.predict(x)
    assert (labels[-5:] == -1).all()  # users without a representation join no cluster
    assert len(set(labels[:60])) == 1 and len(set(labels[:240])) == 4


def test_kmeans_rejects_bad_parameters_and_too_few_users():
    with pytest.raises(ParameterError, match="k_max"):
        KMeansSegmenter(k_min=5, k_max=3).fit(np.ones((10, 2)))
    with pytest.raises(DataError, match="more than 3"):
        KMeansSegmenter(k_min=3).fit(np.vstack([np.ones((2, 2)), np.zeros((9, 2))]))


def test_lda_recovers_two_planted_topics():
    rng = np.random.default_rng(0)
    vocab = ["category:Tea", "category:Mugs", "brand:Leaf", "category:Shoes", "category:Socks", "brand:Run"]
    rows = []
    for u in range(120):
        block = [0, 1, 2] if u % 2 == 0 else [3, 4, 5]
        row = np.zeros(6)
        row[rng.choice(block, 6)] += 1
        rows.append(row)
    counts = sp.csr_matrix(np.vstack([*rows, np.zeros(6)]))
    topics = TopicSegmenter(topics=2, seed=0).fit(counts, vocab)
    terms = [{t for t, _ in topic[:3]} for topic in topics.top_terms(3)]
    assert sorted(map(sorted, terms)) == sorted([sorted(vocab[:3]), sorted(vocab[3:])])
    topic, share = topics.predict(counts)
    assert topic[-1] == -1 and share[-1] == 0.0
    assert len(set(topic[0:120:2])) == 1 and topic[0] != topic[1]
    with pytest.raises(DataError, match="LDA needs"):
        TopicSegmenter(topics=3).fit(sp.csr_matrix(np.zeros((5, 2))), ["a", "b"])


def test_lift_and_description():
    weights = sp.csr_matrix(np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]))
    member = np.array([True, True, False, False])
    lift = lift_table(member, weights, ["Tea", "Shoes"])
    assert lift == [{"tag": "Tea", "share": 1.0, "shop_share": 0.5, "lift": 2.0}]
    assert lift_table(np.zeros(4, dtype=bool), weights, ["Tea", "Shoes"]) == []
    table = pd.DataFrame({"rfm": ["champions", "lost", None, None], "stage": ["active", "lapsed", "prospect",
                                                                            "prospect"],
                          "monetary": [100.0, 20.0, 0.0, 0.0], "clv_12m": [50.0, 1.0, np.nan, np.nan]})
    d = describe_segment(member, table, TagWeights(pd.Index(list("abcd")), {"category": (weights, ["Tea", "Shoes"])}))
    assert d["size"] == 2 and d["share"] == 0.5 and d["lift"]["category"][0]["tag"] == "Tea"
    assert d["rfm_mix"] == {"champions": 0.5, "lost": 0.5} and d["value"]["mean_clv_12m"] == 25.5
