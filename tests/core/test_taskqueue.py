"""The queue's configuration and the one-worker-per-queue-and-machine lock."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from mnist_core import taskqueue
from mnist_core.cli import main
from mnist_core.errors import DigitLabError


def test_queue_defaults_to_a_file_beside_the_sqlite_database(monkeypatch, tmp_path):
    monkeypatch.delenv(taskqueue.QUEUE_ENV, raising=False)
    monkeypatch.setenv("DIGITLAB_DB", f"sqlite:///{tmp_path}/class.db")
    assert taskqueue.queue_url() == f"sqlite:///{tmp_path}/class.queue.db"
    monkeypatch.setenv(taskqueue.QUEUE_ENV, "redis://127.0.0.1:6390/0")
    assert taskqueue.queue_url() == "redis://127.0.0.1:6390/0"


def test_a_bad_queue_url_is_one_sentence(monkeypatch, capsys):
    with pytest.raises(DigitLabError, match="DIGITLAB_QUEUE must be"):
        taskqueue.get_queue("amqp://user:secret@rabbit/")
    monkeypatch.setenv(taskqueue.QUEUE_ENV, "amqp://user:secret@rabbit/")
    assert main(["worker"]) == 1
    err = capsys.readouterr().err
    assert "DIGITLAB_QUEUE must be" in err and "secret" not in err and "Traceback" not in err


def test_second_worker_for_the_same_queue_is_refused_with_the_first_ones_pid(monkeypatch, tmp_path, capsys):
    url = f"sqlite:///{tmp_path}/queue.db"
    monkeypatch.setenv(taskqueue.QUEUE_ENV, url)
    assert not taskqueue.worker_running(url)
    with taskqueue.worker_lock(url) as held:
        assert held and taskqueue.worker_running(url)
        assert taskqueue.worker_pid(url) == os.getpid()
        assert main(["worker"]) == 1
        assert f"already running for this queue on this machine (pid {os.getpid()})" in capsys.readouterr().err
        assert main(["worker", "--if-free"]) == 0  # how the app asks: quietly nothing to do
        assert taskqueue.ensure_worker(url) is False  # a server sees the worker and starts none
    assert taskqueue.worker_pid(url) is None


def test_autostart_can_be_turned_off(monkeypatch, tmp_path):
    monkeypatch.setenv(taskqueue.AUTOSTART_ENV, "0")
    assert taskqueue.autostart() is False
    assert taskqueue.ensure_worker(f"sqlite:///{tmp_path}/queue.db") is False


def test_one_launch_while_the_worker_boots_however_often_pages_ask(monkeypatch, tmp_path):
    launches = []
    monkeypatch.setenv(taskqueue.AUTOSTART_ENV, "1")
    monkeypatch.setattr(taskqueue, "_launch", lambda url, env: launches.append(url))
    url = f"sqlite:///{tmp_path}/queue.db"
    assert [taskqueue.ensure_worker(url) for _ in range(5)] == [True, False, False, False, False]
    for _ in range(50):  # the launch runs on its own thread
        if launches:
            break
        time.sleep(0.02)
    assert launches == [url]
    marker = taskqueue.launch_marker(url)
    old = time.time() - taskqueue.LAUNCH_GRACE - 1
    os.utime(marker, (old, old))  # that launch never came up: the next page tries again
    assert taskqueue.ensure_worker(url) is True


def test_worker_locks_and_logs_of_a_test_run_stay_in_pytests_temp_folder(tmp_path_factory):
    """Test runs used to leave their workers' lock and log files in the system's temp folder (568 on this machine)."""
    import subprocess
    import sys

    base = tmp_path_factory.getbasetemp()
    assert base in taskqueue.lock_path("sqlite:///anything.db").parents
    assert base in taskqueue.log_path("sqlite:///anything.db").parents
    child = subprocess.run([sys.executable, "-c", "import tempfile; print(tempfile.gettempdir())"],
                           capture_output=True, text=True, check=True)
    assert base in Path(child.stdout.strip()).parents  # servers and workers a test starts, too
