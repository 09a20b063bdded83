"""Pages photographed in uneven light, and frames cropped tight to their digit, read with and without the light estimate.

    python -m benchmarks.uneven_light [--writers 60]

Preprocessing estimates the paper's brightness place by place when a page is
unevenly lit (``paper._paper``). This prints, for the shipped model:

* held-out writers' scans photographed in uneven light (``handwriting.photo_image``)
  read with one paper value (as before the estimate existed) and as shipped, beside
  the same writers' evenly lit scans;
* USPS test digits saved as files cropped tight to their frame (16 to 128 px, clean
  and with paper grain): whose light must *not* be estimated, since their border
  varies because of the ink; both ways, with how many took the estimate;
* what the estimate costs on a 512 px page.
"""

from __future__ import annotations

import argparse
import os
from contextlib import contextmanager
from unittest import mock

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from PIL import Image

from benchmarks.predict_latency import timed
from mnist_core import paper, preprocessing
from mnist_core.handwriting_benchmark import held_out_pen, score_set
from mnist_core.predictor import Predictor
from mnist_core.registry import DEFAULT_MODEL, Registry
from mnist_core.usps import load_usps_frames

WAYS = ("one paper value", "shipped")


@contextmanager
def way(name: str):
    """Preprocess as shipped, or with the single paper value every page had before."""
    if name == "shipped":
        yield
        return
    with mock.patch.object(paper, "_paper", lambda gray, border, light: float(np.median(border))):
        yield


def tight_files(frames: np.ndarray, side: int, grain: float, rng: np.random.Generator) -> list[np.ndarray]:
    """USPS frames (light ink on dark) as dark-on-light files of `side` px, optionally with paper grain."""
    out = []
    for frame in frames:
        page = 1.0 - frame.astype(np.float32) / 255.0
        page = np.clip(page + rng.normal(0, grain, page.shape), 0, 1)
        image = Image.fromarray(np.round(page * 255).astype(np.uint8)).resize((side, side), Image.Resampling.BILINEAR)
        out.append(np.asarray(image))
    return out


def read_files(predictor: Predictor, files: list[np.ndarray], labels: np.ndarray) -> float:
    inputs = np.stack([preprocessing.preprocess(image).centred for image in files])[..., None]
    return float((predictor.predict_batch(inputs, calibrated=False).argmax(axis=1) == labels).mean())


def estimated(files: list[np.ndarray]) -> int:
    """How many of these files had their light estimated place by place."""
    return sum(paper.estimates_light(image.astype(np.float32) / 255.0) for image in files)


def page_timing(runs: int = 30) -> None:
    cols = np.indices((512, 512))[1]
    grain = np.random.default_rng(0).normal(0, 5, (512, 512))
    pages = {"evenly lit": np.full((512, 512), 225.0) + grain, "lit from one side": 225 - 0.2 * cols + grain}
    for name, page in pages.items():
        page = page.clip(0, 255).astype(np.uint8)
        page[100:400, 250:262] = 30
        times = timed(lambda: preprocessing.preprocess(page), runs)
        print(f"  preprocessing a 512 px page, {name:<18} median {np.median(times):5.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=60)
    args = parser.parse_args()
    registry = Registry()
    predictor = Predictor.for_card(registry.load(DEFAULT_MODEL), registry.card(DEFAULT_MODEL))

    print("held-out writers' scans (3 of each digit per writer)")
    for name in WAYS:
        with way(name):
            for digits in (held_out_pen(args.writers, 3, "scan"), held_out_pen(args.writers, 3, "photo")):
                result = score_set(predictor, digits)
                worst = int(np.argmin(result.per_digit))
                confusions = ", ".join(f"{t}->{p} x{n}" for t, p, n in result.confusions[:3])
                print(f"  {name:<16} {digits.name:<28} {result.accuracy:7.2%}  worst {worst}: "
                      f"{result.per_digit[worst]:.1%}  {confusions}")

    frames, labels = load_usps_frames("test")
    print(f"\nUSPS test ({len(labels)}) saved as files cropped tight to the digit, dark on light")
    for side in (16, 32, 64, 128):
        for grain in (0.0, 0.06):
            files = tight_files(frames, side, grain, np.random.default_rng(side))
            readings = []
            for name in WAYS:
                with way(name):
                    readings.append(read_files(predictor, files, labels))
            print(f"  {side:>3} px, grain {grain:.2f}: one paper value {readings[0]:.2%}, shipped {readings[1]:.2%} "
                  f"(light estimated for {estimated(files)})")
    print()
    page_timing()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
