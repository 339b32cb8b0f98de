"""The fusion network: pooling, the masked modality attention, user-conditioned scores."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from shopmind.models.fusion.network import FusionNet, masked_attention, pool, user_query_scores


def test_pool_sums_weighted_rows_and_counts_a_repeated_item_once_with_its_largest_weight():
    table = torch.arange(12, dtype=torch.float32).view(4, 3)
    rows = np.array([[-1, 2, 2, 0], [3, -1, -1, -1]])
    weights = np.array([[9.0, 0.5, 1.0, 2.0], [1.0, 0.0, 0.0, 0.0]], dtype=np.float32)
    out = pool(rows, weights, table)
    torch.testing.assert_close(out, torch.stack([1.0 * table[2] + 2.0 * table[0], table[3]]))


def test_masked_attention_is_a_softmax_over_the_modalities_an_item_has():
    base = np.array([[0.0, 0.0, 5.0], [1.0, 2.0, 3.0]], dtype=np.float32)
    mask = np.array([[True, True, False], [False, False, False]])
    att = masked_attention(base, mask)
    assert att[0].tolist() == pytest.approx([0.5, 0.5, 0.0]) and att[1].tolist() == [0.0, 0.0, 0.0]


def test_user_query_starting_at_zero_scores_like_the_item_only_attention():
    torch.manual_seed(0)
    net = FusionNet([4, 3], [False, False], 8, [0.5, 0.5], user_query=True, global_taste=False).eval()
    blocks = [torch.randn(6, 4), torch.randn(6, 3)]
    mask = torch.ones(6, 2, dtype=torch.bool)
    with torch.no_grad():
        hm = net.modality_vectors(blocks, mask)
        base = net.base_logits(hm)
        fused, _ = net.fuse(hm, mask)
    prof = F.normalize(torch.randn(2, 8), dim=-1).numpy()
    got = user_query_scores(net, prof, hm.numpy(), base.numpy(), mask.numpy())
    np.testing.assert_allclose(got, prof @ fused.numpy().T, rtol=1e-5, atol=1e-6)
