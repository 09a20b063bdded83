"""Measuring a model on handwriting it was not tuned on.

The sets: MNIST test, USPS test, digits by generated writers whose seeds
start at :data:`handwriting.HELD_OUT_SEED` (training, calibration and the
detector's threshold never use them) drawn on the canvas in the six drawn-
benchmark styles and as scans, and non-digits drawn by those same held-out
writers. ``benchmarks/handwriting.py`` prints these figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .calibration import apply_temperature, expected_calibration_error, negative_log_likelihood
from .handwriting import (CANVAS, HELD_OUT_SEED, UNSEEN_VARIANTS, benchmark_styles, to_mnist_layout,
                          writer_digits)
from .not_digits import non_digits

TABLET_BENCHMARK_POINTS = 8  # a digit recorded as one trajectory keeps this many points (UCI's pen digits: 8)


@dataclass
class DigitSet:
    """A labelled set in MNIST layout: what is reported on."""

    name: str
    x: np.ndarray  # uint8 (N, 28, 28)
    y: np.ndarray

    @property
    def inputs(self) -> np.ndarray:
        return (self.x.astype(np.float32) / 255.0)[..., None]


@dataclass
class SetResult:
    name: str
    accuracy: float
    per_digit: list[float]
    count: int
    declined: float | None = None  # share of these digits the detector declined
    declined_but_right: float | None = None  # declined although the classifier read them correctly
    ece_raw: float | None = None
    ece_calibrated: float | None = None
    log_loss: float | None = None  # mean -log p(true digit), raw: still tells models apart once accuracy saturates
    confusions: list[tuple[int, int, int]] = field(default_factory=list)  # (true, predicted, count), worst first


def held_out_pen(writers: int = 60, per_digit: int = 6, kind: str = "canvas", fast: bool = False,
                 first_seed: int = HELD_OUT_SEED, who: str = "held-out", joined: bool = False,
                 unseen: bool = False, tablet: int = 0) -> DigitSet:
    """Held-out writers' digits: on the canvas (cycling through the six styles), scanned, photographed, or `fast`.

    `fast` samples every canvas stroke slowly (`handwriting.fast_strokes`);
    `joined` then joins those points as the Draw page's canvas does
    (`handwriting.canvas_joined`): the same digits, as the page would see them.
    `first_seed` and `who` make the same set from other writers (calibration
    writers for development). `unseen` writes styles no training set draws
    (`handwriting.UNSEEN_VARIANTS`) instead of the trained ones. `tablet` N
    records every canvas digit as one trajectory of N points instead
    (`handwriting.tablet_trajectory`), as some tablets store a digit.
    """
    items = list(writer_digits(first_seed, writers, per_digit, kinds=(kind,), canvas=CANVAS,
                               styles=benchmark_styles(), fast=1.0 if fast else 0.0, joined=1.0 if joined else 0.0,
                               catalogue=UNSEEN_VARIANTS if unseen else None, tablet=1.0 if tablet else 0.0,
                               tablet_points=(tablet, tablet)))
    x, empty = to_mnist_layout(item[4] for item in items)
    y = np.array([item[3] for item in items], np.uint8)
    how = ", fast strokes" + (" joined as the canvas joins them" if joined else "") if fast else ""
    how += f", one trajectory of {tablet} points" if tablet else ""
    styles = ", styles no training set draws" if unseen else ""
    return DigitSet(f"{who} writers{styles}, {kind}{how}", x[~empty], y[~empty])


def box_normalised_set(digits: DigitSet) -> DigitSet:
    """The same digits stretched to fill a 16x16 frame at one bit per pixel (box_scans), as a scan file would be."""
    from .box_scans import box_normalised

    return DigitSet(f"{digits.name}, stretched to a 16x16 frame", box_normalised(digits.x), digits.y)


def held_out_negatives(writers: int = 100, per_writer: int = 10, first_seed: int = HELD_OUT_SEED,
                       fast: bool = False, catalogue: dict | None = None,
                       joined: bool = False, tablet: int = 0) -> tuple[np.ndarray, list[str]]:
    """Non-digits by the held-out writers (canvas styles and scans, or canvas drawn `fast`), and what each is.

    `joined` joins the fast ones' points as the Draw page's canvas does (the same drawings);
    `tablet` N records the canvas ones as one trajectory of N points instead;
    `catalogue` draws other kinds than the trained ones (`not_digits.UNSEEN`)."""
    kinds = ("canvas",) if fast or tablet else ("canvas", "scan")
    items = list(non_digits(first_seed, writers, per_writer, kinds=kinds, canvas=CANVAS, styles=benchmark_styles(),
                            fast=1.0 if fast else 0.0, catalogue=catalogue, joined=1.0 if joined else 0.0,
                            tablet=1.0 if tablet else 0.0, tablet_points=(tablet, tablet)))
    x, empty = to_mnist_layout(item[3] for item in items)
    names = [item[1] for item, e in zip(items, empty) if not e]
    return x[~empty], names


def score_set(predictor, digits: DigitSet, detector=None) -> SetResult:
    raw = predictor.predict_batch(digits.inputs, calibrated=False, reading=True)
    if predictor.zooms:  # as a reading answers: each view calibrated, then the three averaged
        probs = predictor.predict_batch(digits.inputs, reading=True)
    else:
        probs = apply_temperature(raw, predictor.temperature)
    predicted = probs.argmax(axis=1)
    labels = digits.y.astype(np.int64)
    right = predicted == labels
    per_digit = [float(right[labels == d].mean()) if (labels == d).any() else float("nan") for d in range(10)]
    pairs: dict[tuple[int, int], int] = {}
    for t, p in zip(labels[~right], predicted[~right]):
        pairs[(int(t), int(p))] = pairs.get((int(t), int(p)), 0) + 1
    confusions = sorted(((t, p, n) for (t, p), n in pairs.items()), key=lambda c: -c[2])[:5]
    result = SetResult(digits.name, float(right.mean()), per_digit, len(labels), confusions=confusions,
                       ece_raw=expected_calibration_error(raw, labels),
                       ece_calibrated=expected_calibration_error(probs, labels),
                       log_loss=negative_log_likelihood(raw, labels))
    if detector is not None:
        declined = detector.declines(detector.scores(digits.inputs))
        result.declined = float(declined.mean())
        result.declined_but_right = float((declined & right).mean())
    return result


def negative_scores(detector, negatives: np.ndarray) -> np.ndarray:
    """The detector's digit score for each of these non-digits (uint8, N x 28 x 28)."""
    return detector.scores((negatives.astype(np.float32) / 255.0)[..., None])


def declined_negatives(detector, negatives: np.ndarray) -> np.ndarray:
    """Which of these non-digits (uint8, N x 28 x 28) the detector declines."""
    return detector.declines(negative_scores(detector, negatives))


def decline_rates(declined: np.ndarray, names: list[str]) -> tuple[float, dict[str, float]]:
    """Overall share of non-digits declined, and per kind (letter X, triangle, ...)."""
    per_kind: dict[str, list[int]] = {}
    for name, d in zip(names, declined):
        per_kind.setdefault(name, []).append(int(d))
    return float(declined.mean()), {k: float(np.mean(v)) for k, v in sorted(per_kind.items())}
