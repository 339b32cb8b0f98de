"""SASRec: LiGR blocks and the relative attention bias."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fixtures.sequences import TINY
from shopmind.errors import ParameterError
from shopmind.evaluation.protocol import evaluate
from shopmind.models import Recommender
from shopmind.models.sasrec import SASRec, relative_distances
from shopmind.training.splits import leave_one_out


def test_ligr_blocks_learn_and_gate_their_sub_layers(cyclic):
    split = leave_one_out(cyclic)
    full = split.train_valid()
    m = SASRec(**{**TINY, "block": "ligr", "ffn_mult": 2}).fit(full)
    blk = m.nets_[0].blocks[0]
    assert blk.gated and hasattr(blk, "gate1") and blk.ffn.w13.out_features == 2 * 2 * TINY["d"]
    assert evaluate(m, full, split.test).metrics["hr@10"] > 0.9
    # a closed gate removes the sub-layer: the block's output is then its input
    with torch.no_grad():
        for g in (blk.gate1, blk.gate2):
            g.weight.zero_()
            g.bias.fill_(-1e4)
    x = torch.randn(2, 5, TINY["d"])
    mask = torch.ones(5, 5, dtype=torch.bool).tril()[None, None]
    blk.eval()
    torch.testing.assert_close(blk(x, mask), x)


def test_relative_bias_learns_and_shifts_attention_by_distance(cyclic, tmp_path):
    split = leave_one_out(cyclic)
    full = split.train_valid()
    m = SASRec(**{**TINY, "block": "ligr", "relative_bias": True}).fit(full)
    blk = m.nets_[0].blocks[0]
    assert blk.rel_bias is not None and blk.rel_bias.shape == (2, TINY["max_len"])
    assert float(blk.rel_bias.detach().abs().sum()) > 0  # trained: it started at zero
    assert evaluate(m, full, split.test).metrics["hr@10"] > 0.9
    path = tmp_path / "rel.smm"
    m.save(path)
    back = Recommender.load(path)
    users = np.arange(5)
    np.testing.assert_allclose(back.score(users), m.score(users), rtol=1e-5, atol=1e-5)
    # a huge bias on distance 1 makes every query attend to its previous item only
    attn = blk.attn
    with torch.no_grad():
        blk.rel_bias.zero_()
        blk.rel_bias[:, 1] = 1e4
    x = torch.randn(1, 4, TINY["d"])
    mask = torch.ones(4, 4, dtype=torch.bool).tril()[None, None]
    bias = blk.rel_bias[:, relative_distances(4)]
    attn.eval()
    with torch.no_grad():
        y = attn(x, mask, bias)
        _, _, v = attn.qkv(x).view(1, 4, 3, 2, TINY["d"] // 2).permute(2, 0, 3, 1, 4)
        prev = attn.out(v[:, :, :-1].transpose(1, 2).reshape(1, 3, TINY["d"]))
    torch.testing.assert_close(y[:, 1:], prev, rtol=1e-4, atol=1e-4)
    with pytest.raises(ParameterError, match="relative_bias"):
        SASRec(relative_bias="yes").fit(full)
