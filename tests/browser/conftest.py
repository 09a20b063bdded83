"""Fixtures for the real-browser tests: one Streamlit server and one Chromium for the session.

* ``app_server``: ``streamlit run app.py`` on a free loopback port with an empty,
  temporary ``DIGITLAB_MODELS``; the shipped models come from ``shipped_models/``
  (or ``$DIGITLAB_SHIPPED``), and if the default model is not there a quick CNN is
  trained into a temporary shipped folder first (about a minute), so the
  recognition tests never depend on luck.
* ``browser``: Debian's Chromium (``/usr/bin/chromium``). Without it the browser
  tests are skipped, except in CI (``CI`` set), where that is a failure.
* ``page``: a fresh browser context (so a fresh Streamlit session) at 1280x800.
* ``save_screenshot``: writes the README pictures to ``docs/screenshots/<name>.png``
  (``DIGITLAB_SCREENSHOTS=0`` turns that off, any other value is a folder to use).

A failing test leaves a screenshot and the server log in ``test-artifacts/browser/``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from devtools import appserver, harness

ARTIFACTS = appserver.ROOT / "test-artifacts" / "browser"
SCREENSHOTS = appserver.ROOT / "docs" / "screenshots"


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required in CI)", pytrace=False)
    pytest.skip(reason)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def failed(request) -> bool:
    report = getattr(request.node, "rep_call", None)
    return bool(report and report.failed)


def save_failure_artifacts(request, page, server: appserver.AppServer | None = None) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = request.node.name.replace("/", "_").replace("[", "-").replace("]", "")
    try:
        page.screenshot(path=str(ARTIFACTS / f"{stem}.png"), full_page=True)
    except Exception:  # the page may be gone; the log still helps
        pass
    if server is not None:
        (ARTIFACTS / f"{stem}-server.log").write_text(server.log_tail(20000))


# ---- session: data, models, server, browser ------------------------------------
@pytest.fixture(scope="session")
def mnist_file() -> Path:
    path = appserver.mnist_path()
    if path is None:
        _unavailable("the real MNIST is needed by the browser tests (set MNIST_NPZ)")
    return path


@pytest.fixture(scope="session")
def shipped_dir(tmp_path_factory, mnist_file) -> Path:
    """A shipped-models folder with ``digitlab-default``: the real one, else a quick one trained now."""
    found = appserver.find_shipped()
    if found is not None:
        return found
    folder = tmp_path_factory.mktemp("shipped")
    return appserver.train_default_model(folder, mnist_file, log=folder / "train.log")


def serve(base: Path, shipped_dir: Path, mnist_file: Path, extra_env: dict[str, str] | None = None):
    """Start an app server in ``base`` and yield it until the fixture using it ends."""
    server = appserver.AppServer(base / "models", shipped_dir=shipped_dir, mnist=mnist_file,
                               log_path=base / "streamlit.log", extra_env=extra_env)
    server.start()
    try:
        server.wait_healthy(timeout=90)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def app_server(tmp_path_factory, shipped_dir, mnist_file):
    yield from serve(tmp_path_factory.mktemp("digitlab-server"), shipped_dir, mnist_file)


@pytest.fixture(scope="session")
def base_url(app_server) -> str:
    return app_server.url


@pytest.fixture(scope="session")
def browser():
    if not Path(harness.CHROMIUM).is_file():
        _unavailable(f"Chromium is not installed at {harness.CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install playwright)")
    with sync_playwright() as playwright:
        browser = harness.launch_browser(playwright)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(request, browser, app_server):
    """A fresh session at 1280x800; JavaScript errors on it are collected in ``page.js_errors``."""
    page = harness.new_page(browser)
    page.js_errors = []
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    yield page
    if failed(request):
        save_failure_artifacts(request, page, app_server)
    page.context.close()


@pytest.fixture(scope="session")
def save_screenshot():
    """``save_screenshot(page, name)``: the viewport (1280x800) as docs/screenshots/<name>.png."""
    setting = os.environ.get("DIGITLAB_SCREENSHOTS", "")
    folder = None if setting == "0" else Path(setting) if setting else SCREENSHOTS

    def save(page, name: str) -> Path | None:
        if folder is None:
            return None
        folder.mkdir(parents=True, exist_ok=True)
        page.mouse.move(harness.VIEWPORT["width"] - 5, harness.VIEWPORT["height"] - 5)  # no hover effects
        page.wait_for_timeout(300)
        path = folder / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return save
