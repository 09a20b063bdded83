"""The training worker as a real separate process: a run end to end, its niceness, SIGKILL mid-run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mnist_core.data import load_mnist
from mnist_core.jobs import TrainingJob
from mnist_core.presets import get_preset
from mnist_core.registry import Registry
from mnist_core.worker import Reporter
from tests.runtools import WorkerProcess, configure_runs, save_npz, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def setup(tmp_path, monkeypatch, tiny_data):
    env = configure_runs(monkeypatch, tmp_path / "runs")
    env.update(DIGITLAB_MODELS=str(tmp_path / "models"), DIGITLAB_SHIPPED="", DIGITLAB_OFFLINE="1")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    data = load_mnist(save_npz(tiny_data, tmp_path / "tiny.npz"))
    return env, data, Registry(tmp_path / "models", shipped=None)


def settings(epochs: int):
    return get_preset("mlp-128-64").defaults.with_changes(epochs=epochs, batch_size=16)


def test_worker_process_trains_saves_and_runs_niced(setup, tmp_path):
    env, data, registry = setup
    with WorkerProcess(env, tmp_path / "worker.log") as worker:
        job = TrainingJob()
        started = job.start("mlp-128-64", settings(2), data, "from the worker", owner="pupil 7")
        state = job.wait(240, run_id=started.run_id)
        assert state.status == "done", (state.message, worker.log())
        assert state.card.name == "from the worker" and len(state.history["loss"]) == 2
        assert "from the worker" in registry.names()
        assert os.getpriority(os.PRIO_PROCESS, worker.pid) > os.getpriority(os.PRIO_PROCESS, 0)
        autogroup = Path(f"/proc/{worker.pid}/autogroup")  # its own session: nice must count there too
        if autogroup.exists() and Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() == "1":
            assert autogroup.read_text().split()[-1] == "10", autogroup.read_text()
        assert job.state_for("pupil 7").card is not None  # the page adopts the model from this state


def test_worker_killed_mid_run_fails_the_run_and_saves_nothing(setup, tmp_path):
    env, data, registry = setup
    job = TrainingJob()
    with WorkerProcess(env, tmp_path / "worker.log") as worker:
        started = job.start("mlp-128-64", settings(100), data, "killed", owner="pupil 8")
        wait_until(lambda: job.store.get(started.run_id).step > 0, 240, "the run to train")
        worker.kill()
    state = job.store.get(started.run_id)  # any page looking now sees the worker is gone
    assert state.status == "failed" and "killed" in state.message and state.message.endswith(".")
    assert registry.scan() == ([], [])
    assert not job.store.active()

    # A fresh worker takes the next run; a run lost before it started is marked failed by it.
    second = job.start("mlp-128-64", settings(1), data, "after the kill", owner="pupil 8")
    with WorkerProcess(env, tmp_path / "worker2.log") as worker:
        assert job.wait(240, run_id=second.run_id).status == "done", worker.log()
    assert registry.names() == ["after the kill"]


def test_reporter_throttles_progress_and_reads_the_stop_flag():
    class Store:
        def __init__(self):
            self.writes, self.stop = [], False

        def report(self, run_id, progress=None, beat=True):
            self.writes.append(progress if progress else beat)
            return ("stopping" if self.stop else "running"), self.stop

    store = Store()
    reporter = Reporter(store, 1, poll=0.01, write=3600)
    reporter.on_start(2, 10)
    for step in range(1, 11):
        reporter.on_batch(0, step, 10, {"loss": 1.0 / step})
    reporter.on_epoch(0, {"loss": 0.1, "accuracy": 0.9})
    reporter.beat()
    reporter.beat()
    reporter.beat()
    assert store.writes[1:] == [False, False]  # then only the stop flag is read: no write at all
    assert isinstance(store.writes[0], dict)
    assert store.writes[0]["history"] == {"loss": [0.1], "accuracy": [0.9]} and store.writes[0]["epoch"] == 1
    assert not reporter.stop.is_set()
    store.stop = True
    reporter.beat()
    assert reporter.stop.is_set() and not reporter.lost.is_set()


def test_worker_started_by_the_app_leaves_when_idle(setup, tmp_path):
    env, _, _ = setup
    worker = WorkerProcess(env, tmp_path / "worker.log")
    worker.command = [*worker.command, "--idle-exit", "1"]
    with worker:
        wait_until(lambda: worker.proc.poll() is not None, 120, "the idle worker to exit")
        assert worker.proc.returncode == 0, worker.log()
