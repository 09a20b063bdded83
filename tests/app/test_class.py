"""The Class page and the teacher/pupil rules on Home, Train and Class, through AppTest."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from mnist_core import drawings
from mnist_core.registry import Registry
from tests.app.apptools import LOGISTIC, QUICK, open_page
from tests.app.apptools import page_text as _escaped_text


def page_text(at) -> str:
    """The page's text with Markdown escapes removed (messages go through esc())."""
    return _escaped_text(at).replace("\\", "")

KEY = "correct horse battery"


@pytest.fixture
def class_mode(monkeypatch):
    monkeypatch.setenv("DIGITLAB_TEACHER_KEY", KEY)
    return KEY


@pytest.fixture
def some_drawings(mnist):
    rows = [drawings.NewDrawing(label=int(mnist.y_test[i]), pixels=mnist.x_test[i],
                                predicted=int(mnist.y_test[i]) if i % 4 else (int(mnist.y_test[i]) + 1) % 10,
                                probabilities=[0.1] * 10, model_name=QUICK, browser=f"b{i % 3}",
                                client_key=f"k{i}") for i in range(24)]
    drawings.add_many(rows)
    return rows


def _unlock(at, key: str, where: str = "home"):
    at.text_input(key=f"{where}_key_input").set_value(key)
    form_button = next(b for b in at.button if b.label == "Unlock")
    form_button.click().run()
    return at


def test_class_page_shows_the_gallery_and_filters(app_env, some_drawings):
    at = open_page("class")
    assert not at.exception
    assert any(m.label == "Labelled drawings" and m.value == "24" for m in at.metric)
    assert any(m.label == "The network got wrong" and m.value == "6" for m in at.metric)
    at.selectbox(key="class_digit").set_value(7).run()
    sevens = sum(1 for r in some_drawings if r.label == 7)
    assert f"newest {sevens} of {sevens}" in page_text(at)
    at.toggle(key="class_wrong").set_value(True).run()
    wrong_sevens = sum(1 for r in some_drawings if r.label == 7 and r.predicted != 7)
    assert f"of {wrong_sevens} matching" in page_text(at)


def test_gallery_marks_a_declined_drawing_as_a_miss_and_an_imported_one_as_neither(app_env):
    """One definition of "wrong" on the page: the mark, the filter and the count agree."""
    pixels = np.zeros((28, 28), np.uint8)
    drawings.add(drawings.NewDrawing(label=3, pixels=pixels, predicted=None, model_name=QUICK, client_key="a"))
    drawings.import_arrays(pixels[None] + 1, np.array([6]))
    at = open_page("class")
    assert not at.exception
    text = page_text(at)
    assert "✗ said: not a digit" in text and "✓ no digit" not in text
    assert "no model's answer" in text
    assert any(m.label == "The network got wrong" and m.value == "1" for m in at.metric)
    at.toggle(key="class_wrong").set_value(True).run()
    assert "newest 1 of 1 matching" in page_text(at)


def test_models_are_scored_on_the_class_drawings(app_env, some_drawings):
    at = open_page("class")
    assert not at.exception
    assert any(m.label.endswith("on the class") for m in at.metric)
    keys = [c.proto.id for c in at.get("plotly_chart")]
    assert any("class_confusion" in k for k in keys) and any("class_per_digit" in k for k in keys)


def test_one_person_mode_removes_drawings(app_env, some_drawings):
    at = open_page("class")
    newest = drawings.query(limit=1)[0].id
    at.checkbox(key=f"class_rm_{newest}").check().run()
    at.button(key="class_remove").click().run()
    assert not at.exception and drawings.count() == 23 and "Removed 1 drawing" in page_text(at)


def test_pupil_cannot_remove_drawings_import_or_finetune(app_env, some_drawings, class_mode):
    at = open_page("class")
    assert not at.exception
    assert not [c for c in at.checkbox if c.key and c.key.startswith("class_rm_")]
    text = page_text(at)
    assert "Removing drawings needs the teacher" in text and "Importing needs the teacher" in text
    assert "Fine-tuning needs the teacher" in text
    assert drawings.count() == 24


def test_pupil_cannot_rename_or_delete_models(copied_models, class_mode):
    at = open_page("home")
    at.selectbox(key="manage_pick").set_value(LOGISTIC).run()
    at.checkbox(key="manage_confirm").check().run()
    at.text_input(key="manage_new_name").set_value("renamed").run()
    assert at.button(key="manage_delete").disabled and at.button(key="manage_rename").disabled
    assert "Renaming and deleting models needs the teacher" in page_text(at)
    assert set(Registry(copied_models, shipped=None).names()) == {QUICK, LOGISTIC}


def test_wrong_key_is_refused_without_echo_and_the_right_key_unlocks(copied_models, class_mode):
    at = open_page("home")
    _unlock(at, "wrong guess")
    text = page_text(at)
    assert "That is not the teacher key" in text and "wrong guess" not in text
    assert at.text_input(key="home_key_input").value == ""
    _unlock(at, KEY)
    assert not at.exception and "Teacher mode" in page_text(at) and KEY not in page_text(at)
    at.selectbox(key="manage_pick").set_value(LOGISTIC).run()
    at.checkbox(key="manage_confirm").check().run()
    at.button(key="manage_delete").click().run()
    assert Registry(copied_models, shipped=None).names() == [QUICK]
    at.button(key="home_lock").click().run()
    assert "Pupil mode" in page_text(at)
    from mnist_core.class_settings import recent_events

    assert [e.action for e in recent_events(10)][:3] == ["lock", "unlock", "unlock-wrong-key"]


def test_repeated_wrong_keys_are_slowed_down(app_env, class_mode):
    at = open_page("home")
    for _ in range(4):
        _unlock(at, "nope")
    assert "Too many wrong keys: wait" in page_text(at)
    _unlock(at, KEY)  # even the right key waits now
    assert "Teacher mode" not in page_text(at)


def test_pupil_start_is_refused_beyond_the_limits(app_env, class_mode):
    at = open_page("train")
    at.radio(key="train_preset").set_value("cnn-accurate").run()
    at.button(key="start_training").click().run()
    assert not at.exception
    assert "has not allowed the network 'cnn-accurate'" in page_text(at)
    from ui import resources

    assert not resources.training_job().state.active


def _hold_the_slot(owner: str, name: str):
    """A running run of ``owner`` in the deployment's slot, answered by a stand-in worker on a thread of this
    test: it honours Stop or ends when released. Returns (job, release)."""
    from mnist_core.runs import worker_id
    from ui import resources

    job = resources.training_job()
    state, key = job.store.create("train", owner, "cnn-quick", name, {}, {}, 1)
    assert job.store.claim(state.run_id, key, worker_id()) is not None
    release = threading.Event()

    def stand_in_worker():
        while not release.wait(0.05):
            if job.store.report(state.run_id)[1]:  # Stop was asked for
                break
        job.store.finish(state.run_id, "stopped", "Stopped; nothing was saved.")

    threading.Thread(target=stand_in_worker, daemon=True).start()
    return job, release


@pytest.fixture
def someone_elses_run(app_env):
    """A run in the server's slot owned by another browser, until the test ends."""
    job, release = _hold_the_slot("Visitor 000000", "their model")
    yield job
    release.set()
    job.wait(10)


def test_pupil_cannot_stop_someone_elses_run_but_the_teacher_can(someone_elses_run, class_mode):
    at = open_page("train")
    assert not at.exception
    assert not [b for b in at.button if b.key == "stop_training"]
    assert "Only the person who started this run, or the teacher, can stop it" in page_text(at)
    at.switch_page("pages/home.py").run()
    _unlock(at, KEY)
    at.switch_page("pages/train.py").run()
    at.button(key="stop_training").click().run()
    assert someone_elses_run.wait(10).status == "stopped"


def test_your_own_run_can_be_stopped_by_you(app_env, class_mode):
    at = open_page("train")
    job, release = _hold_the_slot(at.session_state["owner"], "mine")
    try:
        at.run()
        at.button(key="stop_training").click().run()
        assert job.wait(10).status == "stopped"
    finally:
        release.set()
        job.wait(10)


def test_teacher_sets_limits_and_the_class_default(app_env, class_mode):
    at = open_page("home")
    _unlock(at, KEY)
    at.switch_page("pages/class.py").run()
    at.number_input(key="limit_minutes").set_value(2.0).run()
    at.button(key="limit_save").click().run()
    from mnist_core import roles

    assert roles.load_limits().max_minutes == 2.0
    at.selectbox(key="class_default_pick").set_value(LOGISTIC).run()
    at.button(key="class_default_save").click().run()
    assert roles.class_default() == LOGISTIC
    fresh = open_page("home")  # a new visitor draws with the class's default
    assert fresh.session_state["model_name"] == LOGISTIC


def test_teacher_starts_teach_it_our_handwriting_in_the_training_slot(copied_models, some_drawings, class_mode):
    from ui import resources
    from tests.runtools import InProcessWorker


    at = open_page("home")
    _unlock(at, KEY)
    at.switch_page("pages/class.py").run()
    at.selectbox(key="finetune_base").set_value(QUICK).run()
    at.text_input(key="finetune_name").set_value("our class").run()
    at.number_input(key="finetune_epochs").set_value(1).run()
    with InProcessWorker(os.environ["DIGITLAB_QUEUE"]):  # the worker's consumer, on threads of this test
        at.button(key="finetune_start").click().run()
        assert not at.exception
        state = resources.training_job().wait(300)
    assert state.status == "done", state.message
    card = Registry(copied_models, shipped=None).card("our class")
    tuned = card.metrics["finetune"]
    assert tuned["base"] == QUICK and tuned["held_out"] + tuned["trained_on"] == 24
    at.run()
    assert "held-out class drawings" in page_text(at)


def test_fine_tuning_is_refused_past_the_models_on_disk_limit_before_it_starts(copied_models, some_drawings,
                                                                               class_mode):
    from mnist_core import roles
    from ui import resources

    trained = Registry(copied_models, shipped=None).scan()[0]
    roles.save_limits(roles.Limits(total_models=len(trained)), roles.Role(class_mode=True, teacher=True))
    at = open_page("home")
    _unlock(at, KEY)
    at.switch_page("pages/class.py").run()
    at.selectbox(key="finetune_base").set_value(QUICK).run()
    at.text_input(key="finetune_name").set_value("one too many").run()
    at.button(key="finetune_start").click().run()
    assert not at.exception
    assert f"holds {len(trained)} trained models, the class limit is {len(trained)}" in page_text(at)
    assert not resources.training_job().state.active
    assert "one too many" not in Registry(copied_models, shipped=None).names()


def test_a_tab_that_connected_before_the_cookie_adopts_the_browsers_id_and_keeps_its_run(
        app_env, class_mode, monkeypatch):
    """Two tabs opened together: the other tab stored its id first; this one adopts it, run and models too."""
    from mnist_core import class_settings, roles
    from mnist_core.runs import RunStore
    from ui import classroom

    at = open_page("train")
    fresh, before = at.session_state["browser_id"], at.session_state["owner"]
    RunStore().create("train", before, "logistic", "tab run", {}, {}, 1)  # started before it knew
    class_settings.record_owner("tab model", before)
    at.run()
    assert at.session_state["browser_id"] == fresh  # the browser has not said anything yet
    held = "ab" * 16
    monkeypatch.setattr(classroom, "_identity", lambda **kwargs: {"browser": held})
    at.run()
    assert not at.exception
    after = roles.owner_label(held)
    assert at.session_state["browser_id"] == held and at.session_state["owner"] == after != before
    assert RunStore().latest(after).name == "tab run" and RunStore().latest(before) is None
    assert class_settings.models_of(after, ["tab model"]) == ["tab model"]
