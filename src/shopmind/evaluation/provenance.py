"""Where a measured number came from: the commit of the working tree and the machine it ran on.

Every benchmark JSON carries these, so a number in ``docs/benchmarks.md`` can be traced to the code
that produced it.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shopmind import __version__


def git_commit() -> str | None:
    """The short commit of the checkout the code runs from, ``-dirty`` when tracked files changed;
    None outside a git checkout (an installed wheel)."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=here)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, timeout=5, cwd=here)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def machine() -> dict[str, Any]:
    """Python version and CPU count of this machine."""
    return {"python": platform.python_version(), "cpus": os.cpu_count()}


def provenance() -> dict[str, Any]:
    """``shopmind_version``, ``commit`` and ``machine``: the fields every benchmark JSON carries."""
    return {"shopmind_version": __version__, "commit": git_commit(), "machine": machine()}


def write_json(path: Path, payload: Mapping[str, Any]) -> None:
    """Write a benchmark's results as indented JSON (creating the folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False))
