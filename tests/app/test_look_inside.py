"""Look Inside page and the Draw page's explanations and classroom mode."""

import pytest

from tests.app.apptools import LOGISTIC, QUICK, digit_png, open_page, page_text


@pytest.mark.parametrize("model", [QUICK, LOGISTIC], ids=["conv", "dense"])
def test_look_inside_renders_for_dense_and_conv(app_env, model):
    at = open_page("look_inside")
    at.selectbox(key="pick_inside").set_value(model).run()
    assert not at.exception, at.exception
    assert len(at.tabs) == 5
    text = page_text(at)
    assert "Why" in text and "Why not" in text  # saliency for winner and runner-up
    assert "output scores, before and after softmax" in text
    assert "first-layer unit" in text or "first convolution" in text
    assert any("Input: test image #0" in str(img.proto) for img in at.image) or at.image


def test_look_inside_changes_with_the_test_image(app_env):
    at = open_page("look_inside")
    at.selectbox(key="pick_inside").set_value(QUICK).run()
    before = page_text(at)
    at.number_input(key="inside_index").set_value(1).run()
    assert not at.exception
    assert page_text(at) != before


def test_look_inside_uses_the_latest_drawing(app_env, mnist):
    at = open_page("draw")
    at.file_uploader(key="draw_upload").upload("digit.png", digit_png(mnist.x_test[0]), "image/png").run()
    at.switch_page("pages/look_inside.py").run()
    assert not at.exception
    assert at.radio(key="inside_source").value == "Your drawing"


def test_explanations_open_lazily_on_the_draw_page(app_env, mnist):
    at = open_page("draw")
    at.selectbox(key="pick_draw").set_value(QUICK).run()
    at.file_uploader(key="draw_upload").upload("digit.png", digit_png(mnist.x_test[0]), "image/png").run()
    assert "Why not" not in page_text(at)  # closed panels compute nothing
    at.session_state["explain_steps"] = True
    at.session_state["explain_why"] = True
    at.run()
    assert not at.exception, at.exception
    text = page_text(at)
    assert "centre of mass" in text and "784" in text
    assert "Why not" in text


def test_classroom_mode_hides_what_a_class_does_not_need(app_env):
    at = open_page("draw")
    assert at.slider(key="brush") and len(at.file_uploader) == 1
    at.toggle(key="classroom").set_value(True).run()
    assert not at.exception
    assert not [s for s in at.slider if s.key == "brush"]
    assert len(at.file_uploader) == 0
    assert not [s for s in at.selectbox if s.key == "pick_draw"]
    assert "Draw a digit" in page_text(at)
    assert any(b.label.endswith("Clear") for b in at.button)


def test_a_replaced_model_is_explained_afresh(copied_models):
    """Same name, new model (renamed away and retrained): no cached explanation of the old one."""
    import shutil

    at = open_page("look_inside")
    at.selectbox(key="pick_inside").set_value(QUICK).run()
    assert "Conv2D" in page_text(at)
    shutil.rmtree(copied_models / QUICK)
    shutil.copytree(copied_models / LOGISTIC, copied_models / QUICK)  # a dense network under the old name
    at.run()
    assert not at.exception, at.exception
    assert "Conv2D" not in page_text(at)


@pytest.fixture
def counted(monkeypatch):
    """Counts model lookups (``resources.model_version``) and forward passes (``Predictor.probabilities``)."""
    from mnist_core.predictor import Predictor
    from ui import resources

    calls = {"lookups": 0, "forward passes": 0}
    version, forward = resources.model_version, Predictor.probabilities

    def counted_version(name):
        calls["lookups"] += 1
        return version(name)

    def counted_forward(self, *args, **kwargs):
        calls["forward passes"] += 1
        return forward(self, *args, **kwargs)

    def start() -> dict:
        monkeypatch.setattr(resources, "model_version", counted_version)
        monkeypatch.setattr(Predictor, "probabilities", counted_forward)
        return calls

    return start


def test_look_inside_looks_the_model_up_once_per_run(app_env, counted):
    """One lookup (name → version → predictor, inspector) passed to every view, one forward pass for the
    image, whatever the views show: why, weights, activations, output scores."""
    at = open_page("look_inside")
    at.selectbox(key="pick_inside").set_value(QUICK).run()
    calls = counted()
    at.number_input(key="inside_index").set_value(3).run()  # a new image: every view computes afresh
    assert not at.exception, at.exception
    assert "Why not" in page_text(at) and "output scores, before and after softmax" in page_text(at)
    assert calls == {"lookups": 1, "forward passes": 1}


def test_why_this_answer_on_draw_reuses_the_pages_answer(app_env, mnist, counted):
    """"Why this answer?" on Draw explains the answer on screen: no second forward pass for it."""
    at = open_page("draw")
    at.selectbox(key="pick_draw").set_value(QUICK).run()
    at.session_state["explain_why"] = True
    calls = counted()
    at.file_uploader(key="draw_upload").upload("digit.png", digit_png(mnist.x_test[4]), "image/png").run()
    assert not at.exception, at.exception
    assert "Why not" in page_text(at)
    assert calls["forward passes"] == 1


@pytest.mark.parametrize("shipped", [True, False], ids=["shipped model, zooms", "tiny cnn, one pass"])
def test_look_inside_says_when_the_probabilities_average_three_zoomed_readings(monkeypatch, app_env, shipped):
    """The shipped model (trained with augmentation) reads each digit also zoomed out and in (zooms.py)."""
    from ui.inside import ZOOMED_READING

    if shipped:
        monkeypatch.delenv("DIGITLAB_SHIPPED", raising=False)  # the shipped default model beside the tiny ones
    at = open_page("look_inside")
    at.selectbox(key="pick_inside").set_value("digitlab-default" if shipped else QUICK).run()
    assert not at.exception, at.exception
    assert "output scores, before and after softmax" in page_text(at)
    assert (ZOOMED_READING in [str(c.value) for c in at.caption]) is shipped
