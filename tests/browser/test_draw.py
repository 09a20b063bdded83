"""Draw digits with the mouse on /draw and read the app's answer off the screen."""

from __future__ import annotations

import re

import pytest

from devtools import harness
from .conftest import failed, save_failure_artifacts

pytestmark = pytest.mark.browser

CONFIDENCE_RE = re.compile(r"^\d{1,3}% sure$")


@pytest.fixture(scope="module")
def draw_page(browser, app_server):
    """One /draw session for the whole module (loading the page and the model is the slow part)."""
    page = harness.new_page(browser)
    page.js_errors = []
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    harness.open_app_page(page, app_server.url, "/draw")
    yield page
    page.context.close()


@pytest.fixture
def fresh_canvas(request, draw_page, app_server):
    """The module's /draw page with an empty canvas and the default pen."""
    harness.clear_canvas(draw_page)
    harness.set_brush(draw_page, harness.VARIANTS["large"].brush)
    yield draw_page
    if failed(request):
        save_failure_artifacts(request, draw_page, app_server)


def assert_recognised(page, digit: int, shown: int | None) -> None:
    assert shown == digit, (f"drew a {digit}, the page says {harness.prediction_text(page)!r} "
                            f"({harness.confidence_text(page)!r})")
    assert CONFIDENCE_RE.match(harness.confidence_text(page) or ""), harness.confidence_text(page)
    assert harness.HINT_TEXT not in page.locator("body").inner_text()


def tallest_bar(page) -> int | None:
    """The digit whose probability bar (ui/bars.py) is tallest, or None without ten bars."""
    heights = page.locator(".st-key-draw_bars .dl-fill").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().height)")
    return max(range(10), key=heights.__getitem__) if len(heights) == 10 else None


def test_empty_canvas_shows_the_hint(fresh_canvas):
    page = fresh_canvas
    assert page.get_by_text(harness.HINT_TEXT).first.is_visible()
    assert "Prediction:" not in page.locator("body").inner_text()
    assert page.locator(".st-key-prediction").count() == 0


@pytest.mark.parametrize("digit", range(10))
def test_large_centred_digit_is_recognised(fresh_canvas, digit):
    shown = harness.draw_digit(fresh_canvas, digit, "large")
    assert_recognised(fresh_canvas, digit, shown)


@pytest.mark.parametrize("digit", range(10))
def test_a_digit_drawn_fast_is_recognised(fresh_canvas, digit):
    """Each stroke as 7 mouse positions joined by straight lines: a quick hand on a slow screen."""
    shown = harness.draw_digit(fresh_canvas, digit, "large", points=7)
    assert_recognised(fresh_canvas, digit, shown)


@pytest.mark.parametrize("digit", [1, 2, 4, 7])
def test_small_thin_digit_in_a_corner_is_recognised(fresh_canvas, digit):
    page = fresh_canvas
    shown = harness.draw_digit(page, digit, "small")
    assert harness.set_brush(page, harness.VARIANTS["small"].brush) == harness.VARIANTS["small"].brush
    assert_recognised(page, digit, shown)


def test_clear_brings_the_hint_back(fresh_canvas):
    page = fresh_canvas
    assert harness.draw_digit(page, 7) == 7
    harness.clear_canvas(page)
    body = page.locator("body").inner_text()
    assert harness.HINT_TEXT in body
    assert "Prediction:" not in body
    assert page.locator(".st-key-prediction").count() == 0
    assert harness.predicted_digit(page) is None


def test_the_answer_follows_the_drawing(fresh_canvas):
    """A 1 becomes a 7 when its bar is added: the guess updates on every stroke, no button."""
    page = fresh_canvas
    box = harness.canvas_box(page)
    since = harness.mark(page)
    left, top, side = box["x"], box["y"], box["width"]
    harness.draw_stroke(page, [(left + 0.62 * side, top + 0.14 * side), (left + 0.42 * side, top + 0.86 * side)])
    assert harness.wait_for_prediction(page, since) == 1
    assert tallest_bar(page) == 1  # the bars follow too
    since = harness.mark(page)
    harness.draw_stroke(page, [(left + 0.26 * side, top + 0.15 * side), (left + 0.64 * side, top + 0.14 * side)])
    assert harness.wait_for_prediction(page, since) == 7
    assert tallest_bar(page) == 7


def test_screenshot_with_a_recognised_digit(fresh_canvas, save_screenshot):
    page = fresh_canvas
    assert harness.draw_digit(page, 3) == 3
    harness.settled_look(page)
    save_screenshot(page, "draw")
    assert not page.js_errors, page.js_errors


def test_a_drawing_that_is_not_a_digit_is_declined(fresh_canvas):
    """An X drawn with the mouse: "That does not look like a digit", no "Prediction:", then Clear still works."""
    page = fresh_canvas
    box = harness.canvas_box(page)
    left, top, side = box["x"], box["y"], box["width"]
    since = harness.mark(page)
    harness.draw_stroke(page, [(left + 0.2 * side, top + 0.2 * side), (left + 0.8 * side, top + 0.8 * side)])
    harness.draw_stroke(page, [(left + 0.8 * side, top + 0.2 * side), (left + 0.2 * side, top + 0.8 * side)])
    assert harness.wait_for_prediction(page, since) is None
    body = page.locator("body").inner_text()
    assert "That does not look like a digit" in body and "Best guess, if it is one:" in body
    assert "Prediction:" not in body and page.locator(".st-key-prediction").count() == 0
    harness.clear_canvas(page)
    assert harness.draw_digit(page, 7) == 7
