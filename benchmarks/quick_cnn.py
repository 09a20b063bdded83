"""The quick CNN a class trains live: test accuracy and training time on full MNIST.

    python -m benchmarks.quick_cnn [--runs 1]

Goal: >= 98.8% MNIST test accuracy within 60 s of training on this machine.
"""

from __future__ import annotations

import argparse
import sys

from mnist_core.data import load_mnist, to_model_input
from mnist_core.evaluation import score
from mnist_core.predictor import Predictor
from mnist_core.presets import get_preset
from mnist_core.training import train


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    data = load_mnist()
    settings = get_preset("cnn-quick").defaults
    print(f"cnn-quick defaults: {settings.epochs} epochs, batch {settings.batch_size}, lr {settings.learning_rate}")
    for run in range(args.runs):
        result = train("cnn-quick", settings.with_changes(seed=settings.seed + run), data)
        probs = Predictor(result.model).predict_batch(to_model_input(data.x_test))
        accuracy, _ = score(probs, data.y_test.astype(int))
        print(f"run {run + 1}: trained in {result.seconds:5.1f} s, MNIST test accuracy {accuracy:.2%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
