"""Generated writers with consistent personal styles, for the simulated-class benchmark.

Each writer picks, once, one stroke template per digit (a 7 with a crossbar, a
1 with a flag and a base, a looped 2...) and a personal hand: a strong slant,
a wide or narrow shape, a tilt, a pen width. Every drawing of that writer
then varies only a little around that hand, like a real person's. MNIST's
writers have few of these hands, so a model trained on MNIST misreads some of
them; the class's drawings are what teaches it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mnist_core.synthetic import TEMPLATES, render


@dataclass(frozen=True)
class Writer:
    seed: int
    templates: tuple[int, ...]  # per digit, the writer's way of drawing it
    slant: float
    aspect: float
    tilt: float  # degrees
    brush: float  # canvas pixels on a 280-pixel canvas
    height: float  # share of the canvas

    @classmethod
    def make(cls, seed: int) -> "Writer":
        r = np.random.default_rng(seed)
        templates = tuple(int(r.integers(len(TEMPLATES[d]))) for d in range(10))
        slant = float(r.choice([r.uniform(-0.45, -0.25), r.uniform(0.55, 0.8)]))
        aspect = float(r.choice([r.uniform(0.45, 0.6), r.uniform(1.5, 1.9)]))
        return cls(seed, templates, slant, aspect, float(r.uniform(-22, 22)), float(r.uniform(6, 30)),
                   float(r.uniform(0.45, 0.8)))

    def draw(self, digit: int, r: np.random.Generator, canvas: int = 280) -> np.ndarray:
        """One drawing of ``digit`` in this writer's hand, as the canvas returns it (RGBA)."""
        strokes = TEMPLATES[digit][self.templates[digit]](r)
        slant = self.slant + r.normal(0, 0.04)
        aspect = self.aspect * math.exp(r.normal(0, 0.05))
        angle = math.radians(self.tilt + r.normal(0, 3))
        cos, sin = math.cos(angle), math.sin(angle)
        out = []
        for stroke in strokes:
            pts = np.asarray(stroke, dtype=np.float64) + r.normal(0, 0.006, (len(stroke), 2))
            x = (pts[:, 0] - 0.3) * aspect + slant * (0.5 - pts[:, 1])
            y = pts[:, 1] - 0.5
            out.append(np.stack([cos * x - sin * y, sin * x + cos * y], axis=1))
        height = self.height * canvas * math.exp(r.normal(0, 0.06))
        centre = (canvas / 2 + r.normal(0, 8), canvas / 2 + r.normal(0, 8))
        return render(out, canvas, height, self.brush * math.exp(r.normal(0, 0.08)), centre, "dark-on-light")


def class_of(writers: int, seed: int = 2026) -> list[Writer]:
    return [Writer.make(seed + 97 * i) for i in range(writers)]
