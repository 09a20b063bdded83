"""Dust far from the drawing: left out before the digit is cropped.

The crop is the box around every pixel of ink, so one dark speck in a corner
of a scanned page (dust, a full stop, a dot of the pen set down) stretches it
across the page and the digit shrinks to a few pixels in the 20x20 box: a
calibration writer's scan placed on a 400 px page is read right every time,
and with one such pixel near a corner a third of the time. A speck is a connected
piece of ink that holds almost none of the ink (:data:`SPECK_SHARE`) and lies
well away from the rest of it (:data:`SPECK_GAP`): the hat of a 5, the bar of
a 7 or a stroke broken in two are near their digit and stay.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .paper import INK_THRESHOLD

SPECK_SHARE = 0.05  # a piece holding at most this share of the ink's pixels may be a speck: a 3 px dot beside a thin 4
SPECK_GAP = 0.25  # ... and it is one when it lies this far from the rest, as a share of the rest's longer side
EIGHT_WAYS = np.ones((3, 3), bool)  # pixels touching at a corner are one piece, as a pen's diagonal stroke is


def without_specks(ink: np.ndarray) -> np.ndarray:
    """The ink map with the specks far from the drawing taken out (the same array when there are none)."""
    pieces, count = ndimage.label(ink > INK_THRESHOLD, structure=EIGHT_WAYS)
    if count < 2:
        return ink
    boxes = ndimage.find_objects(pieces)  # counting within each piece's box: cheaper than over the page
    sizes = np.array([np.count_nonzero(pieces[box] == label) for label, box in enumerate(boxes, start=1)])
    small = sizes <= SPECK_SHARE * sizes.sum()
    if small.all() or not small.any():
        return ink  # all of it in small pieces (dotted, chalky) or none small: nothing to tell apart
    body = _union([box for box, tiny in zip(boxes, small) if not tiny])
    reach = SPECK_GAP * max(body[1] - body[0], body[3] - body[2])
    specks = [(label, box) for label, (box, tiny) in enumerate(zip(boxes, small), start=1)
              if tiny and _gap(body, box) > reach]
    if not specks:
        return ink
    out = ink.copy()
    for label, box in specks:
        out[box][pieces[box] == label] = 0.0
    return out


def _union(boxes: list[tuple[slice, slice]]) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) around these pieces' boxes, bottom and right exclusive."""
    return (min(rows.start for rows, _ in boxes), max(rows.stop for rows, _ in boxes),
            min(cols.start for _, cols in boxes), max(cols.stop for _, cols in boxes))


def _gap(body: tuple[int, int, int, int], box: tuple[slice, slice]) -> int:
    """How far a piece's box lies outside the body's (top, bottom, left, right), along the farther axis."""
    top, bottom, left, right = body
    rows, cols = box
    return max(top - rows.stop, rows.start - bottom, left - cols.stop, cols.start - right, 0)
