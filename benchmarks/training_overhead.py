"""Cost of Digit Lab's training loop (progress reporting, stop checks) vs a plain model.fit.

    python -m benchmarks.training_overhead [--train-limit 20000] [--repeats 3]

For the quick CNN and the seed MLP (the notebook's 128-128-dropout network),
trains the same model the same way twice in this run: once through
mnist_core.training.train with a listener that receives every report (and its
TensorBoard logs), once with a plain Keras model.fit holding out the same
validation share. Repeats alternate the order; the best time of
each is compared. Goal: throughput ratio >= 0.95 (overhead <= 5%).
"""

from __future__ import annotations

import argparse
import sys
import time

import keras
import numpy as np

from mnist_core.data import load_mnist
from mnist_core.presets import get_preset
from mnist_core.training import TrainingListener, compile_for, prepare_arrays, train


class CountingListener(TrainingListener):
    def __init__(self) -> None:
        self.batches = 0

    def on_batch(self, epoch, step, steps, logs) -> None:
        self.batches += 1


def plain_fit(name: str, settings, data) -> float:
    preset = get_preset(name)
    keras.utils.set_random_seed(settings.seed)
    x, y = prepare_arrays(preset, settings, data)
    model = preset.build(settings)
    steps = int(np.ceil(len(x) / settings.batch_size))
    compile_for(model, preset, settings, steps * settings.epochs)
    start = time.perf_counter()
    model.fit(x, y, batch_size=settings.batch_size, epochs=settings.epochs, shuffle=True, verbose=0,
              validation_split=settings.validation_split)  # the same held-out share (the last images) as ours
    return time.perf_counter() - start


def ours(name: str, settings, data) -> float:
    return train(name, settings, data, listener=CountingListener()).seconds


PRESETS = ("cnn-quick", "mlp-128-128-dropout")


def options(doc: str | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train-limit", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2)
    return parser.parse_args()


def best_times(name: str, settings, data, ours, repeats: int) -> tuple[float, float]:
    """(best plain fit, best of ``ours``) in seconds; repeats alternate which goes first."""
    times = {"ours": [], "plain fit": []}
    for repeat in range(repeats):
        order = [("ours", ours), ("plain fit", plain_fit)]
        for label, fn in (order if repeat % 2 == 0 else order[::-1]):
            times[label].append(fn(name, settings, data))
    return min(times["plain fit"]), min(times["ours"])


def ratio_line(name: str, plain: float, ours: float, label: str) -> str:
    ratio = plain / ours
    return (f"{name:<22} plain fit {plain:6.2f}s   {label} {ours:6.2f}s   "
            f"throughput ratio {ratio:.3f}  (overhead {100 * (1 / ratio - 1):+.1f}%)")


def main() -> int:
    args = options(__doc__)
    data = load_mnist()
    for name in PRESETS:
        settings = get_preset(name).defaults.with_changes(epochs=args.epochs, train_limit=args.train_limit)
        plain, mine = best_times(name, settings, data, ours, args.repeats)
        print(ratio_line(name, plain, mine, "digit lab"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
