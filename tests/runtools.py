"""Helpers for the tests of runs and the training worker.

* ``configure_runs``: a private database and queue (SQLite files in a temp
  folder) for one test, with the automatic worker start turned off.
* ``InProcessWorker``: Huey's consumer on threads of the test process, the
  same code the worker process runs, minus the process: fast enough for AppTest.
* ``WorkerProcess``: a real ``python -m mnist_core worker`` for the tests that
  need a separate process (SIGKILL, niceness).
* ``RedisServer``: Debian's ``redis-server`` on a free loopback port in a temp
  folder, for the queue shared by several servers.
* ``save_npz``: small data as an MNIST-layout file, which the worker loads by path.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from devtools.appserver import free_port

ROOT = Path(__file__).resolve().parents[1]
RUN_TIMEOUT = 180


def configure_runs(monkeypatch, folder: Path) -> dict[str, str]:
    """Point DIGITLAB_DB and DIGITLAB_QUEUE at fresh files in ``folder``; no worker starts by itself."""
    folder.mkdir(parents=True, exist_ok=True)
    env = {"DIGITLAB_DB": f"sqlite:///{folder / 'runs.db'}", "DIGITLAB_QUEUE": f"sqlite:///{folder / 'queue.db'}",
           "DIGITLAB_WORKER_AUTOSTART": "0"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def save_npz(data, path: Path) -> Path:
    np.savez(path, x_train=data.x_train, y_train=data.y_train, x_test=data.x_test, y_test=data.y_test)
    return path


def wait_until(predicate, timeout: float = RUN_TIMEOUT, what: str = "the condition", poll: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def stop_all_runs(store, timeout: float = RUN_TIMEOUT) -> None:
    """Stop whatever is still going (a failed test must not leave a run training)."""
    for state in store.active():
        store.request_stop(state.run_id)
    wait_until(lambda: not store.active(), timeout, "the runs to stop")


class InProcessWorker:
    """The worker's consumer on threads of this process (no signal handlers: pytest keeps its own)."""

    def __init__(self, queue_url: str, slots: int = 1) -> None:
        from mnist_core.worker import make_consumer

        self.consumer = make_consumer(queue_url, slots)
        self.consumer._set_signal_handlers = lambda: None

    def __enter__(self) -> "InProcessWorker":
        self.consumer.start()
        return self

    def __exit__(self, *exc) -> None:
        from mnist_core.runs import RunStore

        try:
            stop_all_runs(RunStore())
        finally:
            self.consumer.stop(graceful=True)


class WorkerProcess:
    """``python -m mnist_core worker`` as a child process with the given environment."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = {**os.environ, **env, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}
        self.log_path = log_path
        self.command = [sys.executable, "-m", "mnist_core", "worker"]
        self.proc: subprocess.Popen | None = None

    def start(self) -> "WorkerProcess":
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.command, cwd=ROOT, env=self.env,
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(15)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return "(no log)"

    def __enter__(self) -> "WorkerProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.kill()


def require(tool: str) -> str:
    """The path of a program the test needs; a skip without it, except under CI=true, where it fails."""
    path = shutil.which(tool)
    if path is None:
        reason = f"{tool} is not installed (apt-get install {tool})"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must provide it", pytrace=False)
        pytest.skip(reason)
    return path


class RedisServer:
    """Debian's redis-server on a free loopback port, data in a temp folder, no persistence."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "RedisServer":
        binary = require("redis-server")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
            stdout=open(self.folder / "redis.log", "wb"), stderr=subprocess.STDOUT, start_new_session=True)
        import redis

        client = redis.Redis.from_url(self.url)
        wait_until(lambda: self._ping(client), 20, "redis-server to answer")
        return self

    @staticmethod
    def _ping(client) -> bool:
        try:
            return bool(client.ping())
        except Exception:
            return False

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
