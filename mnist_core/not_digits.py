"""Generated drawings that are not digits: letters, shapes, scribbles, little pictures and symbols.

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

Scribbles are dense (a wandering pen kept only once it has crossed itself at
least six times: a looser squiggle is often a 2, 3 or 8), arrows point in any
direction with a head of two barbs (open, closed or as two strokes; a single
barb on an upright line is a 1's flag), crossings are two diagonals (an
upright and a bar is a + or a 4). Curved arrows and Lissajous tangles were
tried and dropped: at 28 pixels they came out as 2s and 8s. A question mark
and an exclamation mark keep their dot: without it they are a 2, 7 or 1.

:data:`UNSEEN` holds kinds no detector is trained on (an umbrella, a key, a
boat, ...): a detector that only learned its own kinds by heart declines few
of them, so they say how it will do on what real people draw.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .handwriting import TABLET_POINTS, TRAIN_STYLE, Writer, canvas_image, canvas_strokes, scan_image
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
def _arrow_head(tip: tuple[float, float], angle: float, r: np.random.Generator) -> list[Stroke]:
    """A symmetric head at `tip` pointing along `angle`: open (one V stroke), closed or drawn as two barbs.

    Both barbs are always there and of similar length: a one-sided barb on an upright line is a 1's flag.
    """
    length, spread = r.uniform(0.26, 0.4), r.uniform(0.5, 0.9)
    barbs = [(tip[0] - length * r.uniform(0.85, 1.15) * math.cos(angle + s),
              tip[1] - length * r.uniform(0.85, 1.15) * math.sin(angle + s)) for s in (spread, -spread)]
    style = r.integers(3)
    if style == 0:
        return [[barbs[0], tip, barbs[1]]]
    if style == 1:
        return [[barbs[0], tip, barbs[1], barbs[0]]]
    return [[tip, barbs[0]], [tip, barbs[1]]]


def _arrow(r):
    """A straight arrow in any direction, sometimes with a head at both ends."""
    angle = r.uniform(-math.pi, math.pi)
    half = r.uniform(0.4, 0.6)
    tip = (0.3 + half * math.cos(angle), 0.5 + half * math.sin(angle))
    tail = (0.3 - half * math.cos(angle), 0.5 - half * math.sin(angle))
    strokes = [[tail, tip]] + _arrow_head(tip, angle, r)
    if r.random() < 0.25:
        strokes += _arrow_head(tail, angle + math.pi, r)
    return strokes
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
def _horizontal_line(r): return [[(-0.3, 0.5), (0.9, 0.5 + r.uniform(-0.55, 0.55))]]
def _crossing(r):
    """Two long diagonal strokes crossing off-centre (an X at any proportions; never an upright and a bar)."""
    degrees = r.uniform(25, 65)
    a = math.radians(degrees) * r.choice([-1, 1])
    b = -math.copysign(math.radians(min(70.0, max(20.0, degrees + r.uniform(-15, 15)))), a)
    strokes = []
    for angle, at in ((a, r.uniform(0.3, 0.7)), (b, r.uniform(0.3, 0.7))):
        length = r.uniform(0.8, 1.2)
        dx, dy = math.cos(angle) * length, math.sin(angle) * length
        strokes.append([(0.3 - dx * at, 0.5 - dy * at), (0.3 + dx * (1 - at), 0.5 + dy * (1 - at))])
    return strokes
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
def _fit_box(strokes: list, width: float, height: float = 1.0) -> list[Stroke]:
    """Strokes scaled together into the box x 0..width, y 0..height (a picture's strokes keep their places)."""
    arrays = [np.asarray(stroke, np.float64) for stroke in strokes]
    pts = np.concatenate(arrays)
    low, span = pts.min(axis=0), np.maximum(np.ptp(pts, axis=0), 1e-3)
    return [[(float(x) * width, float(y) * height) for x, y in (a - low) / span] for a in arrays]
def _crossings(pts: np.ndarray) -> int:
    """How many times a polyline crosses itself (segments that are not neighbours)."""
    p, q = pts[:-1, None], pts[1:, None]
    a, b = pts[None, :-1], pts[None, 1:]
    side = lambda o, u, v: np.sign((u[..., 0] - o[..., 0]) * (v[..., 1] - o[..., 1]) - (u[..., 1] - o[..., 1]) * (v[..., 0] - o[..., 0]))
    cross = (side(p, q, a) * side(p, q, b) < 0) & (side(a, b, p) * side(a, b, q) < 0)
    return int(np.triu(cross, 2).sum())
def _scribble(r):
    """A dense scribble: a pen wandering with a turning heading, kept only once it has crossed itself often."""
    for _ in range(20):
        n = int(r.integers(60, 160))
        turn = np.cumsum(r.normal(0, r.uniform(0.35, 0.9), n))
        steps = np.stack([np.cos(turn), np.sin(turn)], axis=1)
        pts, pull = np.zeros((n, 2)), r.uniform(0.03, 0.1)  # the pull keeps it in a small area, as a scribble does
        for k in range(1, n):
            pts[k] = pts[k - 1] + steps[k] - pull * pts[k - 1]
        if _crossings(pts[::2]) >= 6:  # fewer crossings can make an 8, a 2 or a 3
            break
    return _fit_box([pts], r.uniform(0.6, 1.2))
def _scratch(r):
    """Crossing out: quick back-and-forth strokes drifting across an area, at any angle."""
    n = int(r.integers(8, 18))  # fewer would be a Z (a 2) or an N
    along = np.where(np.arange(n) % 2 == 0, 0.0, 1.0) + r.normal(0, 0.06, n)
    across = np.linspace(0, r.uniform(0.5, 1.0), n) + r.normal(0, 0.03, n)
    angle = r.uniform(0, math.pi)
    pts = np.stack([along * math.cos(angle) - across * math.sin(angle), along * math.sin(angle) + across * math.cos(angle)], 1)
    return _fit_box([pts], r.uniform(0.6, 1.2))
def _loops(r):
    ts = np.linspace(0, 2 * math.pi * r.integers(3, 7), 120)
    return [[(0.3 * t / ts[-1] * 3 - 0.2 + 0.15 * math.cos(t), 0.5 + 0.3 * math.sin(t)) for t in ts]]
def _lightning(r): return [[(0.5, 0.0), (0.1, 0.55), (0.45, 0.5), (0.05, 1.0)]]
def _cross_box(r): return _square(r) + [[(0.0, 0.0), (0.6, 0.75)], [(0.6, 0.0), (0.0, 0.75)]]


SHAPES: dict[str, Shape] = {
    "triangle": _triangle, "square": _square, "diamond": _diamond, "pentagon": _pentagon, "star": _star,
    "heart": _heart, "plus": _plus, "hash": _hash, "equals": _equals, "check": _check, "arrow": _arrow,
    "crossing": _crossing, "scratch": _scratch,
    "spiral": _spiral, "smiley": _smiley, "infinity": _infinity, "wave": _wave, "zigzag": _zigzag,
    "line": _horizontal_line, "hatching": _hatching, "blobs": _blobs, "scribble": _scribble, "loops": _loops,
    "lightning": _lightning, "crossed box": _cross_box,
}


# ---- little pictures and symbols: what people draw when asked for "anything but a digit" ----
def _picture_box(r: np.random.Generator) -> tuple[float, float]:
    """A wide picture's box, about the digits': drawings are sized by height, so a wider one leaves the canvas."""
    return r.uniform(0.7, 0.95), r.uniform(0.75, 1.0)
def _house(r):
    roof = r.uniform(0.3, 0.5)
    body = [[(0.0, roof), (0.0, 1.0), (0.6, 1.0), (0.6, roof), (0.0, roof)],
            [(-0.08, roof + 0.02), (0.3, 0.0), (0.68, roof + 0.02)]]
    return body + ([[(0.22, 1.0), (0.22, 0.72), (0.38, 0.72), (0.38, 1.0)]] if r.random() < 0.5 else [])
def _sun(r):
    n, turn = int(r.integers(6, 11)), r.uniform(0, math.pi)
    rays = [[(0.3 + 0.3 * math.cos(a), 0.5 + 0.3 * math.sin(a)), (0.3 + 0.5 * math.cos(a), 0.5 + 0.5 * math.sin(a))]
            for a in turn + np.arange(n) * 2 * math.pi / n]
    return [_arc(0.3, 0.5, 0.22, 0.22, 0, 360)] + rays
def _cloud(r):
    """Bumps along the top of a flat-bottomed outline."""
    n = int(r.integers(3, 6))
    xs = np.linspace(-0.1, 0.7, n + 1)
    pts = [(-0.1, 0.75)]
    for a, b in zip(xs[:-1], xs[1:]):
        pts += _arc((a + b) / 2, 0.5 - r.uniform(0, 0.12), (b - a) / 2 * 1.1, r.uniform(0.12, 0.2), 180, 360, 10)
    return _fit_box([pts + [(0.7, 0.75), (-0.1, 0.75)]], *_picture_box(r))
def _flower(r):
    n = int(r.integers(5, 8))
    petals = [_arc(0.3 + 0.2 * math.cos(a), 0.35 + 0.2 * math.sin(a), 0.11, 0.11, 0, 360, 12)
              for a in r.uniform(0, 1) + np.arange(n) * 2 * math.pi / n]
    return petals + [[(0.3, 0.58), (0.3 + r.uniform(-0.05, 0.05), 1.0)]]
def _fish(r):
    body = _arc(0.25, 0.5, 0.3, 0.25, 30, 330)
    return _fit_box([body + [(0.78, 0.3), (0.78, 0.7)] + [body[0]], [(0.1, 0.45), (0.11, 0.47)]], *_picture_box(r))
def _envelope(r):
    return _fit_box([[(-0.1, 0.2), (0.7, 0.2), (0.7, 0.8), (-0.1, 0.8), (-0.1, 0.2)],
                     [(-0.1, 0.2), (0.3, 0.55), (0.7, 0.2)]], *_picture_box(r))
def _car(r):
    body = [(-0.2, 0.72), (-0.2, 0.48), (0.05, 0.48), (0.15, 0.28), (0.5, 0.28), (0.6, 0.48), (0.85, 0.48),
            (0.85, 0.72), (-0.2, 0.72)]
    wheels = [_arc(0.05, 0.76, 0.09, 0.09, 0, 360, 12), _arc(0.6, 0.76, 0.09, 0.09, 0, 360, 12)]
    return _fit_box([body, *wheels], *_picture_box(r))
_DOT: Stroke = [(0.3, 0.93), (0.31, 0.96)]  # under a question or exclamation mark
def _question(r):
    hook = _arc(0.3, 0.25, 0.25, 0.22, 200, 430) + [(0.3, 0.5), (0.3, 0.72)]
    return [hook, _DOT]  # without its dot, the hook is a 2 or a 7
def _exclamation(r):
    return [[(0.3, 0.0), (0.3 + r.uniform(-0.03, 0.03), 0.72)], _DOT]
def _ampersand(r):
    return [[(0.62, 1.0), (0.08, 0.35)] + _arc(0.22, 0.2, 0.15, 0.18, 180, 360) + [(0.05, 0.62)]
            + _arc(0.25, 0.8, 0.2, 0.2, 180, 60) + [(0.62, 0.55)]]
def _at(r):
    return [_arc(0.3, 0.5, 0.12, 0.15, 0, 360) + [(0.44, 0.66)] + _arc(0.3, 0.5, 0.32, 0.45, 30, 330)]
def _percent(r):
    return [[(0.6, 0.0), (0.0, 1.0)], _arc(0.08, 0.15, 0.09, 0.13, 0, 360, 12),
            _arc(0.52, 0.85, 0.09, 0.13, 0, 360, 12)]
def _dollar(r):
    s = _arc(0.3, 0.28, 0.25, 0.2, 330, 90) + _arc(0.3, 0.72, 0.25, 0.2, 270, -90)
    return [s, [(0.3, -0.1), (0.3, 1.1)]]


PICTURES: dict[str, Shape] = {
    "house": _house, "sun": _sun, "cloud": _cloud, "flower": _flower, "fish": _fish,
    "envelope": _envelope, "car": _car,
}
SYMBOLS: dict[str, Shape] = {
    "question mark": _question, "exclamation mark": _exclamation, "ampersand": _ampersand, "at sign": _at,
    "percent": _percent, "dollar": _dollar,
}
KINDS: dict[str, Shape] = {**{f"letter {k}": v for k, v in LETTERS.items()}, **SHAPES, **PICTURES, **SYMBOLS}


# ---- kinds nothing is trained on: how the detector does on drawings nobody generated for it ----
def _umbrella(r):
    canopy = _arc(0.3, 0.42, 0.42, 0.38, 180, 360)
    return [canopy + [canopy[0]], [(0.3, 0.04), (0.3, 0.85)] + _arc(0.2, 0.85, 0.1, 0.1, 0, 180, 8)]
def _key(r):
    return [_arc(0.3, 0.2, 0.2, 0.2, 0, 360), [(0.3, 0.4), (0.3, 1.0)], [(0.3, 0.8), (0.45, 0.8)],
            [(0.3, 0.92), (0.42, 0.92)]]
def _stick_figure(r):
    return [_arc(0.3, 0.13, 0.12, 0.13, 0, 360), [(0.3, 0.26), (0.3, 0.65)], [(0.02, 0.4), (0.58, 0.4)],
            [(0.05, 1.0), (0.3, 0.65), (0.55, 1.0)]]
def _boat(r):
    return [[(-0.1, 0.7), (0.7, 0.7), (0.55, 0.95), (0.05, 0.95), (-0.1, 0.7)],
            [(0.3, 0.7), (0.3, 0.0), (0.62, 0.55), (0.3, 0.55)]]
def _cup(r):
    return [[(0.0, 0.2), (0.05, 0.95), (0.5, 0.95), (0.55, 0.2), (0.0, 0.2)], _arc(0.58, 0.5, 0.14, 0.17, 270, 450, 10)]
def _apple(r):
    body = _arc(0.15, 0.62, 0.18, 0.36, 90, 270) + _arc(0.45, 0.62, 0.18, 0.36, 270, 450)
    outline = [(0.3, 0.98), body[-1]] + body + [(0.3, 0.98)]  # the two halves, closed along the bottom
    return [outline, [(0.3, 0.3), (0.34, 0.05)], _arc(0.45, 0.12, 0.1, 0.05, 0, 360, 10)]
def _euro(r):
    return [_arc(0.38, 0.5, 0.3, 0.45, -45, -315)[::-1], [(-0.05, 0.42), (0.42, 0.42)], [(-0.05, 0.58), (0.38, 0.58)]]
def _pi(r):
    return [[(-0.05, 0.15), (0.65, 0.1)], [(0.15, 0.12), (0.1, 0.9)], [(0.45, 0.11), (0.48, 0.85), (0.6, 0.9)]]
def _bowtie(r):
    return [[(0.0, 0.1), (0.6, 0.9), (0.6, 0.1), (0.0, 0.9), (0.0, 0.1)]]
def _ticked_box(r):
    return [[(0.0, 0.1), (0.6, 0.1), (0.6, 0.8), (0.0, 0.8), (0.0, 0.1)], [(0.1, 0.45), (0.25, 0.7), (0.75, 0.0)]]


UNSEEN: dict[str, Shape] = {
    "umbrella": _umbrella, "key": _key, "stick figure": _stick_figure, "boat": _boat, "cup": _cup, "apple": _apple,
    "euro": _euro, "pi": _pi, "bowtie": _bowtie, "ticked box": _ticked_box,
}


def non_digits(first_seed: int, writers: int, per_writer: int, kinds: tuple[str, ...] = ("canvas", "scan"),
               canvas: int = 140, styles=None, emphasis: dict[str, float] | None = None, fast: float = 0.0,
               catalogue: dict[str, Shape] | None = None, joined: float = 0.0, tablet: float = 0.0,
               tablet_points: tuple[int, int] = TABLET_POINTS):
    """Yield (writer seed, what, rendering, image): each writer draws `per_writer` random non-digits per rendering.

    `emphasis` draws some kinds more often (kind -> weight, 1 for the others); held-out sets leave it out.
    A `fast` share of the canvas ones is sampled slowly, and a `joined` share of those joined as the Draw
    page's canvas joins points, like the digits (`handwriting.writer_digits`); a `tablet` share is recorded
    as one trajectory of `tablet_points` points instead (a square kept by a tablet is still a square).
    `catalogue` draws from other kinds than :data:`KINDS` (:data:`UNSEEN`, to measure, never to train).
    """
    catalogue = catalogue or KINDS
    names = list(catalogue)
    weights = None
    if emphasis:
        weights = np.array([emphasis.get(name, 1.0) for name in names])
        weights = weights / weights.sum()
    styles = styles or (TRAIN_STYLE,)
    for seed in range(first_seed, first_seed + writers):
        writer = Writer.from_seed(seed)
        r = np.random.default_rng(seed + 104_729)
        for k in range(per_writer):
            for kind in kinds:
                name = names[r.integers(len(names)) if weights is None else r.choice(len(names), p=weights)]
                strokes = writer.shape(catalogue[name](r), r)
                if kind == "scan":
                    yield seed, name, "scan", scan_image(strokes, writer, r)
                else:
                    strokes = canvas_strokes(strokes, r, fast, joined, tablet, tablet_points)
                    style = styles[k % len(styles)]
                    yield seed, name, style.name, canvas_image(strokes, style, r, canvas)

