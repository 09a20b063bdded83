"""Digits as some scanning pipelines store them: stretched to fill a square frame, small, often one bit per pixel.

MNIST sizes a digit to fit a 20x20 box *keeping its proportions*. Other
pipelines stretch every digit to fill its frame in both directions (at 16x16
or so) and some then keep one bit per pixel. A 1 then arrives as a wide bar
with a flag, a 7 as a square hook, a 9 as a box on a stalk. The model trained
on proportioned digits read such 1s as 7 or 4 (README, "Handwriting"); copies
of its own training digits normalised this way teach it that proportions say
little about which digit it is.

The copies go through the same preprocessing as a drawing or a scan file, so
the network sees them exactly as `predict` would show it such a file.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from .preprocessing import bounding_box, scan_frames

SIDES = (12, 16, 16, 20, 24, 32)  # frame sides, 16 (the common one) twice as often
FULL_STRETCH = 0.7  # share of copies stretched all the way to a square; the rest part of the way
BINARISED = 0.5  # share of copies kept at one bit per pixel
INK = 40  # a pixel above this (of 255) is ink when finding the digit's box


def ink_box(image: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right), bottom and right exclusive, of the pixels above :data:`INK`."""
    return bounding_box(image > INK)


def box_normalise(image: np.ndarray, side: int, stretch: float = 1.0, threshold: float | None = None) -> np.ndarray:
    """A uint8 digit, light ink on dark -> a side x side frame its ink box is stretched into.

    ``stretch`` 1 fills the frame in both directions; 0 keeps the proportions
    (the long side fills the frame). ``threshold`` (0-1) keeps one bit per pixel.
    """
    box = ink_box(image)
    frame = np.zeros((side, side), np.uint8)
    if box is None:
        return frame
    top, bottom, left, right = box
    crop = image[top:bottom, left:right]
    height, width = crop.shape
    aspect = (width / height) ** (1.0 - stretch)  # width / height of the stretched digit
    out_w, out_h = (side, max(1, round(side / aspect))) if aspect >= 1 else (max(1, round(side * aspect)), side)
    resized = np.asarray(Image.fromarray(crop).resize((out_w, out_h), Image.BILINEAR))
    y0, x0 = (side - out_h) // 2, (side - out_w) // 2
    frame[y0:y0 + out_h, x0:x0 + out_w] = resized
    if threshold is not None:
        frame = np.where(frame > threshold * 255, 255, 0).astype(np.uint8)
    return frame


def box_scans(images: np.ndarray, seed: int) -> np.ndarray:
    """Box-normalised copies of (N, 28, 28) uint8 digits, each with its own frame size, stretch and ink."""
    rng = np.random.default_rng(seed)
    drawn = []
    for image in images:
        side = int(rng.choice(SIDES))
        stretch = 1.0 if rng.random() < FULL_STRETCH else float(rng.uniform(0.3, 1.0))
        threshold = float(rng.uniform(0.3, 0.6)) if rng.random() < BINARISED else None
        drawn.append((side, stretch, threshold))
    copies = scan_frames([box_normalise(image, *how) for image, how in zip(images, drawn)])
    for i in np.flatnonzero(~copies.reshape(len(copies), -1).any(axis=1)):
        # a straight 1 stretched all the way is a solid square, which preprocessing rightly calls no digit:
        # that copy keeps its proportions instead of becoming a blank image labelled 1
        side, _, threshold = drawn[i]
        copies[i] = scan_frames([box_normalise(images[i], side, 0.0, threshold)])[0]
    return copies


def box_normalised(images: np.ndarray, side: int = 16, threshold: float | None = 0.5) -> np.ndarray:
    """The fixed variant the benchmarks report on: 16x16, filled, one bit per pixel."""
    return scan_frames([box_normalise(image, side, 1.0, threshold) for image in images])
