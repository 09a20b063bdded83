"""USPS digits: scanned ZIP codes from other writers, a development set.

The 16x16 USPS images were deslanted and stretched to fill their frame with
thick strokes, so they are not comparable to MNIST as they are. They go
through the same preprocessing as a drawing (crop, stroke width, 20x20 box,
centre of mass) after being padded onto a small dark page, which is what the
dataset's README asks for.

Rows: the official 7,291 training rows minus :data:`CALIBRATION_ROWS` (kept
out of training to fit the temperature), and the 2,007 test rows, only ever
reported on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .errors import DatasetError
from .preprocessing import scan_frames

ENV_VAR = "USPS_NPZ"
CALIBRATION_ROWS = 1000  # the last training rows: never trained on, used to fit the temperature


@dataclass(frozen=True)
class Usps:
    x_train: np.ndarray  # uint8 (N, 28, 28), MNIST layout
    y_train: np.ndarray
    x_calibration: np.ndarray
    y_calibration: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def find_usps() -> Path | None:
    project_root = Path(__file__).resolve().parent.parent
    candidates = [os.environ.get(ENV_VAR), Path.home() / ".keras" / "datasets" / "usps.npz",
                  project_root / "data" / "usps.npz", project_root.parent / "shared" / "data" / "usps.npz",
                  project_root.parent.parent / "shared" / "data" / "usps.npz"]
    return next((Path(c) for c in candidates if c and Path(c).is_file()), None)


def _located(path: str | os.PathLike | None) -> Path:
    """The file to read: ``path``, else the first place USPS is found; one sentence if there is none."""
    found = Path(path) if path else find_usps()
    if found is None or not found.is_file():
        raise DatasetError(f"USPS is not available: set {ENV_VAR}=/path/to/usps.npz.")
    return found


def _raw(path: str | os.PathLike | None) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """The 16x16 images, labels and row indices of each part; one sentence if the file is missing."""
    found = _located(path)
    try:
        with np.load(found) as data:
            x, y, split = data["x"], data["y"].astype(np.uint8), data["split"]
    except (OSError, KeyError, ValueError) as exc:
        raise DatasetError(f"{found} is not a readable USPS file ({exc}).") from exc
    train = np.flatnonzero(split == 0)
    parts = {"train": train[:-CALIBRATION_ROWS], "calibration": train[-CALIBRATION_ROWS:],
             "test": np.flatnonzero(split == 1)}
    return x, y, parts


def load_usps_frames(part: str, path: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One part's 16x16 frames as stored (light ink on dark, stretched to the frame), with labels."""
    x, y, parts = _raw(path)
    rows = parts[part]
    return x[rows], y[rows]


def load_usps_part(part: str, path: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One part ("train", "calibration" or "test") in MNIST layout, with labels, as read-only arrays.

    Every training run fits its temperature on the calibration rows, and the handwriting presets train on
    the training rows: preprocessing them takes seconds, so a process does it once per file version.
    """
    found = _located(path)
    return _part_in_mnist_layout(str(found.resolve()), found.stat().st_mtime_ns, part)


@lru_cache(maxsize=6)
def _part_in_mnist_layout(path: str, mtime_ns: int, part: str) -> tuple[np.ndarray, np.ndarray]:
    """Cached by path and modification time, in this process and on disk (:mod:`mnist_core.diskcache`);
    read-only, so no caller can change what the next one gets."""
    from .diskcache import cached_arrays

    def made() -> tuple[np.ndarray, np.ndarray]:
        frames, labels = load_usps_frames(part, path)  # both new arrays (rows picked by index), safe to freeze
        return scan_frames(frames), labels

    images, labels = cached_arrays(f"usps-{part}", f"{path} {mtime_ns}", made)
    return images, labels


def load_usps(path: str | os.PathLike | None = None) -> Usps:
    """USPS in MNIST layout, split into train, calibration and test."""
    x, y, parts = _raw(path)
    images = scan_frames(x)
    out = [a for part in ("train", "calibration", "test") for a in (images[parts[part]], y[parts[part]])]
    return Usps(*out)
