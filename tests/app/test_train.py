"""Train page: the form, name checks, a real (tiny) run through the worker, and someone else's run."""

import time

import pytest

from tests.app.apptools import QUICK, open_page, page_text
from tests.runtools import InProcessWorker, configure_runs
from mnist_core.jobs import TrainingJob
from mnist_core.presets import PRESETS

RUN_TIMEOUT = 120


@pytest.fixture(autouse=True)
def runs_env(monkeypatch, tmp_path):
    """A run database and queue of our own for every test here; no worker starts by itself."""
    return configure_runs(monkeypatch, tmp_path / "runs")


@pytest.fixture
def fresh_models(monkeypatch, tmp_path, mnist_path, runs_env):
    """An empty registry of our own, and the worker's consumer on threads of this process."""
    root = tmp_path / "train-models"
    monkeypatch.setenv("MNIST_NPZ", str(mnist_path))
    monkeypatch.setenv("DIGITLAB_MODELS", str(root))
    monkeypatch.setenv("DIGITLAB_SHIPPED", "")
    with InProcessWorker(runs_env["DIGITLAB_QUEUE"]):
        yield root


def _job(root):
    return TrainingJob()  # holds no state: the runs live in the database the page reads too


def _wait_idle(job, timeout=RUN_TIMEOUT):
    state = job.wait(timeout)
    assert not state.active, "training did not finish in time"


def test_form_shows_presets_layers_and_estimate(app_env):
    at = open_page("train")
    assert not at.exception
    radio = at.radio(key="train_preset")
    assert list(radio.options) == [PRESETS[n].title for n in PRESETS]
    assert radio.value == "cnn-quick"
    labels = [m.label for m in at.metric]
    assert "Parameters" in labels and "Estimated time" in labels
    assert at.dataframe, "the layer table"
    assert at.slider(key="train_cnn-quick_epochs").value == PRESETS["cnn-quick"].defaults.epochs
    epochs = PRESETS["cnn-quick"].defaults.epochs
    assert at.text_input(key="train_name").value.startswith(f"cnn-quick {epochs}ep")
    start = at.button(key="start_training")
    assert not start.disabled

    radio.set_value("logistic").run()
    assert not at.exception
    keys = {s.key for s in at.slider}
    assert "train_logistic_epochs" in keys
    assert "train_logistic_layers" not in keys and "train_logistic_dropout" not in keys
    assert at.text_input(key="train_name").value.startswith("logistic 20ep")
    params = next(m for m in at.metric if m.label == "Parameters").value
    assert params == "7,850"


def test_more_hidden_layers_change_the_network(app_env):
    at = open_page("train")
    at.radio(key="train_preset").set_value("mlp-128-64").run()
    before = next(m for m in at.metric if m.label == "Parameters").value
    at.slider(key="train_mlp-128-64_layers").set_value(3).run()
    assert not at.exception
    assert at.select_slider(key="train_mlp-128-64_units2").value == 128
    after = next(m for m in at.metric if m.label == "Parameters").value
    assert after != before


def test_bad_and_taken_names_block_start(app_env):
    at = open_page("train")
    at.text_input(key="train_name").set_value("../escape").run()
    assert not at.exception
    assert any("not a valid model name" in e.value for e in at.error)
    assert at.button(key="start_training").disabled
    at.text_input(key="train_name").set_value(QUICK).run()
    assert any("already exists" in e.value for e in at.error)
    assert at.button(key="start_training").disabled
    at.text_input(key="train_name").set_value("my own net").run()
    assert not at.error
    assert not at.button(key="start_training").disabled


def test_start_trains_a_model_and_makes_it_active(fresh_models):
    at = open_page("train")
    at.radio(key="train_preset").set_value("logistic").run()
    at.slider(key="train_logistic_epochs").set_value(1)
    at.slider(key="train_logistic_images").set_value(1000)
    at.text_input(key="train_name").set_value("class demo").run()
    assert not at.exception and not at.error
    at.button(key="start_training").click().run()
    assert not at.exception
    job = _job(fresh_models)
    _wait_idle(job)
    assert job.state.status == "done", job.state.message
    at.run()
    assert not at.exception
    assert (fresh_models / "class demo" / "card.json").is_file()
    assert any("Saved" in s.value for s in at.success)
    assert at.session_state["model_name"] == "class demo"
    # the form comes back as it was left, with a fresh name suggestion
    assert at.radio(key="train_preset").value == "logistic"
    assert at.slider(key="train_logistic_epochs").value == 1
    assert at.slider(key="train_logistic_images").value == 1000
    assert at.text_input(key="train_name").value != "class demo"
    at.switch_page("pages/draw.py").run()
    assert at.selectbox(key="pick_draw").value == "class demo"


def test_someone_elses_run_shows_progress_and_can_be_stopped(fresh_models, mnist):
    from mnist_core.presets import get_preset

    job = _job(fresh_models)
    settings = get_preset("logistic").defaults.with_changes(epochs=100, train_limit=1000)
    job.start("logistic", settings, mnist, "teacher run", owner="Teacher", keep_partial=True)
    try:
        deadline = time.monotonic() + 30
        while job.state.epoch < 2 and job.state.active and time.monotonic() < deadline:
            time.sleep(0.1)
        at = open_page("train")
        assert not at.exception
        text = page_text(at)
        assert "Teacher is training" in text
        assert at.get("progress"), "a live progress bar"
        assert not [b for b in at.button if b.key == "start_training"], "no Start while the slot is taken"
        at.button(key="stop_training").click().run()
        assert not at.exception
    finally:
        job.stop()
        _wait_idle(job)
    assert job.state.status == "stopped"
    at.run()
    assert not at.exception
    assert "stopped at" in page_text(at) and "of epoch" in page_text(at)  # what was done, as a fraction
    assert at.button(key="start_training"), "the form is back"


def test_a_queued_run_waits_for_the_worker_and_can_be_cancelled(app_env, mnist):
    from mnist_core.presets import get_preset

    job = TrainingJob()  # no worker runs in this test: the run stays queued
    settings = get_preset("logistic").defaults.with_changes(epochs=1, train_limit=1000)
    job.start("logistic", settings, mnist, "waiting run", owner="Teacher")
    at = open_page("train")
    assert not at.exception
    assert "Teacher is training" in page_text(at)
    assert any("Waiting for the training worker" in p.proto.text for p in at.get("progress"))
    at.button(key="stop_training").click().run()
    assert not at.exception
    state = job.state
    assert state.status == "stopped" and "before it started" in state.message
    at.run()
    assert at.button(key="start_training"), "the form is back"
