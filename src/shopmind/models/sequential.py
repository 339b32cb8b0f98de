"""Shared torch machinery of the sequential next-item models (SASRec, GRU4Rec).

A sequence model reads a user's chronological history (the last ``max_len`` items, left-padded, item
index + 1 so that 0 is padding) and emits a hidden state per position; the next-item scores are the dot
products of that state with the item table (weight tying: the same table embeds the inputs). What is
shared here:

- :class:`ItemTable`: item id embeddings plus optional side features of the item (category path, title
  words, from ``Interactions.item_meta``) pooled into the same space;
- :class:`SequentialRecommender`: the training loop (full softmax cross-entropy over all items at every
  position, or sampled BCE / gBCE), AdamW with warmup + cosine decay, early stopping on validation
  NDCG@10, batched inference and persistence. Subclasses only build the network.

Training data order comes from ``numpy.random.default_rng(seed)`` and the weights from
``torch.manual_seed(seed)``, so a fit is reproducible on the same machine and thread count.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import math
import re
import time
import warnings
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.nn import functional as F

from shopmind.data.interactions import Interactions
from shopmind.errors import ParameterError, check_float, check_int, check_param
from shopmind.models.base import Recommender
from shopmind.models.coldstart import item_embeddings
from shopmind.text.encoders import ENCODERS
from shopmind.training.splits import carve_validation
from shopmind.training.threads import torch_threads

logger = logging.getLogger(__name__)

LOSSES = ("ce", "sce", "bce", "gbce")
#: ``loss="auto"``: full softmax up to this catalog size, sampled softmax above (CPU time of the output layer)
AUTO_CE_MAX_ITEMS = 5000
ITEM_FEATURES = ("category", "title")
EVAL_K = 10
#: With fewer users to hold out than this, a fit without validation data trains without early stopping.
MIN_VALID_USERS = 10
#: ``use_time``: buckets of the time since the user's previous event (0 = first event, then log2 minutes)
TIME_BUCKETS = 20


# ---------------------------------------------------------------------------------------------- data
def padded_windows(flat: np.ndarray, starts: np.ndarray, ends: np.ndarray, width: int | None = None) -> np.ndarray:
    """Left-padded int64 matrix whose row r holds ``flat[starts[r]:ends[r]] + 1`` (0 = padding).

    ``width`` defaults to the longest window; the rows are right-aligned so that the most recent item is
    always in the last column.
    """
    lens = (ends - starts).astype(np.int64)
    width = int(lens.max(initial=0)) if width is None else width
    out = np.zeros((len(starts), max(width, 1)), dtype=np.int64)
    total = int(lens.sum())
    if total == 0:
        return out
    rows = np.repeat(np.arange(len(starts)), lens)
    offs = np.arange(total) - np.repeat(np.cumsum(lens) - lens, lens)
    cols = (out.shape[1] - lens)[rows] + offs
    out[rows, cols] = flat[np.repeat(starts, lens) + offs] + 1
    return out


def training_windows(indptr: np.ndarray, max_len: int, all_windows: bool) -> tuple[np.ndarray, np.ndarray]:
    """Windows ``[start, end)`` of at most ``max_len + 1`` items (input = all but the last, target = all
    but the first). Always the most recent window of each user; with ``all_windows`` also the earlier,
    non-overlapping ones so that every interaction is a target once per epoch."""
    starts, ends = [], []
    for u in range(len(indptr) - 1):
        lo, hi = int(indptr[u]), int(indptr[u + 1])
        end = hi
        while end - lo >= 2:
            starts.append(max(lo, end - max_len - 1))
            ends.append(end)
            if not all_windows:
                break
            end -= max_len
    return np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)


def time_gap_buckets(indptr: np.ndarray, timestamp: np.ndarray, n_buckets: int = TIME_BUCKETS) -> np.ndarray:
    """Per row of a user-sorted log: 0 for each user's first event, else ``1 + floor(log2(1 + minutes since
    the user's previous event))``, capped at ``n_buckets - 1`` (the last bucket is 2^(n_buckets-2) minutes
    and more: about six months for the default 20).

    >>> time_gap_buckets(np.array([0, 3, 4]), np.array([0, 30, 3630, 99])).tolist()
    [0, 1, 6, 0]
    """
    ts = np.asarray(timestamp, dtype=np.float64)
    out = np.zeros(len(ts), dtype=np.int64)
    if len(ts) < 2:
        return out
    minutes = np.maximum(np.diff(ts), 0.0) / 60.0
    out[1:] = 1 + np.minimum(np.floor(np.log2(1.0 + minutes)), n_buckets - 2).astype(np.int64)
    starts = np.asarray(indptr[:-1])[np.diff(indptr) > 0]
    out[starts] = 0
    return out


def bucketed_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator,
                     bucket: int = 32) -> list[np.ndarray]:
    """Shuffled batches of similar lengths (less padding): shuffle, sort chunks of ``bucket`` batches by
    length, cut into batches, shuffle the batch order."""
    order = rng.permutation(len(lengths))
    chunk = batch_size * bucket
    batches: list[np.ndarray] = []
    for s in range(0, len(order), chunk):
        part = order[s:s + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches.extend(part[i:i + batch_size] for i in range(0, len(part), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


def item_feature_tokens(meta: pd.DataFrame | None, n_items: int, features: tuple[str, ...],
                        min_count: int = 2) -> tuple[np.ndarray, np.ndarray, int]:
    """Tokenise item side features into a ragged (indptr, token ids) table over dense items.

    ``category``: every prefix of a ``A > B > C`` path (``A``, ``A>B``, ``A>B>C``), or each word of a
    space-separated genre list; ``title``: lower-cased words (a year in brackets is dropped). Tokens seen on
    fewer than ``min_count`` items are dropped.
    """
    per_item: list[list[str]] = [[] for _ in range(n_items)]
    if meta is not None:
        for feat in features:
            col = feat if feat in meta.columns else None
            if col is None:
                continue
            for idx, val in zip(meta.index.to_numpy(), meta[col].to_numpy(), strict=True):
                if not isinstance(val, str) or not val or not 0 <= idx < n_items:
                    continue
                per_item[idx].extend(f"{feat}:{t}" for t in _tokens(feat, val))
    counts: dict[str, int] = {}
    for toks in per_item:
        for t in set(toks):
            counts[t] = counts.get(t, 0) + 1
    vocab = {t: i for i, t in enumerate(sorted(t for t, c in counts.items() if c >= min_count))}
    ids = [sorted({vocab[t] for t in toks if t in vocab}) for toks in per_item]
    indptr = np.concatenate([[0], np.cumsum([len(x) for x in ids])]).astype(np.int64)
    flat = np.fromiter((t for x in ids for t in x), dtype=np.int64, count=int(indptr[-1]))
    return indptr, flat, len(vocab)


def _tokens(feature: str, value: str) -> list[str]:
    if feature == "category":
        if ">" in value:
            parts = [p.strip().lower() for p in value.split(">") if p.strip()]
            return [">".join(parts[:i + 1]) for i in range(len(parts))]
        return [w for w in re.split(r"[\s|,;]+", value.lower()) if w]
    words = re.findall(r"[^\W_]+", re.sub(r"\(\d{4}\)", " ", value.lower()))
    return [w for w in words if len(w) > 1 and not w.isdigit()]


# ---------------------------------------------------------------------------------------------- loss
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


class _SparseRowsMean(torch.autograd.Function):
    """``m @ weight`` for a constant sparse CSR ``m`` whose transpose ``mt`` is given (the gradient)."""

    @staticmethod
    def forward(ctx: Any, weight: torch.Tensor, m: torch.Tensor, mt: torch.Tensor) -> torch.Tensor:
        ctx.mt, ctx.dtype = mt, weight.dtype
        with torch.autocast(weight.device.type, enabled=False):  # sparse products are float32 only
            return m @ weight.float()

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        with torch.autocast(grad.device.type, enabled=False):
            return (ctx.mt @ grad.float().contiguous()).to(ctx.dtype), None, None


def chunked_softmax_ce(h: torch.Tensor, w: torch.Tensor, target: torch.Tensor, label_smoothing: float = 0.0,
                       chunk: int = 1024) -> torch.Tensor:
    """``F.cross_entropy(h @ w.T, target, label_smoothing=...)`` without materialising the logits (see
    :class:`_ChunkedSoftmaxCE`); same value and gradients up to float rounding."""
    return _ChunkedSoftmaxCE.apply(h, w, target, float(label_smoothing), int(chunk))


# ---------------------------------------------------------------------------------------------- modules
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


class ItemTable(nn.Module):
    """Item representations: id embedding (+ mean of side-feature embeddings). Row 0 is padding.

    Parameters
    ----------
    n_items, d : catalog size and width.
    feat_indptr, feat_ids, n_feats : ragged item -> feature-token table from :func:`item_feature_tokens`.
    """

    def __init__(self, n_items: int, d: int, feat_indptr: np.ndarray | None = None,
                 feat_ids: np.ndarray | None = None, n_feats: int = 0) -> None:
        super().__init__()
        self.ids = nn.Embedding(n_items + 1, d, padding_idx=0)
        nn.init.normal_(self.ids.weight, std=d ** -0.5)
        with torch.no_grad():
            self.ids.weight[0].zero_()
        self.n_feats = n_feats
        self.feats: nn.EmbeddingBag | None = None
        if n_feats and feat_indptr is not None and feat_ids is not None:
            self.feats = nn.EmbeddingBag(n_feats, d, mode="mean")
            nn.init.normal_(self.feats.weight, std=d ** -0.5)
            self.register_buffer("feat_ids", torch.as_tensor(feat_ids, dtype=torch.long))
            self.register_buffer("feat_offsets", torch.as_tensor(feat_indptr[:-1], dtype=torch.long))
            has = np.diff(feat_indptr) > 0
            self.register_buffer("feat_mask", torch.as_tensor(has, dtype=torch.float32)[:, None])

    def forward(self) -> torch.Tensor:
        """The full table ``[n_items + 1, d]`` (row 0 = zeros)."""
        w = self.ids.weight
        if self.feats is not None:
            f = _SparseRowsMean.apply(self.feats.weight, *self._feature_matrices())
            w = w + F.pad(f, (0, 0, 1, 0))
        return w

    def _feature_matrices(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The item x feature-token averaging matrix and its transpose (sparse CSR), built from the
        ragged buffers on first use and on a device change; not saved (``__getstate__``).

        The same mean as ``EmbeddingBag(mode="mean")`` (an item without tokens gets zeros), but the
        backward pass is one sparse product with the precomputed transpose instead of EmbeddingBag's
        sort-based gradient, which cost 12% of a SASRec step on Amazon Beauty."""
        cached = self.__dict__.get("_feature_csr")
        if cached is not None and cached[0].device == self.feat_ids.device:
            return cached
        assert self.feats is not None
        # ordinary tensors even when first built under inference_mode (scoring before training)
        with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
            ids = torch.as_tensor(self.feat_ids).clone()
            offsets = torch.as_tensor(self.feat_offsets).clone()
            n_items = offsets.numel()
            counts = torch.diff(offsets, append=offsets.new_tensor([ids.numel()]))
            rows = torch.repeat_interleave(torch.arange(n_items, device=ids.device), counts)
            vals = (1.0 / counts.clamp(min=1).to(torch.float32))[rows]
            m = torch.sparse_coo_tensor(torch.stack([rows, ids]), vals, (n_items, self.feats.num_embeddings),
                                        check_invariants=True).coalesce()
            pair = (m.to_sparse_csr(), m.t().coalesce().to_sparse_csr())
        self.__dict__["_feature_csr"] = pair
        return pair

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_feature_csr", None)
        return state


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


# ---------------------------------------------------------------------------------------------- model
class SequentialRecommender(Recommender):
    """Base of the torch next-item models; subclasses store their parameters and implement
    :meth:`_build_net`. The attributes read here are hyperparameters every subclass defines."""

    sequential = True

    # attributes every subclass stores in __init__ (declared for type checkers)
    d: int
    max_len: int
    dropout: float
    loss: str
    batch_size: int | str
    n_negatives: int | None
    gbce_t: float
    label_smoothing: float
    lr: float
    weight_decay: float
    warmup: float
    amp: bool
    epochs: int
    n_models: int
    all_windows: bool
    item_features: tuple[str, ...] | list[str] | str | None
    use_event_types: bool
    use_time: bool
    eval_every: int
    patience: int
    eval_users: int
    auto_valid: int
    text_init: str | None
    time_budget: float | None
    seed: int
    device: str
    num_threads: int | None

    # ------------------------------------------------------------------ validation
    def _validate_common(self) -> None:
        name = type(self).__name__
        check_int(name, "d", self.d, low=1)
        check_int(name, "max_len", self.max_len, low=1)
        check_float(name, "dropout", self.dropout, low=0.0, high=0.95)
        check_param(name, "loss", self.loss, self.loss == "auto" or self.loss in LOSSES,
                    f"'auto' or one of {list(LOSSES)}")
        if self.n_negatives is not None:
            check_int(name, "n_negatives", self.n_negatives, low=1)
        check_float(name, "gbce_t", self.gbce_t, low=0.0, high=1.0)
        check_float(name, "label_smoothing", self.label_smoothing, low=0.0, high=0.5)
        check_float(name, "lr", self.lr, low=0.0, low_open=True)
        check_float(name, "weight_decay", self.weight_decay, low=0.0)
        check_float(name, "warmup", self.warmup, low=0.0, high=0.5)
        if self.batch_size != "auto":
            check_int(name, "batch_size", self.batch_size, low=1)
        check_int(name, "epochs", self.epochs, low=1)
        check_int(name, "n_models", self.n_models, low=1)
        check_param(name, "amp", self.amp, isinstance(self.amp, bool), "a bool")
        check_param(name, "all_windows", self.all_windows, isinstance(self.all_windows, bool), "a bool")
        feats = self._features()
        check_param(name, "item_features", self.item_features, all(f in ITEM_FEATURES for f in feats),
                    f"None or a subset of {list(ITEM_FEATURES)}")
        check_param(name, "use_event_types", self.use_event_types, isinstance(self.use_event_types, bool),
                    "a bool")
        check_param(name, "use_time", self.use_time, isinstance(self.use_time, bool), "a bool")
        check_int(name, "eval_every", self.eval_every, low=1)
        check_int(name, "patience", self.patience, low=0)
        check_int(name, "eval_users", self.eval_users, low=0)
        check_int(name, "auto_valid", self.auto_valid, low=0)

        check_param(name, "text_init", self.text_init, self.text_init is None or self.text_init in ENCODERS,
                    f"None or an encoder from {list(ENCODERS)}")
        if self.time_budget is not None:
            check_float(name, "time_budget", self.time_budget, low=0.0, low_open=True)
        check_int(name, "seed", self.seed, low=0)
        check_param(name, "device", self.device, self.device in ("cpu", "cuda", "auto"),
                    "'cpu', 'cuda' or 'auto'")
        if self.device == "cuda":
            check_param(name, "device", self.device, torch.cuda.is_available(), "'cpu' or 'auto' (no CUDA here)")
        if self.num_threads is not None:
            check_int(name, "num_threads", self.num_threads, low=1)

    def _features(self) -> tuple[str, ...]:
        f = self.item_features
        if f is None or f == "":
            return ()
        if isinstance(f, str):
            return tuple(p.strip() for p in f.split("+") if p.strip())
        return tuple(f)

    def _resolve_auto(self, n_items: int, n_windows: int) -> None:
        """Data-shape presets (chosen on the validation splits of ml-100k and Amazon Beauty):

        - ``loss="auto"``: ``"ce"`` up to :data:`AUTO_CE_MAX_ITEMS` items, else ``"sce"`` (on a CPU the full
          softmax over 12k Beauty items costs 3x the rest of the step; the sampled one lost little);
        - ``batch_size="auto"``: about 32 steps per epoch, clipped to [16, 128] (small data sets such as
          ml-100k, ~1.1k training windows, need the extra updates: 9 steps/epoch under-trained).
        """
        self.loss_ = self.loss if self.loss != "auto" else ("ce" if n_items <= AUTO_CE_MAX_ITEMS else "sce")
        self.batch_size_ = (int(self.batch_size) if self.batch_size != "auto"
                            else int(np.clip(n_windows // 32, 16, 128)))
        # shared negatives are cheap (one [N, k] product); per-position ones cost N x k x d
        self.n_negatives_ = self.n_negatives or (2048 if self.loss_ == "sce" else 256)

    # ------------------------------------------------------------------ network (subclass hook)
    def _build_net(self, table: ItemTable, n_event_types: int) -> SequenceNet:
        raise NotImplementedError

    def _initial_item_embeddings(self, train: Interactions) -> np.ndarray | None:
        """With ``text_init`` (an encoder name): the items' text embeddings projected on their top ``d``
        principal components and scaled like the random initialisation (std ``d ** -0.5``), so items
        with similar text start close and rare items inherit what their text says; items without text
        keep a random vector. None: random initialisation."""
        if not self.text_init:
            return None

        emb, has_text = item_embeddings(train, str(self.text_init))
        x = emb[has_text] - emb[has_text].mean(0)
        _, _, vt = np.linalg.svd(x, full_matrices=False)
        proj = x @ vt[: self.d].T
        if proj.shape[1] < self.d:
            proj = np.pad(proj, ((0, 0), (0, self.d - proj.shape[1])))
        proj *= (self.d ** -0.5) / (proj.std() + 1e-12)
        rng = np.random.default_rng(self.seed)
        out = rng.normal(0.0, self.d ** -0.5, (train.n_items, self.d)).astype(np.float32)
        out[has_text] = proj
        return out

    # ------------------------------------------------------------------ fitting
    def _fit(self, train: Interactions, valid: Interactions | None) -> None:
        self.device_ = _resolve_device(self.device)
        with torch_threads(self.num_threads):
            self._fit_torch(train, valid)

    def _fit_torch(self, train: Interactions, valid: Interactions | None) -> None:
        full = train
        if (valid is None or len(valid) == 0) and self.patience and self.auto_valid:
            carved = carve_validation(full, self.auto_valid, self.seed)
            if len(carved.users) >= min(MIN_VALID_USERS, self.auto_valid):
                train, valid = carved.rest, carved.held
                logger.info("%s: early stopping on the last interaction of %d training users held out",
                            type(self).__name__, len(valid))
        n_items = train.n_items
        # event types and time gaps (optional): one side code per event, embedded next to the item
        self.event_vocab_: list[str] = []
        if self.use_event_types and train.event_type is not None:
            uniques = pd.unique(pd.Series(train.event_type).astype(str))
            if len(uniques) > 1:
                self.event_vocab_ = sorted(str(x) for x in uniques)
        self.time_buckets_ = 1
        if self.use_time:
            gaps = time_gap_buckets(train.indptr, train.timestamp)
            if len(np.unique(gaps)) > 2:
                self.time_buckets_ = TIME_BUCKETS
            else:  # positions rather than times (sequence files), or one event per user
                logger.info("%s: use_time ignored, the data has no time gaps to tell apart", type(self).__name__)
        events_flat = self._side_codes(train)
        self.item_feature_table_ = item_feature_tokens(train.item_meta, n_items, self._features())
        self.n_item_features_ = self.item_feature_table_[2]

        flat = train.item.astype(np.int64)
        # history kept for scoring: the last max_len items of each user
        self.seq_indptr_, self.seq_items_, self.seq_events_ = _tail(train.indptr, flat, events_flat, self.max_len)
        data = _TrainData(flat, events_flat, *training_windows(train.indptr, self.max_len, self.all_windows))
        self._resolve_auto(n_items, len(data.starts))
        if len(data.starts) == 0:
            logger.warning("%s: no user has 2+ interactions; the model stays at its initialisation",
                           type(self).__name__)
        self.history_: list[dict[str, float]] = []
        self.nets_: list[SequenceNet] = []
        self.best_epochs_: list[int] = []
        self.best_valid_ndcgs_: list[float] = []
        if train is not full:  # scoring/validation read the reduced histories while training
            self.seen_ = train.to_csr(weighted=False)
        for member in range(self.n_models):
            self._train_member(train, valid, data, member)
        if valid is not None and len(valid) and self.n_models > 1:
            users, targets = self._validation_targets(valid, np.random.default_rng(self.seed))
            assert users is not None
            ndcg, hr = self._validation_metrics(users, targets)
            logger.info("%s ensemble of %d: valid ndcg@10 %.4f hr@10 %.4f", type(self).__name__, self.n_models,
                        ndcg, hr)
            self.history_.append({"member": -1, "valid_ndcg@10": ndcg, "valid_hr@10": hr})
        if train is not full:  # recommend from the complete histories
            self.update_histories(full)

    def update_histories(self, data: Interactions) -> SequentialRecommender:
        """Read ``data``'s histories (same user and item mappings as training) without retraining: the
        network is unchanged, scores use each user's last ``max_len`` items of ``data`` and its items
        count as seen. A sequence model needs no refit to follow new events."""
        self._check_fitted()
        if data.n_items != self.n_items_ or data.n_users != self.n_users_:
            raise ParameterError(type(self).__name__, "data", f"{data.n_users} users x {data.n_items} items",
                                 f"the training mappings ({self.n_users_} users x {self.n_items_} items)")
        self.seq_indptr_, self.seq_items_, self.seq_events_ = _tail(data.indptr, data.item.astype(np.int64),
                                                                    self._side_codes(data), self.max_len)
        self.seen_ = data.to_csr(weighted=False)
        return self

    def _n_side_codes(self) -> int:
        """How many side codes the network embeds: (event types or 1) x (time buckets or 1), or 0 for none."""
        n = max(1, len(self.event_vocab_)) * getattr(self, "time_buckets_", 1)
        return n if n > 1 else 0

    def _side_codes(self, data: Interactions) -> np.ndarray | None:
        """Each event's side code ``event_type * time_buckets + time_bucket`` (0-based; an event type the
        model never saw is -1, i.e. padding once shifted), or None when the model uses neither."""
        if not self._n_side_codes():
            return None
        buckets = getattr(self, "time_buckets_", 1)
        codes = np.zeros(len(data), dtype=np.int64)
        if self.event_vocab_:
            if data.event_type is None:
                types = np.full(len(data), -1, dtype=np.int64)
            else:
                types = pd.Categorical(pd.Series(data.event_type).astype(str),
                                       categories=self.event_vocab_).codes.astype(np.int64)
            codes = types * buckets
        if buckets > 1:
            gaps = time_gap_buckets(data.indptr, data.timestamp, buckets)
            codes = np.where(codes < 0, -1, codes + gaps)
        return codes

    def _train_member(self, train: Interactions, valid: Interactions | None, data: _TrainData,
                      member: int) -> None:
        seed = self.seed + 1000 * member
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        dev = torch.device(self.device_)
        n_items = train.n_items
        table = ItemTable(self.n_items_, self.d, *self.item_feature_table_)
        init = self._initial_item_embeddings(train)
        if init is not None:
            with torch.no_grad():
                table.ids.weight[1:] = torch.as_tensor(init, dtype=torch.float32)
        net = self._build_net(table, self._n_side_codes()).to(dev)
        starts, ends = data.starts, data.ends

        steps_per_epoch = math.ceil(len(starts) / self.batch_size_) if len(starts) else 0
        opt = torch.optim.AdamW(net.parameters(), lr=self.lr, weight_decay=self.weight_decay, betas=(0.9, 0.98))
        # the schedule spans the planned epochs; a time budget can shorten the plan after each epoch
        plan = {"epochs": self.epochs, "total": max(1, steps_per_epoch * self.epochs)}
        plan["warm"] = int(self.warmup * plan["total"])
        budget = self.time_budget / self.n_models if self.time_budget is not None else None

        def lr_at(step: int) -> float:
            warm, total = plan["warm"], plan["total"]
            if step < warm:
                return (step + 1) / warm
            return 0.5 * (1.0 + math.cos(math.pi * min(1.0, (step - warm) / max(1, total - warm))))

        sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)

        eval_users, eval_targets = self._validation_targets(valid, np.random.default_rng(self.seed))
        best, best_epoch, bad = -1.0, 0, 0
        best_state: dict[str, torch.Tensor] | None = None
        name = type(self).__name__ + (f"[{member}]" if self.n_models > 1 else "")
        self.nets_.append(net)
        lengths = ends - starts
        started = time.perf_counter()
        for epoch in range(1, self.epochs + 1):
            if epoch > plan["epochs"]:
                break
            net.train()
            t0 = time.perf_counter()
            loss_sum, n_tok = 0.0, 0
            for b in bucketed_batches(lengths, self.batch_size_, rng):
                inp, tgt, ev = _window_batch(data, b, dev)
                with _autocast(dev, self.amp):
                    loss, n = self._loss(net, inp, ev, tgt, n_items)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(net.parameters(), 5.0)
                opt.step()
                sched.step()
                loss_sum += float(loss.detach()) * n
                n_tok += n
            rec: dict[str, float] = {"member": member, "epoch": epoch, "loss": loss_sum / max(1, n_tok),
                                     "seconds": time.perf_counter() - t0, "lr": float(opt.param_groups[0]["lr"])}
            self.history_.append(rec)
            if budget is not None and epoch < plan["epochs"]:
                per_epoch = (time.perf_counter() - started) / epoch  # evaluations included
                fits = max(epoch, min(plan["epochs"], int(budget / per_epoch)))
                if fits < plan["epochs"]:
                    logger.info("%s: %.0f s per epoch, the time budget of %.0f s fits %d epochs (of %d)", name,
                                per_epoch, budget, fits, self.epochs)
                    plan["epochs"], plan["total"] = fits, max(1, steps_per_epoch * fits)
                    plan["warm"] = min(plan["warm"], int(self.warmup * plan["total"]))
            if eval_users is None or (epoch % self.eval_every and epoch != plan["epochs"]):
                logger.info("%s epoch %d/%d loss %.4f (%.1fs)", name, epoch, plan["epochs"], rec["loss"],
                            rec["seconds"])
                continue
            ndcg, hr = self._validation_metrics(eval_users, eval_targets, nets=[net])
            rec.update({"valid_ndcg@10": ndcg, "valid_hr@10": hr})
            if ndcg > best:
                best, best_epoch, bad = ndcg, epoch, 0
                best_state = copy.deepcopy(net.state_dict())
            else:
                bad += 1
            logger.info("%s epoch %d/%d loss %.4f valid ndcg@10 %.4f hr@10 %.4f (%.1fs)", name, epoch,
                        plan["epochs"], rec["loss"], rec["valid_ndcg@10"], rec["valid_hr@10"], rec["seconds"])
            if self.patience and bad >= self.patience:
                logger.info("%s: early stop at epoch %d (best %d, ndcg@10 %.4f)", name, epoch, best_epoch, best)
                break
        validated = best_state is not None
        if best_state is not None:
            net.load_state_dict(best_state)
        net.eval()
        self.best_epochs_.append(best_epoch if validated else min(epoch, plan["epochs"]))
        self.best_valid_ndcgs_.append(best if validated else float("nan"))

    def _loss(self, net: SequenceNet, inp: torch.Tensor, ev: torch.Tensor | None, tgt: torch.Tensor,
              n_items: int) -> tuple[torch.Tensor, int]:
        table = net.table()
        h = net.encode(inp, ev, table)
        mask = tgt > 0
        hs = h[mask]
        t = tgt[mask]
        n = int(t.numel())
        if self.loss_ == "ce":
            idx = t - 1
            if hs.device.type == "cpu" and not torch.is_autocast_enabled("cpu"):
                return chunked_softmax_ce(hs, table[1:], idx, self.label_smoothing), n
            return F.cross_entropy(hs @ table[1:].T, idx, label_smoothing=self.label_smoothing), n
        if self.loss_ == "sce":
            # sampled softmax: the positive against n_negatives uniform items shared by the whole batch
            # (an accidental hit of the positive is masked); ~n_items / n_negatives times cheaper than "ce"
            k = min(self.n_negatives_, n_items)
            shared = torch.randperm(n_items, device=hs.device)[:k] + 1
            pos_logit = (hs * table[t]).sum(-1, keepdim=True)
            neg_logits = (hs @ table[shared].T).masked_fill(shared[None, :] == t[:, None], float("-inf"))
            logits = torch.cat([pos_logit, neg_logits], dim=1)
            return F.cross_entropy(logits, torch.zeros_like(t)), n
        negs = torch.randint(1, n_items + 1, (n, self.n_negatives_), device=hs.device)
        pos = (hs * table[t]).sum(-1)
        neg = torch.einsum("nd,nkd->nk", hs, table[negs])
        if self.loss_ == "bce":
            return (-F.logsigmoid(pos) - F.logsigmoid(-neg).sum(-1)).mean(), n
        # gSASRec (Petrov & Macdonald 2023): calibrate the positive with beta = alpha (t (1 - 1/alpha) + 1/alpha)
        alpha = self.n_negatives_ / max(1, n_items - 1)
        beta = alpha * (self.gbce_t * (1.0 - 1.0 / alpha) + 1.0 / alpha)
        return (-beta * F.logsigmoid(pos) - F.logsigmoid(-neg).sum(-1)).mean(), n

    # ------------------------------------------------------------------ validation during fit
    def _validation_targets(self, valid: Interactions | None,
                            rng: np.random.Generator) -> tuple[np.ndarray | None, np.ndarray | None]:
        if valid is None or len(valid) == 0:
            return None, None
        p = valid.indptr
        users = np.flatnonzero(np.diff(p) > 0)
        targets = valid.item[p[users]].astype(np.int64)  # the first held-out item of each user
        if self.eval_users and len(users) > self.eval_users:
            pick = np.sort(rng.choice(len(users), self.eval_users, replace=False))
            users, targets = users[pick], targets[pick]
        return users, targets

    def _validation_metrics(self, users: np.ndarray, targets: np.ndarray | None,
                            nets: list[SequenceNet] | None = None) -> tuple[float, float]:
        assert targets is not None
        ndcg_sum, hr_sum = 0.0, 0.0
        for s in range(0, len(users), 1024):
            ub, tb = users[s:s + 1024], targets[s:s + 1024]
            scores = self._score_tensor(ub, nets=nets)
            sub = self.seen_[ub]
            rows = np.repeat(np.arange(len(ub)), np.diff(sub.indptr))
            scores[torch.from_numpy(rows), torch.from_numpy(sub.indices.astype(np.int64))] = -torch.inf
            tt = torch.from_numpy(tb)
            ts = scores[torch.arange(len(ub)), tt]
            # ties with the target count against it (pessimistic), a seen target is a miss
            rank = (scores >= ts[:, None]).sum(1) - 1
            hit = (rank < EVAL_K) & torch.isfinite(ts)
            ndcg_sum += float(torch.where(hit, 1.0 / torch.log2(rank.float() + 2.0), 0.0).sum())
            hr_sum += float(hit.float().sum())
        return ndcg_sum / len(users), hr_sum / len(users)

    # ------------------------------------------------------------------ scoring
    def _score_tensor(self, users: np.ndarray, batch: int = 1024,
                      nets: list[SequenceNet] | None = None) -> torch.Tensor:
        """Logits of one net; for an ensemble the mean of the members' log-probabilities."""
        nets = self.nets_ if nets is None else nets
        users = np.asarray(users, dtype=np.int64)
        total: torch.Tensor | None = None
        for net in nets:
            scores = self._net_scores(net, users, batch)
            if len(nets) > 1:
                scores = torch.log_softmax(scores, dim=1)
            total = scores if total is None else total + scores
        assert total is not None
        return total / len(nets) if len(nets) > 1 else total

    def _net_scores(self, net: SequenceNet, users: np.ndarray, batch: int) -> torch.Tensor:
        was_training = net.training
        net.eval()
        dev = next(net.parameters()).device
        out = []
        with torch.inference_mode():
            table = net.table()
            for s in range(0, len(users), batch):
                ub = users[s:s + batch]
                st, en = self.seq_indptr_[ub], self.seq_indptr_[ub + 1]
                seq = torch.from_numpy(padded_windows(self.seq_items_, st, en)).to(dev)
                ev = None
                if self.seq_events_ is not None:
                    ev = torch.from_numpy(padded_windows(self.seq_events_, st, en)).to(dev)
                h = net.encode(seq, ev, table)[:, -1]
                out.append((h @ table[1:].T).float().cpu())
        net.train(was_training)
        return torch.cat(out) if out else torch.zeros((0, self.n_items_))

    def score(self, users: np.ndarray) -> np.ndarray:
        """Next-item logits over all items ``[len(users), n_items]`` from each user's fitted history."""
        self._check_fitted()
        with torch_threads(self.num_threads):
            return self._score_tensor(np.asarray(users)).numpy()

    def item_vectors(self) -> np.ndarray | None:
        """The item table (id + side-feature embeddings) ``[n_items, d]`` shared by input and output
        (members of an ensemble side by side)."""
        self._check_fitted()
        with torch.inference_mode():
            return torch.cat([net.table()[1:].float().cpu() for net in self.nets_], dim=1).numpy()

    # ------------------------------------------------------------------ persistence
    def _state(self) -> dict[str, Any]:
        state = super()._state()
        if "nets_" in state:  # artifacts are always readable on a CPU-only machine
            state["nets_"] = [copy.deepcopy(net).cpu() for net in self.nets_]
        return state


# ---------------------------------------------------------------------------------------------- helpers
class _TrainData(NamedTuple):
    flat: np.ndarray
    events: np.ndarray | None
    starts: np.ndarray
    ends: np.ndarray


def _window_batch(data: _TrainData, rows: np.ndarray, dev: torch.device
                  ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Inputs, next-item targets and side codes of training windows ``rows`` as left-padded tensors."""
    starts, ends = data.starts[rows], data.ends[rows]
    inp = torch.from_numpy(padded_windows(data.flat, starts, ends - 1)).to(dev)
    tgt = torch.from_numpy(padded_windows(data.flat, starts + 1, ends)).to(dev)
    ev = None if data.events is None else torch.from_numpy(padded_windows(data.events, starts, ends - 1)).to(dev)
    return inp, tgt, ev


def _tail(indptr: np.ndarray, flat: np.ndarray, events: np.ndarray | None,
          max_len: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The last ``max_len`` items (and event ids) of each user as a ragged (indptr, values) table."""
    lens = np.minimum(np.diff(indptr), max_len)
    starts = indptr[1:] - lens
    idx = np.concatenate([np.arange(s, s + n) for s, n in zip(starts, lens, strict=True)]) if len(lens) else \
        np.zeros(0, dtype=np.int64)
    idx = idx.astype(np.int64)
    new_ptr = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    return new_ptr, flat[idx].copy(), None if events is None else events[idx].copy()


def _autocast(dev: torch.device, enabled: bool) -> contextlib.AbstractContextManager[Any]:
    """bfloat16 mixed precision for training (``amp=True``); scoring always runs in float32."""
    if not enabled:
        return contextlib.nullcontext()
    return torch.autocast(device_type=dev.type, dtype=torch.bfloat16)


def _resolve_device(device: str) -> str:
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device
