"""Building blocks of the sequence networks: the base class every network derives from (item + side-code
embeddings in, one hidden state per position out) and the CPU-fast dropout they use."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from shopmind.models.sequential.items import ItemTable


class FastDropout(nn.Module):
    """Inverted dropout whose CPU mask comes from random bytes (8 per int64 draw) rather than
    ``bernoulli_``: 2.9 ms against 9.1 ms forward + backward on a [64, 200, 64] activation here, and dropout
    was 28% of a SASRec step on ML-1M. The drop probability is rounded to a multiple of 1/256 (0.2 -> 51/256 =
    0.1992); the kept activations are scaled by the exact inverse of the keep rate. Elsewhere (CUDA) and at
    ``p`` = 0 it is :func:`torch.nn.functional.dropout`."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = float(p)
        self.threshold = round(self.p * 256)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p <= 0.0:
            return x
        if x.device.type != "cpu" or self.threshold >= 256:
            return F.dropout(x, self.p, True)
        n = x.numel()
        words = torch.randint(torch.iinfo(torch.int64).min, torch.iinfo(torch.int64).max, ((n + 7) // 8,),
                              dtype=torch.int64, device=x.device)
        keep = words.view(torch.uint8)[:n].view(x.shape) >= self.threshold
        return x * (keep.to(x.dtype) * (256.0 / (256 - self.threshold)))

    def extra_repr(self) -> str:
        return f"p={self.p}"


class SequenceNet(nn.Module):
    """Base of the networks: ``forward(seq, events) -> hidden [B, L, d]`` for left-padded ``seq``."""

    def __init__(self, table: ItemTable, n_event_types: int, d: int) -> None:
        super().__init__()
        self.table = table
        self.events = nn.Embedding(n_event_types + 1, d, padding_idx=0) if n_event_types else None
        if self.events is not None:
            nn.init.normal_(self.events.weight, std=0.02)

    def embed(self, seq: torch.Tensor, events: torch.Tensor | None, table: torch.Tensor) -> torch.Tensor:
        x = F.embedding(seq, table)
        if self.events is not None and events is not None:
            x = x + self.events(events)
        return x

    def encode(self, seq: torch.Tensor, events: torch.Tensor | None, table: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError
