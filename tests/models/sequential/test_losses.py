"""The next-item losses: the chunked softmax cross-entropy equals the full one, value and gradients."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from shopmind.models.sequential.losses import chunked_softmax_ce, next_item_loss


@pytest.mark.parametrize("eps", [0.0, 0.1])
def test_chunked_cross_entropy_equals_the_full_softmax_loss_and_gradients(eps):
    gen = torch.Generator().manual_seed(0)
    h = torch.randn(700, 8, generator=gen, requires_grad=True)
    w = torch.randn(300, 8, generator=gen, requires_grad=True)
    t = torch.randint(0, 300, (700,), generator=gen)
    ref = F.cross_entropy(h @ w.T, t, label_smoothing=eps)
    ref_grads = torch.autograd.grad(3.0 * ref, [h, w])
    got = chunked_softmax_ce(h, w, t, eps, chunk=128)  # several chunks and a ragged last one
    got_grads = torch.autograd.grad(3.0 * got, [h, w])
    assert got.item() == pytest.approx(ref.item(), rel=1e-5)
    for a, b in zip(got_grads, ref_grads, strict=True):
        assert torch.allclose(a, b, atol=1e-6)


@pytest.mark.parametrize("loss", ["ce", "sce", "bce", "gbce"])
def test_next_item_loss_averages_the_positions_that_have_a_next_item(loss):
    torch.manual_seed(0)
    table = torch.randn(31, 8)
    table[0] = 0.0
    h = torch.randn(4, 6, 8, requires_grad=True)
    tgt = torch.randint(1, 31, (4, 6))
    tgt[:, :2] = 0  # padding: no next item
    value, n = next_item_loss(h, table, tgt, loss, n_negatives=5)
    assert n == 16 and value.ndim == 0 and torch.isfinite(value)
    (grad,) = torch.autograd.grad(value, h)
    assert grad[:, :2].abs().sum() == 0 and grad[:, 2:].abs().sum() > 0
    if loss == "ce":
        ref = F.cross_entropy(h[:, 2:].reshape(-1, 8) @ table[1:].T, tgt[:, 2:].reshape(-1) - 1)
        assert value.item() == pytest.approx(ref.item(), rel=1e-5)
