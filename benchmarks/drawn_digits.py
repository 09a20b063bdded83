"""Accuracy of a model on drawn digits, per style and source.

    python -m benchmarks.drawn_digits [--model NAME] [--per-style 300] [--naive]

--naive also scores the common shortcut (resize the whole canvas to 28x28,
no cropping or centring), for comparison.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from PIL import Image

from mnist_core.data import load_mnist
from mnist_core.drawn_benchmark import samples, score
from mnist_core.predictor import Predictor
from mnist_core.preprocessing import to_ink
from mnist_core.registry import DEFAULT_MODEL, Registry


def naive_input(canvas: np.ndarray) -> np.ndarray:
    ink = to_ink(canvas)
    return np.asarray(Image.fromarray(ink, mode="F").resize((28, 28), Image.Resampling.BILINEAR))


def table(results: dict, title: str) -> float:
    print(f"\n{title}")
    print(f"{'style':<16} {'mnist traced':>13} {'pen synthetic':>14} {'both':>8}")
    styles = sorted({style for _, style in results}, key=list(dict.fromkeys(s for _, s in results)).index)
    total = [0, 0]
    for style in styles:
        cells = []
        both = [0, 0]
        for source in ("mnist", "pen"):
            correct, count = results.get((source, style), (0, 0))
            both[0] += correct
            both[1] += count
            cells.append(f"{correct / count:.1%}" if count else "-")
        total[0] += both[0]
        total[1] += both[1]
        print(f"{style:<16} {cells[0]:>13} {cells[1]:>14} {both[0] / both[1]:>8.1%}")
    overall = total[0] / total[1]
    print(f"{'overall':<16} {'':>13} {'':>14} {overall:>8.1%}   ({total[1]} drawings)")
    return overall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--per-style", type=int, default=300)
    parser.add_argument("--naive", action="store_true")
    args = parser.parse_args()
    data = load_mnist()
    registry = Registry()
    predictor = Predictor.for_card(registry.load(args.model), registry.card(args.model))  # read as the app reads
    items = list(samples(data.x_test, data.y_test, args.per_style))

    def predict(canvas):
        _, probs = predictor.classify(canvas)
        return None if probs is None else int(probs.argmax())

    table(score(predict, items), f"model {args.model!r} with Digit Lab preprocessing")
    if args.naive:
        naive = lambda canvas: int(predictor.probabilities(naive_input(canvas)[None])[0].argmax())
        table(score(naive, items), f"model {args.model!r} with a plain canvas resize (what many demos do)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
