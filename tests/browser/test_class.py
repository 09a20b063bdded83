"""The class in a real browser: label a drawing, find it on the Class page, export and re-import it;
and two browsers (two contexts) where only the owner, in any of their tabs, can stop a run."""

from __future__ import annotations

import time

import numpy as np
import pytest

from mnist_core import drawings

from devtools import appserver, harness
from .conftest import failed, save_failure_artifacts, serve

pytestmark = pytest.mark.browser
KEY = "a teacher key for the browser test"


def _class_db(server: appserver.AppServer) -> str:
    return server.db_url


def _wait_count(url: str, count: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if drawings.count(url=url) == count:
            return
        time.sleep(0.2)
    raise AssertionError(f"expected {count} stored drawings, found {drawings.count(url=url)}")


def _click(page, name: str, exact: bool = True) -> None:
    harness.interact(page, page.get_by_role("button", name=name, exact=exact).first.click)


def test_mark_wrong_see_it_on_the_class_page_export_and_reimport(page, app_server, tmp_path, save_screenshot):
    url = _class_db(app_server)
    before = drawings.count(url=url)
    harness.open_app_page(page, app_server.url, "/draw")
    shown = harness.draw_digit(page, 1)
    assert shown is not None, "the page gave no answer"
    label = (shown + 1) % 10
    page.get_by_role("button", name="✓ Right").wait_for()
    assert page.get_by_text("Wrong, it is").count()
    # a fresh canvas for the next one
    harness.fresh_canvas_after(page, page.get_by_role("button", name=str(label), exact=True).first.click)
    _wait_count(url, before + 1)
    [stored] = drawings.query(limit=1, with_png=True, url=url)
    assert stored.label == label and stored.predicted == shown and stored.image_png and stored.browser

    harness.interact(page, page.locator('[data-testid="stTopNavLink"]').filter(has_text="Class").first.click)
    page.get_by_text(f"{label} · ✗ read {shown}").first.wait_for(timeout=30_000)
    assert not harness.page_problems(page)
    page.wait_for_timeout(4500)  # the Draw page's "Saved" toast fades first
    save_screenshot(page, "class")

    harness.interact(page, page.get_by_role("tab", name="Import / export").click)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="npz").first.click()
    exported = tmp_path / "class.npz"
    download_info.value.save_as(exported)
    with np.load(exported) as archive:
        assert archive["x"].dtype == np.uint8 and archive["x"].shape[1:] == (28, 28)
        assert archive["y"][-1] == label and len(archive["y"]) == before + 1

    drawings.delete([stored.id], url=url)  # gone from the class ...
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').last.set_input_files(str(exported))
    harness.wait_idle(page)
    _click(page, "Import")
    page.get_by_text("Imported 1 drawing").first.wait_for(timeout=30_000)
    x, y, _ = drawings.arrays(url=url)  # ... and back, pixel for pixel
    assert y[-1] == label and np.array_equal(x[-1], stored.pixels)


@pytest.fixture(scope="module")
def class_server(tmp_path_factory, shipped_dir, mnist_file):
    yield from serve(tmp_path_factory.mktemp("class-server"), shipped_dir, mnist_file, {"DIGITLAB_TEACHER_KEY": KEY})


def _context_page(browser, request, server):
    page = harness.new_page(browser)
    page.js_errors = []
    request.addfinalizer(lambda: (save_failure_artifacts(request, page, server) if failed(request) else None,
                                  page.context.close()))
    return page


def _train_text(page) -> str:
    return page.locator('[data-testid="stMainBlockContainer"]').inner_text()


def _start(page, name: str) -> None:
    """Name the run as a person would, then press Start; say what the page shows if Start stays disabled.

    (Once in a full CI run the Start button stayed disabled here with the suggested name, after two tabs
    had reconnected; the page's text is now in the failure.)
    """
    box = page.get_by_role("textbox", name="Model name")
    box.fill(name)
    box.press("Enter")
    harness.wait_idle(page, timeout=60)
    start = page.get_by_role("button", name="Start training")
    deadline = time.monotonic() + 30
    while not start.is_enabled():
        if time.monotonic() > deadline:
            raise AssertionError("Start training stayed disabled; the page shows:\n" + _train_text(page))
        time.sleep(0.25)
    start.click()


def test_two_browsers_your_run_stays_yours_across_reload_and_tabs(browser, class_server, request):
    pupil = _context_page(browser, request, class_server)
    harness.open_app_page(pupil, class_server.url, "/train")
    cookies = {c["name"]: c["value"] for c in pupil.context.cookies()}
    assert len(cookies.get("digitlab_browser", "")) == 32, cookies
    assert "Pupil mode" in pupil.locator("body").inner_text()

    pupil.get_by_role("button", name="Start training").click()
    pupil.get_by_text("You are training").first.wait_for(timeout=30_000)

    pupil.reload()  # a reload keeps the run yours
    pupil.get_by_text("You are training").first.wait_for(timeout=60_000)
    second_tab = pupil.context.new_page()  # and so does a second tab of the same browser
    second_tab.goto(class_server.url + "/train")  # (the live view reruns every second: no "idle" to wait for)
    second_tab.get_by_text("You are training").first.wait_for(timeout=60_000)

    other = _context_page(browser, request, class_server)  # another pupil's browser
    other.goto(class_server.url + "/train")
    other.get_by_text("is training").first.wait_for(timeout=60_000)
    # the heading comes first in the live view; wait for the end of it before reading the page
    other.get_by_text("Only the person who started this run").first.wait_for(timeout=60_000)
    assert "You are training" not in _train_text(other)
    assert other.get_by_role("button", name="Stop training").count() == 0

    second_tab.get_by_role("button", name="Stop training").click()
    second_tab.get_by_text("Start training").first.wait_for(timeout=120_000)  # the run ended; the form is back
    assert not harness.page_problems(second_tab)


def test_two_tabs_opened_together_before_the_cookie_are_one_browser(browser, class_server, request):
    """Both tabs connect before either has stored the browser id: the second adopts the first one's."""
    first = _context_page(browser, request, class_server)
    second = first.context.new_page()
    first.goto(class_server.url + "/train", wait_until="commit")
    second.goto(class_server.url + "/train", wait_until="commit")  # no cookie yet for either connection
    for tab in (first, second):
        tab.locator('[data-testid="stMainBlockContainer"] h1').first.wait_for(timeout=60_000)
        harness.wait_idle(tab, timeout=60)
    time.sleep(2.5)  # the browser-id script looks again after 0.4 s and 2 s; an adopting tab reruns
    for tab in (first, second):
        harness.wait_idle(tab, timeout=60)
    cookies = [c["value"] for c in first.context.cookies() if c["name"] == "digitlab_browser"]
    assert len(cookies) == 1 and len(cookies[0]) == 32
    _start(first, "two tabs one browser")
    first.get_by_text("You are training").first.wait_for(timeout=30_000)
    name = second.get_by_role("textbox", name="Model name")  # a rerun of that tab, no reload
    name.fill("rerun please")
    name.press("Enter")
    second.get_by_text("You are training").first.wait_for(timeout=60_000)  # the same person in both tabs
    second.get_by_role("button", name="Stop training").click()
    first.get_by_text("Start training").first.wait_for(timeout=120_000)
    assert not harness.page_problems(second)
