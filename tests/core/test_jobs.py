"""TrainingJob, the pages' handle on runs: start, follow, stop, through the database and the queue.

The worker here is Huey's consumer on threads of the test process (the same
code the worker process runs); tests/core/test_worker.py uses a real process.
"""

import pytest

from mnist_core import runkinds
from mnist_core.data import load_mnist
from mnist_core.errors import DigitLabError, TrainingBusyError
from mnist_core.jobs import TrainingJob
from mnist_core.presets import get_preset
from mnist_core.registry import Registry
from tests.runtools import InProcessWorker, configure_runs, save_npz, wait_until


def settings(**changes):
    return get_preset("mlp-128-64").defaults.with_changes(**{"epochs": 2, "batch_size": 16, **changes})


@pytest.fixture
def data(tiny_data, tmp_path):
    """The tiny synthetic set as a file: the worker loads the page's dataset by its path."""
    return load_mnist(save_npz(tiny_data, tmp_path / "tiny.npz"))


@pytest.fixture
def job(tmp_path, monkeypatch):
    env = configure_runs(monkeypatch, tmp_path / "runs")
    monkeypatch.setenv("DIGITLAB_MODELS", str(tmp_path / "models"))
    monkeypatch.setenv("DIGITLAB_SHIPPED", "")
    with InProcessWorker(env["DIGITLAB_QUEUE"]):
        yield TrainingJob()


def registry(tmp_path):
    return Registry(tmp_path / "models", shipped=None)


def test_a_run_trains_evaluates_and_saves(job, data, tmp_path):
    started = job.start("mlp-128-64", settings(), data, "job model", owner="teacher")
    assert started.status == "queued" and started.owner == "teacher"
    state = job.wait(120)
    assert state.status == "done", state.message
    assert state.card.name == "job model" and len(state.history["loss"]) == 2
    assert "job model" in registry(tmp_path).names()
    assert "Saved" in state.message and state.fraction == 1.0
    assert job.state_for("teacher").run_id == started.run_id


def test_second_start_is_refused_with_who_what_and_progress(job, data):
    job.start("mlp-128-64", settings(epochs=50), data, "long one", owner="Ms Smith")
    wait_until(lambda: job.state.step > 0, what="the first batches")
    with pytest.raises(TrainingBusyError) as info:
        job.start("logistic", settings(), data, "second")
    message = str(info.value)
    assert "Ms Smith" in message and "MLP 128-64" in message and "epoch" in message and "%" in message
    assert job.state_for("someone else").owner == "Ms Smith"  # no free slot: everyone sees the run
    assert job.stop()
    assert job.wait(60).status == "stopped"


def test_stop_keeps_partial_model_when_asked(job, data, tmp_path):
    job.start("mlp-128-64", settings(epochs=50), data, "partial", keep_partial=True)
    wait_until(lambda: len(job.state.history.get("loss", [])) >= 1, what="one epoch")
    job.stop()
    state = job.wait(60)
    assert state.status == "stopped" and state.card is not None
    assert state.card.stopped_early and "partial" in registry(tmp_path).names()


def test_stop_can_discard(job, data, tmp_path):
    started = job.start("mlp-128-64", settings(epochs=50), data, "discarded", keep_partial=False)
    wait_until(lambda: job.state.step > 0, what="the first batches")
    assert job.stop(started.run_id)
    state = job.wait(60)
    assert state.status == "stopped" and "nothing was saved" in state.message
    assert registry(tmp_path).names() == []


def test_failure_is_reported_not_raised(job, data, monkeypatch):
    def broken(context):
        raise RuntimeError("out of memory, pretend")

    monkeypatch.setitem(runkinds.KINDS, "train", broken)
    job.start("mlp-128-64", settings(), data, "doomed")
    state = job.wait(30)
    assert state.status == "failed" and "out of memory" in state.message
    monkeypatch.setitem(runkinds.KINDS, "train", runkinds.run_training)
    job.start("mlp-128-64", settings(), data, "after failure")  # the slot is free again
    assert job.wait(120).status == "done"


def test_unknown_kind_is_refused(job):
    with pytest.raises(DigitLabError, match="cannot run 'dance'"):
        job.start_run("dance", owner="me", preset="", name="x", settings={}, epochs=1)


def test_stop_when_idle_is_harmless(job):
    assert job.stop() is False and job.state.status == "idle"


def test_two_slots_run_side_by_side(tmp_path, monkeypatch, data):
    env = configure_runs(monkeypatch, tmp_path / "runs")
    monkeypatch.setenv("DIGITLAB_MODELS", str(tmp_path / "models"))
    monkeypatch.setenv("DIGITLAB_SHIPPED", "")
    monkeypatch.setenv("DIGITLAB_WORKERS", "2")
    with InProcessWorker(env["DIGITLAB_QUEUE"], slots=2):
        job = TrainingJob()
        job.start("mlp-128-64", settings(epochs=50), data, "one", owner="a")
        job.start("logistic", settings(epochs=50), data, "two", owner="b")
        wait_until(lambda: [s.status for s in job.store.active()] == ["running", "running"], what="both running")
        assert [s.owner for s in job.others("a")] == ["b"]
        with pytest.raises(TrainingBusyError):
            job.start("logistic", settings(), data, "three", owner="c")


def search_options(**changes):
    from mnist_core.tuning import SearchRange

    knobs = {"learning_rate": SearchRange("learning_rate", 1e-3, 3e-3, log=True).to_dict()}
    return {"trials": 2, "algorithm": "random", "knobs": knobs, **changes}


def test_a_search_runs_in_the_slot_records_its_trials_and_saves_the_best(job, data, tmp_path):
    options = {**search_options(), "data": str(data.source)}
    job.start_run("tune", owner="teacher", preset="mlp-128-64", name="searched",
                  settings=settings(epochs=1).to_dict(), epochs=1, options=options)
    state = job.wait(240)
    assert state.status == "done", state.message
    trials = state.history["trials"]
    assert [t["number"] for t in trials] == [1, 2] and all(t["val_accuracy"] is not None for t in trials)
    assert "learning_rate" in trials[0]["values"]
    assert "best: trial" in state.message and "validation accuracy" in state.message and "test accuracy" in state.message
    card = registry(tmp_path).card("searched")
    assert len(card.search["trials"]) == 2 and card.search["algorithm"] == "random"


def test_stopping_a_search_before_a_trial_finished_saves_nothing(job, data, tmp_path):
    options = {**search_options(trials=3), "data": str(data.source)}
    # the longest trial the settings allow (100 epochs of 8), so a quiet machine cannot finish it before the look
    started = job.start_run("tune", owner="me", preset="mlp-128-64", name="never",
                            settings=settings(epochs=100, batch_size=8).to_dict(), epochs=100, options=options)
    wait_until(lambda: job.state.step > 0, what="the first trial's batches")
    assert "trial 1 of 3" in job.state.describe()
    job.stop(started.run_id)
    state = job.wait(60)
    assert state.status == "stopped" and "nothing was saved" in state.message
    assert registry(tmp_path).names() == []
