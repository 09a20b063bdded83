import time

import pytest

from mnist_core import jobs
from mnist_core.errors import TrainingBusyError
from mnist_core.presets import get_preset
from mnist_core.registry import Registry


def settings(**changes):
    return get_preset("mlp-128-64").defaults.with_changes(**{"epochs": 2, "batch_size": 16, **changes})


@pytest.fixture
def job(tmp_path):
    return jobs.TrainingJob(lambda: Registry(tmp_path / "models", shipped=None))


def wait_for(job, predicate, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate(job.state):
            return job.state
        time.sleep(0.02)
    raise AssertionError(f"timed out; state {job.state}")


def test_a_run_trains_evaluates_and_saves(job, tiny_data, tmp_path):
    job.start("mlp-128-64", settings(), tiny_data, "job model", owner="teacher")
    state = job.wait(60)
    assert state.status == "done", state.message
    assert state.card.name == "job model" and len(state.history["loss"]) == 2
    assert "job model" in Registry(tmp_path / "models", shipped=None).names()
    assert "Saved" in state.message and state.fraction == 1.0


def test_second_start_is_refused_with_who_what_and_progress(job, tiny_data):
    job.start("mlp-128-64", settings(epochs=50), tiny_data, "long one", owner="Ms Smith")
    wait_for(job, lambda s: s.step > 0)
    with pytest.raises(TrainingBusyError) as info:
        job.start("logistic", settings(), tiny_data, "second")
    message = str(info.value)
    assert "Ms Smith" in message and "mlp-128-64" in message and "epoch" in message and "%" in message
    assert job.stop()
    assert job.wait(60).status == "stopped"


def test_stop_keeps_partial_model_when_asked(job, tiny_data, tmp_path):
    job.start("mlp-128-64", settings(epochs=50), tiny_data, "partial", keep_partial=True)
    wait_for(job, lambda s: len(s.history.get("loss", [])) >= 1)
    job.stop()
    state = job.wait(60)
    assert state.status == "stopped" and state.card is not None
    assert state.card.stopped_early and "partial" in Registry(tmp_path / "models", shipped=None).names()


def test_stop_can_discard(job, tiny_data, tmp_path):
    job.start("mlp-128-64", settings(epochs=50), tiny_data, "discarded", keep_partial=False)
    wait_for(job, lambda s: s.step > 0)
    job.stop()
    state = job.wait(60)
    assert state.status == "stopped" and "nothing was saved" in state.message
    assert Registry(tmp_path / "models", shipped=None).names() == []


def test_failure_is_reported_not_raised(job, tiny_data, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("out of memory, pretend")
    monkeypatch.setattr(jobs, "train", broken)
    job.start("mlp-128-64", settings(), tiny_data, "doomed")
    state = job.wait(30)
    assert state.status == "failed" and "out of memory" in state.message
    job.start("mlp-128-64", settings(), tiny_data, "after failure")  # the slot is free again
    job.wait(30)


def test_stop_when_idle_is_harmless(job):
    assert job.stop() is False and job.state.status == "idle"


def test_start_work_runs_a_callable_in_the_slot_with_progress_and_stop(tmp_path):
    import threading

    job = jobs.TrainingJob(lambda: Registry(tmp_path, shipped=None))
    release = threading.Event()

    def work(listener, stop):
        listener.on_start(2, 10)
        listener.on_batch(0, 5, 10, {"loss": 1.0})
        release.wait(10)
        return None if stop.is_set() else "unreachable"

    job.start_work(work, preset="finetune", name="tuned", epochs=2, owner="Visitor a")
    with pytest.raises(TrainingBusyError):
        job.start_work(work, preset="finetune", name="other", epochs=1)
    assert job.state.owner == "Visitor a" and job.state.active
    assert job.stop()
    release.set()
    state = job.wait(10)
    assert state.status == "stopped" and "nothing was saved" in state.message

    def broken(listener, stop):
        raise ValueError("boom")

    job.start_work(broken, preset="finetune", name="x", epochs=1)
    assert job.wait(10).status == "failed" and "boom" in job.state.message
