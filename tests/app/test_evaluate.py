"""Evaluate page: downloads with the TFLite parity table, TensorBoard command, probabilities of a clicked image."""

import base64
import json

import numpy as np

from tests.app.apptools import LOGISTIC, QUICK, open_page, page_text


def _downloads(at) -> dict[str, object]:
    return {element.proto.label: element for element in at.get("download_button")}


def _figure(at, key: str) -> dict:
    return next(json.loads(e.proto.spec) for e in at.get("plotly_chart") if key in e.proto.id)


def _numbers(values) -> list[float]:
    """Plotly sends numeric arrays as base64 ("bdata") or as plain lists."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return list(values)


def _evaluate(model: str):
    at = open_page("evaluate")
    at.selectbox(key="pick_evaluate").set_value(model).run()
    return at


def test_keras_download_at_once_tflite_on_a_button_press(app_env):
    at = _evaluate(LOGISTIC)
    assert not at.exception
    assert "Download .keras" in _downloads(at)
    assert not any("tflite" in label for label in _downloads(at))
    at.button(key="export_float").click().run()
    assert not at.exception
    assert "Download .tflite (float)" in _downloads(at)
    table = at.dataframe[-1].value
    assert list(table["TFLite"]) == ["float"]
    assert table["same answer as Keras"][0] >= 0.999
    assert "through the LiteRT interpreter" in page_text(at)


def test_conversions_are_kept_per_model_version(app_env):
    at = _evaluate(LOGISTIC)
    at.button(key="export_int8").click().run()
    assert "Download .tflite (int8 (full-integer))" in _downloads(at)
    again = _evaluate(LOGISTIC)  # a new session: the server already holds the conversion
    assert "Download .tflite (int8 (full-integer))" in _downloads(again)
    other = _evaluate(QUICK)
    assert not any("int8" in label for label in _downloads(other))


def test_tensorboard_command_for_the_chosen_model(app_env):
    at = _evaluate(QUICK)
    commands = [code.value for code in at.code]
    assert f"tensorboard --logdir '{app_env / QUICK / 'tensorboard'}'" in commands


def test_model_without_logs_says_so(copied_models):
    import shutil

    shutil.rmtree(copied_models / LOGISTIC / "tensorboard")
    at = _evaluate(LOGISTIC)
    assert not at.exception and not at.code
    assert "saved without TensorBoard logs" in page_text(at)


def test_an_image_of_a_cell_shows_its_ten_probabilities(app_env):
    at = _evaluate(QUICK)
    at.selectbox(key="eval_true").set_value(3)
    at.selectbox(key="eval_pred").set_value(3).run()
    assert at.selectbox(key="eval_image").value == 0
    at.selectbox(key="eval_image").set_value(2).run()
    assert not at.exception
    probabilities = _numbers(_figure(at, "eval_image_bars")["data"][0]["y"])
    assert len(probabilities) == 10 and abs(sum(probabilities) - 1) < 1e-3
    assert max(range(10), key=lambda d: probabilities[d]) == 3
    assert _figure(at, "eval_cell_images")["layout"]["shapes"], "the chosen image is outlined in the grid"
    assert "The model said **3**" in page_text(at)


def test_picking_another_cell_starts_from_its_first_image(app_env):
    at = _evaluate(QUICK)
    at.selectbox(key="eval_true").set_value(3)
    at.selectbox(key="eval_pred").set_value(3).run()
    at.selectbox(key="eval_image").set_value(2).run()
    at.selectbox(key="eval_true").set_value(1)
    at.selectbox(key="eval_pred").set_value(1).run()
    assert at.selectbox(key="eval_image").value == 0 and not at.exception
