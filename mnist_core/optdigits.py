"""Real writers' digits at 8x8: the UCI optdigits test set that scikit-learn ships.

Every other real handwriting Digit Lab can score offline is MNIST or USPS.
scikit-learn (pinned for the tuner) carries a copy of the test part of UCI's
"Optical Recognition of Handwritten Digits": 1,797 digits written on forms by
13 people in neither set. NIST's programs cut each into a 32x32 bitmap and
counted the ink in 4x4 blocks, so each is an 8x8 picture with 17 grey levels:
far coarser than anything a visitor draws, but real hands. It is a reporting
set (``benchmarks/handwriting.py``): nothing is tuned on it.

The frames go through :func:`preprocessing.scan_frames`, exactly as an 8x8
file given to ``predict`` would.
"""

from __future__ import annotations

import numpy as np

from .box_scans import box_normalise
from .errors import DatasetError
from .preprocessing import scan_frames

WRITERS = 13
BITMAP = 32  # NIST's bitmap side
BLOCK = 4  # pixels counted together: 32 / 4 = 8
LEVELS = BLOCK * BLOCK  # ink per pixel is a count of 0..16 bitmap pixels


def load_optdigits_frames() -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 frames as uint8 light ink on dark (0..255), with their labels."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:  # scikit-learn is pinned in requirements.txt; a trimmed install may lack it
        raise DatasetError("The optdigits set needs scikit-learn: pip install -r requirements.txt.") from exc
    data = load_digits()
    frames = np.round(np.clip(data.images, 0, LEVELS) / LEVELS * 255).astype(np.uint8)
    return frames, data.target.astype(np.uint8)


def load_optdigits() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 digits in MNIST layout (N, 28, 28) uint8, with their labels."""
    frames, labels = load_optdigits_frames()
    return scan_frames(frames), labels


def as_optdigits(images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) uint8 digits, light on dark -> 8x8 frames made as optdigits' were.

    Each digit's ink box is fitted to a 32x32 bitmap keeping its proportions,
    kept at one bit (``box_scans.box_normalise``), and its ink counted in 4x4
    blocks: MNIST made as coarse as optdigits, to tell what the resolution
    costs from how its writers write.
    """
    side = BITMAP // BLOCK
    frames = np.zeros((len(images), side, side), np.uint8)
    for i, image in enumerate(images):
        bitmap = box_normalise(image, BITMAP, stretch=0.0, threshold=0.5) > 0
        counts = bitmap.reshape(side, BLOCK, side, BLOCK).sum(axis=(1, 3))
        frames[i] = np.round(counts / LEVELS * 255).astype(np.uint8)
    return frames
