"""Cheap ways to read more handwriting, measured on development data only (never MNIST test or USPS test).

    python -m benchmarks.handwriting_options [--second-model FOLDER]

Scores the shipped model alone, averaged with a second network (a model
folder, such as the model before, taken out of git as README's "The shipped
model" shows), and with test-time augmentation (one-pixel shifts, +-8 degree
rotations, 10% zoom), on every development set of `benchmarks.handwriting
--development` (MNIST train's last 10,000, the USPS rows kept out of training,
calibration writers plain, fast and joined, and the coarse and stretched
copies). Prints accuracy and errors: what is worth shipping is then checked
once on the reporting sets.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from scipy import ndimage

from benchmarks.handwriting import development_sets, with_stretched
from mnist_core.predictor import Predictor
from mnist_core.registry import DEFAULT_MODEL, MODEL_FILE, SHIPPED_DIR, load_model_file
from mnist_core.zooms import ZOOMS, zoom


def variants(x: np.ndarray) -> dict[str, np.ndarray]:
    """The input and its test-time augmentations, floats in [0, 1]."""
    x = x.astype(np.float32) / 255.0
    out = {"as is": x}
    for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        out[f"shift {dx},{dy}"] = np.roll(np.roll(x, dx, 2), dy, 1)
    for angle in (-8, 8):
        out[f"rotate {angle}"] = np.stack([ndimage.rotate(i, angle, reshape=False, order=1) for i in x])
    for factor in ZOOMS:  # the zooms a reading averages over (mnist_core/zooms.py)
        out[f"zoom {factor}"] = zoom(x, factor)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--second-model", default="/tmp/digitlab-base/shipped_models/digitlab-default",
                        help="a model folder (model.keras) to average with the shipped network")
    args = parser.parse_args()
    first = Predictor(load_model_file(SHIPPED_DIR / DEFAULT_MODEL / MODEL_FILE))
    second = Predictor(load_model_file(Path(args.second_model) / MODEL_FILE))
    for digits in with_stretched(development_sets()):
        inputs = variants(digits.x)
        ours = {k: first.predict_batch(v[..., None], calibrated=False) for k, v in inputs.items()}
        other = second.predict_batch(inputs["as is"][..., None], calibrated=False)
        shifts = [k for k in inputs if k.startswith("shift")]
        options = {"shipped": ours["as is"], "second network": other,
                   "average of the two": ours["as is"] + other, "0.7 shipped + 0.3 second": 0.7 * ours["as is"] + 0.3 * other,
                   "shipped + 4 shifts": sum(ours[k] for k in ["as is", *shifts]),
                   "shipped + 2 rotations": ours["as is"] + ours["rotate -8"] + ours["rotate 8"],
                   "shipped + 2 zooms (as it reads)": sum(ours[k] for k in ["as is", *(f"zoom {f}" for f in ZOOMS)]),
                   "shipped + all 8": sum(ours.values())}
        print(f"\n{digits.name} ({len(digits.y)} digits)", flush=True)
        for option, probs in options.items():
            wrong = int((probs.argmax(axis=1) != digits.y).sum())
            print(f"  {option:<32} {1 - wrong / len(digits.y):.2%} ({wrong} wrong)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
