"""GRU4Rec: a GRU over the user's item sequence (Hidasi et al., ICLR 2016), here trained like SASRec with
full softmax cross-entropy over all items at every position and an output layer tied to the item
embeddings. A simpler, recurrent baseline for the sequential models.

Example
-------
>>> model = GRU4Rec(epochs=30).fit(split.train, split.valid)      # doctest: +SKIP
"""

from __future__ import annotations

from typing import cast

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from shopmind.errors import check_int
from shopmind.models.registry import register
from shopmind.models.sequential.items import ItemTable
from shopmind.models.sequential.networks import FastDropout, SequenceNet
from shopmind.models.sequential.recommender import SequentialRecommender


class GRU4RecNet(SequenceNet):
    """Item embeddings -> dropout -> GRU -> dropout -> linear; left-padded in, left-padded out."""

    def __init__(self, table: ItemTable, n_event_types: int, d: int, n_layers: int, dropout: float) -> None:
        super().__init__(table, n_event_types, d)
        self.drop = FastDropout(dropout)
        self.gru = nn.GRU(d, d, num_layers=n_layers, batch_first=True,
                          dropout=dropout if n_layers > 1 else 0.0)
        self.proj = nn.Linear(d, d)

    def encode(self, seq: torch.Tensor, events: torch.Tensor | None, table: torch.Tensor) -> torch.Tensor:
        b, length = seq.shape
        lengths = (seq > 0).sum(1)
        ar = torch.arange(length, device=seq.device)[None, :]
        shift = (length - lengths)[:, None]
        # the GRU must not run over the padding: move each row to the left, pack, and move the states back
        to_left = (ar + shift) % length
        x = self.embed(seq.gather(1, to_left), None if events is None else events.gather(1, to_left), table)
        packed = pack_padded_sequence(self.drop(x), lengths.clamp(min=1).cpu(), batch_first=True,
                                      enforce_sorted=False)
        out, _ = self.gru(packed)
        h, _ = pad_packed_sequence(out, batch_first=True, total_length=length)
        back = (ar - shift) % length
        h = h.gather(1, back[..., None].expand(-1, -1, h.shape[-1]))
        return cast("torch.Tensor", self.proj(self.drop(h)))


@register("gru4rec")
class GRU4Rec(SequentialRecommender):
    """GRU next-item model with full cross-entropy (see module docstring).

    Parameters are those of :class:`~shopmind.models.sasrec.SASRec` (``d`` is also the GRU state size)
    plus ``n_layers``, the number of stacked GRU layers.
    """

    def __init__(
        self,
        d: int = 64,
        n_layers: int = 1,
        max_len: int = 50,
        dropout: float = 0.3,
        loss: str = "auto",
        n_negatives: int | None = None,
        gbce_t: float = 0.75,
        label_smoothing: float = 0.0,
        lr: float = 2e-3,
        weight_decay: float = 0.0,
        warmup: float = 0.02,
        amp: bool = False,
        batch_size: int | str = "auto",
        n_models: int = 1,
        epochs: int = 30,
        all_windows: bool = True,
        item_features: str | None = None,
        use_event_types: bool = True,
        use_time: bool = False,
        eval_every: int = 5,
        patience: int = 0,
        eval_users: int = 0,
        auto_valid: int = 2000,
        text_init: str | None = None,
        time_budget: float | None = None,
        seed: int = 0,
        device: str = "cpu",
        threads: int = 0,
    ) -> None:
        self.d = d
        self.n_layers = n_layers
        self.max_len = max_len
        self.dropout = dropout
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
        check_int(type(self).__name__, "n_layers", self.n_layers, low=1)

    def _build_net(self, table: ItemTable, n_event_types: int) -> SequenceNet:
        return GRU4RecNet(table, n_event_types, self.d, self.n_layers, self.dropout)
