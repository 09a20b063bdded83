"""Every page opens in a real browser without an exception, a traceback or an error message."""

from __future__ import annotations

import pytest

from devtools import harness

pytestmark = pytest.mark.browser

# URL path -> screenshot name (None: no README picture from this test)
PAGES = {
    "/": "home",
    "/draw": None,  # test_draw.py takes it with a recognised digit
    "/train": None,  # test_train.py takes it during a run
    "/evaluate": "evaluate",
    "/mistakes": "mistakes",
    "/dataset": "dataset",
}


def nav_paths(page) -> list[str]:
    """The URL paths of the links in the app's navigation bar."""
    hrefs = page.locator('[data-testid="stTopNavLink"], [data-testid="stTopNavDropdownLink"], '
                         '[data-testid="stSidebarNavLink"]').evaluate_all(
        "links => links.map(a => a.href || (a.querySelector('a') || {}).href).filter(Boolean)"
        ".map(h => new URL(h).pathname)")
    return sorted(set(hrefs))


def linked_paths(browser, base_url) -> list[str]:
    """The paths the home page's navigation bar links to, seen by a fresh session."""
    page = harness.new_page(browser)
    try:
        harness.open_app_page(page, base_url, "/")
        return nav_paths(page)
    finally:
        page.context.close()


@pytest.fixture(scope="module")
def all_paths(browser, base_url):
    """The pages this build must have, plus any other page its navigation links to (e.g. /look_inside)."""
    return list(PAGES) + [p for p in linked_paths(browser, base_url) if p not in PAGES]


def test_navigation_links_every_page(browser, base_url):
    linked = linked_paths(browser, base_url)
    missing = [p for p in PAGES if p not in linked]
    assert not missing, f"the navigation bar has no link to {missing} (it links {linked})"


def test_every_page_opens_without_errors(all_paths, page, base_url, save_screenshot):
    report = {}
    for path in all_paths:
        harness.open_app_page(page, base_url, path)
        page.wait_for_timeout(500)  # charts and images settle after the run
        problems = harness.page_problems(page)
        if "Page not found" in page.locator("body").inner_text():
            problems.append("Streamlit says 'Page not found'")
        if page.js_errors:
            problems.extend(f"JavaScript error: {e}" for e in page.js_errors)
            page.js_errors.clear()
        if problems:
            report[path] = problems
        name = PAGES.get(path) if path in PAGES else path.strip("/").replace("/", "-")
        if name:
            save_screenshot(page, name)
    assert not report, "problems found:\n" + "\n".join(f"{p}: {v}" for p, v in report.items())
