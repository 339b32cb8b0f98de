"""Modality weights, the weighted concatenation of unit blocks, block means."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from shopmind.models.fusion.blocks import block_mean, concat_blocks, parse_weights


def test_parse_weights():
    assert parse_weights("text=1,attrs=0.5") == {"text": 1.0, "attrs": 0.5, "image": 0.0}
    assert parse_weights("text=1/image=2") == {"text": 1.0, "attrs": 0.0, "image": 2.0}
    assert parse_weights({"image": 1}) == {"text": 0.0, "attrs": 0.0, "image": 1.0}
    for bad in ("text", "audio=1", "text=-1", "text=0", "text=abc", 3):
        with pytest.raises(ValueError):
            parse_weights(bad)


def test_concat_blocks_weighs_unit_blocks_and_normalises_rows():
    text = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    attrs = sp.csr_matrix(np.array([[1.0], [0.0]], dtype=np.float32))
    fused = concat_blocks([text, attrs], np.array([[True, True], [True, False]]), [1.0, 2.0]).toarray()
    np.testing.assert_allclose(np.linalg.norm(fused, axis=1), 1.0, rtol=1e-6)
    assert fused[0, 2] / fused[0, 0] == pytest.approx(2.0) and fused[1].tolist() == [0.0, 1.0, 0.0]


def test_block_mean_is_over_the_items_that_have_the_block():
    x = np.array([[1.0, 1.0], [3.0, 5.0], [9.0, 9.0]], dtype=np.float32)
    assert block_mean(x, np.array([True, True, False])).tolist() == [2.0, 3.0]
    assert block_mean(x, np.zeros(3, dtype=bool)).tolist() == [0.0, 0.0]
