"""The base of the torch next-item models (SASRec, GRU4Rec): data preparation, training on the shared loop
(:mod:`shopmind.training.loop`), ensembles, scoring from each user's latest items, persistence.

A sequence model reads a user's chronological history (the last ``max_len`` items, left-padded, item
index + 1 so that 0 is padding) and emits a hidden state per position; the next-item scores are the dot
products of that state with the item table (weight tying: the same table embeds the inputs). Training is
full softmax cross-entropy over all items at every position (or sampled softmax / BCE / gBCE,
:mod:`~shopmind.models.sequential.losses`), AdamW with warmup + cosine decay, early stopping on
validation NDCG@10. Subclasses only build the network.

Training data order comes from ``numpy.random.default_rng(seed)`` and the weights from
``torch.manual_seed(seed)``, so a fit is reproducible on the same machine and thread count.
"""

from __future__ import annotations

import copy
import logging
import math
from typing import Any

import numpy as np
import pandas as pd
import torch

from shopmind.data.interactions import Interactions
from shopmind.errors import ParameterError, check_float, check_int, check_param
from shopmind.models.base import Recommender
from shopmind.models.coldstart import item_embeddings
from shopmind.models.sequential.items import ITEM_FEATURES, ItemTable, item_feature_tokens
from shopmind.models.sequential.losses import LOSSES, next_item_loss
from shopmind.models.sequential.networks import SequenceNet
from shopmind.models.sequential.windows import (
    TIME_BUCKETS,
    TrainingWindows,
    bucketed_batches,
    history_tail,
    padded_windows,
    time_gap_buckets,
)
from shopmind.text.encoders import ENCODERS
from shopmind.training.loop import HeldOutItems, Schedule, TrainingLoop, early_stopping_split, seeded, torch_threads
from shopmind.training.threads import check_threads

logger = logging.getLogger(__name__)

#: ``loss="auto"``: full softmax up to this catalog size, sampled softmax above (CPU time of the output layer)
AUTO_CE_MAX_ITEMS = 5000


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
    threads: int

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
        check_threads(name, self.threads)

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
        with torch_threads(self.threads):
            self._fit_torch(train, valid)

    def _fit_torch(self, train: Interactions, valid: Interactions | None) -> None:
        full = train
        train, valid = early_stopping_split(full, valid, auto_valid=self.auto_valid, patience=self.patience,
                                            seed=self.seed, name=type(self).__name__)
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
        self.seq_indptr_, self.seq_items_, self.seq_events_ = history_tail(train.indptr, flat, events_flat,
                                                                           self.max_len)
        windows = TrainingWindows.of(train.indptr, flat, events_flat, self.max_len, self.all_windows)
        self._resolve_auto(n_items, len(windows))
        if len(windows) == 0:
            logger.warning("%s: no user has 2+ interactions; the model stays at its initialisation",
                           type(self).__name__)
        self.history_: list[dict[str, float]] = []
        self.nets_: list[SequenceNet] = []
        self.best_epochs_: list[int] = []
        self.best_valid_ndcgs_: list[float] = []
        if train is not full:  # scoring/validation read the reduced histories while training
            self.seen_ = train.to_csr(weighted=False)
        held_out = HeldOutItems.of(valid, self.seen_, self.eval_users, np.random.default_rng(self.seed))
        for member in range(self.n_models):
            self._train_member(train, windows, held_out, member)
        if held_out is not None and self.n_models > 1:
            ndcg, hr = held_out.metrics(self._score_tensor)
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
        self.seq_indptr_, self.seq_items_, self.seq_events_ = history_tail(data.indptr, data.item.astype(np.int64),
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

    def _train_member(self, train: Interactions, windows: TrainingWindows, held_out: HeldOutItems | None,
                      member: int) -> None:
        rng = seeded(self.seed + 1000 * member)
        dev = torch.device(self.device_)
        table = ItemTable(self.n_items_, self.d, *self.item_feature_table_)
        init = self._initial_item_embeddings(train)
        if init is not None:
            with torch.no_grad():
                table.ids.weight[1:] = torch.as_tensor(init, dtype=torch.float32)
        net = self._build_net(table, self._n_side_codes()).to(dev)
        self.nets_.append(net)
        steps_per_epoch = math.ceil(len(windows) / self.batch_size_) if len(windows) else 0
        opt = torch.optim.AdamW(net.parameters(), lr=self.lr, weight_decay=self.weight_decay, betas=(0.9, 0.98))
        loop = TrainingLoop(
            net, opt, Schedule(self.epochs, steps_per_epoch, self.warmup),
            name=type(self).__name__ + (f"[{member}]" if self.n_models > 1 else ""), clip=5.0, amp=self.amp,
            time_budget=self.time_budget / self.n_models if self.time_budget is not None else None,
            held_out=held_out, eval_every=self.eval_every, patience=self.patience)
        lengths = windows.lengths()

        def batches(epoch: int) -> Any:
            return (windows.batch(rows, dev) for rows in bucketed_batches(lengths, self.batch_size_, rng))

        def batch_loss(batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]) -> tuple[torch.Tensor, int]:
            inp, tgt, ev = batch
            table = net.table()
            return next_item_loss(net.encode(inp, ev, table), table, tgt, self.loss_,
                                  label_smoothing=self.label_smoothing, n_negatives=self.n_negatives_,
                                  gbce_t=self.gbce_t)

        result = loop.run(batches, batch_loss, score=lambda users: self._score_tensor(users, nets=[net]))
        self.history_.extend({"member": member, **rec} for rec in result.history)
        self.best_epochs_.append(result.kept_epoch)
        self.best_valid_ndcgs_.append(result.best_ndcg)

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
        with torch_threads(self.threads):
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


def _resolve_device(device: str) -> str:
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device
