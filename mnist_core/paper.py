"""From a grey picture of paper (or a canvas) to an ink map: what the paper does, undone.

The network sees ink, high, on nothing. A picture shows ink on paper, and the
paper may be light or dark, lit evenly or not, grainy, lined, printed with a
box, or lying on a desk; the ink may be as faint as a light pencil. Each is
handled here, in the order :func:`ink_map` applies them; anything that was read
before one was added takes exactly its old path (the benchmarks and tests say
which sets hash the same).
"""

from __future__ import annotations

import numpy as np

from .imageops import bounding_box, box_mean, edge_pixels, morph, resize, stroke_width, window_max

INK_THRESHOLD = 0.2  # of the ink's darkness: fainter is paper texture or JPEG noise, not ink
CLEAR_INK = 0.15  # ink this much darker than the paper (or lighter, on dark paper) is read as it is
FAINTEST_INK = 0.04  # fainter than this is nothing, whatever the grain: ten grey levels of an 8-bit picture
SIGNAL_TO_GRAIN = 6.0  # faint ink must rise this far above the paper's grain (3x3 average): grain's peaks reach ~3.5
GRAIN_CUT = 5.0  # in faint ink, what rises less than this many grain deviations is paper (one pixel in millions)
PAGE_CONTRAST = 0.2  # a page brighter than the desk around it by at least this
PAGE_AREA, PAGE_FILL = 0.15, 0.75  # a page is this much of the picture, and this much of it is bright paper
PAGE_SQUARE = 0.88  # a page is a rectangle however it lies: its area over its smallest bounding rectangle's
PAGE_STROKE = 0.15  # what is darker on a page is written: strokes narrower than this share of the page
PAGE_INSET = 0.04  # the page is cut out this far inside its edge
RULE_SPAN = 0.85  # ink across more than this share of a row (or column) may be a line of the paper
RULE_LEVEL = 0.6  # such a line fainter than this (the pen's darkness is 1) is printed on the paper, not written
GRAIN_CONTRAST = 0.5  # grain can pass for ink only on a page whose darkest "ink" is fainter than this
GRAIN_SPECKS, GRAIN_SHARE = 3, 0.02  # this many lone pixels, and this share of the ink, is grain, not strokes
UNEVEN_PAPER = 0.12  # the paper's brightness varying more than this across a page: estimated place by place
PAPER_SIDE = 128  # the light across a page is smooth: it is estimated on a copy this small
PAGE_SIDE = 24  # smaller images are frames cropped to their digit (16 px in USPS), never a photographed page


def ink_map(gray: np.ndarray) -> np.ndarray:
    """A grey picture (0 to 1) -> ink in [0, 1], ink high, paper 0: the page found, the light and polarity
    settled, and the paper's printed lines taken away."""
    return _without_rules(_normalise_gray(_page_on_a_desk(gray)))


def _page_on_a_desk(gray: np.ndarray) -> np.ndarray:
    """A photo of a page lying on a darker desk: the page, with the desk painted over in its paper; else as it is.

    The picture's edge is taken for the paper, so with a desk all around it the
    page itself would be the ink, and the digit on it lost. A page is a bright
    region shaped like a rectangle, however it lies (:data:`PAGE_SQUARE`), mostly
    bright (:data:`PAGE_FILL`), a good part of the picture (:data:`PAGE_AREA`),
    with narrow darker strokes on it (:data:`PAGE_STROKE`). A bold light digit on
    a dark board is none of that: a 7 or an 8 is no rectangle, a bar has nothing
    on it (or specks of its chalk, not strokes), and a square 0's hole is no stroke.
    """
    desk = float(np.median(edge_pixels(gray)))
    if float(gray.max()) - desk < PAGE_CONTRAST:
        return gray  # nothing much brighter than the edge: every canvas and evenly lit scan stops here
    small = resize(gray, PAPER_SIDE / max(gray.shape))
    paper = float(np.percentile(small, 90))
    if paper - desk < PAGE_CONTRAST:
        return gray  # the picture's edge is as bright as its brightest part: no desk around a page
    bright = small > (desk + paper) / 2
    page = _filled_outline(bright)
    if page.sum() < PAGE_AREA * small.size or not PAGE_FILL <= bright[page].mean() < 1.0:
        return gray
    top, bottom, left, right = bounding_box(page)
    written = page[top:bottom, left:right] & ~bright[top:bottom, left:right]
    if (stroke_width(written) > PAGE_STROKE * min(bottom - top, right - left)
            or _lone_pixels(written) > 0.5 * np.count_nonzero(written) or _squareness(page) < PAGE_SQUARE):
        return gray  # what is darker is no writing (a wide hole, or specks in chalk), or the shape is no page
    inset = 2 * max(1, round(PAGE_INSET * min(bottom - top, right - left))) + 1  # off the page's edge and its shadow
    inner = resize(morph(page.astype(np.float32), inset, grow=False), gray.shape) > 0.5
    box = bounding_box(inner)
    if box is None or min(box[1] - box[0], box[3] - box[2]) < PAGE_SIDE:
        return gray
    painted = np.where(inner, gray, float(np.median(gray[inner])))  # the page is mostly paper: its median is paper
    return painted[box[0]:box[1], box[2]:box[3]]


def _filled_outline(mask: np.ndarray) -> np.ndarray:
    """The region between the first and last True pixel of each row, and of each column: a page with its ink."""
    height, width = mask.shape
    first_col, last_col = mask.argmax(axis=1), width - 1 - mask[:, ::-1].argmax(axis=1)
    first_row, last_row = mask.argmax(axis=0), height - 1 - mask[::-1].argmax(axis=0)
    rows, cols = np.indices(mask.shape)
    across = (cols >= first_col[:, None]) & (cols <= last_col[:, None]) & mask.any(axis=1)[:, None]
    down = (rows >= first_row[None, :]) & (rows <= last_row[None, :]) & mask.any(axis=0)[None, :]
    return across & down


def _squareness(mask: np.ndarray) -> float:
    """The region's area over that of the smallest rectangle around it, turned any way: 1 for a rectangle."""
    ys, xs = np.nonzero(mask)
    smallest = float("inf")
    for angle in np.radians(np.arange(0.0, 90.0, 3.0)):
        along, across = xs * np.cos(angle) + ys * np.sin(angle), ys * np.cos(angle) - xs * np.sin(angle)
        smallest = min(smallest, (np.ptp(along) + 1) * (np.ptp(across) + 1))
    return float(len(xs) / smallest)


def estimates_light(gray: np.ndarray) -> bool:
    """Whether this grey image (0 to 1) has its paper's light estimated place by place (:func:`_paper`)."""
    border = edge_pixels(gray)
    return not isinstance(_paper(gray, border, _light_paper(gray, border)), float)


def _light_paper(gray: np.ndarray, border: np.ndarray) -> bool:
    """Dark ink on light paper, or light ink (chalk, a dark canvas, a negative) on dark paper?

    Paper brighter than mid-grey is light paper. Darker paper is a dim scan or
    photo when what differs from it most is darker still, and dark paper when it
    is lighter; the extremes are taken after a 3x3 average, so a speck of dust
    cannot decide.
    """
    paper = float(np.median(border))
    if paper > 0.5:
        return True
    smooth = box_mean(gray, 3)
    return paper - float(smooth.min()) > float(smooth.max()) - paper


def _normalise_gray(gray: np.ndarray) -> np.ndarray:
    """Make ink high and background 0, whatever the polarity, lighting or paper."""
    border = edge_pixels(gray)
    light_paper = _light_paper(gray, border)  # dark ink on light paper
    background = _paper(gray, border, light_paper)
    ink = background - gray if light_paper else gray - background
    contrast = _top(ink)
    if contrast >= CLEAR_INK:  # ink that stands out plainly: every canvas and nearly every scan
        clear = np.clip(ink / contrast, 0.0, 1.0)
        clear[clear < INK_THRESHOLD] = 0.0  # paper texture and JPEG noise are not ink
        if contrast >= GRAIN_CONTRAST or not _grain(clear):
            return clear
    return _faint_ink(ink)


def _without_rules(ink: np.ndarray) -> np.ndarray:
    """The ink without the paper's own lines: rules of lined paper, a form's printed box.

    Such a line runs across most of the page, straight along a row or a column,
    and is printed fainter than the pen. Each row (then column) that ink covers
    for more than :data:`RULE_SPAN` of its length loses its median (the line's own
    darkness; a stroke crossing it keeps the rest). A run of such rows counts only
    if all of it stays fainter than :data:`RULE_LEVEL`: the bar of a 7 cropped
    tight to its frame spans it too, but is as dark as the pen, and stays; and
    in a frame cropped to its digit, whose pen reaches the frame, nothing is
    taken away (a light stroke of a tight frame can span it too).
    """
    if min(ink.shape) < PAGE_SIDE or not ink.any():
        return ink  # a frame cropped to its digit (16 px in USPS), or nothing
    rows, cols = _spanned(ink, 1), _spanned(ink, 0)
    if not (rows.any() or cols.any()):
        return ink  # nothing runs across the page: every canvas and nearly every scan stops here
    if np.count_nonzero(edge_pixels(ink) >= RULE_LEVEL) >= 2 or _cropped_to_the_writing(ink, rows, cols):
        return ink  # a frame cropped to its digit: its pen, or its writing off the candidate lines, reaches the edge
    out = ink
    for axis in (1, 0):  # along rows (ruled lines), then along columns (a box's sides)
        covered = rows if axis == 1 else _spanned(out, 0)  # the columns, once the ruled lines are gone
        if not covered.any():
            continue
        lines = np.flatnonzero(covered)
        level = np.zeros(covered.shape, np.float32)
        level[lines] = np.median(np.take(out, lines, axis=1 - axis), axis=axis)
        for run in np.split(lines, np.flatnonzero(np.diff(lines) > 1) + 1):
            if level[run].max() >= RULE_LEVEL:
                level[run] = 0.0  # as dark as the pen: a stroke, not the paper's line
        if level.any():
            out = np.clip(out - (level[:, None] if axis == 1 else level[None, :]), 0.0, 1.0)
            out[out < INK_THRESHOLD] = 0.0
    return out


def _spanned(ink: np.ndarray, axis: int) -> np.ndarray:
    """Which rows (``axis`` 1) or columns (``axis`` 0) ink covers for more than :data:`RULE_SPAN` of their length."""
    return np.count_nonzero(ink, axis=axis) > RULE_SPAN * ink.shape[axis]


def _cropped_to_the_writing(ink: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> bool:
    """Whether the writing, off the candidate lines (``rows`` and ``cols``), reaches two edges of the picture:
    a frame cropped to its digit.

    On lined paper or in a printed box the writing keeps a margin from the picture's edge; in a frame cropped
    to its digit it does not, and a light stem running the frame's height (a USPS 4) is no printed line.
    """
    box = bounding_box((ink > 0) & ~rows[:, None] & ~cols[None, :])
    if box is None:
        return False
    top, bottom, left, right = box
    height, width = ink.shape
    margin = max(2, max(height, width) // 32)
    return sum((top <= margin, left <= margin, bottom >= height - margin, right >= width - margin)) >= 2


def _top(ink: np.ndarray) -> float:
    """The ink's darkness: its 99.9th percentile, a maximum that one stray pixel cannot set."""
    sample = ink[::3, ::3] if ink.size > 20_000 else ink  # without sorting every pixel
    return float(np.percentile(sample, 99.9)) if sample.size > 1000 else float(ink.max())


def _grain(ink: np.ndarray) -> bool:
    """Whether grain passed for ink: specks of one pixel, touching no other (a stroke's pixels always touch)."""
    box = bounding_box(ink > 0.5)
    if box is None:
        return False
    top, bottom, left, right = box
    mask = ink[top:bottom, left:right] > 0.5
    specks = _lone_pixels(mask)
    return specks >= GRAIN_SPECKS and specks >= GRAIN_SHARE * int(np.count_nonzero(mask))


def _lone_pixels(mask: np.ndarray) -> int:
    """How many True pixels touch no other (of their eight neighbours): specks, where strokes touch."""
    padded = np.pad(mask, 1).view(np.uint8)
    neighbours = np.zeros(mask.shape, np.uint8)
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            if dy != 1 or dx != 1:
                neighbours += padded[dy:dy + mask.shape[0], dx:dx + mask.shape[1]]
    return int(np.count_nonzero(mask & (neighbours == 0)))


def _faint_ink(ink: np.ndarray) -> np.ndarray:
    """Ink that barely stands out (light pencil) or grain: kept only where a stroke rises clearly above the grain.

    A stroke is several pixels wide and grain is not, so averaging over 3x3 pixels
    thins the grain about threefold and leaves the stroke. What remains is ink only
    if it rises :data:`SIGNAL_TO_GRAIN` times above the grain that is left (most of
    a page is paper, so the grain is the median deviation); a blank page, however
    grainy, is then empty, and a pencil line a tenth of the paper's brightness is read.
    """
    smooth = box_mean(ink.astype(np.float32), 3)
    level = float(np.median(smooth))
    grain = 1.4826 * float(np.median(np.abs(smooth - level)))  # the grain's standard deviation, robustly
    signal = _top(smooth) - level
    if signal < max(FAINTEST_INK, SIGNAL_TO_GRAIN * grain):
        return np.zeros_like(ink)  # nothing stands out from the background
    faint = np.clip((smooth - level) / signal, 0.0, 1.0)
    faint[faint < max(INK_THRESHOLD, GRAIN_CUT * grain / signal)] = 0.0
    return faint


def _paper(gray: np.ndarray, border: np.ndarray, light_paper: bool) -> float | np.ndarray:
    """The paper's brightness under the ink: one value for an evenly lit page, a smooth field for a shadowed one.

    A phone photo of a page is often lit from one side or shadowed in a corner.
    Measured against one paper value, the darker side of the page becomes ink
    and the digit disappears into it. So when the paper's own brightness varies
    by more than :data:`UNEVEN_PAPER` across the page (and no ink reaches its
    edge, as it does in a digit cropped tight), it is estimated place by
    place: a grey closing with a window a third of the page (wider than any
    pen stroke, so the strokes vanish from it), smoothed, and lowered to the
    paper's typical brightness (most of a page is paper). An evenly lit
    page (every canvas, and scans within a few percent) keeps the single value,
    so its input is exactly what it always was.
    """
    flat = float(np.median(border))
    if float(np.subtract(*np.percentile(border, [95, 5]))) < UNEVEN_PAPER or min(gray.shape) < PAGE_SIDE:
        return flat  # an evenly lit page, or a small crop of one: scanning pipelines' frames are 16 to 32 px
    field = _light_field(gray, light_paper)
    if field is None:
        return flat
    if _cropped_tight(gray, border, flat, light_paper):
        # ink reaching the edge, or a shadow: if the light field explains all of it, the page is blank,
        # and all of it is paper; otherwise a digit cropped tight keeps the single value
        return gray if _only_shade(gray, field, light_paper) else flat
    return field


def _light_field(gray: np.ndarray, light_paper: bool) -> np.ndarray | None:
    """The paper's brightness place by place (see :func:`_paper`), or None if it hardly varies."""
    paper = resize(gray if light_paper else 1.0 - gray, PAPER_SIDE / max(gray.shape))
    field = _smooth_closing(paper)
    field = field - float(np.median(field - paper))  # the closing follows the paper's brightest grain: back to its middle
    low, high = np.percentile(field, [2, 98])
    if high - low < UNEVEN_PAPER:
        return None
    field = resize(field, gray.shape)
    return field if light_paper else 1.0 - field


def _only_shade(gray: np.ndarray, field: np.ndarray, light_paper: bool) -> bool:
    """Whether nothing stands out from the light field: what looked like ink reaching the edge was a shadow.

    A digit cropped tight keeps the single paper value because its border varies with its ink; but a blank
    page with a shadow falling across its edge looks the same to that rule, and its shadow was read as a 1.
    (Writing too faint to stand out from the field, on such a page, is lost with it.)
    """
    return _top(field - gray if light_paper else gray - field) < CLEAR_INK


def _cropped_tight(gray: np.ndarray, border: np.ndarray, flat: float, light_paper: bool) -> bool:
    """A digit cropped tight to its frame: its ink reaches the edge, or nearly spans the frame one way.

    Its border varies because of the ink, not the light, and its strokes can be
    as wide as a third of the frame, too wide to vanish from a closing.
    """
    ink = float(np.percentile(gray, 0.1 if light_paper else 99.9))
    near = 0.25 * abs(flat - ink)  # this close to the darkest ink is ink, however the paper is lit
    if np.count_nonzero(np.abs(border - ink) < near) >= 2:
        return True
    box = bounding_box(np.abs(gray - ink) < near)
    if box is None:
        return False
    top, bottom, left, right = box
    height, width = gray.shape
    margin = max(2, max(height, width) // 16)  # an anti-aliased edge is a few pixels short of the frame
    return (top <= margin and bottom >= height - margin) or (left <= margin and right >= width - margin)


def _smooth_closing(paper: np.ndarray) -> np.ndarray:
    """Grey closing with a window a third of the image (strokes narrower than it vanish), then a smoothing."""
    size = max(paper.shape) // 3 | 1
    brightest = window_max(window_max(paper, size, 0), size, 1)
    closed = 1.0 - window_max(window_max(1.0 - brightest, size, 0), size, 1)
    return box_mean(closed, size)
