"""Draw page: empty hint, live result for an uploaded picture, bad files, no model, broken model.

AppTest cannot draw on the canvas component, so the drawing path is covered by
uploading pictures (the same result panel) and by the browser tests.
"""


import pytest

from tests.app.apptools import QUICK, blank_png, digit_png, open_page, page_text, probability_bars
from ui.helpers import guess


def _expected(models_dir, image28):
    """What the model itself says about the picture, to compare with the page."""
    from mnist_core.predictor import Predictor
    from mnist_core.preprocessing import open_image
    from mnist_core.registry import Registry

    registry = Registry(models_dir, shipped=None)
    predictor = Predictor.for_card(registry.load(QUICK), registry.card(QUICK))  # with its fitted temperature
    _, probs = predictor.classify(open_image(digit_png(image28)))
    return guess(probs)


def test_empty_canvas_shows_hint_and_no_prediction(app_env):
    at = open_page("draw")
    assert not at.exception
    text = page_text(at)
    assert "Draw a digit" in text
    assert "Prediction:" not in text
    assert at.slider(key="brush").value == 20
    assert at.button[0].label.endswith("Clear")
    assert len(at.file_uploader) == 1
    assert at.selectbox(key="pick_draw").value in (QUICK, "tiny logistic")


def test_uploaded_digit_is_classified(app_env, mnist):
    at = open_page("draw")
    at.selectbox(key="pick_draw").set_value(QUICK).run()
    image = mnist.x_test[0]
    at.file_uploader(key="draw_upload").upload("seven.png", digit_png(image), "image/png").run()
    assert not at.exception
    want = _expected(app_env, image)
    text = page_text(at)
    lines = [str(m.value) for m in at.markdown]
    assert f"Prediction: {want.digit}" in lines  # one element holding exactly this text
    assert want.confidence_text in lines
    assert want.confidence_text.endswith("% sure")
    assert "Draw a digit" not in text
    assert ("Not sure" in text) == (not want.sure)
    # the 28x28 view and the probability chart are there
    assert any(len(img.value) == 1 for img in at.image)
    assert probability_bars(at), "the ten probability bars are there"


@pytest.mark.parametrize("how, old", [
    ("in uneven light", "8, 99% sure: the shadow in one corner became ink"),
    ("on a dark desk", "no answer: the desk was taken for the paper and the page for ink"),
    ("dim", "no answer: its paper is below mid-grey and was taken for a dark page"),
    ("in faint pencil", "no answer: nothing stood out from the paper"),
    ("small on a dusty page", "\"That does not look like a digit\": the crop took in three specks of dust"),
])
def test_a_photo_of_a_page_is_read_by_the_default_model(monkeypatch, tmp_path, mnist_path, how, old):
    """A held-out writer's 6 photographed in ways the old preprocessing lost; what it showed is in ``old``."""
    import io

    import numpy as np
    from PIL import Image

    from mnist_core.handwriting import HELD_OUT_SEED, Writer, dusty, faded, on_a_desk, photo_image, scan_image

    monkeypatch.setenv("MNIST_NPZ", str(mnist_path))
    monkeypatch.setenv("DIGITLAB_MODELS", str(tmp_path))
    monkeypatch.delenv("DIGITLAB_SHIPPED", raising=False)  # the shipped default model
    seed = HELD_OUT_SEED + 506
    writer, r = Writer.from_seed(seed), np.random.default_rng(seed * 10 + 6)
    strokes = writer.strokes(6, r)
    picture = {"in uneven light": lambda: photo_image(strokes, writer, r),
               "on a dark desk": lambda: on_a_desk(scan_image(strokes, writer, r), r, 0.5),
               "dim": lambda: (scan_image(strokes, writer, r) * 0.45).round().astype(np.uint8),
               "in faint pencil": lambda: faded(scan_image(strokes, writer, r), 0.18),
               "small on a dusty page": lambda: dusty(scan_image(strokes, writer, r), r, 3)}[how]()
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG")
    at = open_page("draw")
    at.file_uploader(key="draw_upload").upload("page.png", buffer.getvalue(), "image/png").run()
    assert not at.exception
    assert "Prediction: 6" in [str(m.value) for m in at.markdown], old


def test_blank_picture_is_not_guessed(app_env):
    at = open_page("draw")
    at.file_uploader(key="draw_upload").upload("blank.png", blank_png(), "image/png").run()
    assert not at.exception
    text = page_text(at)
    assert "Prediction:" not in text
    assert "No digit found" in text


def test_bad_file_shows_image_error(app_env):
    at = open_page("draw")
    at.file_uploader(key="draw_upload").upload("digit.png", b"this is not an image", "image/png").run()
    assert not at.exception
    assert at.error, "a bad file must be reported"
    assert "cannot be used" in at.error[0].value
    assert "Prediction:" not in page_text(at)


def test_clear_button_resets_canvas_round(app_env):
    at = open_page("draw")
    before = at.session_state["canvas_round"]
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["canvas_round"] == before + 1
    assert "Draw a digit" in page_text(at)


def test_no_models_keeps_draw_working(empty_models, mnist):
    at = open_page("draw")
    assert not at.exception
    assert "Draw a digit" in page_text(at)
    at.file_uploader(key="draw_upload").upload("d.png", digit_png(mnist.x_test[1]), "image/png").run()
    assert not at.exception
    text = page_text(at)
    assert "No model yet" in text
    assert "Prediction:" not in text
    assert any(link.label == "Train a model" for link in at.page_link)


def test_broken_model_file_gives_clear_error(copied_models, mnist):
    """A model file that looks sound (a proper zip) but does not load: one sentence, then listed as broken."""
    import json
    import zipfile

    with zipfile.ZipFile(copied_models / QUICK / "model.keras", "w") as archive:
        archive.writestr("config.json", json.dumps({"class_name": "NoSuchLayer", "config": {}}))
        archive.writestr("metadata.json", "{}")
        archive.writestr("model.weights.h5", b"")
    at = open_page("draw")
    at.selectbox(key="pick_draw").set_value(QUICK).run()
    at.file_uploader(key="draw_upload").upload("d.png", digit_png(mnist.x_test[0]), "image/png").run()
    assert not at.exception
    assert any("could not be loaded" in e.value for e in at.error)
    assert "Prediction:" not in page_text(at)
    # from now on it is listed as broken, and the other model is used
    at.run()
    assert not at.exception
    assert QUICK not in [str(o) for o in at.selectbox(key="pick_draw").options]
    assert any(str(m.value).startswith("Prediction: ") for m in at.markdown)
