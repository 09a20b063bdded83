"""Cold start: from launching `streamlit run app.py` to the first answer on the Draw page.

    python -m benchmarks.cold_start [--runs 1] [--server-arg=--some.option=value]

Chromium is started first and not counted (a visitor already has a browser
open). Then, timed from the launch of the server process:

  server up      `/_stcore/health` answers
  page ready     /draw, opened as soon as the server is up, shows its canvas and
                 has finished its first run (split into: the HTML shell loaded, the
                 title shown, i.e. the page's imports done, the canvas shown, the
                 run finished)
  drawing        drawing a 7 with the mouse (three segments, real mouse moves)
  first answer   from the mouse-up until "Prediction: 7" is on screen (this
                 includes loading the model and its first call)

Prints the total and its parts for each run. Goal: total <= 10 s. The operating
system's file cache is warm after the first run (TensorFlow's libraries are
large), so run 1 on a freshly booted machine is the honest worst case.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from devtools import appserver, harness
from devtools.tempfolder import own_temp_folder


def one_run(browser, shipped: Path, server_args: list[str]) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="digitlab-cold-"))
    server = appserver.AppServer(tmp / "models", shipped_dir=shipped, mnist=appserver.mnist_path(),
                               log_path=tmp / "streamlit.log", extra_args=server_args)
    page = harness.new_page(browser)  # a new context: nothing cached from an earlier run
    try:
        server.start()
        t0 = server.launched_at
        server.wait_healthy(timeout=120)
        t_health = time.perf_counter()
        page.goto(server.url + "/draw", wait_until="domcontentloaded", timeout=120_000)
        t_html = time.perf_counter()
        page.locator('[data-testid="stMainBlockContainer"] h1').first.wait_for(timeout=120_000)
        t_title = time.perf_counter()
        harness.canvas_box(page, timeout=120)
        t_canvas = time.perf_counter()
        harness.wait_idle(page, timeout=120)
        t_ready = time.perf_counter()
        since = harness.mark(page)
        harness.draw_digit(page, 7, wait=False)
        t_drawn = time.perf_counter()
        page.locator(".st-key-prediction").get_by_text("Prediction:").first.wait_for(timeout=120_000)
        t_answer = time.perf_counter()
        shown = harness.predicted_digit(page)
        harness.wait_for_prediction(page, since, timeout=60)
        return {
            "server up": t_health - t0,
            "page ready": t_ready - t_health,
            "  html": t_html - t_health,
            "  title": t_title - t_html,
            "  canvas": t_canvas - t_title,
            "  run done": t_ready - t_canvas,
            "drawing": t_drawn - t_ready,
            "first answer": t_answer - t_drawn,
            "total": t_answer - t0,
            "shown": shown,
            "final": harness.predicted_digit(page),
        }
    finally:
        page.context.close()
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--server-arg", action="append", default=[],
                        help="extra `streamlit run` option, e.g. --runner.postScriptGC=false")
    args = parser.parse_args()
    shipped = appserver.find_shipped()
    if shipped is None:
        print("No shipped default model (shipped_models/digitlab-default or $DIGITLAB_SHIPPED): "
              "train one first, see README.")
        return 2

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        started = time.perf_counter()
        browser = harness.launch_browser(playwright)
        print(f"cold start to the first answer on /draw (Chromium launch, not counted: "
              f"{time.perf_counter() - started:.1f} s; load average {os.getloadavg()[0]:.1f} "
              f"on {os.cpu_count()} CPUs)")
        for run in range(1, args.runs + 1):
            r = one_run(browser, shipped, args.server_arg)
            parts = "  ".join(f"{k} {r[k]:5.2f} s" for k in ("server up", "page ready", "drawing", "first answer"))
            print(f"  run {run}: total {r['total']:5.2f} s = {parts}   "
                  f"(answer shown: {r['shown']}, settled on: {r['final']})")
            print("         page ready = " + ", ".join(f"{k.strip()} {r[k]:.2f} s" for k in
                                                       ("  html", "  title", "  canvas", "  run done"))
                  + "  (html: the page shell; title: the page script's first output, after its imports)")
            verdict = "met" if r["total"] <= 10 else "NOT met"
            print(f"  goal: total <= 10 s: {verdict}")
        browser.close()
    return 0


if __name__ == "__main__":
    with own_temp_folder():  # servers' and workers' temp files, removed at the end
        sys.exit(main())
