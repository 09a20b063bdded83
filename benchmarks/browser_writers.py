"""Held-out writers' digits drawn with the mouse on the Draw page, against `predict` on the same strokes.

    python -m benchmarks.browser_writers [--digits 400] [--fast | --plain]

Starts `streamlit run app.py`, opens /draw in headless Chromium and draws
digits by generated writers the model never saw (seeds from
`handwriting.HELD_OUT_SEED + 500`), stroke by stroke with real mouse events,
with the page's default pen. With --fast (the default) each stroke is sampled
as a slow screen reports a quick hand (`handwriting.fast_strokes`) and drawn
with one mouse event per point, so the canvas itself joins the points (Fabric
drops each stroke's next-to-last point and smooths the rest into curves through
their midpoints). The same strokes are also rendered as an image and read by
the engine, as `python -m mnist_core predict` would: once joined with straight
lines, once joined as the canvas joins them (`handwriting.canvas_joined`), which
should agree with the page.

Prints how many digits the page read right, how many the engine read right,
how often the two agree, and every digit either got wrong. No assertions.
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path

import numpy as np

from devtools import appserver, harness
from devtools.tempfolder import own_temp_folder

BRUSH = 20  # the Draw page's default pen on its 280-px canvas
HEIGHT = 0.72  # the digit's height as a share of the canvas side, as harness.VARIANTS["large"]


def writer_strokes(index: int, fast: bool) -> tuple[int, list[np.ndarray]]:
    """The index-th digit (0-9 cycling) of consecutive held-out writers, in the writer's own coordinates."""
    from mnist_core.handwriting import HELD_OUT_SEED, Writer, fast_strokes

    seed, digit = HELD_OUT_SEED + 500 + index // 10, index % 10
    r = np.random.default_rng(seed * 10 + digit)
    strokes = Writer.from_seed(seed).strokes(digit, r)
    return digit, fast_strokes(strokes, r) if fast else strokes


def on_canvas(strokes: list[np.ndarray], left: float, top: float, side: float) -> list[list[tuple[float, float]]]:
    """The strokes scaled to HEIGHT of a canvas at (left, top) and centred on it."""
    from mnist_core.synthetic import place

    placed = place(strokes, HEIGHT * side, (left + side / 2, top + side / 2))
    return [[(float(x), float(y)) for x, y in stroke] for stroke in placed]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", type=int, default=400)
    parser.add_argument("--plain", dest="fast", action="store_false", help="smooth strokes instead of fast ones")
    parser.add_argument("--fast", dest="fast", action="store_true", default=True)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from mnist_core.detector import load_detector
    from mnist_core.handwriting import canvas_joined
    from mnist_core.predictor import Predictor
    from mnist_core.registry import DEFAULT_MODEL, Registry
    from mnist_core.synthetic import render

    registry = Registry()  # the default model as `predict` finds it (the shipped one unless replaced)
    predictor = Predictor.for_card(registry.load(DEFAULT_MODEL), registry.card(DEFAULT_MODEL), load_detector())
    tmp = Path(tempfile.mkdtemp(prefix="digitlab-writers-"))
    page_right = engine_right = joined_right = agree = agree_joined = 0
    with appserver.AppServer(tmp / "models", shipped_dir=appserver.find_shipped(), mnist=appserver.mnist_path(),
                             log_path=tmp / "streamlit.log") as server, sync_playwright() as p:
        browser = harness.launch_browser(p)
        page = harness.new_page(browser)
        harness.open_app_page(page, server.url, "/draw")
        harness.set_brush(page, BRUSH)
        box = harness.canvas_box(page)
        for index in range(args.digits):
            digit, strokes = writer_strokes(index, args.fast)
            since = harness.mark(page)
            for stroke in on_canvas(strokes, box["x"], box["y"], box["width"]):
                harness.draw_stroke(page, stroke, px_per_step=math.inf if args.fast else 6.0)
            shown = harness.wait_for_prediction(page, since)
            read, joined = (predictor.read(render(these, 280, HEIGHT * 280, BRUSH * 280 / box["width"], (140, 140),
                                                  "dark-on-light")).digit
                            for these in (strokes, [canvas_joined(stroke) for stroke in strokes]))
            page_right += shown == digit
            engine_right += read == digit
            joined_right += joined == digit
            agree += shown == read
            agree_joined += shown == joined
            if digit not in (shown, read, joined) or len({shown, read, joined}) > 1:
                print(f"  a {digit}: the page says {shown}, the engine {read}, joined as the canvas does {joined}")
            harness.clear_canvas(page)
        problems = harness.page_problems(page)
        browser.close()
    n = args.digits
    print(f"{'fast' if args.fast else 'smooth'} strokes, {n} held-out writers' digits: page {page_right / n:.2%}, "
          f"engine {engine_right / n:.2%} (agrees with the page on {agree / n:.2%}), engine with the points joined "
          f"as the canvas joins them {joined_right / n:.2%} (agrees on {agree_joined / n:.2%}); "
          f"page problems: {problems or 'none'}")
    return 0


if __name__ == "__main__":
    with own_temp_folder():  # servers' and workers' temp files, removed at the end
        raise SystemExit(main())
