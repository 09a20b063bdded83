"""Issue 8 through the pages: broken models, odd uploads, a model deleted under a visitor, a taken name.

Every page must keep working for every visitor when one model folder is bad,
list the bad one on Home and never offer it in a picker.
"""

from __future__ import annotations

import io
import json
import shutil

import numpy as np
import pytest
from PIL import Image

from tests.app.apptools import LOGISTIC, QUICK, digit_png, open_page, page_text

PAGES = ["home", "draw", "train", "evaluate", "mistakes", "dataset", "look_inside"]
PICKERS = {"draw": "pick_draw", "evaluate": "pick_evaluate", "mistakes": "pick_mistakes",
           "look_inside": "pick_inside"}
BROKEN = "broken one"


def _bad_card(folder) -> None:
    card = json.loads((folder / "card.json").read_text())
    card["metrics"]["test_accuracy"] = "ninety"
    (folder / "card.json").write_text(json.dumps(card))


def _truncated(folder) -> None:
    model = folder / "model.keras"
    model.write_bytes(model.read_bytes()[: model.stat().st_size // 2])


def _refused_by_safe_mode(folder) -> None:
    import keras

    risky = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Lambda(lambda x: x * 2), keras.layers.Dense(10)])
    risky.save(folder / "model.keras")


BREAKERS = {"bad card": _bad_card, "truncated model": _truncated, "model refused by safe mode": _refused_by_safe_mode}


@pytest.fixture(params=list(BREAKERS))
def broken_registry(request, copied_models):
    shutil.copytree(copied_models / LOGISTIC, copied_models / BROKEN)
    BREAKERS[request.param](copied_models / BROKEN)
    return copied_models


@pytest.mark.parametrize("page", PAGES)
def test_every_page_works_beside_a_broken_model(broken_registry, page):
    at = open_page(page)
    assert not at.exception, at.exception
    assert at.title
    if page in PICKERS:
        options = at.selectbox(key=PICKERS[page]).options
        assert options and not any(BROKEN in str(option) for option in options)
    if page == "home":
        warnings = " ".join(w.value for w in at.warning)
        assert BROKEN in warnings and "skipped" in warnings
        assert not any(BROKEN in str(o) for o in at.selectbox(key="manage_pick").options)


def test_a_model_chosen_before_it_broke_is_not_used(copied_models):
    at = open_page("draw")
    at.selectbox(key="pick_draw").set_value(LOGISTIC).run()
    _truncated(copied_models / LOGISTIC)
    at.run()
    assert not at.exception
    assert at.selectbox(key="pick_draw").value == QUICK
    assert LOGISTIC in " ".join(t.value for t in at.toast)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _sixteen_bit(image28: np.ndarray) -> bytes:
    """An MNIST digit as a 16-bit grayscale scan (PNG mode I;16): dark ink on light paper."""
    big = np.asarray(Image.fromarray(255 - image28).resize((200, 200), Image.Resampling.BILINEAR))
    return _png(Image.fromarray(big.astype(np.uint16) * 257))


def test_a_16_bit_png_is_classified_and_shown(app_env, mnist):
    at = open_page("draw")
    data = _sixteen_bit(mnist.x_test[0])
    assert Image.open(io.BytesIO(data)).mode == "I;16"
    at.file_uploader(key="draw_upload").upload("scan.png", data, "image/png").run()
    assert not at.exception, at.exception
    assert any(str(m.value).startswith("Prediction: ") for m in at.markdown)
    assert any("Your picture" in str(img.proto) for img in at.image)
    at.session_state["explain_steps"] = True  # the step-by-step panel shows the upload too
    at.run()
    assert not at.exception, at.exception
    assert "centre of mass" in page_text(at)


@pytest.mark.parametrize("size", [(10000, 10), (10, 10000)])
def test_a_long_strip_does_not_break_the_page(app_env, size):
    at = open_page("draw")
    strip = Image.new("L", size, 255)
    at.file_uploader(key="draw_upload").upload("strip.png", _png(strip), "image/png").run()
    assert not at.exception, at.exception
    assert "Prediction:" not in page_text(at)
    assert "No digit found" in page_text(at)
    at.session_state["explain_steps"] = True
    at.run()
    assert not at.exception, at.exception


def test_deleting_a_visitors_model_tells_them_once(copied_models):
    from mnist_core.registry import Registry

    at = open_page("evaluate")
    at.selectbox(key="pick_evaluate").set_value(LOGISTIC).run()
    assert not at.toast
    Registry(copied_models, shipped=None).delete(LOGISTIC)  # someone else, on another screen
    at.run()
    assert not at.exception
    toasts = [t.value for t in at.toast]
    assert len(toasts) == 1 and LOGISTIC in toasts[0] and QUICK in toasts[0]
    assert at.selectbox(key="pick_evaluate").value == QUICK
    at.run()
    assert not at.toast, "said once, not on every rerun"
    at.switch_page("pages/draw.py").run()
    assert not at.toast and at.selectbox(key="pick_draw").value == QUICK


def test_deleting_your_own_model_on_home_is_not_announced(copied_models):
    at = open_page("home")
    at.selectbox(key="manage_pick").set_value(LOGISTIC).run()
    at.session_state["model_name"] = LOGISTIC
    at.checkbox(key="manage_confirm").check().run()
    at.button(key="manage_delete").click().run()
    assert not at.exception
    assert not at.toast and "Deleted" in page_text(at)


def test_a_web_run_whose_name_was_taken_meanwhile_is_kept_under_a_free_name(monkeypatch, tmp_path, mnist_path,
                                                                              trained_models):
    """Someone (the CLI, another server) saves 'class demo' while this run trains: both models stay."""
    from mnist_core import registry as reg
    from tests.app.test_train import _job, _wait_idle
    from tests.runtools import InProcessWorker, configure_runs

    runs_env = configure_runs(monkeypatch, tmp_path / "runs")  # the patched save must run in this process
    root = tmp_path / "models"
    monkeypatch.setenv("MNIST_NPZ", str(mnist_path))
    monkeypatch.setenv("DIGITLAB_MODELS", str(root))
    monkeypatch.setenv("DIGITLAB_SHIPPED", "")
    write = reg._save_inference_model

    def someone_else_saves_first(model, path):
        if not (root / "class demo").exists():
            shutil.copytree(trained_models / LOGISTIC, root / "class demo")
        write(model, path)
    monkeypatch.setattr(reg, "_save_inference_model", someone_else_saves_first)

    at = open_page("train")
    at.radio(key="train_preset").set_value("logistic").run()
    at.slider(key="train_logistic_epochs").set_value(1)
    at.slider(key="train_logistic_train_limit").set_value(1000)
    at.text_input(key="train_name").set_value("class demo").run()
    with InProcessWorker(runs_env["DIGITLAB_QUEUE"]):
        at.button(key="start_training").click().run()
        job = _job(root)
        _wait_idle(job)
    assert job.state.status == "done", job.state.message
    at.run()
    assert not at.exception
    message = " ".join(s.value for s in at.success).replace("\\", "")  # markdown escapes
    assert "'class demo' was taken" in message and "'class demo (2)'" in message
    assert (root / "class demo" / "card.json").is_file() and (root / "class demo (2)" / "card.json").is_file()
    assert at.session_state["model_name"] == "class demo (2)"


def test_draw_upload_of_the_issues_bad_inputs_one_after_another(app_env, mnist):
    """Each bad upload gets one sentence and changes nothing for the next good one."""
    from tests.core.test_preprocessing import bomb_png

    at = open_page("draw")
    good = digit_png(mnist.x_test[0])
    bad = {"empty.png": b"", "text.png": b"not an image", "half.png": good[: len(good) // 2],
           "bomb.png": bomb_png(), "big.png": bomb_png(6300, 6300)}
    for name, data in bad.items():
        at.file_uploader(key="draw_upload").upload(name, data, "image/png").run()
        assert not at.exception, (name, at.exception)
        assert "cannot be used" in " ".join(e.value for e in at.error), name
        assert "Prediction:" not in page_text(at)
    at.file_uploader(key="draw_upload").upload("good.png", good, "image/png").run()
    assert not at.exception and "Prediction:" in page_text(at)


def test_a_dot_and_a_solid_picture_are_not_guessed(app_env):
    from PIL import ImageDraw

    dot = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(dot).ellipse([95, 95, 105, 105], fill=0)
    at = open_page("draw")
    for name, picture in (("dot.png", dot), ("solid.png", Image.new("L", (200, 200), 0))):
        at.file_uploader(key="draw_upload").upload(name, _png(picture), "image/png").run()
        assert not at.exception, at.exception
        assert "No digit found" in page_text(at) and "Prediction:" not in page_text(at), name


def test_a_broken_folder_can_be_deleted_from_home(copied_models):
    shutil.copytree(copied_models / LOGISTIC, copied_models / BROKEN)
    _truncated(copied_models / BROKEN)
    at = open_page("home")
    assert at.button(key="manage_broken_0").disabled  # nothing is deleted without the tick
    at.checkbox(key="manage_broken_confirm").check().run()
    at.button(key="manage_broken_0").click().run()
    assert not at.exception
    assert not (copied_models / BROKEN).exists() and (copied_models / LOGISTIC).is_dir()
    assert "Deleted the broken model folder" in page_text(at).replace("\\", "")
    assert not any(BROKEN in w.value for w in at.warning)
