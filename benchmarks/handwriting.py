"""Handwriting the model was not tuned on: per-digit accuracy, calibration and not-a-digit figures.

    python -m benchmarks.handwriting [--model NAME] [--writers 60] [--development]

Prints, for MNIST test, USPS test, 13 real writers' digits at 8x8
(`mnist_core.optdigits`) and held-out generated writers (canvas in
six styles, scanned, photographed in uneven light, and on the canvas with fast strokes; then the same
writers again in styles no training set draws, `handwriting.UNSEEN_VARIANTS`,
reported only), and for the scanned
sets again stretched to fill a 16x16 frame at one bit per pixel: accuracy,
per-digit accuracy, the worst confusions, expected calibration error before
and after the model's temperature, and how many real digits the not-a-digit
detector declines (false rejects); then the share of held-out letters, shapes
and scribbles it declines, per kind, drawn plainly and with fast strokes, and
of drawings of kinds no detector is trained on (`not_digits.UNSEEN`).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from mnist_core.data import load_mnist
from mnist_core.detector import load_detector
from mnist_core.errors import DatasetError, ModelError
from mnist_core.handwriting import CALIBRATION_SEED, HELD_OUT_SEED, handwriting_mnist
from mnist_core.handwriting_benchmark import (TABLET_BENCHMARK_POINTS, DigitSet, box_normalised_set, decline_rates,
                                              declined_negatives, held_out_negatives, held_out_pen, score_set)
from mnist_core.not_digits import UNSEEN
from mnist_core.optdigits import WRITERS, as_optdigits, load_optdigits
from mnist_core.preprocessing import scan_frames
from mnist_core.predictor import Predictor
from mnist_core.registry import (CARD_FILE, DEFAULT_MODEL, MODEL_FILE, ModelCard, Registry,
                                 load_model_file)
from mnist_core.usps import load_usps_part


def _pct(value: float | None) -> str:
    return "   -  " if value is None else f"{value:6.2%}"


def print_result(result) -> None:
    digits = " ".join(f"{d}:{a:.1%}" for d, a in enumerate(result.per_digit))
    print(f"\n{result.name} ({result.count} digits): accuracy {result.accuracy:.2%}, "
          f"worst digit {min(result.per_digit):.1%}")
    print(f"  per digit  {digits}")
    print("  confusions " + ", ".join(f"{t}->{p} x{n}" for t, p, n in result.confusions))
    print(f"  ECE {result.ece_raw:.4f} raw -> {result.ece_calibrated:.4f} with the temperature; "
          f"log-loss {result.log_loss:.4f} raw")
    if result.declined is not None:
        print(f"  declined as not a digit: {_pct(result.declined)} "
              f"(of which read correctly by the classifier: {_pct(result.declined_but_right)})")


def print_declines(detector, negatives: np.ndarray, names: list[str], heading: str, least: int) -> None:
    """The share of these non-digits the detector declines: all, letters against the rest, the least declined kinds."""
    declined = declined_negatives(detector, negatives)
    overall, per_kind = decline_rates(declined, names)
    letters = np.char.startswith(np.asarray(names, str), "letter ")
    print(f"\n{heading} ({len(names)}): {overall:.1%} declined")
    if letters.any():
        print(f"  letters {declined[letters].mean():.1%}, shapes and scribbles {declined[~letters].mean():.1%}")
    weakest = sorted(per_kind.items(), key=lambda kv: kv[1])[:least]
    print("  least declined: " + ", ".join(f"{k} {v:.0%}" for k, v in weakest))


def load_predictor(model: str, models_dir: str | None) -> Predictor:
    """A registry name, or a model folder (model.keras + card.json) such as an older shipped model.

    A name that is neither ends the benchmark with the registry's one sentence, not a traceback.
    """
    folder = Path(model)
    if (folder / MODEL_FILE).is_file():
        card = ModelCard.from_json((folder / CARD_FILE).read_text(encoding="utf-8"))
        return Predictor.for_card(load_model_file(folder / MODEL_FILE), card)
    registry = Registry(models_dir)
    try:
        return Predictor.for_card(registry.load(model), registry.card(model))
    except ModelError as error:
        raise SystemExit(str(error)) from None


def _usps(name: str, part: str, coarse: bool = False) -> list[DigitSet]:
    """One USPS part as a set (and `coarse`, made as coarse as optdigits too), or none when USPS is not here."""
    try:
        x, y = load_usps_part(part)
    except DatasetError as exc:
        print(f"(USPS skipped: {exc})")
        return []
    made_coarse = [DigitSet(f"{name}, made as coarse as optdigits, 8x8", scan_frames(as_optdigits(x)), y)]
    return [DigitSet(name, x, y), *(made_coarse if coarse else [])]


def reporting_sets(writers: int) -> list[DigitSet]:
    """What the README reports: never tuned on."""
    data = load_mnist()
    return [DigitSet("MNIST test", data.x_test, data.y_test), *_usps("USPS test", "test"),
            DigitSet(f"optdigits test ({WRITERS} real writers), 8x8", *load_optdigits()),
            DigitSet("MNIST test made as coarse as optdigits, 8x8", scan_frames(as_optdigits(data.x_test)), data.y_test),
            held_out_pen(writers, 6, "canvas"), held_out_pen(writers, 3, "scan"),
            held_out_pen(writers, 6, "canvas", fast=True), held_out_pen(writers, 6, "canvas", fast=True, joined=True),
            held_out_pen(writers, 6, "canvas", tablet=TABLET_BENCHMARK_POINTS),
            held_out_pen(writers, 3, "photo"),  # the scans again, photographed in uneven light
            # styles no training set draws: reported, never looked at while choosing
            held_out_pen(writers, 3, "canvas", unseen=True), held_out_pen(writers, 2, "scan", unseen=True),
            held_out_pen(writers, 3, "canvas", fast=True, joined=True, unseen=True)]


def development_sets() -> list[DigitSet]:
    """What choices are made on: MNIST training rows, USPS rows kept out of training, calibration writers."""
    data = load_mnist()
    held_x, held_y = data.x_train[-10_000:], data.y_train[-10_000:]
    return [DigitSet("MNIST train, last 10,000", held_x, held_y),
            DigitSet("MNIST train, last 10,000, made as coarse as optdigits, 8x8", scan_frames(as_optdigits(held_x)),
                     held_y),
            *_usps("USPS rows kept out of training", "calibration", coarse=True),
            DigitSet("calibration writers", *handwriting_mnist(3000, first_seed=CALIBRATION_SEED)),
            held_out_pen(50, 6, "canvas", fast=True, first_seed=CALIBRATION_SEED, who="calibration"),
            held_out_pen(50, 6, "canvas", fast=True, first_seed=CALIBRATION_SEED, who="calibration", joined=True),
            held_out_pen(50, 6, "canvas", first_seed=CALIBRATION_SEED, who="calibration",
                         tablet=TABLET_BENCHMARK_POINTS)]


def with_stretched(sets: list[DigitSet]) -> list[DigitSet]:
    """The sets, then each scanned one stretched to a 16x16 frame (8x8 ones are already coarser than that)."""
    return sets + [box_normalised_set(digits) for digits in sets
                   if not {"canvas", "photo", "8x8"} & set(digits.name.split(", "))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", nargs="+", default=[DEFAULT_MODEL],
                        help="model names or model folders (each is scored on the same sets)")
    parser.add_argument("--models-dir", default=None)
    parser.add_argument("--writers", type=int, default=60, help="held-out writers for the pen-digit sets")
    parser.add_argument("--negative-writers", type=int, default=100,
                        help="held-out writers drawing 20 non-digits each (10 canvas, 10 scans)")
    parser.add_argument("--detector", default=None, help="detector folder (default: the shipped one)")
    parser.add_argument("--development", action="store_true",
                        help="score the development sets instead (where choices are made), not the reported ones")
    parser.add_argument("--network-alone", action="store_true",
                        help="score one pass of the network, not the zooms a reading averages (zooms.py)")
    args = parser.parse_args()
    started = time.perf_counter()
    detector = load_detector(args.detector)
    print(f"detector {'none' if detector is None else f'threshold {detector.threshold:.4f}'}")
    predictors = [(model, load_predictor(model, args.models_dir)) for model in args.model]  # a wrong name fails first
    sets = with_stretched(development_sets() if args.development else reporting_sets(args.writers))
    for model, predictor in predictors:
        predictor.zooms = predictor.zooms and not args.network_alone
        print(f"\n==== model {model!r}, temperature {predictor.temperature:.3f}, "
              f"{'read with zooms' if predictor.zooms else 'one pass'}")
        for digits in sets:
            print_result(score_set(predictor, digits, detector))
    if detector is not None:
        first = CALIBRATION_SEED if args.development else HELD_OUT_SEED
        who = "calibration" if args.development else "held-out"
        print_declines(detector, *held_out_negatives(args.negative_writers, first_seed=first),
                       f"{who} writers' letters, shapes and scribbles", least=12)
        print_declines(detector, *held_out_negatives(args.negative_writers // 2, first_seed=first, fast=True),
                       "the same writers' non-digits drawn fast", least=6)
        print_declines(detector, *held_out_negatives(args.negative_writers // 2, first_seed=first, fast=True,
                                                     joined=True),
                       "the same, joined as the Draw page's canvas joins them", least=6)
        print_declines(detector, *held_out_negatives(args.negative_writers // 2, first_seed=first,
                                                     tablet=TABLET_BENCHMARK_POINTS),
                       f"the same writers' non-digits recorded as one trajectory of {TABLET_BENCHMARK_POINTS} points",
                       least=6)
        if not args.development:  # kinds no detector trains on: reported, never looked at while choosing
            print_declines(detector, *held_out_negatives(args.negative_writers // 2, first_seed=first,
                                                         catalogue=UNSEEN),
                           f"{who} writers' drawings of kinds it never trained on", least=len(UNSEEN))
    print(f"\n({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
