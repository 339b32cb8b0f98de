"""Image vectors for the fusion model's ``image`` block, from any form ``image_vectors=`` accepts: a ``.npy``
with an ids file next to it, an ``.npz`` with ``ids`` and ``vectors``, a ``.parquet`` / ``.csv`` with
``item_id`` and either a ``vector`` column or one column per component, a ``{item_id: vector}`` mapping, a
DataFrame, or ``(ids, matrix)``; or, by default, an ``image_vector`` column of ``item_meta`` or an
``image_vector`` entry in its ``attributes``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shopmind.data.ids import IdMapping
from shopmind.data.loaders.frames import as_dict, is_missing
from shopmind.errors import DataError

logger = logging.getLogger(__name__)

#: columns / attribute keys read as an item's image vector when ``image_vectors`` is None.
IMAGE_KEYS = ("image_vector", "image_embedding")


def as_vector(value: Any) -> np.ndarray | None:
    """A 1-d float vector from a list / array / JSON or space/comma separated string; None if not one
    (missing, empty, non-finite or all zeros).

    >>> as_vector("[1, 2]").tolist(), as_vector("0 0"), as_vector(None)
    ([1.0, 2.0], None, None)
    """
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


def _vector_frame(frame: pd.DataFrame, source: str) -> tuple[list[str], list[np.ndarray | None]]:
    id_col = next((c for c in ("item_id", "id", "item") if c in frame.columns), None)
    if id_col is None:
        raise DataError(f"image vectors need an 'item_id' column (columns: {list(frame.columns)[:8]})",
                        source=source)
    vec_col = next((c for c in (*IMAGE_KEYS, "vector", "embedding") if c in frame.columns), None)
    ids = frame[id_col].astype(str).tolist()
    if vec_col is not None:
        return ids, [as_vector(v) for v in frame[vec_col].to_numpy()]
    comps = [c for c in frame.columns if c != id_col and pd.api.types.is_numeric_dtype(frame[c])]
    if not comps:
        raise DataError("image vectors need a 'vector' column or numeric component columns", source=source)
    mat = frame[comps].to_numpy(np.float32)
    return ids, [as_vector(r) for r in mat]


def _read_vectors(source: Any) -> tuple[list[str], list[np.ndarray | None], str]:
    """Raw ids and vectors (None = unusable) from any accepted ``image_vectors`` form."""
    if isinstance(source, pd.DataFrame):
        return (*_vector_frame(source, "image_vectors"), "DataFrame")
    if isinstance(source, Mapping):
        return [str(k) for k in source], [as_vector(v) for v in source.values()], "mapping"
    if isinstance(source, tuple) and len(source) == 2:
        ids, mat = source
        return [str(i) for i in ids], [as_vector(r) for r in np.asarray(mat, dtype=np.float32)], "(ids, matrix)"
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
            return [str(i) for i in z[id_key]], [as_vector(r) for r in z[vec_key]], name
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
        return ids, [as_vector(r) for r in mat], name
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
        return idx, [as_vector(v) for v in meta[col].to_numpy()]
    if "attributes" not in meta.columns:
        return [], []
    vecs = []
    for v in meta["attributes"].to_numpy():
        d = as_dict(v)
        vecs.append(next((as_vector(d[k]) for k in IMAGE_KEYS if k in d), None))
    if not any(v is not None for v in vecs):
        return [], []
    return idx, vecs


def stack_vectors(pos: Sequence[int], vecs: Sequence[np.ndarray | None], n: int, source: str,
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
        return stack_vectors(pos, vecs, len(items), "item_meta", dim)
    ids, vecs, name = _read_vectors(source)
    idx = items.indices(ids, missing="skip")
    unknown = int((idx < 0).sum())
    if unknown:
        logger.info("image vectors: %d of %d ids are not in the catalog (ignored)", unknown, len(ids))
    if unknown == len(ids) and ids:
        raise DataError(f"none of the {len(ids)} image vector ids is a catalog item (e.g. {ids[0]!r})",
                        source=name)
    return stack_vectors(idx.tolist(), vecs, len(items), name, dim)
