"""Small operations on float images (2-D arrays): resizing, running means and maxima, masks' extent.

Shared by :mod:`preprocessing` (cropping, stroke width) and :mod:`paper` (the
paper's light, a page on a desk). Plain NumPy and Pillow: fast enough per
drawing that no image library is needed.
"""

from __future__ import annotations

import numpy as np
from PIL import Image


def edge_pixels(gray: np.ndarray) -> np.ndarray:
    """The pixels around the image's edge: mostly paper in a drawing, a scan or a photo."""
    return np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])


def resize(array: np.ndarray, to: float | tuple[int, int]) -> np.ndarray:
    """A float image scaled by a factor (never up), or to a (height, width) shape; the light field is smooth."""
    if isinstance(to, float):
        if to >= 1:
            return array
        to = (max(1, round(array.shape[0] * to)), max(1, round(array.shape[1] * to)))
    if tuple(to) == array.shape:
        return array
    resample = Image.Resampling.BOX if to[0] < array.shape[0] else Image.Resampling.BILINEAR
    image = Image.fromarray(array.astype(np.float32)).resize((to[1], to[0]), resample)
    return np.asarray(image, dtype=np.float32)


def box_mean(array: np.ndarray, size: int) -> np.ndarray:
    """Mean over a centred size x size window, edges mirrored (a cheap smoothing by running sums)."""
    radius = size // 2
    padded = np.pad(array, radius, mode="reflect" if min(array.shape) > radius else "edge")
    for axis in (0, 1):
        sums = np.cumsum(padded, axis=axis, dtype=np.float64)
        sums = np.concatenate([np.zeros_like(np.take(sums, [0], axis=axis)), sums], axis=axis)
        n = padded.shape[axis] - 2 * radius
        padded = (np.take(sums, np.arange(size, size + n), axis=axis)
                  - np.take(sums, np.arange(0, n), axis=axis)) / size
    return padded.astype(np.float32)


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of a binary mask: area divided by half the perimeter.

    For a stroke of length L and width w, area = wL and perimeter ~ 2L, so
    this is w for long strokes, which digits are.
    """
    area = int(mask.sum())
    if area == 0:
        return 0.0
    padded = np.pad(mask, 1)
    edges = np.count_nonzero(padded[1:, :] != padded[:-1, :]) + np.count_nonzero(padded[:, 1:] != padded[:, :-1])
    return 2.0 * area / max(edges, 1)


def bounding_box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of the True pixels, bottom and right exclusive; None when there are none."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def window_max(array: np.ndarray, size: int, axis: int) -> np.ndarray:
    """Max over a centred window of `size` along one axis, zero outside, in O(n log size).

    Pillow's MaxFilter costs O(size^2) per pixel (60 ms for a thin brush
    on a 280 px canvas); doubling windows make it well under a millisecond.
    """
    radius = (size - 1) // 2
    moved = np.moveaxis(array, axis, -1)
    n = moved.shape[-1]
    padded = np.pad(moved, [(0, 0)] * (moved.ndim - 1) + [(radius, radius)])
    span, table = 1, padded
    while span * 2 <= size:
        table = np.maximum(table[..., :-span], table[..., span:])
        span *= 2
    out = np.maximum(table[..., :n], table[..., size - span: size - span + n])
    return np.moveaxis(out, -1, axis)


def morph(ink: np.ndarray, size: int, grow: bool) -> np.ndarray:
    """Thicken (square max filter) or thin (min filter) strokes by size-1 pixels."""
    if grow:
        return window_max(window_max(ink, size, 0), size, 1)
    inverted = np.pad(1.0 - ink, size, constant_values=1.0)  # outside the image is background
    return (1.0 - window_max(window_max(inverted, size, 0), size, 1))[size:-size, size:-size]
