"""What the paper does: faint pencil, dim scans, lined paper, a desk around the page, dust, blank pages; before and now.

    python -m benchmarks.paper_conditions [--writers 60]

Ink that stands out from the paper by less than ``paper.CLEAR_INK`` used
to be "nothing", and the brightest grain of a grainy blank page used to pass for
ink. Preprocessing now reads faint ink after a 3x3 average, only where it rises
clearly above the page's grain (``paper._faint_ink``); it decides the
polarity of paper darker than mid-grey by what differs from it
(``paper._light_paper``); and it takes away lines printed on the paper
(``paper._without_rules``) and a desk around the page
(``paper._page_on_a_desk``). This prints, for the shipped model and detector:

* held-out writers' scans (never tuned on; the constants were set on the
  calibration writers) with the ink faded to a share of its darkness, saved
  losslessly and as JPEG at quality 60: how many are read right, called empty,
  or declined as not a digit, with the old rule and as shipped;
* the same scans dim (the whole picture darkened, its paper below mid-grey),
  whose polarity used to come out wrong (``paper._light_paper``);
* the same scans on lined paper and in a form's printed box (``handwriting.lined``);
* the same scans photographed lying on a darker desk (``handwriting.on_a_desk``), which
  used to be taken for the paper (``paper._page_on_a_desk``);
* the same scans written small on a dusty page: one to three specks of dust
  (``handwriting.dusty``), which used to stretch the crop across the page
  (``specks.without_specks``);
* blank pages with grain from none to heavy, losslessly and as JPEG, and blank
  pages in uneven light: how many are called empty (all should be);
* what the faint path costs on a 512 px page.
"""

from __future__ import annotations

import argparse
import io
import os
from contextlib import contextmanager
from unittest import mock

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from PIL import Image

from benchmarks.predict_latency import timed
from mnist_core import paper, preprocessing
from mnist_core.detector import load_detector
from mnist_core.handwriting import HELD_OUT_SEED, dusty, faded, lined, on_a_desk, writer_digits
from mnist_core.handwriting_benchmark import CANVAS, benchmark_styles
from mnist_core.predictor import Predictor
from mnist_core.registry import DEFAULT_MODEL, Registry

WAYS = ("old rule", "shipped")
FADES = (1.0, 0.5, 0.35, 0.25, 0.18, 0.12)
GRAINS = (0.0, 0.02, 0.04, 0.06, 0.08)
DIM = (0.6, 0.45, 0.3)  # the whole scan darkened: its paper from about 0.45-0.6 down to 0.2-0.3


@contextmanager
def way(name: str):
    """Preprocess as shipped, or as before: faint ink is nothing, grain is never questioned, paper
    darker than mid-grey is always dark paper, the paper's lines are ink, a desk around the page is paper,
    a shadow reaching the page's edge is ink running off it, and a speck of dust is part of the drawing."""
    if name == "shipped":
        yield
        return
    with mock.patch.object(paper, "_grain", lambda ink: False), \
            mock.patch.object(paper, "_faint_ink", lambda ink: np.zeros_like(ink)), \
            mock.patch.object(paper, "_light_paper", lambda gray, border: float(np.median(border)) > 0.5), \
            mock.patch.object(paper, "_without_rules", lambda ink: ink), \
            mock.patch.object(paper, "_page_on_a_desk", lambda gray: gray), \
            mock.patch.object(paper, "_only_shade", lambda gray, field, light_paper: False), \
            mock.patch.object(preprocessing, "without_specks", lambda ink: ink):
        yield


def as_jpeg(image: np.ndarray, quality: int = 60) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
    return np.asarray(Image.open(buffer))


def blank_page(grain: float, rng: np.random.Generator) -> np.ndarray:
    level = rng.uniform(0.7, 0.95)  # the paper's brightness
    return (np.clip(level + rng.normal(0, grain, (160, 200)), 0, 1) * 255).round().astype(np.uint8)


def shaded_blank_page(kind: str, rng: np.random.Generator) -> np.ndarray:
    """A blank page lit from one side, or with a shadow over a corner, as ``handwriting.photo_image`` lights them."""
    rows, cols = np.mgrid[0:160, 0:200] / 200
    if kind == "lit from one side":
        angle = rng.uniform(0, 2 * np.pi)
        along = cols * np.cos(angle) + rows * np.sin(angle)
        light = 1 - rng.uniform(0.2, 0.5) * (along - along.min()) / np.ptp(along)
    else:
        corner_row, corner_col = rng.choice([0.0, float(rows.max())]), rng.choice([0.0, float(cols.max())])
        light = np.clip(rng.uniform(0.45, 0.65) + rng.uniform(0.5, 0.8) * np.hypot(rows - corner_row, cols - corner_col),
                        0, 1)
    level = rng.uniform(0.7, 0.95) + rng.normal(0, rng.choice([0.0, 0.01, 0.02, 0.04]), light.shape)
    return (np.clip(level * light, 0, 1) * 255).round().astype(np.uint8)


def read(predictor: Predictor, images: list[np.ndarray], labels: np.ndarray) -> str:
    """Read right / called empty / declined as not a digit, as shares of all images, both ways."""
    cells = []
    for name in WAYS:
        with way(name):
            readings = [predictor.read(image) for image in images]
        right = np.mean([r.digit == label for r, label in zip(readings, labels)])
        empty = np.mean([r.reason == "empty" for r in readings])
        declined = np.mean([r.reason == "not a digit" for r in readings])
        cells.append(f"{name} {right:7.2%} / {empty:6.2%} / {declined:5.2%}")
    return "   ".join(cells)


def called_empty(pages: list[np.ndarray]) -> str:
    """The share of these pages called empty, both ways."""
    cells = []
    for name in WAYS:
        with way(name):
            cells.append(f"{name} {np.mean([preprocessing.preprocess(page).is_empty for page in pages]):5.0%}")
    return "   ".join(cells)


def page_timing(runs: int = 30) -> None:
    rng = np.random.default_rng(0)
    pages = {"clear ink": 0.85, "faint ink": 0.08}
    for name, darkness in pages.items():
        page = np.clip(0.9 + rng.normal(0, 0.02, (512, 512)), 0, 1)
        page[100:400, 250:262] -= darkness
        page = (np.clip(page, 0, 1) * 255).astype(np.uint8)
        times = timed(lambda: preprocessing.preprocess(page), runs)
        print(f"  preprocessing a grainy 512 px page, {name:<9} median {np.median(times):5.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=60)
    args = parser.parse_args()
    registry = Registry()
    predictor = Predictor.for_card(registry.load(DEFAULT_MODEL), registry.card(DEFAULT_MODEL), load_detector())
    items = list(writer_digits(HELD_OUT_SEED, args.writers, 1, kinds=("scan",), canvas=CANVAS,
                               styles=benchmark_styles()))
    scans, labels = [item[4] for item in items], np.array([item[3] for item in items])

    print(f"held-out writers' scans ({len(scans)}), ink faded: read right / called empty / declined")
    for share in FADES:
        for jpeg in (False, True):
            images = [as_jpeg(faded(scan, share)) if jpeg else faded(scan, share) for scan in scans]
            print(f"  ink at {share:4.0%}{', JPEG' if jpeg else '      '}   {read(predictor, images, labels)}")

    print("\nthe same scans, dim: read right / called empty / declined")
    for exposure in DIM:
        images = [(scan * exposure).round().astype(np.uint8) for scan in scans]
        print(f"  exposure {exposure:4.0%}   {read(predictor, images, labels)}")

    print("\nthe same scans on paper with printed lines: read right / called empty / declined")
    for kind in ("ruled", "box"):
        rng = np.random.default_rng(1)
        images = [lined(scan, rng, kind) for scan in scans]
        print(f"  {kind:<10}   {read(predictor, images, labels)}")

    print("\nthe same scans photographed on a darker desk: read right / called empty / declined")
    for share in (0.8, 0.5, 0.3):
        rng = np.random.default_rng(2)
        images = [on_a_desk(scan, rng, share) for scan in scans]
        print(f"  page {share:4.0%} of the photo   {read(predictor, images, labels)}")

    print("\nthe same scans written small on a dusty page (3 times their side): read right / called empty / declined")
    for specks in (1, 3):
        rng = np.random.default_rng(3)
        images = [dusty(scan, rng, specks) for scan in scans]
        print(f"  {specks} speck{'s' if specks > 1 else ' '}   {read(predictor, images, labels)}")

    print("\nblank pages with grain (100 each): called empty")
    for grain in GRAINS:
        for jpeg in (False, True):
            pages = [blank_page(grain, np.random.default_rng(i)) for i in range(100)]
            pages = [as_jpeg(page) for page in pages] if jpeg else pages
            print(f"  grain {grain:.2f}{', JPEG' if jpeg else '      '}   {called_empty(pages)}")
    for kind in ("lit from one side", "a shadow in a corner"):
        pages = [shaded_blank_page(kind, np.random.default_rng(i)) for i in range(200)]
        print(f"  {kind} (200)   {called_empty(pages)}")
    print()
    page_timing()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
