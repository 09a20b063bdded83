"""Draw page feedback: one tap labels the drawing, it is saved in the background, the canvas starts fresh."""

from __future__ import annotations

import time

from mnist_core import drawings
from tests.app.apptools import QUICK, digit_png, open_page, page_text


def _wait_for(count: int, timeout: float = 20.0) -> list:
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = drawings.query(with_png=True)
        if len(found) >= count:
            return found
        time.sleep(0.1)
    raise AssertionError(f"expected {count} drawings, found {drawings.count()}")


def _answer(at, mnist, index: int = 0):
    at.selectbox(key="pick_draw").set_value(QUICK).run()
    at.file_uploader(key="draw_upload").upload("digit.png", digit_png(mnist.x_test[index]), "image/png").run()
    assert not at.exception
    return next(int(m.value.split(":")[1]) for m in at.markdown if str(m.value).startswith("Prediction:"))


def test_every_answer_offers_right_and_the_ten_digits(app_env, mnist):
    at = open_page("draw")
    predicted = _answer(at, mnist)
    assert at.button(key="feedback_right").label == "✓ Right"
    digits = [at.button(key=f"feedback_wrong_{d}") for d in range(10)]
    assert [b.label for b in digits] == [str(d) for d in range(10)]
    assert digits[predicted].disabled and sum(b.disabled for b in digits) == 1
    assert "Wrong, it is" in page_text(at)


def test_wrong_then_digit_saves_once_with_everything(app_env, mnist):
    at = open_page("draw")
    predicted = _answer(at, mnist)
    label = (predicted + 1) % 10
    round_before = at.session_state["canvas_round"]
    at.button(key=f"feedback_wrong_{label}").click().run()
    assert not at.exception
    assert at.session_state["canvas_round"] == round_before + 1  # a fresh canvas for the next digit
    assert "Prediction:" not in page_text(at)
    [stored] = _wait_for(1)
    assert stored.label == label and stored.predicted == predicted and stored.wrong
    assert stored.model_name == QUICK and stored.model_version and stored.browser == at.session_state["browser_id"]
    assert len(stored.probabilities) == 10 and stored.image_png and stored.source == "upload"
    assert stored.pixels.shape == (28, 28) and stored.pixels.max() > 0


def test_right_saves_the_models_answer_and_a_repeat_is_stored_once(app_env, mnist):
    at = open_page("draw")
    predicted = _answer(at, mnist, 1)
    at.button(key="feedback_right").click().run()
    _wait_for(1)
    _answer(at, mnist, 1)  # the same picture again from the same browser
    at.button(key="feedback_right").click().run()
    time.sleep(1.0)
    [stored] = _wait_for(1)
    assert stored.label == predicted and not stored.wrong and drawings.count() == 1


def _toasts(at) -> str:
    return " ".join(str(t.value) for t in at.toast)


def test_a_tap_is_acknowledged_and_a_failed_save_is_reported(app_env, mnist, monkeypatch):
    """The note after a tap, and one sentence on a later run when the background save failed."""
    at = open_page("draw")
    predicted = _answer(at, mnist)
    at.button(key="feedback_right").click().run()
    assert not at.exception and f"Saved (Right: {predicted})" in _toasts(at)
    _wait_for(1)

    def broken(*args, **kwargs):
        raise drawings.DrawingsError("The class's database is full.")

    monkeypatch.setattr(drawings, "add", broken)
    _answer(at, mnist, 2)
    at.button(key="feedback_right").click().run()
    said = _toasts(at)
    time.sleep(1.0)  # the background save fails meanwhile, if it had not yet
    at.run()
    said += _toasts(at)
    assert not at.exception and said.count("could not be saved for the class: The class's database is full.") == 1
    assert drawings.count() == 1
