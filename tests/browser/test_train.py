"""Train a tiny model from /train in the browser and find it in the Draw page's model picker."""

from __future__ import annotations

import re
import time

import pytest

from devtools import appserver, harness

pytestmark = pytest.mark.browser

TRAINING_TIMEOUT = 180  # seconds; a 1-epoch logistic run on 1,000 images takes well under a minute
BATCH_RE = re.compile(r"batch ([\d,]+) of ([\d,]+)")


def batch_fraction(page) -> float:
    """How far the live view says the run is (1.0 while it scores the finished model)."""
    text = page.locator("body").inner_text()
    if "Scoring the new model" in text:
        return 1.0
    match = BATCH_RE.search(text)
    if not match:
        return 0.0
    done, total = (int(g.replace(",", "")) for g in match.groups())
    return done / total if total else 0.0


def test_short_training_run_shows_up_in_the_draw_model_picker(page, base_url, save_screenshot):
    harness.open_app_page(page, base_url, "/train")
    save_screenshot(page, "train")  # the form as a visitor first sees it
    harness.interact(page, page.get_by_text("Logistic baseline").first.click)
    assert harness.set_slider(page, "Epochs", None) == 1
    images = harness.set_slider(page, "Training images", None)
    assert images <= 1000, f"the smallest training set the page allows is {images:.0f} images"
    name = page.get_by_role("textbox", name="Model name").input_value().strip()
    assert name, "the page suggests no model name"

    page.get_by_role("button", name="Start training").click()
    page.get_by_text("You are training").first.wait_for(timeout=30_000)

    success = page.locator('[data-testid="stAlertContentSuccess"]').filter(has_text=name)
    pictured = -1.0  # the training progress at the last screenshot
    deadline = time.monotonic() + TRAINING_TIMEOUT
    while time.monotonic() < deadline:
        if success.count():
            break
        problems = harness.page_problems(page)
        assert not problems, f"while training: {problems}"
        fraction = batch_fraction(page)
        if fraction >= max(0.05, pictured + 0.15) and page.get_by_text("You are training").count():
            save_screenshot(page, "train-live")  # the last one, with the longest curves, stays
            pictured = fraction
        page.wait_for_timeout(250)
    else:
        pytest.fail(f"training did not finish within {TRAINING_TIMEOUT} s; the page says:\n"
                    + page.locator("body").inner_text()[:2000])
    harness.wait_idle(page)
    after_run = harness.page_problems(page)  # checked at the end, after the model picker

    # Same session, through the navigation bar: the new model is there, and it is the active one.
    harness.interact(page, page.locator('[data-testid="stTopNavLink"]').filter(has_text="Draw").first.click)
    harness.canvas_box(page)
    picker = page.get_by_role("combobox", name="Model").first
    shown = picker.input_value()
    assert name in shown, f"the Draw page's model picker shows {shown!r}, not {name!r}"
    picker.click()
    page.get_by_role("option").first.wait_for()
    options = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    assert any(name in o for o in options), f"{name!r} is not among the models offered: {options}"
    assert any(appserver.DEFAULT_MODEL in o for o in options), options
    assert not after_run, f"the Train page shows problems after a successful run: {after_run}"
