"""Generated handwriting: pen digits from simulated writers, as canvas drawings and as scans.

`synthetic.py` jitters one template per sample. Real people are more
consistent within themselves and more varied between each other: a writer
always crosses their 7s, or draws a European 1 with a long flag and a base,
slants everything the same way and presses harder at the start of a stroke.
So each :class:`Writer` (made from a seed) fixes a style (slant, proportions,
roundness, wobble, elastic distortion, pressure, stroke order and one or two
preferred variants per digit) and then writes many digits in it.

Every digit can be rendered two ways:

* :func:`canvas_image`: as the Draw page's canvas returns it (RGBA, uniform
  brush, any of the drawn-benchmark styles);
* :func:`scan_image`: as a grayscale scan of pen on paper (dark ink on light,
  varying pressure, blur, uneven paper, noise).

A canvas digit can also be written fast (:func:`fast_strokes`): each stroke
as the few points a slowly sampled pen or touch screen reports.

:data:`UNSEEN_VARIANTS` holds more ways people write digits (an open-headed 9,
a 7 with a foot, a 3 in two separate bowls, ...) that no training set draws: a
model that only learned the trained variants by heart reads them worse, so
they say how it may do on styles nobody thought to generate.

Writer seeds decide what a set is for: training uses seeds below
:data:`HELD_OUT_SEED`, calibration uses :data:`CALIBRATION_SEED` and up, and the
held-out benchmark :data:`HELD_OUT_SEED` and up, so no reported figure comes
from a writer the model or its temperature was fitted on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import islice
from typing import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from .imageops import edge_pixels
from .synthetic import STYLES, TEMPLATES, Style, Stroke, _arc, place, position, render

TRAIN_SEED = 0
CALIBRATION_SEED = 3_000_000
HELD_OUT_SEED = 2_000_000
CANVAS = 280
TRAIN_CANVAS = 140  # smaller canvases preprocess faster and look the same at 28x28
FAST_POINTS = (6, 16)  # points per stroke when a stroke is sampled slowly (fast_strokes)
FAST_SHARE = 0.25  # share of training canvas digits and non-digits written that way
JOINED_SHARE = 0.5  # share of those fast ones whose points are joined as the Draw page's canvas joins them
TABLET_POINTS = (8, 24)  # points a tablet's resampled recording keeps of a whole digit (tablet_trajectory)
TABLET_SEED = 1_000_000  # the training writers whose digits are recorded that way (tablet_fraction)
JOINED_SEED = 1_500_000  # the training writers whose canvas digits are all drawn fast and joined (joined_fraction)
Variant = Callable[[np.random.Generator], list[Stroke]]


# ---- the styles MNIST lacks, stroke by stroke ------------------------------
def _one_long_flag(r: np.random.Generator) -> list[Stroke]:
    """European 1: a long flag from well down the left, sometimes curved."""
    x0, y0 = 0.3 - r.uniform(0.25, 0.42), r.uniform(0.25, 0.5)
    mid = (0.3 - (0.3 - x0) * 0.5, y0 * 0.4 + r.uniform(-0.04, 0.02))
    return [[(x0, y0), mid, (0.3, 0.0), (0.3 + r.uniform(-0.04, 0.04), 1.0)]]


def _one_long_flag_base(r: np.random.Generator) -> list[Stroke]:
    half = r.uniform(0.15, 0.32)
    return _one_long_flag(r) + [[(0.3 - half, 1.0), (0.3 + half * r.uniform(0.8, 1.2), 1.0 + r.uniform(-0.03, 0.03))]]


def _one_curved(r: np.random.Generator) -> list[Stroke]:
    bow = r.uniform(-0.06, 0.06)
    return [[(0.26, 0.08), (0.3, 0.0), (0.3 + bow, 0.5), (0.3, 1.0)]]


def _two_angular(r: np.random.Generator) -> list[Stroke]:
    """A 2 with a flat top and a straight diagonal, like a Z with a rounded corner."""
    top = _arc(0.3, 0.22, 0.26, 0.22, 200, 360)
    return [top + [(0.56, 0.3), (0.02, 1.0), (0.62 + r.uniform(-0.05, 0.08), 0.98)]]


def _two_curly(r: np.random.Generator) -> list[Stroke]:
    top = _arc(0.3, 0.3, 0.28, 0.3, 180, 400)
    base = [(0.08, 0.9), (0.02, 1.0), (0.2, 0.96), (0.62, 1.0 + r.uniform(-0.05, 0.02))]
    return [top + base]


def _three_pointed(r: np.random.Generator) -> list[Stroke]:
    upper = _arc(0.28, 0.24, 0.26, 0.24, 200, 440)
    lower = _arc(0.28, 0.73, 0.3, 0.27, 280, 520)
    return [upper + [(0.14, 0.48)] + lower]


def _four_open_parallel(r: np.random.Generator) -> list[Stroke]:
    """Open 4 like a 'y' without the tail: a short upright left, a bar, a long upright right."""
    bar = r.uniform(0.48, 0.62)
    left = 0.06 + r.uniform(-0.04, 0.06)
    right = 0.48 + r.uniform(-0.04, 0.06)
    return [[(left, 0.0), (left + r.uniform(-0.04, 0.04), bar), (right + 0.12, bar)],
            [(right, r.uniform(-0.02, 0.15)), (right - r.uniform(0, 0.05), 1.0)]]


def _four_one_stroke(r: np.random.Generator) -> list[Stroke]:
    """A closed 4 in one movement: down the diagonal, along the bar, back up and down the stem."""
    bar = r.uniform(0.55, 0.7)
    return [[(0.42, 0.0), (0.0, bar), (0.62, bar)], [(0.44, 0.15), (0.44, 1.0)]]


def _four_tall_stem(r: np.random.Generator) -> list[Stroke]:
    bar = r.uniform(0.55, 0.68)
    return [[(0.3, 0.05), (0.0, bar), (0.6, bar)], [(0.45, -0.05), (0.45, 1.0)]]


def _five_one_stroke(r: np.random.Generator) -> list[Stroke]:
    belly = _arc(0.28, 0.68, 0.3, 0.3, 240, 510 + r.uniform(-15, 15))
    return [[(0.6, 0.0), (0.1, 0.0), (0.06, 0.42)] + belly]


def _six_straight(r: np.random.Generator) -> list[Stroke]:
    loop = _arc(0.3, 0.76, 0.26, 0.23, 180, 540 + r.uniform(-25, 5))
    return [[(0.44, 0.0), (0.1, 0.45), (0.04, 0.76)] + loop]


def _seven_crossed_serif(r: np.random.Generator) -> list[Stroke]:
    y = r.uniform(0.45, 0.58)
    return [[(0.0, r.uniform(0.1, 0.2)), (0.0, 0.0), (0.6, 0.0), (0.24, 1.0)],
            [(0.42 - 0.38 * y - r.uniform(0.05, 0.2), y), (0.42 - 0.38 * y + r.uniform(0.25, 0.35), y)]]


def _seven_curved(r: np.random.Generator) -> list[Stroke]:
    stem = [(0.6, 0.0), (0.46, 0.35), (0.36, 0.7), (0.33 + r.uniform(-0.05, 0.05), 1.0)]
    return [[(0.0, 0.03), (0.3, -0.01)] + stem]


def _seven_looped(r: np.random.Generator) -> list[Stroke]:
    """A 7 whose crossbar is made in the same movement: down the stem, a small loop, across."""
    y = r.uniform(0.45, 0.55)
    x = 0.6 - 0.38 * y
    loop = _arc(x - 0.04, y - 0.02, 0.06, 0.05, 0, 300, 10)
    return [[(0.0, 0.0), (0.6, 0.0), (x, y)] + loop + [(x - 0.2, y + 0.02), (x + 0.16, y)],
            [(x, y), (0.22, 1.0)]]


def _seven_hooked_top(r: np.random.Generator) -> list[Stroke]:
    start = _arc(0.06, 0.08, 0.06, 0.07, 180, 300, 8)
    return [start + [(0.6, 0.0), (0.24 + r.uniform(-0.08, 0.08), 1.0)]]


def _eight_one_stroke(r: np.random.Generator) -> list[Stroke]:
    """A figure of eight in one movement (Gerono's lemniscate), the top loop narrower."""
    top = r.uniform(0.55, 0.85)
    ts = np.linspace(0, 2 * math.pi, 40) + r.uniform(-0.3, 0.3)
    pts = []
    for t in ts:
        y = 0.5 - 0.5 * math.sin(t)
        width = 0.6 * (top if y < 0.5 else 1.0)
        pts.append((0.3 + width * math.sin(t) * math.cos(t), y))
    return [pts]


def _eight_s_and_back(r: np.random.Generator) -> list[Stroke]:
    s = _arc(0.3, 0.25, 0.2, 0.25, 0, -270)[::-1] + _arc(0.3, 0.74, 0.27, 0.26, 270, 90 + 360)[::-1]
    return [s[::-1] + [(0.5, 0.18)]]


def _nine_hooked(r: np.random.Generator) -> list[Stroke]:
    """A 9 whose tail hooks back to the left at the bottom."""
    tail = [(0.57, 0.27), (0.55, 0.8)] + _arc(0.4, 0.8, 0.15, 0.2, 0, 170 + r.uniform(-20, 20), 10)
    return [_arc(0.3, 0.27, 0.27, 0.27, 0, 360), tail]


def _nine_one_stroke(r: np.random.Generator) -> list[Stroke]:
    """Around the head counter-clockwise from its right, then straight on down the tail."""
    head = _arc(0.3, 0.26, 0.27, 0.26, 20, -340 + r.uniform(-20, 10))
    return [head + [(0.54 + r.uniform(-0.1, 0.04), 1.0)]]


def _nine_small_head(r: np.random.Generator) -> list[Stroke]:
    ry = r.uniform(0.17, 0.23)
    head = _arc(0.3, ry, 0.24, ry, 0, 360)
    return [head, [(0.54, ry), (0.5 + r.uniform(-0.12, 0.02), 1.0)]]


def _zero_overlap(r: np.random.Generator) -> list[Stroke]:
    return [_arc(0.3, 0.5, 0.25 + r.uniform(-0.06, 0.04), 0.5, -100, 290 + r.uniform(0, 40))]


VARIANTS: dict[int, list[Variant]] = {
    0: [*TEMPLATES[0], _zero_overlap],
    1: [*TEMPLATES[1], _one_long_flag, _one_long_flag_base, _one_curved],
    2: [*TEMPLATES[2], _two_angular, _two_curly],
    3: [*TEMPLATES[3], _three_pointed],
    4: [*TEMPLATES[4], _four_open_parallel, _four_one_stroke, _four_tall_stem],
    5: [*TEMPLATES[5], _five_one_stroke],
    6: [*TEMPLATES[6], _six_straight],
    7: [*TEMPLATES[7], _seven_crossed_serif, _seven_curved, _seven_looped, _seven_hooked_top],
    8: [*TEMPLATES[8], _eight_one_stroke, _eight_s_and_back],
    9: [*TEMPLATES[9], _nine_hooked, _nine_one_stroke, _nine_small_head],
}


# ---- styles no training variant draws (to measure, never to train) -----------------
def _zero_teardrop(r: np.random.Generator) -> list[Stroke]:
    """Started and ended at a point on top, like a drop."""
    body = _arc(0.3, 0.58, 0.28, 0.42, 215, -35 + r.uniform(-10, 10))
    return [[(0.3, 0.0)] + body + [(0.32, 0.0), (0.27, 0.06)]]


def _one_base_only(r: np.random.Generator) -> list[Stroke]:
    half = r.uniform(0.15, 0.28)
    return [[(0.3, 0.0), (0.3, 1.0)], [(0.3 - half, 1.0), (0.3 + half, 1.0)]]


def _two_round_base(r: np.random.Generator) -> list[Stroke]:
    """The diagonal turns into the base with a round bend instead of a corner or a loop."""
    top = _arc(0.3, 0.27, 0.27, 0.26, 190, 380)
    return [top + [(0.1, 0.85)] + _arc(0.25, 0.9, 0.15, 0.1, 180, 90, 6) + [(0.62, 0.95 + r.uniform(-0.04, 0.04))]]


def _three_open_middle(r: np.random.Generator) -> list[Stroke]:
    """Two separate bowls that do not meet in the middle."""
    return [_arc(0.28, 0.24, 0.25, 0.23, 200, 430), _arc(0.28, 0.74, 0.3, 0.26, 290 + r.uniform(-10, 10), 525)]


def _four_curved(r: np.random.Generator) -> list[Stroke]:
    """An open 4 whose left side curves into the bar, like a Cyrillic che."""
    bar = r.uniform(0.5, 0.62)
    left = [(0.05, 0.0)] + _arc(0.25, bar - 0.2, 0.2, 0.2, 180, 90, 8) + [(0.62, bar)]
    return [left, [(0.5, r.uniform(-0.02, 0.1)), (0.48, 1.0)]]


def _five_detached_hat(r: np.random.Generator) -> list[Stroke]:
    """The flag drawn last, apart from the stem."""
    belly = _arc(0.28, 0.69, 0.3, 0.3, 250, 520)
    return [[(0.08, 0.02), (0.05, 0.42)] + belly, [(0.08 + r.uniform(0.04, 0.12), 0.0), (0.6, -0.02)]]


def _six_open_loop(r: np.random.Generator) -> list[Stroke]:
    """The loop stops short of the stem."""
    loop = _arc(0.3, 0.72, 0.26, 0.27, 180, 180 - r.uniform(250, 310))
    return [[(0.52, 0.0), (0.22, 0.22), (0.06, 0.52)] + loop]


def _seven_foot(r: np.random.Generator) -> list[Stroke]:
    """The stem ends in a small foot to the right."""
    return [[(0.0, 0.0), (0.6, 0.0), (0.26, 0.88), (0.3 + r.uniform(0.05, 0.15), 1.0)]]


def _eight_leaning_loops(r: np.random.Generator) -> list[Stroke]:
    """Two loops that do not sit straight on each other, the small one up and to the right."""
    dx = r.uniform(0.06, 0.14)
    return [_arc(0.3 + dx, 0.24, 0.2, 0.24, 0, 360), _arc(0.3 - dx / 2, 0.73, 0.28, 0.27, 0, 360)]


def _nine_open_head(r: np.random.Generator) -> list[Stroke]:
    """The head is an open curve; the tail starts on its own at the top right."""
    head = _arc(0.3, 0.26, 0.27, 0.26, -35, -35 - r.uniform(250, 300))
    return [head, [(0.57, 0.12 + r.uniform(-0.05, 0.1)), (0.54 + r.uniform(-0.08, 0.03), 1.0)]]


def _nine_gap(r: np.random.Generator) -> list[Stroke]:
    """One movement round the head, leaving it a little open before going down the tail."""
    head = _arc(0.3, 0.26, 0.27, 0.26, -20, -20 - r.uniform(300, 330))
    return [head + [(0.58, 0.3 + r.uniform(0, 0.1)), (0.55 + r.uniform(-0.08, 0.03), 1.0)]]


UNSEEN_VARIANTS: dict[int, list[Variant]] = {
    0: [_zero_teardrop], 1: [_one_base_only], 2: [_two_round_base], 3: [_three_open_middle], 4: [_four_curved],
    5: [_five_detached_hat], 6: [_six_open_loop], 7: [_seven_foot], 8: [_eight_leaning_loops],
    9: [_nine_open_head, _nine_gap],
}


# ---- writers ------------------------------------------------------------------
@dataclass(frozen=True)
class Writer:
    """One person's hand: the same slant, proportions, pressure and habits in every digit."""

    seed: int
    slant: float  # horizontal shift per unit height (positive leans right)
    aspect: float  # width relative to the template
    rotation: float  # degrees
    wobble: float  # hand tremor, as a share of the height
    elastic: float  # amplitude of smooth distortion
    pressure: float  # how much the stroke width varies along a stroke (scans)
    reverse_strokes: float  # chance to draw a stroke the other way round
    habits: dict[int, np.ndarray] = field(default_factory=dict, compare=False)  # digit -> variant weights

    @classmethod
    def from_seed(cls, seed: int) -> "Writer":
        r = np.random.default_rng(seed)
        habits = {}
        for digit, variants in VARIANTS.items():
            weights = np.full(len(variants), 0.15 / len(variants))
            weights[r.integers(len(variants))] += 0.85 * r.uniform(0.6, 1.0)
            habits[digit] = weights / weights.sum()
        return cls(seed, slant=float(r.uniform(-0.15, 0.5)), aspect=float(r.uniform(0.6, 1.35)),
                   rotation=float(r.uniform(-8, 8)), wobble=float(r.uniform(0.002, 0.014)),
                   elastic=float(r.uniform(0.0, 0.05)), pressure=float(r.uniform(0.0, 0.5)),
                   reverse_strokes=float(r.uniform(0, 0.5)), habits=habits)

    def strokes(self, digit: int, r: np.random.Generator,
                catalogue: dict[int, list[Variant]] | None = None) -> list[np.ndarray]:
        """One digit in this hand: points centred near (0, 0), height about 1, y down.

        With a `catalogue` (such as :data:`UNSEEN_VARIANTS`) the variant is one of
        its variants for that digit, any of them alike, instead of this writer's habit.
        """
        if catalogue is not None:
            variants = catalogue[digit]
            return self.shape(variants[r.integers(len(variants))](r), r)
        variants = VARIANTS[digit]
        strokes = variants[r.choice(len(variants), p=self.habits[digit])](r)
        return self.shape(strokes, r)

    def shape(self, strokes: list[Stroke], r: np.random.Generator) -> list[np.ndarray]:
        """Apply this writer's slant, proportions, tremor and distortion (with a little per-sample play)."""
        slant = self.slant + r.normal(0, 0.06)
        aspect = self.aspect * r.uniform(0.9, 1.1)
        angle = math.radians(self.rotation + r.normal(0, 3))
        cos, sin = math.cos(angle), math.sin(angle)
        phases = r.uniform(0, 2 * math.pi, 4)
        freqs = r.uniform(2.0, 5.0, 4)
        amp = self.elastic * r.uniform(0.5, 1.5)
        out = []
        for stroke in strokes:
            pts = _resample(np.asarray(stroke, dtype=np.float64), 0.03)
            pts = pts + _smooth_noise(len(pts), self.wobble, r) + r.normal(0, 0.012, (1, 2))
            dx = amp * np.sin(freqs[0] * pts[:, 1] + phases[0]) * np.cos(freqs[1] * pts[:, 0] + phases[1])
            dy = amp * np.sin(freqs[2] * pts[:, 0] + phases[2]) * np.cos(freqs[3] * pts[:, 1] + phases[3])
            x = (pts[:, 0] + dx - 0.3) * aspect + slant * (0.5 - pts[:, 1])
            y = pts[:, 1] + dy - 0.5
            shaped = np.stack([cos * x - sin * y, sin * x + cos * y], axis=1)
            out.append(shaped[::-1] if r.random() < self.reverse_strokes else shaped)
        if len(out) > 1 and r.random() < self.reverse_strokes:
            out = out[::-1]  # another stroke order
        return out


def _along(points: np.ndarray) -> np.ndarray:
    """Distance along the polyline from its first point to each point."""
    return np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])


def _at(points: np.ndarray, dist: np.ndarray, s: np.ndarray) -> np.ndarray:
    """The polyline's points at distances `s` along it (`dist`: each point's own distance, from :func:`_along`)."""
    return np.stack([np.interp(s, dist, points[:, 0]), np.interp(s, dist, points[:, 1])], axis=1)


def _resample(points: np.ndarray, step: float) -> np.ndarray:
    """Points every `step` along the polyline, so tremor and distortion bend straight strokes too."""
    if len(points) < 2:
        return points
    dist = _along(points)
    if dist[-1] <= 0:
        return points
    # keep the original corners as well as the evenly spaced points
    ts = np.union1d(np.linspace(0, dist[-1], max(2, int(dist[-1] / step) + 1)), dist)
    return _at(points, dist, ts)


def fast_strokes(strokes: list[np.ndarray], r: np.random.Generator,
                 points: tuple[int, int] = FAST_POINTS) -> list[np.ndarray]:
    """Each stroke as a handful of points joined by straight lines, as a slowly sampled pen sends it.

    Tablets and touch screens report the pen at fixed times (a busy phone's
    touch events, an old tablet at 10 Hz), so a quick stroke arrives as a few
    points and its curves as corners: a 6's round top becomes an angle. The
    pen is slow at the ends of a stroke and fast in between, so the points
    bunch at the ends.
    """
    out = []
    for stroke in strokes:
        dist = _along(stroke)
        if len(stroke) < 3 or dist[-1] <= 0:
            out.append(stroke)
            continue
        t = np.linspace(0, 1, int(r.integers(points[0], points[1] + 1)))
        s = np.clip(t - r.uniform(0.3, 1.0) * np.sin(2 * np.pi * t) / (2 * np.pi), 0, 1) * dist[-1]
        out.append(_at(stroke, dist, s))
    return out


def canvas_joined(points: np.ndarray, steps: int = 8) -> np.ndarray:
    """A stroke's points joined as the Draw page's canvas joins them, as a dense polyline.

    The canvas (Fabric's pencil brush) first drops points within 0.4 px of
    the one kept before, and always drops the next-to-last point of a stroke;
    then it draws a quadratic curve from midpoint to midpoint with each point
    as the control, and a straight line to the last point. With a pen sampled
    often this is the stroke itself; with a few points per stroke the curves
    cut the corners, and losing the next-to-last point can leave a 6's loop
    open. (The 0.4 px rule needs pixels and is left out.)
    """
    pts = np.asarray(points, np.float64)
    if len(pts) > 2:
        pts = np.concatenate([pts[:-2], pts[-1:]])
    if len(pts) <= 2:
        return pts
    t = np.linspace(0, 1, steps + 1)[1:, None]
    out, start = [pts[:1]], pts[0]
    for control, following in zip(pts[:-1], pts[1:]):
        end = (control + following) / 2
        out.append((1 - t) ** 2 * start + 2 * (1 - t) * t * control + t ** 2 * end)
        start = end
    out.append(pts[-1:])
    return np.concatenate(out)


def tablet_trajectory(strokes: list[np.ndarray], points: int) -> list[np.ndarray]:
    """The digit as one trajectory of `points` points evenly spaced along it, pen lifts joined by straight lines.

    Some tablets and the files they write keep a digit as one list of pen
    positions without pen lifts, resampled to a fixed number of points spaced
    evenly along the path (UCI's pen-based digits keep 8). Drawn again, a 4's
    two strokes become one with a line from the end of the first to the start
    of the second, a 5's hat is tied to its belly, and every curve is a few
    straight segments.
    """
    path = np.concatenate([np.asarray(stroke, np.float64) for stroke in strokes])
    dist = _along(path)
    if len(path) < 2 or dist[-1] <= 0:
        return [path]
    return [_at(path, dist, np.linspace(0, dist[-1], points))]


def canvas_strokes(strokes: list[np.ndarray], r: np.random.Generator, fast: float, joined: float,
                   tablet: float = 0.0, tablet_points: tuple[int, int] = TABLET_POINTS) -> list[np.ndarray]:
    """A `tablet` share recorded as one trajectory (:func:`tablet_trajectory`), the rest :func:`sometimes_fast`.

    With `tablet` 0 nothing more is drawn from `r`, so sets made before tablets existed stay the same.
    """
    if tablet >= 1 or (tablet and r.random() < tablet):
        low, high = tablet_points
        return tablet_trajectory(strokes, low if low == high else int(r.integers(low, high + 1)))
    return sometimes_fast(strokes, fast, r, joined)


def sometimes_fast(strokes: list[np.ndarray], share: float, r: np.random.Generator,
                   joined: float = 0.0) -> list[np.ndarray]:
    """:func:`fast_strokes` for a `share` of drawings, and a `joined` share of those :func:`canvas_joined`.

    With 0 nothing is drawn from `r`, so a set made without fast strokes stays
    exactly what it was before they existed; `joined` 1 joins every fast one
    without drawing from `r` either, so it is the same set, joined.
    """
    if not (share and r.random() < share):
        return strokes
    sampled = fast_strokes(strokes, r)
    if joined >= 1 or (joined and r.random() < joined):
        return [canvas_joined(stroke) for stroke in sampled]
    return sampled


def _smooth_noise(n: int, scale: float, r: np.random.Generator) -> np.ndarray:
    """Tremor: white noise smoothed along the stroke."""
    noise = r.normal(0, scale, (n + 4, 2))
    kernel = np.array([1, 2, 3, 2, 1], dtype=np.float64) / 9 * 1.7
    return np.stack([np.convolve(noise[:, k], kernel, mode="valid") for k in range(2)], axis=1)[:n]


# ---- rendering -------------------------------------------------------------
TRAIN_STYLE = Style("train", (0.3, 0.9), (0.015, 0.16))  # brush as a share of the canvas side


def canvas_image(strokes: list[np.ndarray], style: Style, r: np.random.Generator, canvas: int = CANVAS) -> np.ndarray:
    """Strokes as the Draw page's canvas returns them (RGBA uint8), in one of the drawn-benchmark styles."""
    height = r.uniform(*style.height) * canvas
    brush = r.uniform(*style.brush)
    if brush < 1:  # brush given as a share of the canvas
        brush *= canvas
    return render(strokes, canvas, height, brush, position(style, height / 2 + brush, r, canvas), style.mode)


def scan_image(strokes: list[np.ndarray], writer: Writer, r: np.random.Generator) -> np.ndarray:
    """Strokes as a grayscale scan of pen or pencil on paper (uint8, dark ink on light)."""
    height = r.uniform(28, 90)
    side = int(height * r.uniform(1.3, 1.8))
    pen = max(1.0, height * r.uniform(0.04, 0.13))
    offset = np.array([side / 2, side / 2]) + r.uniform(-0.08, 0.08, 2) * side
    scale = 4  # draw big, then reduce: anti-aliased edges like a real scan
    ink = Image.new("L", (side * scale, side * scale), 0)
    draw = ImageDraw.Draw(ink)
    for stroke in place(strokes, height, offset):
        pts = stroke * scale
        _pressure_line(draw, pts, pen * scale, writer.pressure, r)
    ink = ink.resize((side, side), Image.Resampling.BOX).filter(ImageFilter.GaussianBlur(r.uniform(0.2, 1.0)))
    darkness = np.asarray(ink, np.float32) / 255.0 * r.uniform(0.55, 1.0)
    paper = r.uniform(0.75, 1.0) + np.linspace(0, r.uniform(-0.08, 0.08), side)[None, :]
    gray = paper * (1 - darkness) + r.normal(0, r.uniform(0.0, 0.04), (side, side))
    return np.clip(gray * 255, 0, 255).astype(np.uint8)


def photo_image(strokes: list[np.ndarray], writer: Writer, r: np.random.Generator) -> np.ndarray:
    """A scan as a phone photographs the page: the light falls off across it, or a shadow covers a corner.

    Never trained on: preprocessing evens out the light (``paper._paper``), and
    the benchmark checks that it does.
    """
    scan = scan_image(strokes, writer, r).astype(np.float32)
    height, width = scan.shape
    yy, xx = np.mgrid[0:height, 0:width] / max(height, width)
    if r.random() < 0.5:  # lit from one side
        angle = r.uniform(0, 2 * math.pi)
        along = xx * math.cos(angle) + yy * math.sin(angle)
        light = 1 - r.uniform(0.2, 0.5) * (along - along.min()) / max(float(np.ptp(along)), 1e-6)
    else:  # a shadow over one corner
        cy, cx = r.choice([0.0, float(yy.max())]), r.choice([0.0, float(xx.max())])
        light = np.clip(r.uniform(0.45, 0.65) + r.uniform(0.5, 0.8) * np.hypot(xx - cx, yy - cy), 0, 1)
    return np.clip(scan * light, 0, 255).astype(np.uint8)


def faded(scan: np.ndarray, share: float) -> np.ndarray:
    """A scan (uint8, dark on light) with its ink at ``share`` of its darkness: a very light pencil.

    Never trained on: preprocessing reads ink this faint where it rises above
    the paper's grain (``paper._faint_ink``); ``benchmarks.paper_conditions`` checks it.
    """
    gray = scan.astype(np.float32)
    paper = _paper_level(gray)
    return np.clip(paper - share * (paper - gray), 0, 255).round().astype(np.uint8)


def lined(scan: np.ndarray, r: np.random.Generator, kind: str = "ruled") -> np.ndarray:
    """A scan (uint8, dark on light) on lined paper ("ruled": lines across, one may cross the digit) or in a
    form's printed box ("box": a frame just inside the edge), printed fainter than the pen.

    Never trained on: preprocessing takes such lines away (``paper._without_rules``).
    """
    gray = scan.astype(np.float32)
    height, width = gray.shape
    darker = r.uniform(0.1, 0.35) * _paper_level(gray)  # a printed line: lighter than the pen (ink darkens it 55-100%)
    if kind == "ruled":
        spacing = r.uniform(0.35, 0.7) * height
        row = r.uniform(0, spacing)
        while row < height:
            gray[int(row):int(row) + int(r.integers(1, 3))] -= darker
            row += spacing
    else:
        margin, thick = int(r.integers(1, max(2, height // 12))), int(r.integers(1, 3))
        for lines in ((slice(margin, margin + thick), slice(None)), (slice(height - margin - thick, height - margin), slice(None)),
                      (slice(None), slice(margin, margin + thick)), (slice(None), slice(width - margin - thick, width - margin))):
            gray[lines] -= darker
    return np.clip(gray, 0, 255).round().astype(np.uint8)


def on_a_desk(scan: np.ndarray, r: np.random.Generator, share: float = 0.5, turn: float = 15.0) -> np.ndarray:
    """A phone photo of the scanned page lying on a darker desk: the page ``share`` of the picture's area,
    turned up to ``turn`` degrees either way.

    Never trained on: preprocessing paints the desk over in the page's paper (``paper._page_on_a_desk``).
    """
    height, width = scan.shape
    outer_h, outer_w = round(height / share ** 0.5), round(width / share ** 0.5)
    top, left = int(r.integers(0, outer_h - height + 1)), int(r.integers(0, outer_w - width + 1))
    page, where = Image.new("L", (outer_w, outer_h), 0), Image.new("L", (outer_w, outer_h), 0)
    page.paste(Image.fromarray(scan), (left, top))
    where.paste(255, (left, top, left + width, top + height))
    angle = r.uniform(-turn, turn)
    centre = (left + width / 2, top + height / 2)
    page = np.asarray(page.rotate(angle, Image.Resampling.BILINEAR, center=centre), np.float32)
    where = np.asarray(where.rotate(angle, Image.Resampling.BILINEAR, center=centre), np.float32) / 255
    desk = np.clip(r.uniform(0.1, 0.4) + r.normal(0, 0.02, (outer_h, outer_w)), 0, 1) * 255
    return (desk * (1 - where) + page * where).round().astype(np.uint8)


def dusty(scan: np.ndarray, r: np.random.Generator, specks: int = 1, margin: float = 1.0) -> np.ndarray:
    """The scan on a page ``1 + 2 * margin`` times its side, the page's paper around it, with ``specks`` dark
    specks of dust (1 to 3 px, as dark as the pen) in the margin: a digit written small on a dusty scan.

    Never trained on: preprocessing leaves specks far from the drawing out of the crop (``specks.without_specks``).
    """
    height, width = scan.shape
    pad_h, pad_w = round(height * margin), round(width * margin)
    page = np.full((height + 2 * pad_h, width + 2 * pad_w), _paper_level(scan.astype(np.float32)), np.float32)
    page[pad_h:pad_h + height, pad_w:pad_w + width] = scan
    ink = float(scan.min())
    for _ in range(specks):
        side = int(r.integers(1, 4))
        while True:  # anywhere outside the scan's own square
            row, col = int(r.integers(0, page.shape[0] - side)), int(r.integers(0, page.shape[1] - side))
            if not (pad_h - side < row < pad_h + height and pad_w - side < col < pad_w + width):
                break
        page[row:row + side, col:col + side] = ink
    return page.round().astype(np.uint8)


def _paper_level(gray: np.ndarray) -> float:
    """The paper's grey level in a scan: the median of its edge, which is paper."""
    return float(np.median(edge_pixels(gray)))


def _pressure_line(draw: ImageDraw.ImageDraw, pts: np.ndarray, width: float, pressure: float,
                   r: np.random.Generator) -> None:
    """A stroke whose width follows the pen's pressure: lighter at the ends, wavering in between."""
    n = len(pts)
    t = np.linspace(0, 1, n)
    profile = 1 - pressure * (np.exp(-t * 12) * 0.6 + np.exp(-(1 - t) * 8) * 0.8)
    profile *= 1 + pressure * 0.3 * np.sin(t * r.uniform(3, 9) + r.uniform(0, 6))
    for k in range(n - 1):
        w = max(1.0, width * float(profile[k]))
        (x0, y0), (x1, y1) = pts[k], pts[k + 1]
        draw.line([(x0, y0), (x1, y1)], fill=255, width=int(round(w)))
        draw.ellipse([x1 - w / 2, y1 - w / 2, x1 + w / 2, y1 + w / 2], fill=255)


# ---- data sets --------------------------------------------------------------
PAPER_KINDS = {"scan": scan_image, "photo": photo_image}  # renderings of pen on paper; any other kind is the canvas


def writer_digits(first_seed: int, writers: int, per_digit: int, kinds: tuple[str, ...] = ("canvas", "scan"),
                  canvas: int = TRAIN_CANVAS, styles: tuple[Style, ...] | None = None, fast: float = 0.0,
                  joined: float = 0.0, catalogue: dict[int, list[Variant]] | None = None, tablet: float = 0.0,
                  tablet_points: tuple[int, int] = TABLET_POINTS, digits: tuple[int, ...] = tuple(range(10))):
    """Yield (writer seed, kind, style name, digit, image, pen strokes) for `writers` writers from `first_seed`.

    Each writer writes each of `digits` (every digit by default) `per_digit`
    times per kind ("canvas", "scan", or "photo": a scan in uneven light, never
    trained on); the pen strokes are the writer's, before any canvas or tablet
    sampled them (what a benchmark measures a stroke on); canvas styles
    cycle through `styles` (default: the varied training style). A `fast`
    share of the canvas digits is sampled slowly, and a `joined` share of
    those joined as the Draw page's canvas joins points (:func:`sometimes_fast`);
    a `tablet` share of canvas digits is instead recorded as one trajectory of
    `tablet_points` points (:func:`tablet_trajectory`).
    `catalogue` writes its variants instead of the trained ones
    (:data:`UNSEEN_VARIANTS`: to measure, never to train).
    """
    styles = styles or (TRAIN_STYLE,)
    for seed in range(first_seed, first_seed + writers):
        writer = Writer.from_seed(seed)
        r = np.random.default_rng(seed + 7_919)
        for k in range(per_digit):
            for digit in digits:
                for kind in kinds:
                    pen = writer.strokes(digit, r, catalogue)
                    if kind in PAPER_KINDS:
                        yield seed, kind, kind, digit, PAPER_KINDS[kind](pen, writer, r), pen
                    else:
                        sampled = canvas_strokes(pen, r, fast, joined, tablet, tablet_points)
                        style = styles[(k * 10 + digit) % len(styles)]
                        yield seed, kind, style.name, digit, canvas_image(sampled, style, r, canvas), pen


def to_mnist_layout(images) -> tuple[np.ndarray, np.ndarray]:
    """Preprocess canvas or scan images the way the app does: uint8 (N, 28, 28) and an emptiness mask."""
    from .preprocessing import preprocess

    out, empty = [], []
    for image in images:
        steps = preprocess(image)
        out.append(np.round(steps.centred * 255).astype(np.uint8))
        empty.append(steps.is_empty)
    return np.asarray(out, np.uint8).reshape(-1, 28, 28), np.asarray(empty, bool)


def handwriting_mnist(count: int, first_seed: int = TRAIN_SEED, per_writer: int = 40,
                      fast: float = 0.0, joined: float = 0.0, kinds: tuple[str, ...] = ("canvas", "scan"),
                      tablet: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """`count` digits (by default about half canvas, half scan) from consecutive writers, in MNIST layout."""
    per_digit = max(1, per_writer // (10 * len(kinds)))
    writers = int(math.ceil(count / (per_digit * 10 * len(kinds))))
    items = [(item[3], item[4]) for item in islice(writer_digits(first_seed, writers, per_digit, kinds, fast=fast,
                                                                 joined=joined, tablet=tablet), count)]
    images, empty = to_mnist_layout(image for _, image in items)
    labels = np.array([digit for digit, _ in items], np.uint8)
    return images[~empty], labels[~empty]


def benchmark_styles() -> tuple[Style, ...]:
    """The six canvas styles of the drawn-digit benchmark."""
    return tuple(STYLES.values())
