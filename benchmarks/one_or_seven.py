"""Where a model puts the line between a 1 with a flag and a 7, drawn as on the Draw page and as a tablet records it.

    python -m benchmarks.one_or_seven [--model NAME_OR_FOLDER] [--models-dir DIR]

The issue's largest confusion on real pen digits is a 1 read as 7 (121 times), and the generated
writers' 1s drawn fast are still read as 7 more than any other mistake. A 1 with a flag and a 7 are
the same two strokes, a short top stroke and a long one down; what tells them apart is how steeply
the top stroke falls from the top of the digit and which way the long stroke leans. This sweeps one
idealised drawing of each, with no writer's noise, over the top stroke's length (a share of the
digit's height) and its angle below the horizontal, and prints what the model answers:

- a 1: a flag from the lower left up to the top of an upright stem;
- a 7: a bar rising from the left to the top of a stem that leans back to the left.

Each is drawn whole on the Draw page's 280-pixel canvas (a 20-pixel brush, the page's default) and
recorded as one tablet trajectory of 8 points (:func:`handwriting.tablet_trajectory`, UCI's pen
digits keep 8). The last lines give, for each length, the angle at which the answer turns from 7 to
1. Then, to tie the line to real mistakes, the 1s of 300 calibration writers (a development set) drawn
fast and joined as the Draw page joins them, counted by the angle of their flag: how many the model
reads as 7. No reporting set is read, and every drawing comes from fixed seeds: it takes seconds, so
it can be run on every candidate to see whether a retrain moved the line, and which way.
"""

from __future__ import annotations

import argparse
import math
from typing import Callable, Sequence

import numpy as np

from benchmarks.handwriting import load_predictor
from mnist_core.handwriting import CALIBRATION_SEED, CANVAS, benchmark_styles, tablet_trajectory, writer_digits
from mnist_core.handwriting_benchmark import TABLET_BENCHMARK_POINTS as TABLET_POINTS
from mnist_core.predictor import Predictor
from mnist_core.preprocessing import preprocess
from mnist_core.registry import DEFAULT_MODEL
from mnist_core.synthetic import render

HEIGHT, BRUSH = 200, 20  # on the Draw page's 280-pixel canvas (handwriting.CANVAS): the digit's height, its default brush
LENGTHS = (0.15, 0.25, 0.35, 0.45, 0.55)  # the top stroke, as a share of the digit's height
ANGLES = tuple(np.arange(0, 70.1, 2.5))  # degrees below the horizontal, from the top of the stem
TABLE_ANGLES = (0, 10, 20, 25, 30, 35, 40, 50, 60)  # the columns printed (every one is in ANGLES)
STEM_LEAN = 0.15  # how far a 7's stem ends left of where it starts, as a share of the height
FLAG_BINS = (15, 20, 25, 30, 35, 45)  # edges of the flag-angle bins for the calibration writers' 1s

Shape = Callable[[float, float], list[np.ndarray]]  # (top-stroke length, angle) -> strokes


def one(length: float, angle: float) -> list[np.ndarray]:
    """A 1: a flag `length` long falling `angle` degrees to the left of the top of an upright stem."""
    a = math.radians(angle)
    flag = (-length * math.cos(a), length * math.sin(a))
    return [np.array([flag, (0.0, 0.0), (0.0, 1.0)])]


def seven(length: float, angle: float) -> list[np.ndarray]:
    """A 7: a bar `length` long rising `angle` degrees to the top of a stem that leans back left."""
    a = math.radians(angle)
    start = (-length * math.cos(a), length * math.sin(a))
    return [np.array([start, (0.0, 0.0), (-STEM_LEAN, 1.0)])]


SHAPES: dict[str, tuple[Shape, str]] = {"a 1": (one, "flag to an upright stem"),
                                        "a 7": (seven, "bar to a stem leaning left")}


def model_input(strokes: list[np.ndarray], tablet: bool) -> np.ndarray:
    """The drawing as the model gets it from the Draw page (or from a tablet's 8-point recording)."""
    if tablet:
        strokes = tablet_trajectory(strokes, TABLET_POINTS)
    image = render(strokes, CANVAS, HEIGHT, BRUSH, (CANVAS / 2, CANVAS / 2), "dark-on-light")
    return preprocess(image).model_input


def turning_angle(margins: Sequence[float], angles: Sequence[float]) -> float | None:
    """The angle at which the margin P(1) - P(7) first crosses zero going up, interpolated; None if it never does."""
    for (a0, d0), (a1, d1) in zip(zip(angles, margins), zip(angles[1:], margins[1:])):
        if d0 < 0 <= d1:
            return a0 + (a1 - a0) * (-d0) / (d1 - d0)
    return None


def describe_turn(angle: float | None, margins: Sequence[float]) -> str:
    """The turning angle, or which digit the drawing stays at every angle swept."""
    if angle is not None:
        return f"{angle:4.1f}°"
    if min(margins) >= 0:
        return "always 1"
    return "always 7" if max(margins) < 0 else "no single turn"


def sweep(predictor: Predictor, shape: Shape, tablet: bool) -> np.ndarray:
    """What the model reads (zooms and temperature, as the Draw page) for `shape`: (lengths, angles, 10)."""
    inputs = np.concatenate([model_input(shape(length, angle), tablet) for length in LENGTHS for angle in ANGLES])
    return predictor.predict_batch(inputs, reading=True).reshape(len(LENGTHS), len(ANGLES), 10)


def print_table(title: str, table: np.ndarray) -> None:
    columns = [ANGLES.index(angle) for angle in TABLE_ANGLES]
    print(f"\n{title}\n{'length':>8}" + "".join(f"{angle:>9}°" for angle in TABLE_ANGLES))
    for length, cells in zip(LENGTHS, table[:, columns]):
        row = "".join(f"{int(p.argmax()):>4} {p.max():4.0%}".rjust(10) for p in cells)
        print(f"{length:8.2f}{row}")


def flag_of(strokes: list[np.ndarray]) -> tuple[float, float] | None:
    """A drawn 1's flag: (angle below the horizontal, length as a share of the height), or None without one.

    The flag runs from the topmost point to whichever end of that stroke stays higher; shorter than a
    tenth of the height, it is a pen's hook, not a flag.
    """
    height = float(np.ptp(np.concatenate(strokes)[:, 1]))
    stroke = min((np.asarray(s) for s in strokes), key=lambda s: s[:, 1].min())
    top = int(np.argmin(stroke[:, 1]))
    if top in (0, len(stroke) - 1):
        return None
    end = min((stroke[0], stroke[-1]), key=lambda point: point[1])
    dx, dy = end - stroke[top]
    length = math.hypot(dx, dy) / max(height, 1e-6)
    return (math.degrees(math.atan2(dy, -dx)), length) if length >= 0.1 else None


def calibration_ones(predictor: Predictor, writers: int = 300,
                     per_writer: int = 4) -> list[tuple[tuple[float, float] | None, int]]:
    """(flag, answer) for 1s by the calibration writers (development, never reported), drawn fast and joined.

    Drawn as the held-out benchmark draws its digits (`writer_digits` on the Draw page's canvas in the six
    canvas styles, every stroke sampled slowly and joined as the Draw page's canvas joins points), each writer
    with their own habits; the flag is measured on the writer's own pen strokes.
    """
    flags, inputs = [], []
    for *_, image, pen in writer_digits(CALIBRATION_SEED, writers, per_writer, kinds=("canvas",), canvas=CANVAS,
                                        styles=benchmark_styles(), fast=1.0, joined=1.0, digits=(1,)):
        steps = preprocess(image)
        if not steps.is_empty:
            flags.append(flag_of(pen))
            inputs.append(steps.model_input)
    answers = predictor.predict_batch(np.concatenate(inputs), reading=True).argmax(axis=1)
    return list(zip(flags, answers.tolist()))


def print_writers_ones(predictor: Predictor) -> None:
    rows = calibration_ones(predictor)
    print(f"\nthe calibration writers' 1s drawn fast and joined ({len(rows)}): read as 7, by the flag's angle")
    edges = (-90, *FLAG_BINS, 90)
    for low, high in zip(edges, edges[1:]):
        answers = [answer for flag, answer in rows if flag is not None and low <= flag[0] < high]
        sevens = answers.count(7)
        print(f"  flag {low:>3}° to {high}°: {len(answers):4d} ones, {sevens:3d} read as 7 ({sevens / max(len(answers), 1):.0%})")
    plain = [answer for flag, answer in rows if flag is None]
    print(f"  no flag:            {len(plain):4d} ones, {plain.count(7):3d} read as 7")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL, help="a model name or a model folder")
    parser.add_argument("--models-dir", default=None)
    args = parser.parse_args()
    predictor = load_predictor(args.model, args.models_dir)
    print(f"model {args.model!r}: the answer and how sure, for each top-stroke length (share of the height) "
          "and angle below the horizontal")
    for tablet, how in ((False, "drawn whole"), (True, f"recorded as one tablet trajectory of {TABLET_POINTS} points")):
        tables = {name: sweep(predictor, shape, tablet) for name, (shape, _) in SHAPES.items()}
        for name, table in tables.items():
            print_table(f"{name} ({SHAPES[name][1]}), {how}", table)
        print(f"\nthe angle at which the answer turns from 7 to 1, {how}:")
        for name, table in tables.items():
            turns = []
            for length, cells in zip(LENGTHS, table):
                margins = list(cells[:, 1] - cells[:, 7])
                turns.append(f"{length:.2f}: " + describe_turn(turning_angle(margins, ANGLES), margins))
            print(f"  {name:5s}" + "   ".join(turns))
    print_writers_ones(predictor)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
