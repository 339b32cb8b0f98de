"""Obtaining public datasets without a download site: from package wheels on PyPI.

MovieLens-100K ships inside the ``recbole`` wheel (``recbole/dataset_example/ml-100k/``) as RecBole atomic
files, and the CDNOW purchase log (Fader & Hardie's customer-value benchmark) inside the ``lifetimes``
wheel (``lifetimes/datasets/``), so ``pip download`` - which works wherever ``pip install`` does, proxies and
mirrors included - is enough. Nothing is imported from the wheel: it is read as a zip archive.

>>> from shopmind.data.fetch import fetch
>>> path = fetch("ml-100k", Path("datasets/ml-100k"))   # doctest: +SKIP
>>> sorted(p.name for p in path.iterdir())       # doctest: +SKIP
['ml-100k.inter', 'ml-100k.item', 'ml-100k.user']
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from shopmind.errors import ParameterError, ShopmindError

log = logging.getLogger(__name__)

ML100K_FILES = ("ml-100k.inter", "ml-100k.item", "ml-100k.user")
ML100K_MEMBER_DIR = "recbole/dataset_example/ml-100k/"
#: The Open Bandit Dataset samples (ZOZOTOWN, Saito et al. 2021, CC BY 4.0): 10,000 impressions each from a uniform
#: random and a Bernoulli Thompson sampling policy. obp 0.4.1 is the newest release with a wheel (0.5.x ships
#: source archives only); its samples are byte-identical to those of obp 0.5.7.
OBP_WHEEL = "obp==0.4.1"
OPEN_BANDIT_MEMBER_DIR = "obp/dataset/obd/"
OPEN_BANDIT_POLICIES = ("random", "bts")
OPEN_BANDIT_FILES = ("all.csv", "item_context.csv")

CDNOW_FILES = ("CDNOW_sample.txt", "CDNOW_master.txt")
CDNOW_MEMBER_DIR = "lifetimes/datasets/"
PIP_TIMEOUT_S = 600


def _complete(dest: Path, names: tuple[str, ...]) -> bool:
    return all((dest / n).is_file() and (dest / n).stat().st_size > 0 for n in names)


def download_wheel(package: str, into: Path) -> Path:
    """``pip download`` the binary wheel of ``package`` (no dependencies) into ``into``; return its path.

    Raises :class:`ShopmindError` saying what to do when pip fails.
    """
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "--quiet", package, "-d", str(into)]
    log.info("downloading the %s wheel from the package index: %s", package, " ".join(cmd))
    advice = (f"check that this machine can reach PyPI (or your configured pip index/proxy), or download the "
              f"wheel elsewhere with 'pip download --no-deps --only-binary=:all: {package}' and pass it as "
              f"wheel=PATH")
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ShopmindError(f"could not run pip to download {package} ({exc}); {advice}") from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise ShopmindError(f"pip could not download {package} (exit code {done.returncode}: "
                            f"{' | '.join(tail) or 'no output'}); {advice}")
    wheels = sorted(into.glob(f"{package.replace('-', '_')}-*.whl")) or sorted(into.glob("*.whl"))
    if not wheels:
        raise ShopmindError(f"pip reported success but left no wheel of {package} in {into}; {advice}")
    return wheels[-1]


def extract_members(wheel: Path, member_dir: str, names: tuple[str, ...], dest: Path) -> None:
    """Copy ``member_dir + name`` for each name out of the wheel (a zip) into ``dest``, each atomically."""
    try:
        archive = zipfile.ZipFile(wheel)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ShopmindError(f"{wheel} is not a readable wheel (zip archive): {exc}") from None
    with archive:
        present = set(archive.namelist())
        missing = [member_dir + n for n in names if member_dir + n not in present]
        if missing:
            raise ShopmindError(f"{wheel} has no {missing[0]}; expected a wheel that carries "
                                f"{member_dir}{{{','.join(names)}}}")
        dest.mkdir(parents=True, exist_ok=True)
        for name in names:
            tmp = dest / f".{name}.part"
            with archive.open(member_dir + name) as src, open(tmp, "wb") as out:
                while chunk := src.read(1 << 20):
                    out.write(chunk)
            os.replace(tmp, dest / name)


def fetch_ml100k(dest: Path, wheel: Path | None = None) -> Path:
    """MovieLens-100K as RecBole atomic files (``ml-100k.inter``, ``.item``, ``.user``) in ``dest``.

    Parameters
    ----------
    dest : target directory (the CLI uses ``$SHOPMIND_HOME/datasets/ml-100k``). Nothing is done when the three
        files are already there.
    wheel : a ``recbole-*.whl`` already on disk; by default it is fetched with ``pip download``.

    Read the result with ``shopmind.data.loaders.read(path)`` (format ``recbole``). MovieLens terms apply:
    research use, no redistribution.

    >>> fetch_ml100k(Path("/tmp/ml-100k"), wheel=Path("recbole-1.2.1-py3-none-any.whl"))   # doctest: +SKIP
    PosixPath('/tmp/ml-100k')
    """
    dest = Path(dest).expanduser()
    if _complete(dest, ML100K_FILES):
        log.info("ml-100k is already in %s", dest)
        return dest
    if wheel is not None:
        extract_members(Path(wheel), ML100K_MEMBER_DIR, ML100K_FILES, dest)
    else:
        with tempfile.TemporaryDirectory(prefix="shopmind-wheel-") as tmp:
            extract_members(download_wheel("recbole", Path(tmp)), ML100K_MEMBER_DIR, ML100K_FILES, dest)
    log.info("ml-100k written to %s", dest)
    return dest


def fetch_open_bandit(dest: Path, wheel: Path | None = None) -> Path:
    """The Open Bandit Dataset samples as ``dest/{random,bts}/all/{all.csv,item_context.csv}``, taken from the
    ``obp`` wheel (read as a zip; obp itself is never installed or imported). Read a log with
    :func:`shopmind.experiments.ope.read_log`.

    >>> fetch_open_bandit(Path("/tmp/open-bandit"), wheel=Path("obp-0.4.1-py3-none-any.whl"))  # doctest: +SKIP
    PosixPath('/tmp/open-bandit')
    """
    dest = Path(dest).expanduser()
    parts = [(p, dest / p / "all") for p in OPEN_BANDIT_POLICIES]
    if all(_complete(d, OPEN_BANDIT_FILES) for _, d in parts):
        log.info("open-bandit is already in %s", dest)
        return dest

    def extract(archive: Path) -> None:
        for policy, folder in parts:
            extract_members(archive, f"{OPEN_BANDIT_MEMBER_DIR}{policy}/all/", OPEN_BANDIT_FILES, folder)

    if wheel is not None:
        extract(Path(wheel))
    else:
        with tempfile.TemporaryDirectory(prefix="shopmind-wheel-") as tmp:
            extract(download_wheel(OBP_WHEEL, Path(tmp)))
    log.info("open-bandit written to %s", dest)
    return dest


def fetch_cdnow(dest: Path, wheel: Path | None = None) -> Path:
    """The CDNOW purchase log (``CDNOW_sample.txt``: 2,357 customers; ``CDNOW_master.txt``: 23,570) in ``dest``,
    taken from the ``lifetimes`` wheel (read as a zip; lifetimes itself is never installed or imported).

    ``dest`` is the target directory (the CLI uses ``$SHOPMIND_HOME/datasets/cdnow``); ``wheel`` is a
    ``lifetimes-*.whl`` already on disk.
    Read the files with :func:`shopmind.customers.clv.read_cdnow`.
    """
    dest = Path(dest).expanduser()
    if _complete(dest, CDNOW_FILES):
        log.info("cdnow is already in %s", dest)
        return dest
    if wheel is not None:
        extract_members(Path(wheel), CDNOW_MEMBER_DIR, CDNOW_FILES, dest)
    else:
        with tempfile.TemporaryDirectory(prefix="shopmind-wheel-") as tmp:
            extract_members(download_wheel("lifetimes", Path(tmp)), CDNOW_MEMBER_DIR, CDNOW_FILES, dest)
    log.info("cdnow written to %s", dest)
    return dest


#: Dataset name -> fetcher taking ``dest`` (and fetcher-specific keywords).
FETCHERS: dict[str, Callable[..., Path]] = {"ml-100k": fetch_ml100k, "open-bandit": fetch_open_bandit,
                                            "cdnow": fetch_cdnow}


def fetch(name: str, dest: Path, **options: object) -> Path:
    """Fetch the dataset called ``name`` into ``dest``.

    >>> fetch("ml-100k", Path.home() / ".shopmind" / "datasets" / "ml-100k")     # doctest: +SKIP
    PosixPath('/home/me/.shopmind/datasets/ml-100k')
    """
    key = name.strip().lower()
    if key not in FETCHERS:
        raise ParameterError("fetch", "name", name,
                             f"one of the datasets that can be fetched ({', '.join(FETCHERS)})")
    return FETCHERS[key](dest, **options)
