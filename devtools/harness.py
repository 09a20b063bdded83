"""Drive the real app in a real browser: shared by the browser tests and the browser benchmarks (dev-only).

Two parts (the server itself is ``devtools.appserver``):

* ``launch_browser`` / ``new_page``: Debian's Chromium through Playwright, and a
  page that carries a small in-page tracker (``TRACKER_JS``) which timestamps
  mouse-ups, WebSocket sends, script runs and the moment the prediction is
  re-rendered.
* Drawing: hand-designed pen paths for the ten digits, drawn with real mouse
  strokes (press, move, release) on the Fabric.js canvas, and helpers that wait
  for the app to answer.

Nothing here asserts: the tests do that; the benchmarks only print.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

CHROMIUM = os.environ.get("DIGITLAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}
PREDICTION_RE = re.compile(r"Prediction:\s*(\d)")
HINT_TEXT = "Draw a digit"


# ---- the browser ----------------------------------------------------------------
# Runs in every page before the app's own scripts. Timestamps (performance.now(), ms):
#   mouseupAt   the last mouse-up (each one starts a new measurement)
#   sentAt      the first WebSocket message after it (the canvas's debounced update)
#   runStartAt  the app switching to "running" after that
#   freshAt     the prediction element re-rendered by that run (its delta arrived: not stale),
#               freshPaintAt the next animation frame after it, i.e. on screen
#   changedAt   the prediction's text first differing from its text when the run started (only when the
#               answer changed; unambiguous: a new text can only come from that run), changedPaintAt the
#               next animation frame after it. The stale mark is set in its own render, which may come
#               after the first change the observer sees, so freshAt can fire on the old element.
#   chartAt     the probability chart's first DOM rebuild in that run
#   finishedAt  the app back to "notRunning"
# plus running totals (sends, runs, finishes, lastSendAt, lastFinishAt) used to tell "settled".
TRACKER_JS = r"""
(() => {
  if (window.__dl) return;
  const now = () => performance.now();
  const T = window.__dl = {
    mouseupAt: null, sentAt: null, runStartAt: null, freshAt: null, freshPaintAt: null,
    freshText: null, textAtStart: null, changedAt: null, changedPaintAt: null, chartAt: null, finishedAt: null,
    sends: 0, runs: 0, finishes: 0, lastSendAt: 0, lastRunningSendAt: 0, lastFinishAt: 0, lastMouseupAt: 0,
    state: null,
    log: [],
  };
  const note = (what, t) => { T.log.push([Math.round(t), what]); if (T.log.length > 200) T.log.shift(); };
  const origSend = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    const t = now();
    T.sends += 1; T.lastSendAt = t; note('send', t);
    if (T.state === 'running') T.lastRunningSendAt = t;
    if (T.mouseupAt !== null && T.sentAt === null) T.sentAt = t;
    return origSend.call(this, data);
  };
  window.addEventListener('mouseup', () => {
    const t = now();
    T.lastMouseupAt = t; note('mouseup', t);
    Object.assign(T, {mouseupAt: t, sentAt: null, runStartAt: null, freshAt: null, freshPaintAt: null,
                      freshText: null, textAtStart: null, changedAt: null, changedPaintAt: null,
                      chartAt: null, finishedAt: null});
  }, true);
  const check = (records) => {
    const t = now();
    const app = document.querySelector('[data-testid="stApp"]');
    const state = app ? app.getAttribute('data-test-script-state') : null;
    if (state !== T.state) {
      note(String(state), t);
      if (state === 'running') T.runs += 1;
      if (state === 'notRunning') { T.finishes += 1; T.lastFinishAt = t; }
      T.state = state;
    }
    if (T.sentAt === null) return;
    const shown = () => {
      const box = document.querySelector('.st-key-prediction');
      return box ? box.textContent.trim() : '';
    };
    if (T.runStartAt === null && state === 'running') { T.runStartAt = t; T.textAtStart = shown(); }
    if (T.runStartAt === null) return;
    if (T.changedAt === null) {
      const text = shown();
      if (text !== T.textAtStart && /Prediction:\s*\d/.test(text)) {
        T.changedAt = t;
        requestAnimationFrame(() => { T.changedPaintAt = now(); });
      }
    }
    if (T.freshAt === null) {
      // the element showing "Prediction: N", once this run has re-sent it (no longer stale)
      for (const el of document.querySelectorAll('.st-key-prediction [data-testid="stElementContainer"]')) {
        if (el.getAttribute('data-stale') !== 'true' && /Prediction:\s*\d/.test(el.textContent)) {
          T.freshAt = t; T.freshText = el.textContent.trim();
          requestAnimationFrame(() => { T.freshPaintAt = now(); });
          break;
        }
      }
    }
    if (T.chartAt === null) {
      for (const r of records) {
        const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
        if (r.type === 'childList' && el && el.closest && el.closest('[data-testid="stPlotlyChart"], .st-key-draw_bars')) {
          T.chartAt = t; break;
        }
      }
    }
    if (T.finishedAt === null && state === 'notRunning') T.finishedAt = t;
  };
  const start = () => new MutationObserver(check).observe(
    document.documentElement, {subtree: true, childList: true, attributes: true, characterData: true});
  if (document.documentElement) start(); else document.addEventListener('DOMContentLoaded', start);
})();
"""

# True once the app has answered everything the page sent after time ``since``
# (performance.now(), see ``mark``): something went out, a run finished after the last
# message, and nothing has run for a quiet spell since. The spell is short (``quietMs``)
# when every message went out while the app was idle: its run then starts after it. A
# message sent *during* a run is either taken up by that run or queued behind it, and
# Streamlit starts the queued run only after its post-run clean-up (a full gc.collect,
# several hundred ms on a busy machine), so then the spell is ``busyQuietMs``. With
# ``strokeMs`` it also waits that long after the last mouse-up (the canvas sends its
# drawing 200 ms after a stroke ends). Falls back to "quiet for ``fallbackMs``" when the
# last message was not followed by a run at all.
SETTLED_JS = """([since, quietMs, busyQuietMs, strokeMs, fallbackMs]) => {
  const T = window.__dl; if (!T) return false;
  const t = performance.now();
  if (T.state !== 'notRunning') return false;
  if (strokeMs && t - T.lastMouseupAt < strokeMs) return false;
  if (T.lastSendAt <= since) return false;
  const quiet = T.lastRunningSendAt > since ? busyQuietMs : quietMs;
  if (t - T.lastFinishAt < quiet) return false;
  return T.lastFinishAt > T.lastSendAt || t - T.lastSendAt > fallbackMs;
}"""


def launch_browser(playwright, headless: bool = True):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=headless)


def new_page(browser, viewport: dict | None = None):
    """A fresh context (so a fresh Streamlit session) with the tracker installed."""
    context = browser.new_context(viewport=viewport or VIEWPORT)
    context.add_init_script(TRACKER_JS)
    return context.new_page()


def script_state(page) -> str | None:
    return page.evaluate("""() => { const a = document.querySelector('[data-testid="stApp"]');
                                    return a ? a.getAttribute('data-test-script-state') : null; }""")


def wait_idle(page, timeout: float = 30.0, quiet_ms: int = 300) -> None:
    """Wait until the app is not running and has stayed so for ``quiet_ms``."""
    page.wait_for_function(
        """(quiet) => { const T = window.__dl; return !!T && T.state === 'notRunning'
                         && performance.now() - T.lastFinishAt >= quiet; }""",
        arg=quiet_ms, timeout=timeout * 1000, polling=50)


def open_app_page(page, base_url: str, path: str = "/", timeout: float = 60.0) -> None:
    """Load a page by URL and wait until its first run is done and its title is shown."""
    page.goto(base_url.rstrip("/") + path, wait_until="domcontentloaded", timeout=timeout * 1000)
    page.locator('[data-testid="stMainBlockContainer"] h1').first.wait_for(timeout=timeout * 1000)
    wait_idle(page, timeout=timeout)


def page_problems(page, allow_errors: Iterable[str] = ()) -> list[str]:
    """Exceptions, tracebacks and error alerts on the page (error alerts whose text contains one of
    ``allow_errors`` are expected and not reported)."""
    problems = []
    for text in page.locator('[data-testid="stException"]').all_inner_texts():
        problems.append(f"exception: {text.strip()[:300]}")
    body = page.locator("body").inner_text()
    if "Traceback" in body:
        problems.append("the text 'Traceback' is on the page")
    allowed = tuple(allow_errors)
    for text in page.locator('[data-testid="stAlertContentError"]').all_inner_texts():
        if not any(a in text for a in allowed):
            problems.append(f"error alert: {text.strip()[:300]}")
    return problems


# ---- the Draw page ---------------------------------------------------------------
CANVAS_SELECTOR = "canvas.upper-canvas:not([data-dl-old])"  # Fabric's event layer of the current canvas


def canvas_box(page, timeout: float = 30.0) -> dict:
    canvas = page.locator(CANVAS_SELECTOR).first
    canvas.wait_for(state="visible", timeout=timeout * 1000)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    if not box or box["width"] < 50:
        raise RuntimeError(f"the drawing canvas has no usable size: {box}")
    return box


def prediction_text(page) -> str | None:
    box = page.locator(".st-key-prediction")
    return box.first.inner_text().strip() if box.count() else None


def predicted_digit(page) -> int | None:
    match = PREDICTION_RE.search(prediction_text(page) or "")
    return int(match.group(1)) if match else None


def confidence_text(page) -> str | None:
    box = page.locator(".st-key-confidence")
    return box.first.inner_text().strip() if box.count() else None


def mark(page) -> float:
    """The page's clock (ms) now: pass it to ``wait_settled`` before doing something."""
    return page.evaluate("() => performance.now()")


def wait_settled(page, since: float, timeout: float = 30.0, stroke: bool = False, quiet_ms: int = 300,
                 busy_quiet_ms: int = 1500, fallback_ms: int = 2000) -> None:
    """Wait until the app has answered what the page sent after ``since`` (see SETTLED_JS)."""
    page.wait_for_function(SETTLED_JS, arg=[since, quiet_ms, busy_quiet_ms, 450 if stroke else 0, fallback_ms],
                           timeout=timeout * 1000, polling=50)


def interact(page, action, timeout: float = 30.0) -> None:
    """Do ``action()`` (a click, a key press...) and wait for the rerun it causes to finish."""
    since = mark(page)
    action()
    wait_settled(page, since, timeout=timeout)


class StrokeLost(AssertionError):
    """The canvas sent nothing to the app after a stroke."""


def wait_for_prediction(page, since: float, timeout: float = 30.0) -> int | None:
    """After drawing: wait for the app to answer the strokes, then read ``Prediction: N``."""
    try:
        page.wait_for_function("(since) => window.__dl && window.__dl.lastSendAt > since", arg=since,
                               timeout=5000, polling=50)
    except Exception as exc:  # playwright's TimeoutError
        raise StrokeLost("the canvas sent nothing to the app within 5 s of the stroke(s); "
                         f"page events: {tracker(page)['log'][-8:]}") from exc
    wait_settled(page, since, timeout=timeout, stroke=True)
    return predicted_digit(page)


def settled_look(page, timeout: float = 5.0) -> None:
    """Wait until the answer no longer looks provisional ("still drawing?" lasts about a second after
    a stroke), e.g. before a screenshot."""
    page.wait_for_function("() => !document.body.classList.contains('dl-settling')", timeout=timeout * 1000)


def tracker(page) -> dict:
    return page.evaluate("() => Object.assign({}, window.__dl)")


def clear_canvas(page, timeout: float = 30.0) -> None:
    """Press Clear and wait for a fresh, empty canvas and the hint."""
    fresh_canvas_after(page, page.get_by_role("button", name="Clear").click, timeout=timeout)


def fresh_canvas_after(page, action, timeout: float = 30.0) -> None:
    """Do ``action()`` (Clear, a feedback tap) and wait until a new, empty canvas replaced the drawn one
    and the hint shows."""
    # the canvas lives in a shadow root: tag it through a locator (they pierce shadow roots)
    page.locator("canvas.upper-canvas").evaluate_all("els => els.forEach(c => c.setAttribute('data-dl-old', '1'))")
    interact(page, action, timeout=timeout)
    page.locator(CANVAS_SELECTOR).first.wait_for(state="visible", timeout=timeout * 1000)
    page.get_by_text(HINT_TEXT).first.wait_for(state="visible", timeout=timeout * 1000)
    wait_idle(page, timeout=timeout)


def slider_input(page, label: str):
    """The range input of the Streamlit slider labelled ``label`` (first match)."""
    return page.locator('[data-testid="stSlider"]').filter(has_text=label).first.locator('input[type="range"]')


def set_slider(page, label: str, value: float | None = None, timeout: float = 30.0) -> float:
    """Move a slider with the keyboard like a person would: Home, then arrow steps up to ``value``
    (``None``: stay at the minimum). Returns the value the slider then shows."""
    thumb = slider_input(page, label)
    current = float(thumb.input_value())
    target = float(thumb.get_attribute("min")) if value is None else value
    if current == target:
        return current  # nothing to move: no rerun to wait for
    since = mark(page)
    thumb.focus()
    page.keyboard.press("Home")
    if value is not None:
        for _ in range(200):
            if float(thumb.input_value()) >= value:
                break
            page.keyboard.press("ArrowRight")
    wait_settled(page, since, timeout=timeout)
    return float(slider_input(page, label).input_value())


def set_brush(page, size: int, timeout: float = 30.0) -> int:
    """Set the Draw page's Brush size slider."""
    return int(set_slider(page, "Brush size", size, timeout=timeout))


# ---- pen paths -----------------------------------------------------------------
# Each digit is a list of strokes; each stroke a list of (x, y) points in a unit box
# (x to the right, y down), drawn the way people usually write them.
Point = tuple[float, float]


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 24) -> list[Point]:
    """Points along an ellipse from angle ``start`` to ``end`` (degrees; 0 = right, 90 = down)."""
    return [(cx + rx * math.cos(math.radians(start + (end - start) * i / n)),
             cy + ry * math.sin(math.radians(start + (end - start) * i / n))) for i in range(n + 1)]


DIGIT_STROKES: dict[int, list[list[Point]]] = {
    # an oval, started at the top and drawn anticlockwise, closing with a small overlap
    0: [_arc(0.5, 0.5, 0.42, 0.5, -80, -80 - 375, 36)],
    # one slightly slanted down-stroke
    1: [[(0.58, 0.0), (0.52, 0.5), (0.46, 1.0)]],
    # a hook over the top, a diagonal to the bottom left, a flat base
    2: [_arc(0.5, 0.3, 0.42, 0.3, 200, 380, 18) + [(0.3, 0.72), (0.04, 1.0), (0.98, 0.98)]],
    # two bumps on the right
    3: [_arc(0.47, 0.25, 0.4, 0.25, 205, 450, 20) + _arc(0.47, 0.74, 0.45, 0.26, 270, 515, 22)[1:]],
    # the open four: down-and-across, then the long upright
    4: [[(0.2, 0.0), (0.08, 0.6), (0.95, 0.6)], [(0.74, 0.05), (0.72, 1.0)]],
    # down the left, round belly, then the flag on top
    5: [[(0.24, 0.02), (0.18, 0.45)] + _arc(0.46, 0.71, 0.44, 0.29, 245, 510, 22), [(0.24, 0.02), (0.9, 0.0)]],
    # a sweep down the left into a loop at the bottom
    6: [[(0.72, 0.0), (0.45, 0.15), (0.24, 0.38), (0.14, 0.68)] + _arc(0.5, 0.73, 0.36, 0.27, 180, -175, 28)],
    # the bar, then the long diagonal
    7: [[(0.02, 0.03), (0.98, 0.03), (0.42, 1.0)]],
    # two stacked loops
    8: [_arc(0.5, 0.24, 0.34, 0.24, -90, 270, 28), _arc(0.5, 0.73, 0.42, 0.27, -90, 270, 28)],
    # a loop at the top, then straight down on the right
    9: [_arc(0.45, 0.28, 0.38, 0.28, 0, -360, 28) + [(0.8, 0.6), (0.76, 1.0)]],
}


@dataclass(frozen=True)
class Variant:
    """Where and how big a digit is drawn on the canvas (fractions of the canvas side)."""
    height: float        # digit height
    aspect: float        # width / height
    centre: Point        # centre of the digit's box
    brush: int | None    # Brush size to set first (None: leave it as it is)


VARIANTS = {
    "large": Variant(height=0.72, aspect=0.68, centre=(0.5, 0.5), brush=20),  # the page's default pen
    "small": Variant(height=0.34, aspect=0.68, centre=(0.24, 0.25), brush=10),  # small, top-left, thin pen
}


def stroke_paths(digit: int, box: dict, variant: str | Variant = "large") -> list[list[Point]]:
    """The digit's strokes in page pixels for a canvas at ``box`` (x, y, width, height)."""
    v = VARIANTS[variant] if isinstance(variant, str) else variant
    side = min(box["width"], box["height"])
    h = v.height * side
    w = h * v.aspect
    left = box["x"] + v.centre[0] * box["width"] - w / 2
    top = box["y"] + v.centre[1] * box["height"] - h / 2
    return [[(left + x * w, top + y * h) for x, y in stroke] for stroke in DIGIT_STROKES[digit]]


def split_stroke(points: Sequence[Point], pieces: int, spacing: float = 4.0) -> list[list[Point]]:
    """Cut one pen path into ``pieces`` consecutive strokes of about equal length (as if the pen
    were lifted on the way); points are resampled every ``spacing`` pixels first."""
    lengths = [math.dist(a, b) for a, b in zip(points, points[1:])]
    total = sum(lengths)
    count = max(pieces + 1, int(total / spacing) + 1)
    dense, seg, walked = [], 0, 0.0
    for i in range(count):
        target = total * i / (count - 1)
        while seg < len(lengths) - 1 and walked + lengths[seg] < target:
            walked += lengths[seg]
            seg += 1
        a, b = points[seg], points[seg + 1]
        f = 0.0 if lengths[seg] == 0 else min(1.0, (target - walked) / lengths[seg])
        dense.append((a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])))
    cuts = [round(i * (count - 1) / pieces) for i in range(pieces + 1)]
    return [dense[cuts[i]:cuts[i + 1] + 1] for i in range(pieces) if cuts[i + 1] > cuts[i]]


def sparse_stroke(points: Sequence[Point], count: int) -> list[Point]:
    """The pen path as ``count`` points evenly along it: a quick stroke on a slowly sampled screen,
    whose curves arrive as corners (drawn with one mouse event per point)."""
    dense = split_stroke(points, 1, spacing=1.0)[0]
    return [dense[round(i * (len(dense) - 1) / (count - 1))] for i in range(count)]


def draw_stroke(page, points: Sequence[Point], px_per_step: float = 6.0) -> None:
    """One real pen stroke: press at the first point, move through the rest, release."""
    x, y = points[0]
    page.mouse.move(x, y)
    page.mouse.down()
    for nx, ny in points[1:]:
        steps = max(1, int(math.hypot(nx - x, ny - y) / px_per_step))
        page.mouse.move(nx, ny, steps=steps)
        x, y = nx, ny
    page.mouse.up()


def draw_digit(page, digit: int, variant: str | Variant = "large", wait: bool = True,
               timeout: float = 30.0, points: int | None = None) -> int | None:
    """Draw ``digit`` with the mouse; with ``wait``, return the digit the page then shows (or None).

    ``points``: draw each stroke fast, as that many mouse positions joined by straight lines."""
    v = VARIANTS[variant] if isinstance(variant, str) else variant
    if v.brush is not None:
        set_brush(page, v.brush)
    box = canvas_box(page)
    since = mark(page)
    for stroke in stroke_paths(digit, box, v):
        if points is None:
            draw_stroke(page, stroke)
        else:
            draw_stroke(page, sparse_stroke(stroke, points), px_per_step=math.inf)
    return wait_for_prediction(page, since, timeout=timeout) if wait else None
