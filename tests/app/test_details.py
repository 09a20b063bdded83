"""The details a new user tripped over (issue 12): rounding, axes, legends, the report, Look inside,
uploads, renaming, and the Draw page's layout for each screen."""

from __future__ import annotations

import numpy as np
import pytest

from tests.app.apptools import LOGISTIC, QUICK, blank_png, digit_png, open_page, page_text
from ui import charts
from ui.helpers import percent, percent_number, scale_drawing
from ui.inside import architecture_nodes
from ui.layout import Viewport, draw_layout, parse_viewport


# ---- one rounding rule -------------------------------------------------------------
@pytest.mark.parametrize("value, decimals, text", [
    (0.9974, 1, "99.7%"), (0.9996, 1, "99.9%"), (0.99996, 2, "99.99%"), (1.0, 1, "100.0%"),
    (0.125, 0, "13%"), (0.985, 0, "99%"), (0.996, 0, "99%"), (0.0004, 1, "0.0%"),
])
def test_one_rounding_rule_never_shows_an_uncertain_100(value, decimals, text):
    assert percent(value, decimals) == text
    assert percent_number(value, decimals) == float(text.rstrip("%"))


def test_every_chart_label_uses_the_rule():
    probs = np.array([0.9996, 0.0004] + [0.0] * 8)
    bars = charts.probability_bars(probs).to_dict()
    assert bars["data"][0]["text"][0] == "99%"  # like the headline, never "100%"
    assert bars["data"][0]["customdata"][0] == "99.9%"
    per_digit = charts.per_digit_bars({"accuracy": [0.9996] * 10}).to_dict()
    assert per_digit["data"][0]["text"][0] == "99.9%"


def test_percentage_axes_start_at_zero_and_stop_at_100():
    for fig in (charts.per_digit_bars({"a": [0.94, 0.98] * 5}),
                charts.per_digit_bars({"a": [0.94] * 10, "b": [0.9] * 10}),
                charts.history_figure({"": {"accuracy": [0.9, 0.95]}}, "accuracy"),
                charts.probability_bars(np.full(10, 0.1))):
        axis = fig.to_dict()["layout"]["yaxis"]
        assert axis["range"][0] == 0
        assert max(axis["tickvals"]) <= 1.0


def test_legends_sit_under_the_plot_not_on_the_title():
    histories = {"model a": {"accuracy": [0.9, 0.95], "val_accuracy": [0.88, 0.9]},
                 "model b": {"accuracy": [0.8, 0.9], "val_accuracy": [0.79, 0.85]}}
    for fig in (charts.history_figure(histories, "accuracy"), charts.per_digit_bars({"a": [0.9] * 10, "b": [0.8] * 10})):
        legend = fig.to_dict()["layout"]["legend"]
        assert legend["y"] < 0 and legend["yanchor"] == "top"


# ---- the Draw page's layout ------------------------------------------------------------
SCREENS = [(1024, 768), (1280, 800), (1366, 768), (1920, 1080)]


@pytest.mark.parametrize("width, height", SCREENS)
def test_classroom_canvas_is_as_big_as_the_screen_allows_and_fits(width, height):
    layout = draw_layout(Viewport(width, height), classroom=True)
    assert layout.kind == "classroom"
    assert layout.side + 44 + 58 + 64 + 52 <= height  # toolbar, Clear, header and title row fit too
    assert layout.side >= height - 300  # and no smaller than it has to be
    assert layout.side + 380 <= width  # room beside it for the answer
    assert layout.chart_height >= 200
    assert layout.chart_font >= 18


def test_normal_and_phone_layouts():
    desktop = draw_layout(Viewport(1280, 800), classroom=False)
    assert desktop.kind == "desktop" and 240 <= desktop.side <= 400
    small = draw_layout(Viewport(1024, 768), classroom=False)
    assert sum(small.columns) + 2 * 16 + 64 <= 1024  # three columns, none wider than the screen
    phone = draw_layout(Viewport(390, 844, touch=True), classroom=False)
    assert phone.is_phone and phone.side <= 390 - 32
    assert draw_layout(Viewport(390, 844), classroom=True).is_phone  # no wider-than-the-screen classroom
    assert draw_layout(None, classroom=False) == desktop  # until the browser says otherwise


def test_viewport_reports_are_checked():
    assert parse_viewport({"width": 390, "height": 844, "touch": True}) == Viewport(390, 844, True)
    assert parse_viewport("1920x1080") == Viewport(1920, 1080, False)
    assert parse_viewport("390x844t").touch
    for bad in ("", "big", "1x1", {"width": "a"}, None, "99999x99999"):
        assert parse_viewport(bad) is None


def test_a_drawing_scales_with_its_canvas():
    drawing = {"version": "6", "objects": [{"type": "path", "left": 10, "top": 20, "scaleX": 1, "scaleY": 1,
                                            "path": [["M", 0, 0]], "strokeWidth": 20}]}
    bigger = scale_drawing(drawing, 2.0)
    obj = bigger["objects"][0]
    assert (obj["left"], obj["top"], obj["scaleX"], obj["scaleY"]) == (20, 40, 2, 2)
    assert drawing["objects"][0]["left"] == 10  # the original is untouched
    assert len(bigger["objects"]) == 1 and scale_drawing(None, 2) is None


def test_classroom_mode_opens_from_the_address(app_env):
    from streamlit.testing.v1 import AppTest

    from tests.app.apptools import APP, TIMEOUT

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page("pages/draw.py")
    at.query_params["classroom"] = "1"
    at.run()
    assert not at.exception
    assert at.toggle(key="classroom").value is True
    assert not [s for s in at.slider if s.key == "brush"]
    at.toggle(key="classroom").set_value(False).run()
    assert "classroom" not in at.query_params


def test_the_answer_leaves_room_for_feedback_and_says_your_upload(app_env, mnist):
    at = open_page("draw")
    at.selectbox(key="pick_draw").set_value(QUICK).run()
    at.file_uploader(key="draw_upload").upload("d.png", digit_png(mnist.x_test[0]), "image/png").run()
    assert not at.exception
    text = page_text(at)
    assert "Your upload cropped" in text and "Your drawing cropped" not in text


def test_a_new_upload_replaces_the_previous_error(app_env, mnist):
    at = open_page("draw")
    at.file_uploader(key="draw_upload").upload("bad.png", b"not an image", "image/png").run()
    assert any("cannot be used" in e.value for e in at.error)
    at.file_uploader(key="draw_upload").upload("blank.png", blank_png(), "image/png").run()
    assert not at.error
    at.file_uploader(key="draw_upload").clear().run()
    assert not at.error and "Draw a digit" in page_text(at)


# ---- Look inside -----------------------------------------------------------------------
def test_architecture_folds_helper_layers_into_boxes():
    rows = [{"type": t, "output shape": s, "parameters": p} for t, s, p in [
        ("Conv2D", "(None, 28, 28, 32)", 288), ("BatchNormalization", "(None, 28, 28, 32)", 128),
        ("Activation", "(None, 28, 28, 32)", 0), ("MaxPooling2D", "(None, 14, 14, 32)", 0),
        ("Dropout", "(None, 14, 14, 32)", 0), ("Flatten", "(None, 6272)", 0), ("Dense", "(None, 10)", 62730)]]
    nodes = architecture_nodes(rows)
    assert [n["type"] for n in nodes] == ["Conv2D", "MaxPooling2D", "Flatten", "Dense"]
    assert nodes[0]["notes"] == ["batch norm", "activation"] and nodes[0]["parameters"] == 416
    assert nodes[1]["notes"] == ["dropout"] and nodes[0]["shape"] == "28×28×32"


def test_activations_show_the_teaching_layers_first(app_env):
    at = open_page("look_inside")
    at.selectbox(key="pick_inside").set_value(QUICK).run()
    assert "· MaxPooling2D ·" not in page_text(at)
    assert "· Conv2D ·" in page_text(at) and "· Dense ·" in page_text(at)
    assert "one number per digit" in page_text(at)  # the output layer is labelled by digit
    at.toggle(key="inside_all_layers").set_value(True).run()
    assert not at.exception
    assert "· MaxPooling2D ·" in page_text(at)
    assert "Integrated gradients" in page_text(at)


def test_look_inside_in_a_new_tab_explains_and_offers_a_canvas(app_env):
    at = open_page("look_inside")  # a fresh session: nothing drawn in this tab
    assert "No drawing in this tab yet" in page_text(at)
    at.radio(key="inside_source").set_value("Draw one here").run()
    assert not at.exception
    assert "Draw a digit in the box" in page_text(at)
    assert any(b.label.endswith("Clear") for b in at.button)


# ---- Home and Evaluate -------------------------------------------------------------------
def test_rename_keeps_acting_on_the_renamed_model(copied_models):
    at = open_page("home")
    at.selectbox(key="manage_pick").set_value(LOGISTIC).run()
    at.text_input(key="manage_new_name").set_value("baseline").run()
    at.button(key="manage_rename").click().run()
    assert not at.exception
    assert at.selectbox(key="manage_pick").value == "baseline"
    assert at.text_input(key="manage_new_name").value == ""


def test_classification_report_shows_every_row(app_env):
    at = open_page("evaluate")
    at.selectbox(key="pick_evaluate").set_value(QUICK).run()
    assert not at.exception
    table = at.dataframe[0]
    frame = table.value
    assert {"macro avg", "weighted avg"} <= set(frame["digit"])
    values = frame["precision"].tolist()
    assert all(round(v, 1) == v and v <= 100 for v in values)  # one decimal, by the one rule


def test_the_page_css_holds_no_markup():
    """The browser's HTML sanitiser drops a style element whose text contains '<' (even in a comment)."""
    from ui.style import CSS

    assert "<" not in CSS.replace("<style>", "").replace("</style>", "")


def test_a_canvas_update_is_read_like_an_uploaded_file_and_garbage_is_no_drawing():
    import base64
    import io

    from PIL import Image

    from ui.drawing import decode_canvas

    def data_url(image: Image.Image) -> str:
        out = io.BytesIO()
        image.save(out, format="PNG")
        return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()

    drawn = Image.new("RGBA", (280, 280), "white")
    assert decode_canvas(data_url(drawn)).size == (280, 280)
    bomb = Image.new("1", (12_000, 12_000))  # a few KB of PNG, 144 megapixels decoded
    for garbage in ("", "not a data url", "data:image/png;base64,@@@", "data:image/png;base64,aGVsbG8=",
                    None, 42, data_url(bomb)):
        assert decode_canvas(garbage) is None, garbage
