"""Next-item losses of the sequence models: full softmax cross-entropy over all items (computed chunk by
chunk on a CPU), sampled softmax, and sampled BCE / gBCE.

Each loss reads the hidden states ``h`` of the positions that have a next item and the item table, and
returns the mean loss and the number of positions it averages.
"""

from __future__ import annotations

from typing import Any, cast

import torch
from torch.nn import functional as F

#: What ``loss`` may name (besides ``"auto"``).
LOSSES = ("ce", "sce", "bce", "gbce")


class _ChunkedSoftmaxCE(torch.autograd.Function):
    """Mean softmax cross-entropy of ``h @ w.T`` against ``target``, computed ``chunk`` rows at a time.

    The gradients are formed in the forward pass, chunk by chunk (``softmax - q`` times ``w`` and ``h``),
    so the ``[N, n_items]`` logits and their gradient are never held at once; on a CPU this halves the
    cost of the output layer (the full-size log-softmax and its backward are memory-bound passes over
    ~150 MB for an ML-1M batch). ``q`` is the one-hot target, smoothed by ``eps`` like
    ``F.cross_entropy(label_smoothing=eps)``.
    """

    @staticmethod
    def forward(ctx: Any, h: torch.Tensor, w: torch.Tensor, target: torch.Tensor, eps: float,
                chunk: int) -> torch.Tensor:
        n, v = h.shape[0], w.shape[0]
        grad_h = torch.empty_like(h)
        grad_w = torch.zeros_like(w)
        total = h.new_zeros(())
        for s in range(0, n, chunk):
            hc, tc = h[s:s + chunk], target[s:s + chunk]
            logits = hc @ w.T
            logits.sub_(logits.amax(1, keepdim=True))  # shifted logits: the loss is shift-invariant
            picked = logits.gather(1, tc[:, None]).squeeze(1)
            mean = logits.mean(1) if eps else None
            sums = logits.exp_().sum(1, keepdim=True)
            lse = sums.log().squeeze(1)
            if mean is not None:
                total += ((lse - picked) * (1.0 - eps) + (lse - mean) * eps).sum()
            else:
                total += (lse - picked).sum()
            p = logits.div_(sums)  # softmax, in place of the logits
            if eps:
                p.sub_(eps / v)
            p[torch.arange(len(tc), device=p.device), tc] -= 1.0 - eps
            grad_h[s:s + chunk] = p @ w
            grad_w.addmm_(p.T, hc)
        ctx.save_for_backward(grad_h, grad_w)
        ctx.n = n
        return total / max(1, n)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        grad_h, grad_w = ctx.saved_tensors
        scale = grad / max(1, ctx.n)
        return grad_h * scale, grad_w * scale, None, None, None


def chunked_softmax_ce(h: torch.Tensor, w: torch.Tensor, target: torch.Tensor, label_smoothing: float = 0.0,
                       chunk: int = 1024) -> torch.Tensor:
    """``F.cross_entropy(h @ w.T, target, label_smoothing=...)`` without materialising the logits (see
    :class:`_ChunkedSoftmaxCE`); same value and gradients up to float rounding."""
    return cast("torch.Tensor", _ChunkedSoftmaxCE.apply(h, w, target, float(label_smoothing), int(chunk)))


def next_item_loss(h: torch.Tensor, table: torch.Tensor, tgt: torch.Tensor, loss: str, *,
                   label_smoothing: float = 0.0, n_negatives: int = 256,
                   gbce_t: float = 0.75) -> tuple[torch.Tensor, int]:
    """Mean next-item loss over the positions of ``tgt`` ([B, L] item index + 1, 0 = no next item) and how
    many positions it averages. ``h`` ([B, L, d]) are the hidden states, ``table`` ([n_items + 1, d]) the
    item table (row 0 = padding).

    ``loss``: ``"ce"`` (softmax over all items; on a CPU outside autocast, :func:`chunked_softmax_ce`),
    ``"sce"`` (sampled softmax against ``n_negatives`` uniform items shared by the batch), ``"bce"`` or
    ``"gbce"`` (``n_negatives`` uniform negatives per position; ``gbce_t`` is gSASRec's calibration).
    """
    n_items = table.shape[0] - 1
    mask = tgt > 0
    hs = h[mask]
    t = tgt[mask]
    n = int(t.numel())
    if loss == "ce":
        idx = t - 1
        if hs.device.type == "cpu" and not torch.is_autocast_enabled("cpu"):
            return chunked_softmax_ce(hs, table[1:], idx, label_smoothing), n
        return F.cross_entropy(hs @ table[1:].T, idx, label_smoothing=label_smoothing), n
    if loss == "sce":
        # sampled softmax: the positive against n_negatives uniform items shared by the whole batch
        # (an accidental hit of the positive is masked); ~n_items / n_negatives times cheaper than "ce"
        k = min(n_negatives, n_items)
        shared = torch.randperm(n_items, device=hs.device)[:k] + 1
        pos_logit = (hs * table[t]).sum(-1, keepdim=True)
        neg_logits = (hs @ table[shared].T).masked_fill(shared[None, :] == t[:, None], float("-inf"))
        logits = torch.cat([pos_logit, neg_logits], dim=1)
        return F.cross_entropy(logits, torch.zeros_like(t)), n
    negs = torch.randint(1, n_items + 1, (n, n_negatives), device=hs.device)
    pos = (hs * table[t]).sum(-1)
    neg = torch.einsum("nd,nkd->nk", hs, table[negs])
    if loss == "bce":
        return (-F.logsigmoid(pos) - F.logsigmoid(-neg).sum(-1)).mean(), n
    # gSASRec (Petrov & Macdonald 2023): calibrate the positive with beta = alpha (t (1 - 1/alpha) + 1/alpha)
    alpha = n_negatives / max(1, n_items - 1)
    beta = alpha * (gbce_t * (1.0 - 1.0 / alpha) + 1.0 / alpha)
    return (-beta * F.logsigmoid(pos) - F.logsigmoid(-neg).sum(-1)).mean(), n
