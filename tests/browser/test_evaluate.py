"""Evaluate in a real browser: clicking a digit in a confusion-matrix cell shows its ten probabilities."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from devtools import harness

pytestmark = pytest.mark.browser


def test_clicking_an_image_of_a_cell_picks_it(page, base_url):
    harness.open_app_page(page, base_url, "/evaluate")
    cells = page.locator(".st-key-eval_confusion .scatterlayer path.point")
    cells.first.wait_for(state="attached", timeout=30_000)
    shown = "() => document.body.innerText.includes('of a 3 correctly recognised')"
    for _ in range(3):  # a click that lands before Plotly has bound its handlers selects nothing: click again
        cells.nth(3 * 10 + 3).click(force=True)  # true 3, predicted 3: hundreds of images
        harness.wait_idle(page)
        try:
            page.wait_for_function(shown, timeout=10_000)
            break
        except PlaywrightTimeout:
            continue
    page.wait_for_function(shown, timeout=30_000)
    harness.wait_idle(page)
    grid = page.locator('.st-key-eval_cell_images[data-stale="false"]')
    grid.scroll_into_view_if_needed()
    tiles = grid.locator(".scatterlayer path.point")
    tiles.first.wait_for(state="attached", timeout=30_000)
    assert tiles.count() > 3
    caption = page.get_by_text(re.compile(r"^Test image \d+: labelled 3$")).first
    before = caption.inner_text()
    tiles.nth(2).click(force=True)
    harness.wait_idle(page)
    page.wait_for_function(
        "old => [...document.querySelectorAll('*')].some(e => e.childElementCount === 0"
        " && /^Test image \\d+: labelled 3$/.test(e.textContent) && e.textContent !== old)",
        arg=before, timeout=30_000)
    assert caption.inner_text() != before
    assert page.locator(".st-key-eval_image_bars").count() == 1
    assert not harness.page_problems(page)
