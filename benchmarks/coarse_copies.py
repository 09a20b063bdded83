"""A probe, not a recipe: do coarse copies of MNIST digits teach the network real writers' 9s?

    python -m benchmarks.coarse_copies [--epochs 2]

The 13 optdigits writers' 9s are read at about 83%, mostly as 3, and they
come at 8x8. This continues the shipped network twice from the same start,
with the same seed, for a couple of epochs on MNIST train's first 50,000 and
USPS train shown three times: once as it is (the control), once with a
quarter of those MNIST digits added again made as coarse as optdigits
(``optdigits.as_optdigits``). It scores both on development data (MNIST
train's last 10,000, as they are and made coarse; the USPS rows kept out of
training) and then, once, on optdigits. If the coarse copies help the
optdigits 9s, their low resolution is what loses them; if not, it is how
those people write 9. About six minutes on two cores; nothing is saved.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np

from mnist_core.data import load_mnist
from mnist_core.handwriting_benchmark import DigitSet, score_set
from mnist_core.optdigits import as_optdigits, load_optdigits
from mnist_core.predictor import Predictor
from mnist_core.preprocessing import scan_frames
from mnist_core.registry import DEFAULT_MODEL, SHIPPED_DIR, load_model_from
from mnist_core.usps import load_usps_part

TRAIN_ROWS = 50_000  # MNIST train's last 10,000 stay out, to score on
COARSE_SHARE = 0.25
USPS_COPIES = 3
SEED = 7


def continued(x: np.ndarray, y: np.ndarray, epochs: int) -> keras.Model:
    """The shipped network trained on (x, y) for `epochs` more at a small rate, from the same seed each time."""
    keras.utils.set_random_seed(SEED)
    model = load_model_from(str(SHIPPED_DIR / DEFAULT_MODEL))
    model.compile(optimizer=keras.optimizers.Adam(2e-4), loss="sparse_categorical_crossentropy")
    model.fit(x.astype(np.float32)[..., None] / 255.0, y, epochs=epochs, batch_size=128, shuffle=True, verbose=0)
    return model


def report(model: keras.Model, name: str, x: np.ndarray, y: np.ndarray) -> str:
    """Accuracy, raw log-loss (still tells models apart when accuracy does not) and the 9s."""
    result = score_set(Predictor(model), DigitSet(name, x, y))
    return (f"  {name}: {result.accuracy:.2%}, log-loss {result.log_loss:.4f}, "
            f"9s {result.per_digit[9]:.1%}, worst digit {min(result.per_digit):.1%}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    data = load_mnist()
    x, y = data.x_train[:TRAIN_ROWS], data.y_train[:TRAIN_ROWS]
    usps_x, usps_y = load_usps_part("train")
    pick = np.random.default_rng(SEED).choice(len(x), int(len(x) * COARSE_SHARE), replace=False)
    coarse = scan_frames(as_optdigits(x[pick]))
    held_x, held_y = data.x_train[-10_000:], data.y_train[-10_000:]
    development = [("MNIST train, last 10,000", held_x, held_y),
                   ("the same made as coarse as optdigits", scan_frames(as_optdigits(held_x)), held_y),
                   ("USPS rows kept out of training", *load_usps_part("calibration"))]
    for name, extra_x, extra_y in (("control", [], []), ("with coarse copies", [coarse], [y[pick]])):
        model = continued(np.concatenate([x, *[usps_x] * USPS_COPIES, *extra_x]),
                          np.concatenate([y, *[usps_y] * USPS_COPIES, *extra_y]), args.epochs)
        print(f"\n{name} ({args.epochs} epochs)")
        for set_name, set_x, set_y in development:
            print(report(model, set_name, set_x, set_y))
        print(report(model, "optdigits test (reported once, never chosen on)", *load_optdigits()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
