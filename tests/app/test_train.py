"""Train page: the form, name checks, a real (tiny) run through the worker, and someone else's run."""

import json
import re
import time

import pytest
import sqlalchemy as sa

from mnist_core.database import session_scope
from mnist_core.jobs import TrainingJob
from mnist_core.presets import PRESETS
from mnist_core.tables import Run
from tests.app.apptools import QUICK, open_page, page_text
from tests.runtools import InProcessWorker, configure_runs

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
    assert "train_logistic_hidden_units" not in keys and "train_logistic_dropout" not in keys
    assert at.text_input(key="train_name").value.startswith("logistic 20ep")
    params = next(m for m in at.metric if m.label == "Parameters").value
    assert params == "7,850"


def test_more_hidden_layers_change_the_network(app_env):
    at = open_page("train")
    at.radio(key="train_preset").set_value("mlp-128-64").run()
    before = next(m for m in at.metric if m.label == "Parameters").value
    at.slider(key="train_mlp-128-64_hidden_units").set_value(3).run()
    assert not at.exception
    assert at.select_slider(key="train_mlp-128-64_hidden_units_2").value == 64  # as wide as the layer before
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
    at.slider(key="train_logistic_train_limit").set_value(1000)
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
    assert at.slider(key="train_logistic_train_limit").value == 1000
    assert at.text_input(key="train_name").value != "class demo"
    at.switch_page("pages/draw.py").run()
    assert at.selectbox(key="pick_draw").value == "class demo"


def queued_run(runs_env) -> Run:
    """The one run the page queued (no worker runs here, so it waits in the queue as it was asked)."""
    with session_scope(runs_env["DIGITLAB_DB"]) as session:
        runs = list(session.scalars(sa.select(Run)))
        assert len(runs) == 1, [r.status for r in runs]
        session.expunge(runs[0])
        return runs[0]


def test_knobs_changed_in_the_same_message_as_start_are_the_ones_trained(app_env, runs_env):
    """A browser may send a knob's new value together with the click (a value typed, then Start at once):
    the run must use it, not what the form held before."""
    at = open_page("train")
    at.radio(key="train_preset").set_value("mlp-128-64").run()
    at.slider(key="train_mlp-128-64_epochs").set_value(3)
    at.slider(key="train_mlp-128-64_train_limit").set_value(2000)
    at.select_slider(key="train_mlp-128-64_hidden_units_0").set_value(256)
    at.button(key="start_training").click().run()
    assert not at.exception and not at.error
    run = queued_run(runs_env)
    assert (run.epochs, run.settings["train_limit"], run.settings["hidden_units"][0]) == (3, 2000, 256)
    assert run.name.startswith("mlp-128-64 3ep "), "the suggested name says the epochs it trains"


def test_a_bad_name_sent_with_the_click_is_said_once_and_nothing_starts(app_env, runs_env):
    at = open_page("train")
    at.text_input(key="train_name").set_value("a/b")
    at.button(key="start_training").click().run()
    assert not at.exception
    assert len(at.error) == 1 and "is not a valid model name" in at.error[0].value, [e.value for e in at.error]
    with session_scope(runs_env["DIGITLAB_DB"]) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Run)) == 0


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
        text = page_text(at).replace("\\", "")  # markdown escapes
        assert "Teacher is training Logistic baseline as “teacher run”: epoch" in text  # titles, one sentence
        assert "'logistic'" not in text and "You are" not in text
        assert "mean over this epoch's batches so far" in text
        live = next(json.loads(e.proto.spec) for e in at.get("plotly_chart") if "live_acc" in e.proto.id)
        assert "train, mean so far this epoch" in [t.get("name") for t in live["data"]]
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
    # what was done: a fraction of an epoch, or whole epochs when the worker saw Stop between two (it reads
    # the flag on a side thread, so where Stop lands is the machine's timing; both forms: tests/core/test_training)
    assert re.search(r"stopped (at 0\.\d\d of epoch \d+|after \d+ of 100 epochs)", page_text(at).replace("\\", ""))
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


def test_each_preset_keeps_its_own_values_when_switching_back_and_forth(app_env):
    at = open_page("train")
    at.radio(key="train_preset").set_value("mlp-128-64").run()
    at.slider(key="train_mlp-128-64_epochs").set_value(3)
    at.select_slider(key="train_mlp-128-64_learning_rate").set_value(5e-3).run()
    at.radio(key="train_preset").set_value("logistic").run()
    assert at.slider(key="train_logistic_epochs").value == 20, "another preset starts from its own defaults"
    at.slider(key="train_logistic_epochs").set_value(2).run()
    at.radio(key="train_preset").set_value("mlp-128-64").run()
    assert not at.exception
    assert at.slider(key="train_mlp-128-64_epochs").value == 3
    assert at.select_slider(key="train_mlp-128-64_learning_rate").value == 5e-3
    at.radio(key="train_preset").set_value("logistic").run()
    assert at.slider(key="train_logistic_epochs").value == 2
    store = at.session_state["train_settings"]  # one settings dict per preset, nothing else
    assert store["mlp-128-64"]["epochs"] == 3 and store["logistic"]["epochs"] == 2


def test_a_preset_added_in_presets_py_alone_shows_its_own_knobs(app_env, monkeypatch):
    """Adding a network touches one file: its declaration, with its knobs, is all the Train page needs."""
    from mnist_core import presets
    from mnist_core.presets import Knob, Preset, TrainSettings, build_dense

    fake = Preset(
        "fake-net", "Fake net", "A test network with three knobs.", "dense", "sparse",
        TrainSettings(epochs=3, hidden_units=(32,), dropout=0.1), build_dense,
        knobs=(Knob("epochs", "Passes", "int", 1, 7, 1),
               Knob("dropout", "Forgetting", "float", 0.0, 0.3, 0.1, search=(0.0, 0.2), search_first=True),
               Knob("hidden_units", "Layers", "layers", 1, 2, options=(16, 32, 64), search=(16, 32))),
    )
    monkeypatch.setitem(presets.PRESETS, fake.name, fake)
    at = open_page("train")
    assert "Fake net" in at.radio(key="train_preset").options
    at.radio(key="train_preset").set_value("fake-net").run()
    assert not at.exception and not at.error
    widgets = [*at.slider, *at.select_slider, *at.selectbox, *at.toggle, *at.number_input]
    shown = {w.key: w.label for w in widgets if str(w.key).startswith("train_fake-net_")}
    assert shown == {"train_fake-net_epochs": "Passes", "train_fake-net_dropout": "Forgetting",
                     "train_fake-net_hidden_units": "Layers", "train_fake-net_hidden_units_0": "Units, layer 1"}
    assert at.slider(key="train_fake-net_epochs").max == 7 and at.slider(key="train_fake-net_dropout").max == 0.3
    assert at.slider(key="train_fake-net_hidden_units").min == 1
    at.slider(key="train_fake-net_hidden_units").set_value(2).run()
    params = next(m for m in at.metric if m.label == "Parameters").value
    assert params == f"{784 * 32 + 32 + 32 * 32 + 32 + 32 * 10 + 10:,}", "the network is built from the knobs"
    assert at.text_input(key="train_name").value.startswith("fake-net 3ep")

    at.radio(key="train_mode").set_value("search").run()
    at.selectbox(key="search_preset").set_value("fake-net").run()
    assert not at.exception
    assert list(at.multiselect(key="search_fake-net_knobs").options) == ["Forgetting", "Units, first hidden layer"]
    assert at.slider(key="search_fake-net_dropout_range").value == (0.0, 0.2)


def test_each_presets_caption_gives_its_estimate_and_no_description_names_a_time(app_env):
    """The description and the estimate agree because the time is computed, never written into the text."""
    import re

    from mnist_core.estimate import estimate_seconds
    from ui.helpers import duration

    at = open_page("train")
    captions = list(at.radio(key="train_preset").proto.captions)
    for name, caption in zip(PRESETS, captions):
        preset = PRESETS[name]
        assert not re.search(r"\b(second|minute|hour)s?\b", preset.description), preset.description
        assert caption.startswith(preset.description)
        assert duration(estimate_seconds(name, preset.defaults)) in caption


def test_a_run_estimated_over_ten_minutes_asks_first(app_env):
    at = open_page("train")
    at.radio(key="train_preset").set_value("cnn-accurate").run()  # about 40 minutes here
    at.text_input(key="train_name").set_value("long one").run()
    at.button(key="start_training").click().run()
    assert not at.exception
    job = TrainingJob()
    assert not job.state.active, "nothing starts before the answer"
    question = " ".join(w.value for w in at.warning)
    assert re.search(r"This run is estimated at about \d+ minutes\. Start anyway\?", question), question
    assert not [b for b in at.button if b.key == "start_training"]
    at.button(key="train_long_cancel").click().run()
    assert not at.warning and at.button(key="start_training") and not job.state.active

    at.button(key="start_training").click().run()
    at.button(key="train_long_anyway").click().run()
    assert not at.exception
    try:
        state = job.state
        assert state.active and state.name == "long one"
        heading = page_text(at).replace("\\", "")
        assert "You are training Accurate CNN (default) as “long one”: waiting for the training worker" in heading
        assert "cnn-accurate" not in heading
    finally:
        job.stop()


def test_a_short_run_does_not_ask(app_env):
    at = open_page("train")
    at.radio(key="train_preset").set_value("logistic").run()
    at.slider(key="train_logistic_epochs").set_value(1)
    at.text_input(key="train_name").set_value("short one").run()
    at.button(key="start_training").click().run()
    assert not at.exception and not at.warning
    job = TrainingJob()
    try:
        assert job.state.active
    finally:
        job.stop()
