"""Draw and Look inside when the not-a-digit detector declines a drawing."""

from __future__ import annotations

import pytest

from tests.app.apptools import QUICK, digit_png, open_page, page_text, probability_bars


def _use_constant_detector(tmp_path, monkeypatch, score: float) -> None:
    """Point the app at a detector whose digit score is `score` for everything (threshold 50%)."""
    from tests.core.test_detector import constant_detector

    constant_detector(score, threshold=0.5).save(tmp_path / "detector")
    monkeypatch.setenv("DIGITLAB_DETECTOR", str(tmp_path / "detector"))


@pytest.fixture
def declining(app_env, tmp_path, monkeypatch):
    """A detector that finds nothing digit-like (score 2%)."""
    _use_constant_detector(tmp_path, monkeypatch, 0.02)
    return app_env


@pytest.fixture
def accepting(app_env, tmp_path, monkeypatch):
    _use_constant_detector(tmp_path, monkeypatch, 0.98)
    return app_env


def _draw_page_with_upload(image28):
    """The Draw page with the tiny CNN picked and a picture of ``image28`` uploaded."""
    at = open_page("draw")
    at.selectbox(key="pick_draw").set_value(QUICK).run()
    at.file_uploader(key="draw_upload").upload("picture.png", digit_png(image28), "image/png").run()
    assert not at.exception
    return at


def test_draw_says_plainly_that_it_is_not_a_digit(declining, mnist):
    at = _draw_page_with_upload(mnist.x_test[0])
    text = page_text(at)
    assert "That does not look like a digit" in text
    assert "Prediction:" not in text  # the best guess is shown small, never as the answer
    assert "Best guess, if it is one:" in text and "Digit score 2%" in text
    assert probability_bars(at), "the ten probability bars are there"
    assert at.button[0].label.endswith("Clear")


def test_draw_still_answers_a_digit_with_the_detector_on(accepting, mnist):
    at = _draw_page_with_upload(mnist.x_test[0])
    text = page_text(at)
    assert any(str(m.value).startswith("Prediction: ") for m in at.markdown)
    assert "does not look like a digit" not in text


def test_look_inside_explains_why_it_was_declined(declining, mnist):
    at = open_page("draw")
    at.file_uploader(key="draw_upload").upload("x.png", digit_png(mnist.x_test[0]), "image/png").run()
    at.switch_page("pages/look_inside.py").run()
    assert not at.exception
    text = page_text(at)
    assert "Not a digit." in text and "digit score of 2.0%" in text and "below the 50.0%" in text


def test_look_inside_shows_the_score_of_an_accepted_input(accepting):
    at = open_page("look_inside")
    at.selectbox(key="pick_inside").set_value(QUICK).run()
    assert not at.exception
    assert "digit score of 98.0%" in page_text(at)


def test_evaluate_shows_the_reliability_diagram_and_the_temperature(app_env):
    at = open_page("evaluate")
    at.selectbox(key="pick_evaluate").set_value(QUICK).run()
    assert not at.exception
    text = page_text(at)
    assert "Calibration" in text and "Expected calibration error on the test set" in text
    assert "fitted after training on" in text and "calibration writers" in text
    assert any("eval_reliability" in str(chart.proto) for chart in at.get("plotly_chart"))
