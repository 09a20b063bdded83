"""What the not-a-digit detector would decline at other thresholds, on the development sets only.

    python -m benchmarks.detector_thresholds [--detector FOLDER] [--thresholds 0.0034 0.005 0.0075 0.01]

For each development set of real digits (the same as ``benchmarks.handwriting --development``: MNIST
training rows, the USPS rows kept out of training, calibration writers plain, fast, joined and recorded as
one tablet trajectory, and the scans stretched to a 16x16 frame) and for the calibration writers'
non-digits drawn each of those ways, the share declined at each threshold. It shows what moving the
threshold trades (non-digits declined against real digits declined) without looking at a reporting set.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks.handwriting import development_sets, with_stretched
from mnist_core.detector import load_detector
from mnist_core.handwriting import CALIBRATION_SEED
from mnist_core.handwriting_benchmark import TABLET_BENCHMARK_POINTS, held_out_negatives, negative_scores

DEFAULT_THRESHOLDS = (0.0034, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03)
NEGATIVE_WAYS = {  # how the calibration writers' non-digits are drawn: held_out_negatives' options
    "plain": {},
    "fast": {"fast": True},
    "fast, joined as the canvas joins them": {"fast": True, "joined": True},
    f"one tablet trajectory of {TABLET_BENCHMARK_POINTS} points": {"tablet": TABLET_BENCHMARK_POINTS},
}


def declined_at(scores: np.ndarray, thresholds: list[float]) -> list[float]:
    """The share of these scores under each threshold: what the detector would decline there."""
    return [float((scores < t).mean()) for t in thresholds]


def row(name: str, shares: list[float]) -> str:
    return f"{name[:72]:72s}" + "".join(f"{share:8.2%}" for share in shares)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detector", default=None, help="detector folder (default: the shipped one)")
    parser.add_argument("--thresholds", type=float, nargs="+", default=list(DEFAULT_THRESHOLDS))
    parser.add_argument("--negative-writers", type=int, default=200,
                        help="calibration writers drawing 10 non-digits each (half as many for each other way)")
    args = parser.parse_args()
    started = time.perf_counter()
    detector = load_detector(args.detector)
    if detector is None:
        raise SystemExit("No detector found: train one with `python -m mnist_core train-detector`.")
    print(f"detector threshold now {detector.threshold:.4f}; declined at each threshold:")
    print(f"{'development set':72s}" + "".join(f"{t:8.4f}" for t in args.thresholds))
    print("real digits (the goal: at most 1% declined)")
    for digits in with_stretched(development_sets()):
        print(row(f"  {digits.name}", declined_at(detector.scores(digits.inputs), args.thresholds)), flush=True)
    print("calibration writers' non-digits (the goal: at least 80% declined)")
    for way, options in NEGATIVE_WAYS.items():
        writers = args.negative_writers if not options else args.negative_writers // 2
        x, _ = held_out_negatives(writers, first_seed=CALIBRATION_SEED, **options)
        print(row(f"  {way} ({len(x)})", declined_at(negative_scores(detector, x), args.thresholds)), flush=True)
    print(f"\n({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
