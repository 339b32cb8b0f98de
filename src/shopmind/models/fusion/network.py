"""The fusion model's network: per-modality projections, the additive modality attention (optionally
conditioned on the user), and the item tables computed from it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn
from torch.nn import functional as F

from shopmind.models.fusion.blocks import net_inputs


class FusionNet(nn.Module):
    """Per-modality projections + additive modality attention (+ optional user-conditioned query).

    ``inputs`` of :meth:`modality_vectors` are, per modality, a dense ``[U, dim]`` tensor or, for the sparse
    attrs block, an ``(indices, offsets, weights)`` triple for an ``EmbeddingBag``.
    """

    def __init__(self, dims: Sequence[int], sparse: Sequence[bool], d: int, prior: Sequence[float],
                 user_query: bool, global_taste: bool, means: Sequence[np.ndarray] | None = None) -> None:
        super().__init__()
        self.centred = means is not None
        for j, mean in enumerate(means or ()):
            self.register_buffer(f"mean{j}", torch.as_tensor(np.asarray(mean, dtype=np.float32)))
        self.proj = nn.ModuleList()
        for dim, is_sparse in zip(dims, sparse, strict=True):
            if is_sparse:
                bag = nn.EmbeddingBag(dim, d, mode="sum")
                nn.init.normal_(bag.weight, std=1.0)
                self.proj.append(bag)
            else:
                lin = nn.Linear(dim, d, bias=False)
                nn.init.normal_(lin.weight, std=dim ** -0.5)
                self.proj.append(lin)
        self.key = nn.Linear(d, d)
        self.query = nn.Parameter(torch.randn(d) * d ** -0.5)
        self.bias = nn.Parameter(torch.log(torch.as_tensor(prior, dtype=torch.float32)))
        self.user_query: nn.Linear | None = None
        if user_query:
            self.user_query = nn.Linear(d, d, bias=False)
            nn.init.zeros_(self.user_query.weight)  # starts as the item-only attention
        self.global_taste = nn.Parameter(torch.zeros(d)) if global_taste else None
        self.log_scale = nn.Parameter(torch.tensor(0.0))

    def modality_vectors(self, inputs: Sequence[Any], mask: torch.Tensor) -> torch.Tensor:
        """Unit ``[U, M, d]`` projections, centred on the catalog mean of each block (so that a projection
        cannot turn an uninformative modality into a harmless constant: only the attention can silence it);
        rows of missing blocks are 0."""
        outs = []
        for j, (mod, x) in enumerate(zip(self.proj, inputs, strict=True)):
            if isinstance(mod, nn.EmbeddingBag):
                idx, off, w = x
                h = mod(idx, off, per_sample_weights=w)
                centre = (getattr(self, f"mean{j}") @ mod.weight) if self.centred else None
            else:
                h = mod(x)
                centre = mod(getattr(self, f"mean{j}")) if self.centred else None
            if centre is not None:
                h = h - centre
            outs.append(F.normalize(h, dim=-1) * mask[:, j:j + 1])
        return torch.stack(outs, dim=1)

    def base_logits(self, hm: torch.Tensor) -> torch.Tensor:
        """Item-only attention logits ``[U, M]``."""
        return torch.tanh(self.key(hm)) @ self.query + self.bias

    @staticmethod
    def attend(logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Softmax over the modalities present (``mask``); an item with none gets all zeros."""
        a = torch.softmax(logits.masked_fill(~mask, -1e9), dim=-1)
        return a * mask

    def fuse(self, hm: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Fused unit vectors ``[U, d]`` and attention ``[U, M]`` (item-only query)."""
        a = self.attend(self.base_logits(hm), mask)
        return F.normalize((a.unsqueeze(-1) * hm).sum(1), dim=-1), a

    def taste(self, prof: torch.Tensor) -> torch.Tensor:
        return prof if self.global_taste is None else prof + self.global_taste

    def user_scores(self, prof: torch.Tensor, hm: torch.Tensor, base: torch.Tensor,
                    mask: torch.Tensor) -> torch.Tensor:
        """Scores ``[B, C]`` with the user-conditioned attention: the item vector of each (user, item) pair is
        ``normalise(sum_m a_uim h_im)``; computed per modality so no ``[B, C, d]`` tensor is built."""
        assert self.user_query is not None
        q = self.user_query(prof)
        logits = base.unsqueeze(0) + torch.einsum("bd,cmd->bcm", q, hm)
        a = self.attend(logits, mask.unsqueeze(0))
        per_mod = torch.einsum("bd,cmd->bcm", self.taste(prof), hm)
        gram = torch.einsum("cmd,cnd->cmn", hm, hm)
        norm2 = torch.einsum("bcm,cmn,bcn->bc", a, gram, a)
        return (a * per_mod).sum(-1) / torch.sqrt(norm2.clamp_min(1e-12))


def all_tables(net: FusionNet, blocks: Sequence[Any], mask: np.ndarray,
               chunk: int = 8192) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Modality vectors ``[N, M, d]``, base logits ``[N, M]`` and fused vectors ``[N, d]`` of all items."""
    n = len(mask)
    hms, logits, fused = [], [], []
    was = net.training
    net.eval()
    mask_t = torch.from_numpy(mask)
    with torch.inference_mode():
        for s in range(0, n, chunk):
            rows = np.arange(s, min(n, s + chunk))
            rows_t = torch.from_numpy(rows)
            hm = net.modality_vectors(net_inputs(blocks, rows), mask_t[rows_t])
            e = net.base_logits(hm)
            v, _ = net.fuse(hm, mask_t[rows_t])
            hms.append(hm.numpy())
            logits.append(e.numpy())
            fused.append(v.numpy())
    net.train(was)
    return np.concatenate(hms), np.concatenate(logits), np.concatenate(fused)


def masked_attention(base: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The item-only attention ``[N, M]`` from base logits: a softmax over the modalities each item has."""
    e = np.where(mask, base, -1e9)
    e = e - e.max(axis=1, keepdims=True)
    a = np.exp(e) * mask
    return cast("np.ndarray", (a / np.maximum(a.sum(axis=1, keepdims=True), 1e-12)).astype(np.float32))


def user_query_scores(net: FusionNet, prof: np.ndarray, hm: np.ndarray, base: np.ndarray, mask: np.ndarray,
                      chunk: int = 64) -> np.ndarray:
    """Scores ``[B, N]`` of unit profiles with the user-conditioned attention, ``chunk`` users at a time."""
    out = np.empty((len(prof), len(hm)), dtype=np.float32)
    hm_t, base_t = torch.from_numpy(hm), torch.from_numpy(base)
    mask_t = torch.from_numpy(mask)
    with torch.inference_mode():
        for s in range(0, len(prof), chunk):
            out[s:s + chunk] = net.user_scores(torch.from_numpy(prof[s:s + chunk]), hm_t, base_t, mask_t).numpy()
    return out


def pool(rows: np.ndarray, weights: np.ndarray, table: torch.Tensor) -> torch.Tensor:
    """``[B, d]`` weighted sums of ``table`` rows (``rows`` -1 = padding; a repeated item counts once, with its
    largest weight, as in :func:`~shopmind.models.knn.history_matrix`): one matrix product, whose backward
    is a product too (a gather's backward is a slow scatter-add on CPUs)."""
    b_idx, l_idx = np.nonzero(rows >= 0)
    cols, vals = rows[b_idx, l_idx], weights[b_idx, l_idx]
    if len(table) * len(rows) <= 1 << 24:
        mat = np.zeros((len(rows), len(table)), dtype=np.float32)
        np.maximum.at(mat, (b_idx, cols), vals)
        return torch.from_numpy(mat) @ table
    m = sp.coo_matrix((vals, (b_idx, cols)), shape=(len(rows), len(table))).tocsr()  # sums duplicates
    coo = m.tocoo()
    idx = torch.from_numpy(np.vstack([coo.row, coo.col]).astype(np.int64))
    sparse = torch.sparse_coo_tensor(idx, torch.from_numpy(coo.data.astype(np.float32)), (len(rows), len(table)))
    return cast("torch.Tensor", torch.sparse.mm(sparse, table))
