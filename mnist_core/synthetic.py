"""Synthetic pen-drawn digits in the styles MNIST has few of.

People write a 7 with a crossbar, a 1 with a flag and a base, open and closed
4s, 9s with straight or curled tails. MNIST (American census writers) holds few
of some of these, so a model trained on it alone misreads them. Here each digit
has a few stroke templates; every sample jitters the template (slant,
rotation, proportions, wobble, brush width, size, position) and renders it as
a canvas would. The same generator, with other seeds, feeds the drawn-digit
benchmark.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from PIL import Image, ImageDraw

Stroke = list[tuple[float, float]]
Template = Callable[[np.random.Generator], list[Stroke]]


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 24) -> Stroke:
    """Points on an ellipse, angles in degrees with y pointing down (90 = bottom)."""
    ts = np.radians(np.linspace(start, end, n))
    return [(cx + rx * math.cos(t), cy + ry * math.sin(t)) for t in ts]


def _zero(r: np.random.Generator) -> list[Stroke]:
    return [_arc(0.3, 0.5, 0.27, 0.49, -90 + r.uniform(-30, 30), 275 + r.uniform(-10, 30))]


def _one_plain(r: np.random.Generator) -> list[Stroke]:
    return [[(0.3, 0.0), (0.3, 1.0)]]


def _one_flag(r: np.random.Generator) -> list[Stroke]:
    return [[(0.3 - r.uniform(0.15, 0.3), r.uniform(0.15, 0.35)), (0.3, 0.0), (0.3, 1.0)]]


def _one_flag_base(r: np.random.Generator) -> list[Stroke]:
    half = r.uniform(0.15, 0.28)
    return _one_flag(r) + [[(0.3 - half, 1.0), (0.3 + half, 1.0)]]


def _two(r: np.random.Generator) -> list[Stroke]:
    top = _arc(0.3, 0.27, 0.27, 0.26, 190, 380 + r.uniform(-10, 15))
    return [top + [(0.02, 1.0), (0.62, 1.0 + r.uniform(-0.05, 0.03))]]


def _two_loop(r: np.random.Generator) -> list[Stroke]:
    top = _arc(0.3, 0.27, 0.27, 0.26, 190, 390)
    loop = _arc(0.14, 0.9, 0.1, 0.09, 300, 60 + 360, 12)
    return [top + [(0.12, 0.82)] + loop + [(0.62, 0.98)]]


def _three(r: np.random.Generator) -> list[Stroke]:
    upper = _arc(0.28, 0.25, 0.25, 0.24, 200, 450)
    lower = _arc(0.28, 0.74, 0.3, 0.26, 270, 525 + r.uniform(-15, 10))
    return [upper + lower]


def _three_flat(r: np.random.Generator) -> list[Stroke]:
    lower = _arc(0.28, 0.72, 0.3, 0.28, 250, 525)
    return [[(0.04, 0.0), (0.58, 0.0), (0.22, 0.42)] + lower]


def _four_closed(r: np.random.Generator) -> list[Stroke]:
    bar = r.uniform(0.55, 0.7)
    return [[(0.45, 0.0), (0.0, bar), (0.62, bar)], [(0.45, 0.0), (0.45, 1.0)]]


def _four_open(r: np.random.Generator) -> list[Stroke]:
    bar = r.uniform(0.5, 0.65)
    return [[(0.05, 0.0), (0.02 + r.uniform(0, 0.08), bar), (0.62, bar)], [(0.47, r.uniform(0.0, 0.2)), (0.47, 1.0)]]


def _five(r: np.random.Generator) -> list[Stroke]:
    belly = _arc(0.28, 0.69, 0.3, 0.3, 250, 520 + r.uniform(-15, 10))
    return [[(0.08, 0.02), (0.05, 0.42)] + belly, [(0.08, 0.02), (0.58, 0.0)]]


def _six(r: np.random.Generator) -> list[Stroke]:
    loop = _arc(0.3, 0.72, 0.26, 0.27, 180, 180 + 360 + r.uniform(-20, 20))
    return [[(0.52, 0.0), (0.22, 0.22), (0.06, 0.52)] + loop]


def _seven(r: np.random.Generator) -> list[Stroke]:
    return [[(0.0, 0.0), (0.6, 0.0), (0.22 + r.uniform(-0.1, 0.1), 1.0)]]


def _seven_crossbar(r: np.random.Generator) -> list[Stroke]:
    y = r.uniform(0.45, 0.55)
    x = 0.6 - 0.38 * y
    return _seven(r) + [[(x - r.uniform(0.18, 0.28), y), (x + r.uniform(0.12, 0.2), y)]]


def _seven_serif(r: np.random.Generator) -> list[Stroke]:
    return [[(0.0, r.uniform(0.12, 0.22)), (0.0, 0.0), (0.6, 0.0), (0.25, 1.0)]]


def _eight(r: np.random.Generator) -> list[Stroke]:
    return [_arc(0.3, 0.24, 0.22, 0.24, 0, 360), _arc(0.3, 0.73, 0.28, 0.27, 0, 360)]


def _nine_straight(r: np.random.Generator) -> list[Stroke]:
    return [_arc(0.3, 0.27, 0.27, 0.27, 0, 360), [(0.57, 0.27), (0.54 + r.uniform(-0.08, 0.03), 1.0)]]


def _nine_curled(r: np.random.Generator) -> list[Stroke]:
    tail = [(0.57, 0.27), (0.55, 0.78)] + _arc(0.38, 0.78, 0.17, 0.2, 0, 150, 10)
    return [_arc(0.3, 0.27, 0.27, 0.27, 0, 360), tail]


TEMPLATES: dict[int, list[Template]] = {
    0: [_zero], 1: [_one_plain, _one_flag, _one_flag_base], 2: [_two, _two_loop],
    3: [_three, _three_flat], 4: [_four_closed, _four_open], 5: [_five], 6: [_six],
    7: [_seven, _seven_crossbar, _seven_serif], 8: [_eight], 9: [_nine_straight, _nine_curled],
}


@dataclass(frozen=True)
class Style:
    """How a digit is put on the canvas: size, place, brush and colours."""

    name: str
    height: tuple[float, float]  # digit height as a share of the canvas side
    brush: tuple[float, float]  # brush width in canvas pixels
    corner: bool = False
    mode: str = "dark-on-light"  # or "light-on-dark", "transparent"


STYLES: dict[str, Style] = {
    s.name: s
    for s in [
        Style("large-centred", (0.6, 0.85), (14, 24)),
        Style("small-corner", (0.2, 0.32), (8, 14), corner=True),
        Style("thin-brush", (0.55, 0.85), (2, 5)),
        Style("thick-brush", (0.4, 0.7), (30, 45)),
        Style("light-on-dark", (0.5, 0.85), (12, 22), mode="light-on-dark"),
        Style("transparent", (0.5, 0.85), (12, 22), mode="transparent"),
    ]
}


def _jitter(strokes: list[Stroke], r: np.random.Generator) -> list[np.ndarray]:
    """Slant, rotate, stretch and wobble a template, like a different writer's hand."""
    slant = r.uniform(-0.1, 0.45)
    angle = math.radians(r.uniform(-10, 10))
    aspect = r.uniform(0.65, 1.35)
    cos, sin = math.cos(angle), math.sin(angle)
    out = []
    for stroke in strokes:
        pts = np.asarray(stroke, dtype=np.float64)
        pts = pts + r.normal(0, 0.008, pts.shape) + r.normal(0, 0.02, (1, 2))
        x = (pts[:, 0] - 0.3) * aspect + slant * (0.5 - pts[:, 1])
        y = pts[:, 1] - 0.5
        out.append(np.stack([cos * x - sin * y, sin * x + cos * y], axis=1))
    return out


def place(strokes: list[np.ndarray], height_px: float, centre: tuple[float, float]) -> list[np.ndarray]:
    """The strokes scaled to `height_px` tall, their bounding box centred on `centre` (pixel coordinates)."""
    all_pts = np.concatenate(strokes)
    scale = height_px / max(float(np.ptp(all_pts[:, 1])), 1e-3)
    mid = (all_pts.max(axis=0) + all_pts.min(axis=0)) / 2
    return [(np.asarray(stroke) - mid) * scale + np.asarray(centre) for stroke in strokes]


def render(strokes: list[np.ndarray], canvas: int, height_px: float, brush: float,
           centre: tuple[float, float], mode: str) -> np.ndarray:
    """Draw jittered strokes as the canvas would return them (RGBA uint8)."""
    ink, paper = {"dark-on-light": ((0, 0, 0, 255), (255, 255, 255, 255)),
                  "light-on-dark": ((255, 255, 255, 255), (0, 0, 0, 255)),
                  "transparent": ((20, 20, 20, 255), (0, 0, 0, 0))}[mode]
    image = Image.new("RGBA", (canvas, canvas), paper)
    draw = ImageDraw.Draw(image)
    width = max(1, int(round(brush)))
    for stroke in place(strokes, height_px, centre):
        pts = [(float(px), float(py)) for px, py in stroke]
        draw.line(pts, fill=ink, width=width, joint="curve")
        for px, py in (pts[0], pts[-1]):
            draw.ellipse([px - width / 2, py - width / 2, px + width / 2, py + width / 2], fill=ink)
    return np.asarray(image)


def position(style: Style, margin: float, r: np.random.Generator, canvas: int) -> tuple[float, float]:
    """Where the digit's centre goes: near the middle, or in a corner for the small-corner style."""
    if style.corner:
        cx = r.choice([margin, canvas - margin]) + r.uniform(-4, 4)
        cy = r.choice([margin, canvas - margin]) + r.uniform(-4, 4)
    else:
        cx = canvas / 2 + r.uniform(-0.1, 0.1) * canvas
        cy = canvas / 2 + r.uniform(-0.06, 0.06) * canvas
    return float(cx), float(cy)


def sample_canvas(digit: int, style: Style, r: np.random.Generator, canvas: int = 280) -> np.ndarray:
    """One synthetic drawing of `digit` in `style`, at canvas resolution."""
    templates = TEMPLATES[digit]
    strokes = _jitter(templates[r.integers(len(templates))](r), r)
    height = r.uniform(*style.height) * canvas
    centre = position(style, height / 2 + 6, r, canvas)
    return render(strokes, canvas, height, r.uniform(*style.brush), centre, style.mode)


def synthetic_mnist(count: int, seed: int, canvas: int = 140) -> tuple[np.ndarray, np.ndarray]:
    """`count` synthetic digits already preprocessed to MNIST layout: uint8 (N, 28, 28), labels."""
    from .preprocessing import preprocess

    r = np.random.default_rng(seed)
    styles = [Style("train", (0.35, 0.9), (0.02 * canvas, 0.18 * canvas))]
    images = np.zeros((count, 28, 28), np.uint8)
    labels = r.integers(0, 10, count).astype(np.uint8)
    for i, digit in enumerate(labels):
        result = preprocess(sample_canvas(int(digit), styles[0], r, canvas))
        images[i] = np.round(result.centred * 255).astype(np.uint8)
    return images, labels
