"""Server work per drawing: canvas RGBA -> probabilities and the not-a-digit check, warm.

    python -m benchmarks.predict_latency [--model NAME] [--runs 300]

Prints the median and 95th percentile of the full path (preprocessing plus
network) and, for comparison in the same run, of Keras's `model.predict`
on the already-preprocessed input. Goal: median <= 10 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

from mnist_core.detector import load_detector
from mnist_core.predictor import Predictor
from mnist_core.preprocessing import preprocess
from mnist_core.registry import DEFAULT_MODEL, Registry
from mnist_core.synthetic import STYLES, sample_canvas


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def summary(label: str, ms: list[float]) -> None:
    p95 = float(np.percentile(ms, 95))
    print(f"{label:<44} median {statistics.median(ms):7.2f} ms   p95 {p95:7.2f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    registry = Registry()
    model = registry.load(args.model)
    predictor = Predictor.for_card(model, registry.card(args.model), load_detector())
    rng = np.random.default_rng(0)
    canvases = [sample_canvas(d % 10, STYLES["large-centred"], rng) for d in range(20)]
    for canvas in canvases[:5]:
        predictor.classify(canvas)  # warm up: trace the function, fill caches
    it = iter(range(10**9))
    full = timed(lambda: predictor.read(canvases[next(it) % 20]), args.runs)
    prep = timed(lambda: preprocess(canvases[next(it) % 20]), args.runs)
    x = preprocess(canvases[0]).model_input
    net = timed(lambda: predictor.probabilities(x), args.runs)
    reading = timed(lambda: predictor.reading(x), args.runs)
    model.predict(x, verbose=0)
    keras_predict = timed(lambda: model.predict(x, verbose=0), max(20, args.runs // 10))
    print(f"model {args.model!r}, {args.runs} warm runs")
    gate = "with" if predictor.detector is not None else "without"
    summary(f"canvas -> answer (Digit Lab path, {gate} the not-a-digit check)", full)
    summary("  of which preprocessing", prep)
    summary("  of which network, input + 2 zooms" if predictor.zooms else "  of which network", reading)
    summary("    the network once (traced tf.function)", net)
    if predictor.detector is not None:
        summary("  of which not-a-digit detector", timed(lambda: predictor.detector.scores(x), args.runs))
    summary("network via model.predict (for comparison)", keras_predict)
    return 0


if __name__ == "__main__":
    sys.exit(main())
