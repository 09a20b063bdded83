"""Bad input through the app: no raw HTML from users, upload limits, and the server keeps serving."""

import ast
import tomllib
from pathlib import Path

from tests.app.apptools import QUICK, REPO, digit_png, open_page, page_text

UI_FILES = [REPO / "app.py", *sorted((REPO / "pages").glob("*.py")), *sorted((REPO / "ui").glob("*.py"))]


def _calls(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            yield node


def test_raw_html_only_ever_carries_constant_css():
    """unsafe_allow_html is never used; st.html only receives the fixed stylesheet."""
    for path in UI_FILES:
        for call in _calls(path):
            for keyword in call.keywords:
                assert keyword.arg != "unsafe_allow_html", f"{path.name}:{call.lineno} renders raw HTML"
            name = getattr(call.func, "attr", "")
            if name == "html":
                constant_css = path.name == "style.py" and all(isinstance(a, ast.Name) and a.id == "CSS" for a in call.args)
                bars = path.name == "bars.py" and all(  # ten probabilities as bars: numbers only, see below
                    isinstance(a, ast.Call) and getattr(a.func, "id", "") == "bars_html" for a in call.args)
                assert constant_css or bars, f"{path.name}:{call.lineno} sends HTML that is not constant"


def test_the_probability_bars_carry_only_numbers():
    """The Draw page's bars are the one st.html built per stroke: only numbers, digits and fixed markup."""
    import re

    import numpy as np

    from ui.bars import bars_html

    cell = (r'<div class="dl-bar" title="digit \d: [\d.]+%"><div class="dl-track"><div class="dl-fill" '
            r'style="height:[\d.]+%;background:(#2E86DE|rgba\(128, 128, 128, 0\.45\))"><span class="dl-pct">'
            r'(\d{1,3}%)?</span></div></div><span class="dl-digit">\d</span></div>')
    whole = re.compile(r'<div class="dl-bars" role="img" aria-label="Probability of each digit\. '
                       r'(\d: \d{1,3}%, ){9}9: \d{1,3}%" style="height:\d+px;font-size:\d+px">'
                       f"({cell}){{10}}</div>")
    for probs in (np.eye(10)[7], np.full(10, 0.1), [np.nan, np.inf, -1, 2, 0, 0, 0, 0, 0, 1e-9]):
        html = bars_html(probs, 300, 17)
        assert whole.fullmatch(html), html


def test_the_identity_script_only_ever_carries_a_hex_id():
    """The browser-id script is a constant; the id reaches it as data, and only as 32 hex digits."""
    import pytest

    from ui import classroom

    for bad in ("", "x" * 32, "ab" * 16 + "\"; alert(1); \"", "AB" * 16):
        with pytest.raises(ValueError):
            classroom._held_by_browser(bad)


def test_upload_size_is_limited_in_config():
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert 1 <= config["server"]["maxUploadSize"] <= 10  # megabytes, enforced by Streamlit's server


def test_html_in_a_model_name_is_refused_before_it_reaches_a_page(app_env):
    at = open_page("train")
    at.text_input(key="train_name").set_value("<img src=x onerror=alert(1)>").run()
    assert not at.exception
    assert "not a valid model name" in page_text(at)


def test_truncated_upload_then_a_good_one(app_env, mnist):
    at = open_page("draw")
    at.selectbox(key="pick_draw").set_value(QUICK).run()
    good = digit_png(mnist.x_test[0])
    at.file_uploader(key="draw_upload").upload("broken.png", good[: len(good) // 2], "image/png").run()
    assert not at.exception and "cannot be used" in page_text(at)
    at.file_uploader(key="draw_upload").upload("good.png", good, "image/png").run()
    assert not at.exception and "Prediction:" in page_text(at)  # one bad file changed nothing for the next


def test_streamlit_no_longer_clears_keras_after_each_run(app_env):
    """Per-run clear_session cost seconds under load and broke model building in the training thread."""
    from streamlit.runtime.scriptrunner import script_runner

    open_page("draw")
    assert getattr(script_runner._clean_problem_modules, "digitlab_patched", False)
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False


def test_training_thread_survives_streamlit_reruns(app_env, mnist):
    """Model building in the training thread while page runs finish (the race seen under load)."""
    import threading

    from streamlit.runtime.scriptrunner import script_runner

    from mnist_core.presets import build_model

    open_page("home")  # installs the patch
    failures = []

    def build_many():
        for _ in range(30):
            try:
                build_model("cnn-quick")
            except ValueError as exc:
                failures.append(exc)

    thread = threading.Thread(target=build_many)
    thread.start()
    while thread.is_alive():
        script_runner._clean_problem_modules()  # what every script run ends with
    thread.join()
    assert not failures, failures[:1]
