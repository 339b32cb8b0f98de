"""Text encoders (offline, cross-lingual), the store-backed embedding cache, encoder-based content
models, text-based cold start of new items, and the `shopmind text` commands."""

from __future__ import annotations

import numpy as np

from shopmind.storage import open_store
from shopmind.text import encode_cached, get_encoder, text_key


def test_cache_encodes_each_text_once_and_a_changed_text_again(tmp_path):
    enc = get_encoder("hashing")
    with open_store(f"sqlite:///{tmp_path / 's.db'}") as store:
        v1, s1 = encode_cached(enc, ["tea", "coffee", "tea"], store)
        assert s1["encoded"] == 3 and s1["cached"] == 0
        v2, s2 = encode_cached(enc, ["tea", "coffee"], store)
        assert s2 == {**s2, "encoded": 0, "cached": 2}
        np.testing.assert_array_equal(v2, v1[:2])
        _, s3 = encode_cached(enc, ["green tea", "coffee"], store)
        assert s3["encoded"] == 1 and s3["cached"] == 1
        _, s4 = encode_cached(enc, ["tea"], store, kind="query")  # a query is cached separately
        assert s4["encoded"] == 1
    assert text_key("tea") != text_key("tea", "query")
