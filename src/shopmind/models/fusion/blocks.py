"""The fusion model's modality blocks: the modalities and their weights, the text block (a pretrained
encoder's embedding of each item's text, through the embedding cache), and helpers shared by the
concatenation and the attention (block means, the weighted concatenation, network inputs)."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch

from shopmind.models.content import l2_rows
from shopmind.text.items import embed_items

logger = logging.getLogger(__name__)

MODALITIES = ("text", "attrs", "image")
#: item_meta columns embedded as text when ``text_fields`` is None (attributes go to the attrs block).
TEXT_FIELDS = ("title", "category", "brand", "description")

_WEIGHT_SEP = re.compile(r"[,;/\s]+")


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


def text_block(meta: pd.DataFrame | None, n: int, fields: Sequence[str] | None, encoder: str
               ) -> tuple[np.ndarray, np.ndarray]:
    """Unit text embeddings ``[n, dim]`` of each item's ``fields`` by ``encoder`` (through the embedding
    cache) and which items have any text (the others get zeros)."""
    out, has = embed_items(meta, n, encoder, fields)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms > 0, norms, 1.0), has & (norms.ravel() > 0)


def concat_blocks(blocks: Sequence[Any], mask: np.ndarray, weights: Sequence[float],
                  means: Sequence[np.ndarray] | None = None) -> sp.csr_matrix:
    """Weighted concatenation of the unit blocks, unit rows; with ``means``, dense blocks are centred on them
    (and re-normalised) first."""
    parts = []
    for j, (x, w) in enumerate(zip(blocks, weights, strict=True)):
        if means is not None and not sp.issparse(x):
            x = l2_rows((x - means[j]) * mask[:, j:j + 1])
        parts.append(sp.csr_matrix(x, dtype=np.float32) * w)
    fused = sp.hstack(parts, format="csr", dtype=np.float32)
    norms = np.sqrt(np.asarray(fused.multiply(fused).sum(axis=1)).ravel())
    return (sp.diags(1.0 / np.where(norms > 0, norms, 1.0)).astype(np.float32) @ fused).tocsr()


def block_mean(x: np.ndarray | sp.csr_matrix, has: np.ndarray) -> np.ndarray:
    """Mean row of a block over the items that have it (zeros when none)."""
    if not has.any():
        return np.zeros(x.shape[1], dtype=np.float32)
    return np.asarray(x[np.flatnonzero(has)].mean(axis=0), dtype=np.float32).ravel()


def tensor_blocks(blocks: Sequence[Any]) -> list[Any]:
    """Dense blocks as float32 tensors (CSR blocks stay CSR): what :func:`net_inputs` slices."""
    return [x if isinstance(x, sp.csr_matrix) else torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
            for x in blocks]


def net_inputs(blocks: Sequence[Any], rows: np.ndarray | None) -> list[Any]:
    """Network inputs for items ``rows`` (None = all) of ``blocks`` (dense tensors / CSR matrices): a
    tensor per dense block, an ``(indices, offsets, weights)`` triple per sparse one."""
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
