"""The CPU-fast dropout of the sequence networks."""

from __future__ import annotations

import torch

from shopmind.models.sequential.networks import FastDropout


def test_fast_dropout_drops_the_asked_share_and_keeps_the_mean():
    drop = FastDropout(0.2)
    x = torch.ones(200, 1000, requires_grad=True)
    torch.manual_seed(0)
    y = drop(x)
    kept = (y != 0).float().mean().item()
    assert abs(kept - (1 - 51 / 256)) < 0.005  # p rounded to 51/256
    assert abs(y.mean().item() - 1.0) < 0.01  # inverted dropout keeps the expectation
    y.sum().backward()
    assert torch.equal(x.grad, y.detach())  # the gradient flows through the kept entries, scaled alike
    torch.manual_seed(0)
    assert torch.equal(drop(x), y)  # reproducible under torch's seed
    drop.eval()
    assert drop(x) is x
    assert FastDropout(0.0).train()(x) is x
    assert (FastDropout(1.0)(x) == 0).all()
