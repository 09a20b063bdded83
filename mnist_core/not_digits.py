"""Generated drawings that are not digits: letters, shapes, scribbles.

They teach and test the "that does not look like a digit" answer. Each is
drawn as pen strokes by the same simulated writers as the digits
(:class:`handwriting.Writer`: slant, proportions, tremor, distortion), and
rendered as a canvas drawing or a scan, so the detector cannot tell digits
from non-digits by rendering alone.

What is left out on purpose, because it is legitimately a digit or is
commonly written as one: O, o and a circle or ellipse (0); I, l, | and a
near-vertical line (1); Z, z (2); S, s (5); B (8); b (6); g, q (9); D (a
squarish 0). A partial digit is often a digit on its own (the first stroke of
a crossed 7 is a 7, an unfinished 0 is a 0), so no partial digit is a negative.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .handwriting import TRAIN_STYLE, Writer, canvas_image, scan_image
from .synthetic import Stroke, _arc

Shape = Callable[[np.random.Generator], list[Stroke]]


# ---- capital letters (coordinates as the digits: x about 0..0.6, y 0..1 downwards) ----
def _a(r): return [[(0.0, 1.0), (0.3, 0.0), (0.6, 1.0)], [(0.12, 0.6), (0.48, 0.6)]]
def _c(r): return [_arc(0.32, 0.5, 0.3, 0.5, -50, -310 + r.uniform(-10, 10))]
def _e(r): return [[(0.6, 0.0), (0.0, 0.0), (0.0, 1.0), (0.6, 1.0)], [(0.0, 0.5), (0.45, 0.5)]]
def _f(r): return [[(0.6, 0.0), (0.0, 0.0), (0.0, 1.0)], [(0.0, 0.48), (0.42, 0.48)]]
def _g(r): return [_arc(0.32, 0.5, 0.3, 0.5, -40, -360) + [(0.62, 0.55), (0.34, 0.55)]]
def _h(r): return [[(0.0, 0.0), (0.0, 1.0)], [(0.6, 0.0), (0.6, 1.0)], [(0.0, 0.5), (0.6, 0.5)]]
def _k(r): return [[(0.0, 0.0), (0.0, 1.0)], [(0.55, 0.0), (0.02, 0.55), (0.6, 1.0)]]
def _cap_l(r): return [[(0.0, 0.0), (0.0, 1.0), (0.55, 1.0)]]
def _m(r): return [[(0.0, 1.0), (0.02, 0.0), (0.3, 0.6), (0.58, 0.0), (0.6, 1.0)]]
def _n(r): return [[(0.0, 1.0), (0.0, 0.0), (0.6, 1.0), (0.6, 0.0)]]
def _p(r): return [[(0.0, 1.0), (0.0, 0.0)] + _arc(0.1, 0.27, 0.4, 0.27, -90, 90)[1:] + [(0.0, 0.54)]]
def _r(r): return _p(r) + [[(0.2, 0.54), (0.6, 1.0)]]
def _t(r): return [[(0.0, 0.0), (0.6, 0.0)], [(0.3, 0.0), (0.3 + r.uniform(-0.03, 0.03), 1.0)]]
def _u(r): return [[(0.0, 0.0)] + _arc(0.3, 0.7, 0.3, 0.3, 180, 0) + [(0.6, 0.0)]]
def _v(r): return [[(0.0, 0.0), (0.3, 1.0), (0.6, 0.0)]]
def _w(r): return [[(0.0, 0.0), (0.15, 1.0), (0.3, 0.35), (0.45, 1.0), (0.6, 0.0)]]
def _x(r): return [[(0.0, 0.0), (0.6, 1.0)], [(0.6, 0.0), (0.0, 1.0)]]
def _y(r): return [[(0.0, 0.0), (0.3, 0.5)], [(0.6, 0.0), (0.3, 0.5), (0.3, 1.0)]]
def _j(r): return [[(0.15, 0.0), (0.6, 0.0)], [(0.45, 0.0), (0.45, 0.75)] + _arc(0.25, 0.75, 0.2, 0.25, 0, 160, 10)]
def _q(r): return [_arc(0.3, 0.45, 0.3, 0.45, 0, 360), [(0.35, 0.7), (0.62, 1.0)]]


# ---- lowercase letters ---------------------------------------------------------------
def _la(r): return [_arc(0.3, 0.62, 0.28, 0.36, -30, -360) + [(0.58, 0.55), (0.6, 1.0)]]
def _lc(r): return [_arc(0.32, 0.65, 0.28, 0.35, -40, -320)]
def _ld(r): return [_arc(0.28, 0.68, 0.27, 0.32, -20, -360), [(0.56, 0.0), (0.56, 1.0)]]
def _le(r): return [[(0.05, 0.62), (0.58, 0.6)] + _arc(0.32, 0.62, 0.27, 0.35, 0, -300)]
def _lf(r): return [_arc(0.42, 0.15, 0.18, 0.15, -10, -180) + [(0.24, 1.0)], [(0.05, 0.4), (0.5, 0.4)]]
def _lh(r): return [[(0.0, 0.0), (0.0, 1.0)], [(0.0, 0.65)] + _arc(0.28, 0.62, 0.28, 0.22, 180, 360) + [(0.56, 1.0)]]
def _lk(r): return [[(0.0, 0.0), (0.0, 1.0)], [(0.5, 0.42), (0.02, 0.72), (0.55, 1.0)]]
def _lm(r):
    hump = lambda x0: _arc(x0 + 0.15, 0.62, 0.15, 0.22, 180, 360)
    return [[(0.0, 1.0), (0.0, 0.45)] + hump(0.0) + [(0.3, 1.0)], [(0.3, 0.65)] + hump(0.3) + [(0.6, 1.0)]]
def _ln(r): return [[(0.0, 1.0), (0.0, 0.4)] + _arc(0.3, 0.66, 0.3, 0.26, 180, 360) + [(0.6, 1.0)]]
def _lp(r): return [[(0.0, 1.0), (0.0, 0.0)], _arc(0.25, 0.22, 0.28, 0.22, -180, 180)]
def _lr(r): return [[(0.0, 1.0), (0.0, 0.3)], [(0.0, 0.55)] + _arc(0.3, 0.5, 0.3, 0.2, 180, 300)]
def _lt(r): return [[(0.2, 0.0), (0.2, 0.85)] + _arc(0.35, 0.85, 0.15, 0.15, 180, 60, 8), [(0.0, 0.3), (0.5, 0.3)]]
def _lu(r): return [[(0.0, 0.35)] + _arc(0.28, 0.72, 0.28, 0.28, 180, 0) + [(0.56, 0.35), (0.58, 1.0)]]
def _lw(r): return [[(0.0, 0.3), (0.15, 1.0), (0.3, 0.5), (0.45, 1.0), (0.6, 0.3)]]
def _ly(r): return [[(0.0, 0.0), (0.32, 0.55)], [(0.6, 0.0), (0.05, 1.0)]]


LETTERS: dict[str, Shape] = {
    "A": _a, "C": _c, "E": _e, "F": _f, "G": _g, "H": _h, "K": _k, "L": _cap_l, "M": _m, "N": _n, "P": _p,
    "R": _r, "T": _t, "U": _u, "V": _v, "W": _w, "X": _x, "Y": _y, "J": _j, "Q": _q,
    "a": _la, "c": _lc, "d": _ld, "e": _le, "f": _lf, "h": _lh, "k": _lk, "m": _lm, "n": _ln, "p": _lp,
    "r": _lr, "t": _lt, "u": _lu, "w": _lw, "y": _ly,
}


# ---- shapes ----------------------------------------------------------------------------
def _polygon(corners: int, start: float, radius: tuple[float, float] = (0.45, 0.5)) -> Stroke:
    pts = [(0.3 + radius[0] * math.cos(start + 2 * math.pi * k / corners),
            0.5 + radius[1] * math.sin(start + 2 * math.pi * k / corners)) for k in range(corners + 1)]
    return pts


def _triangle(r): return [_polygon(3, -math.pi / 2 + r.uniform(-0.3, 0.3))]
def _square(r): return [[(0.0, 0.0), (0.6, 0.0), (0.6, 0.6 * r.uniform(0.8, 1.6)), (0.0, 0.6 * r.uniform(0.8, 1.6)), (0.0, 0.0)]]
def _diamond(r): return [_polygon(4, -math.pi / 2)]
def _pentagon(r): return [_polygon(5, -math.pi / 2)]
def _star(r):
    pts = [(0.3 + 0.5 * math.cos(-math.pi / 2 + 4 * math.pi * k / 5), 0.5 + 0.5 * math.sin(-math.pi / 2 + 4 * math.pi * k / 5))
           for k in range(6)]
    return [pts]
def _heart(r):
    left = _arc(0.17, 0.25, 0.15, 0.17, 160, 360)
    right = _arc(0.43, 0.25, 0.15, 0.17, 180, 380)
    return [[(0.3, 1.0)] + left + right + [(0.3, 1.0)]]
def _plus(r): return [[(0.3, 0.05), (0.3, 0.95)], [(-0.15, 0.5), (0.75, 0.5)]]
def _hash(r): return [[(0.15, 0.0), (0.1, 1.0)], [(0.45, 0.0), (0.4, 1.0)], [(-0.1, 0.33), (0.7, 0.33)], [(-0.1, 0.66), (0.7, 0.66)]]
def _equals(r): return [[(-0.2, 0.35), (0.8, 0.35)], [(-0.2, 0.65), (0.8, 0.65)]]
def _check(r): return [[(0.0, 0.55), (0.2, 1.0), (0.7, 0.0)]]
def _arrow(r):
    angle = r.choice([0.0, math.pi / 2, math.pi, -math.pi / 2]) + r.uniform(-0.3, 0.3)
    tip = (math.cos(angle) * 0.5, math.sin(angle) * 0.5)
    head = [(tip[0] - 0.25 * math.cos(angle + s), tip[1] - 0.25 * math.sin(angle + s)) for s in (0.6, -0.6)]
    move = lambda p: (0.3 + p[0], 0.5 + p[1])
    return [[move((-tip[0], -tip[1])), move(tip)], [move(head[0]), move(tip), move(head[1])]]
def _spiral(r):
    ts = np.linspace(0, r.uniform(3, 5) * math.pi, 60)
    return [[(0.3 + 0.5 * t / ts[-1] * math.cos(t), 0.5 + 0.5 * t / ts[-1] * math.sin(t)) for t in ts]]
def _smiley(r):
    return [_arc(0.3, 0.5, 0.5, 0.5, 0, 360), [(0.12, 0.3), (0.14, 0.38)], [(0.46, 0.3), (0.48, 0.38)],
            _arc(0.3, 0.55, 0.25, 0.22, 20, 160, 12)]
def _infinity(r):
    ts = np.linspace(0, 2 * math.pi, 40)
    return [[(0.3 + 0.7 * math.cos(t), 0.5 + 0.35 * math.sin(2 * t)) for t in ts]]
def _wave(r):
    xs = np.linspace(-0.3, 0.9, 30)
    f, ph = r.uniform(6, 14), r.uniform(0, 6)
    return [[(float(x), 0.5 + 0.25 * math.sin(f * x + ph)) for x in xs]]
def _zigzag(r):
    n = int(r.integers(4, 9))
    return [[(-0.2 + 1.0 * k / n, 0.3 if k % 2 else 0.7) for k in range(n + 1)]]
def _horizontal_line(r): return [[(-0.3, 0.5), (0.9, 0.5 + r.uniform(-0.25, 0.25))]]
def _hatching(r):
    n, tilt = int(r.integers(3, 8)), r.uniform(-0.4, 0.4)
    return [[(-0.2 + k * 0.18, 0.0), (-0.2 + k * 0.18 + tilt, 1.0)] for k in range(n)]
def _blobs(r):
    out = []
    for _ in range(int(r.integers(2, 6))):
        cx, cy, rad = r.uniform(-0.3, 0.9), r.uniform(0.0, 1.0), r.uniform(0.04, 0.12)
        ts = np.linspace(0, 6 * math.pi, 30)
        out.append([(cx + rad * t / ts[-1] * math.cos(t), cy + rad * t / ts[-1] * math.sin(t)) for t in ts])
    return out
def _scribble(r):
    n = int(r.integers(8, 30))
    pts = np.cumsum(r.normal(0, 0.25, (n, 2)), axis=0)
    pts = (pts - pts.min(axis=0)) / np.maximum(np.ptp(pts, axis=0), 1e-3)
    return [[(float(x) * 0.9, float(y)) for x, y in pts]]
def _loops(r):
    ts = np.linspace(0, 2 * math.pi * r.integers(3, 7), 120)
    return [[(0.3 * t / ts[-1] * 3 - 0.2 + 0.15 * math.cos(t), 0.5 + 0.3 * math.sin(t)) for t in ts]]
def _lightning(r): return [[(0.5, 0.0), (0.1, 0.55), (0.45, 0.5), (0.05, 1.0)]]
def _cross_box(r): return _square(r) + [[(0.0, 0.0), (0.6, 0.75)], [(0.6, 0.0), (0.0, 0.75)]]


SHAPES: dict[str, Shape] = {
    "triangle": _triangle, "square": _square, "diamond": _diamond, "pentagon": _pentagon, "star": _star,
    "heart": _heart, "plus": _plus, "hash": _hash, "equals": _equals, "check": _check, "arrow": _arrow,
    "spiral": _spiral, "smiley": _smiley, "infinity": _infinity, "wave": _wave, "zigzag": _zigzag,
    "line": _horizontal_line, "hatching": _hatching, "blobs": _blobs, "scribble": _scribble, "loops": _loops,
    "lightning": _lightning, "crossed box": _cross_box,
}
KINDS: dict[str, Shape] = {**{f"letter {k}": v for k, v in LETTERS.items()}, **SHAPES}


def non_digits(first_seed: int, writers: int, per_writer: int, kinds: tuple[str, ...] = ("canvas", "scan"),
               canvas: int = 140, styles=None):
    """Yield (writer seed, what, rendering, image): each writer draws `per_writer` random non-digits per rendering."""
    names = list(KINDS)
    styles = styles or (TRAIN_STYLE,)
    for seed in range(first_seed, first_seed + writers):
        writer = Writer.from_seed(seed)
        r = np.random.default_rng(seed + 104_729)
        for k in range(per_writer):
            for kind in kinds:
                name = names[r.integers(len(names))]
                strokes = writer.shape(KINDS[name](r), r)
                if kind == "scan":
                    yield seed, name, "scan", scan_image(strokes, writer, r)
                else:
                    style = styles[k % len(styles)]
                    yield seed, name, style.name, canvas_image(strokes, style, r, canvas)

