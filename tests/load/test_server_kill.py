"""SIGKILL the training worker (while it trains, while it saves) and the Streamlit server (while a run trains).

A run started from the Train page executes in the worker the server started.
Killing the worker must mark the run failed with a sentence and leave no
half-written model: nothing listed that cannot load, no folder reported as a
problem. Killing the web server must not touch the run at all: it goes on in
the worker, and any server shows it and can stop it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from devtools import appserver, classroom
from mnist_core.registry import Registry
from mnist_core.runs import RunStore
from tests.runtools import wait_until

pytestmark = pytest.mark.slow


def drive_to(stage: str, server: classroom.Server, epochs: int, images: int | None) -> str:
    """Start a Train-page run and refresh its live view until `stage` ("fitting" or "saving"); the progress seen."""
    trainer = classroom.Trainer(server.port, epochs=epochs, images=images, log=lambda *_: None)

    async def drive() -> str:
        await trainer.open()
        await trainer.start()
        if stage == "fitting":
            await trainer.wait_fitting()
            return trainer.last_progress
        deadline = time.monotonic() + 120
        session = trainer.session
        while time.monotonic() < deadline:  # refresh the live view until the run is being saved
            fragment_id, interval = next(iter(session.auto_reruns.items()))
            await asyncio.sleep(0.2)
            result = await session.rerun(fragment_id=fragment_id, is_auto_rerun=True, timeout=30)
            if any("saving" in p for p in result.progress):
                return result.progress[-1]
        raise AssertionError("the run never reached its saving step")

    with ThreadPoolExecutor(max_workers=1) as pool:  # Playwright may hold an event loop on this thread
        return pool.submit(asyncio.run, drive()).result()


def assert_registry_consistent(root: Path) -> list[str]:
    if not root.exists():
        return []
    registry = Registry(root, shipped=None)
    cards, problems = registry.scan()
    assert problems == [], problems
    for card in cards:
        registry.load(card.name)
    return [c.name for c in cards]


@pytest.fixture
def server():
    if appserver.mnist_path() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must provide MNIST through MNIST_NPZ")
        pytest.skip("real MNIST not available (set MNIST_NPZ)")
    with tempfile.TemporaryDirectory(prefix="digitlab-kill-") as folder:
        server = classroom.Server(Path(folder), appserver.mnist_path(), shipped=None, session_ttl=10,
                                       log=lambda *_: None)
        server.start()
        try:
            yield server
        finally:
            server.stop()  # also ends the worker it started


def kill_worker(server) -> None:
    pid = server.worker_pid()
    assert pid is not None, "no training worker runs for this server"
    os.kill(pid, signal.SIGKILL)


def test_worker_killed_while_training_fails_the_run_and_saves_nothing(server):
    seen = drive_to("fitting", server, epochs=30, images=None)
    assert "Epoch" in seen
    kill_worker(server)
    store = RunStore(server.db_url)
    state = wait_until(lambda: (s := store.latest()) and not s.active and s, 30, "the run to be marked failed")
    assert state.status == "failed" and "killed" in state.message, state
    assert assert_registry_consistent(server.models_dir) == []


@pytest.mark.parametrize("delay", [0.0, 0.8])
def test_worker_killed_while_saving_leaves_a_whole_model_or_none(server, delay):
    seen = drive_to("saving", server, epochs=1, images=2000)
    assert "saving" in seen
    time.sleep(delay)
    kill_worker(server)
    store = RunStore(server.db_url)
    state = wait_until(lambda: (s := store.latest()) and not s.active and s, 30, "the run to end")
    names = assert_registry_consistent(server.models_dir)
    assert len(names) <= 1  # the run's model is either complete and loadable, or not there at all
    assert state.status in ("failed", "done"), state
    if state.status == "done":
        assert names == [state.name]


def test_server_killed_while_training_leaves_the_run_going(server):
    seen = drive_to("fitting", server, epochs=30, images=None)
    assert "Epoch" in seen
    os.killpg(server.pid, signal.SIGKILL)
    server.proc.wait(15)
    store = RunStore(server.db_url)
    before = store.latest()
    assert before.status == "running"
    wait_until(lambda: store.latest().fraction > before.fraction, 60, "the run to go on without its server")
    # Stop from anywhere else (another replica, here the test); if the run ended meanwhile, say how
    assert store.request_stop(before.run_id), f"the run was no longer running: {store.latest()}"
    state = wait_until(lambda: (s := store.latest()) and not s.active and s, 60, "the run to stop")
    assert state.status == "stopped" and "nothing was saved" in state.message  # the Trainer unticks "keep"
    assert assert_registry_consistent(server.models_dir) == []
