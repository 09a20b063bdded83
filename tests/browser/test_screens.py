"""The Draw page on the screens a class really has: projectors, a laptop and a phone.

At each size a digit is drawn with real strokes, and the whole canvas and the
answer (in classroom mode also the probability bars) must lie inside the
viewport (in classroom mode also the Clear button: nothing to scroll for). Also: classroom mode keeps
the drawing, `/draw?classroom=1` opens it, and an answer between strokes is
marked as possibly changing. These take the README's projector and phone pictures.
"""

from __future__ import annotations

import time

import pytest

from ui.layout import Viewport, draw_layout

from devtools import harness
from .conftest import failed, save_failure_artifacts

pytestmark = pytest.mark.browser

AS_IS = harness.Variant(height=0.72, aspect=0.68, centre=(0.5, 0.5), brush=None)  # the pen as the page sets it
SCREENS = [  # width, height, classroom mode, screenshot name
    (1024, 768, True, None),
    (1280, 800, True, None),
    (1366, 768, True, None),
    (1920, 1080, True, "projector"),
    (1280, 800, False, None),
    (390, 844, False, "phone"),
]


@pytest.fixture
def screen_page(request, browser, app_server):
    """A fresh session at the size asked for (a touch phone below 640 px)."""
    pages = []

    def make(width: int, height: int):
        phone = width < 640
        context = browser.new_context(viewport={"width": width, "height": height}, has_touch=phone,
                                      is_mobile=phone, device_scale_factor=1)
        context.add_init_script(harness.TRACKER_JS)
        page = context.new_page()
        page.js_errors = []
        page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
        pages.append(page)
        return page

    yield make
    for page in pages:
        if failed(request):
            save_failure_artifacts(request, page, app_server)
        page.context.close()


def wait_for_layout(page, classroom: bool, timeout: float = 30.0) -> dict:
    """Wait until the canvas has the size the page picks for this screen (it measures the screen once
    it is open, then lays itself out again); returns the canvas's box."""
    size = page.viewport_size
    want = draw_layout(Viewport(size["width"], size["height"]), classroom).side
    deadline = time.monotonic() + timeout
    while True:
        box = page.locator(harness.CANVAS_SELECTOR).first.bounding_box()
        if box and round(box["width"]) == want:
            harness.wait_idle(page)
            return box
        if time.monotonic() > deadline:
            raise AssertionError(f"the canvas is {box} after {timeout:.0f} s, expected a side of {want} px")
        page.wait_for_timeout(100)


def eventually_reads(page, digit: int, timeout: float = 20.0) -> None:
    """The page shows "Prediction: digit" (on a busy machine the last stroke's answer can come late)."""
    deadline = time.monotonic() + timeout
    while harness.predicted_digit(page) != digit:
        if time.monotonic() > deadline:
            raise AssertionError(f"drew a {digit}, the page says {harness.prediction_text(page)!r}")
        page.wait_for_timeout(200)


def inside_viewport(page, selector: str) -> dict:
    box = page.locator(selector).first.bounding_box()
    size = page.viewport_size
    assert box is not None, f"{selector} is not on the page"
    assert box["x"] >= 0 and box["y"] >= 0, (selector, box)
    assert box["x"] + box["width"] <= size["width"] + 0.5, (selector, box, size)
    assert box["y"] + box["height"] <= size["height"] + 0.5, (selector, box, size)
    return box


def ink_pixels(page) -> int:
    """Dark pixels on the current canvas's drawing layer."""
    return page.locator("canvas.lower-canvas").last.evaluate(
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
                  for (let i = 0; i < d.length; i += 4) if (d[i] < 128 && d[i + 3] > 0) n++; return n; }""")


@pytest.mark.parametrize("width, height, classroom, shot", SCREENS,
                         ids=[f"{w}x{h}{'-classroom' if c else ''}" for w, h, c, _ in SCREENS])
def test_canvas_and_answer_fit_the_screen(screen_page, base_url, save_screenshot, width, height, classroom, shot):
    page = screen_page(width, height)
    harness.open_app_page(page, base_url, "/draw?classroom=1" if classroom else "/draw")
    wait_for_layout(page, classroom)
    assert page.locator(".st-key-classroom input").first.is_checked() == classroom
    harness.draw_digit(page, 4, AS_IS)
    eventually_reads(page, 4)
    canvas = inside_viewport(page, harness.CANVAS_SELECTOR)
    inside_viewport(page, ".st-key-prediction")
    inside_viewport(page, ".st-key-confidence")
    if classroom:
        inside_viewport(page, ".st-key-draw_bars .dl-bars")
        inside_viewport(page, '[data-testid="stButton"]:has-text("Clear")')  # only the explanation panels lie below
        assert canvas["height"] >= height - 300, f"the canvas could be bigger: {canvas['height']} px"
    if (width, height, classroom) == (1920, 1080, True):
        answer_px = page.locator(".st-key-prediction p").first.evaluate("p => parseFloat(getComputedStyle(p).fontSize)")
        axis_px = page.locator(".st-key-draw_bars .dl-digit").first.evaluate(
            "t => parseFloat(getComputedStyle(t).fontSize)")
        assert answer_px >= 18 and axis_px >= 18, (answer_px, axis_px)
    # the toolbar's Undo and Redo are on screen without hovering (a touch screen cannot hover)
    assert page.get_by_role("button", name="Undo").first.is_visible()
    assert page.get_by_role("button", name="Edit").count() == 0 or not page.get_by_role("button", name="Edit").first.is_visible()
    if shot:
        harness.settled_look(page)
        save_screenshot(page, shot)
    assert not harness.page_problems(page)
    assert not page.js_errors, page.js_errors


def test_classroom_mode_keeps_the_drawing_and_the_address(screen_page, base_url):
    page = screen_page(1280, 800)
    harness.open_app_page(page, base_url, "/draw")
    box = wait_for_layout(page, classroom=False)
    since = harness.mark(page)
    left, top, side = box["x"], box["y"], box["width"]
    harness.draw_stroke(page, [(left + 0.62 * side, top + 0.14 * side), (left + 0.42 * side, top + 0.86 * side)])
    assert page.evaluate("() => document.body.classList.contains('dl-settling')")  # "still drawing?" at once
    assert harness.wait_for_prediction(page, since) == 1
    harness.settled_look(page)  # and gone a moment later, the answer still there
    assert harness.predicted_digit(page) == 1
    before = ink_pixels(page)

    harness.interact(page, page.get_by_text("Classroom mode").first.click)
    big = wait_for_layout(page, classroom=True)
    assert "classroom=1" in page.url
    assert big["width"] > side
    assert harness.predicted_digit(page) == 1, "the answer must survive the switch"
    assert ink_pixels(page) > before, "the drawing must be on the bigger canvas, scaled up"
    # a new stroke adds to the kept drawing: the 1 becomes a 7
    since = harness.mark(page)
    left, top, side = big["x"], big["y"], big["width"]
    harness.draw_stroke(page, [(left + 0.26 * side, top + 0.15 * side), (left + 0.64 * side, top + 0.14 * side)])
    assert harness.wait_for_prediction(page, since) == 7

    harness.interact(page, page.get_by_text("Classroom mode").first.click)
    wait_for_layout(page, classroom=False)
    assert "classroom" not in page.url
    assert harness.predicted_digit(page) == 7
    assert ink_pixels(page) > 0
    assert not page.js_errors, page.js_errors
