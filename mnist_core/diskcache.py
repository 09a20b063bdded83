"""Arrays that take seconds to make and are the same every time, kept on disk for the next process.

Every training run fits its temperature on the calibration writers' digits (fixed seeds) and USPS's
kept-out rows in MNIST layout, and the handwriting presets train on USPS's training rows too. A process
keeps them in memory (``functools.lru_cache`` where they are made), but each training runs in a new
process: the worker the app starts after a quiet spell, each CLI run. Drawing and preprocessing them takes
seconds there; reading them back takes milliseconds.

A file is named by a hash of everything that made it: the caller's key (which set, which input file and
its version) and the source of ``mnist_core`` itself with numpy's and Pillow's versions, so a changed generator or
preprocessing never reads an old file. A file that cannot be read is made again, and a cache folder that
cannot be written is only slower: the cache never turns a run into an error.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np

from .data import read_only
from .errors import DigitLabError

ENV_VAR = "DIGITLAB_CACHE"

log = logging.getLogger(__name__)


def cache_folder() -> Path | None:
    """``$DIGITLAB_CACHE``, else ``~/.digitlab/cache``; set empty, no disk cache."""
    setting = os.environ.get(ENV_VAR)
    if setting is None:
        return Path.home() / ".digitlab" / "cache"
    return Path(setting).expanduser() if setting.strip() else None


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of mnist_core's source files and the versions of numpy and Pillow (which draws the generated
    digits): what the cached arrays were made with."""
    import PIL

    digest = hashlib.sha256(f"numpy {np.__version__} Pillow {PIL.__version__}".encode())
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def cached_arrays(name: str, key: str, make: Callable[[], tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    """``make()``'s arrays, read-only: from the cache folder when this code made them for this key before."""
    folder = cache_folder()
    if folder is None:
        return tuple(read_only(array) for array in make())
    fingerprint = hashlib.sha256(f"{code_version()}\n{key}".encode()).hexdigest()[:24]
    path = folder / f"{name}-{fingerprint}.npz"
    stored = _read(path)
    if stored is not None:
        return stored
    arrays = tuple(make())
    _write(path, arrays)
    return tuple(read_only(array) for array in arrays)


def _read(path: Path) -> tuple[np.ndarray, ...] | None:
    try:
        with np.load(path, allow_pickle=False) as archive:
            return tuple(read_only(archive[f"a{index}"]) for index in range(len(archive.files)))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        log.info("%s cannot be read (%s): made again", path, exc)
        return None


def _write(path: Path, arrays: tuple[np.ndarray, ...]) -> None:
    """Atomically (a half-written file is never read), and never an error: the cache only saves time."""
    from .export import write_file

    buffer = io.BytesIO()
    np.savez(buffer, **{f"a{index}": array for index, array in enumerate(arrays)})
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_file(path, buffer.getvalue())
    except (OSError, DigitLabError) as exc:
        log.info("not kept on disk: %s", exc)
