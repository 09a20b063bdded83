"""A drawn-digit test set: how people's canvas drawings look, not how MNIST looks.

Two sources, each rendered at canvas size in every style of
:data:`synthetic.STYLES` (large and centred, small in a corner, thin and
thick brushes, light ink on dark, transparent canvas):

* MNIST test digits, traced at canvas size as if drawn there with that brush;
* synthetic pen digits from templates in styles MNIST lacks, with seeds that
  training never uses (training uses seed+1 of its own seed, benchmark seeds
  start at 10**6).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from .synthetic import STYLES, Style, sample_canvas

BENCHMARK_SEED = 1_000_000
CANVAS = 280


def trace_mnist(image: np.ndarray, style: Style, rng: np.random.Generator, canvas: int = CANVAS) -> np.ndarray:
    """An MNIST digit redrawn at canvas size with the style's size, place, brush and colours."""
    height = int(rng.uniform(*style.height) * canvas)
    big = Image.fromarray(image).resize((height * 28 // 20,) * 2, Image.Resampling.BICUBIC)
    mask = np.asarray(big) > 110
    skeleton_width = max(1.0, 2.0 * height / 20)  # MNIST strokes are ~2 px in the 20 px box
    brush = max(rng.uniform(*style.brush), 0.6 * skeleton_width)  # a real thin brush still draws whole strokes
    size = int(round(abs(brush - skeleton_width)))
    if size >= 2:
        filt = ImageFilter.MaxFilter(size // 2 * 2 + 1) if brush > skeleton_width else ImageFilter.MinFilter(size // 2 * 2 + 1)
        thinned = np.asarray(Image.fromarray(mask.astype(np.uint8) * 255).filter(filt)) > 127
        if thinned.sum() > mask.sum() * 0.15:
            mask = thinned
    if mask.shape[0] > canvas:  # MNIST's 4 px margins are empty: trim them to fit
        cut = (mask.shape[0] - canvas + 1) // 2
        mask = mask[cut:cut + canvas, cut:cut + canvas]
    side = mask.shape[0]
    layer = np.zeros((canvas, canvas), bool)
    if style.corner:
        top = int(rng.choice([0, canvas - side]))
        left = int(rng.choice([0, canvas - side]))
    else:
        top = left = (canvas - side) // 2
        top += int(rng.uniform(-0.05, 0.05) * canvas)
        left += int(rng.uniform(-0.08, 0.08) * canvas)
    top, left = int(np.clip(top, 0, canvas - side)), int(np.clip(left, 0, canvas - side))
    layer[top:top + side, left:left + side] = mask
    return _paint(layer, style.mode)


def _paint(mask: np.ndarray, mode: str) -> np.ndarray:
    out = np.zeros(mask.shape + (4,), np.uint8)
    if mode == "dark-on-light":
        out[...] = 255
        out[mask, :3] = 0
    elif mode == "light-on-dark":
        out[..., 3] = 255
        out[mask, :3] = 255
    else:  # transparent: only alpha carries the ink
        out[mask] = (20, 20, 20, 255)
    return out


@dataclass(frozen=True)
class Sample:
    source: str  # "mnist" or "pen"
    style: str
    label: int
    image: np.ndarray  # canvas RGBA


def samples(mnist_images: np.ndarray | None, mnist_labels: np.ndarray | None, per_style: int,
            seed: int = BENCHMARK_SEED):
    """Yield `per_style` samples of each source for each style (deterministic)."""
    for index, (name, style) in enumerate(STYLES.items()):
        rng = np.random.default_rng(seed + index)
        if mnist_images is not None:
            picks = rng.choice(len(mnist_images), per_style, replace=False)
            for i in picks:
                yield Sample("mnist", name, int(mnist_labels[i]), trace_mnist(mnist_images[i], style, rng))
        for k in range(per_style):
            digit = k % 10
            yield Sample("pen", name, digit, sample_canvas(digit, style, rng))


def score(predict, items) -> dict[tuple[str, str], tuple[int, int]]:
    """(source, style) -> (correct, total); `predict` maps a canvas to a digit or None."""
    results: dict[tuple[str, str], list[int]] = {}
    for sample in items:
        key = (sample.source, sample.style)
        entry = results.setdefault(key, [0, 0])
        entry[0] += int(predict(sample.image) == sample.label)
        entry[1] += 1
    return {k: (v[0], v[1]) for k, v in results.items()}
