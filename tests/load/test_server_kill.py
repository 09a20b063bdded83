"""SIGKILL the real Streamlit server while it trains and while it saves a model.

Afterwards the registry (what every page lists) must be consistent: no
half-written model, nothing listed that cannot load, no folder reported as a problem.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import classroom_load  # noqa: E402

from mnist_core.registry import Registry  # noqa: E402

pytestmark = pytest.mark.slow


def kill_when(stage: str, epochs: int, images: int | None, workdir: Path, delay: float = 0.0) -> str:
    """Start a Train-page run on a fresh server, SIGKILL the server at `stage`; return the last progress seen."""
    server = classroom_load.Server(workdir, classroom_load.mnist_path(), shipped=None, session_ttl=10,
                                   log=lambda *_: None)
    server.start()
    trainer = classroom_load.Trainer(server.port, epochs=epochs, images=images, log=lambda *_: None)

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

    try:
        with ThreadPoolExecutor(max_workers=1) as pool:  # Playwright may hold an event loop on this thread
            seen = pool.submit(asyncio.run, drive()).result()
        time.sleep(delay)
        os.killpg(server.pid, signal.SIGKILL)
        server.proc.wait(15)
        return seen
    finally:
        server.stop()


def assert_registry_consistent(root: Path) -> list[str]:
    registry = Registry(root, shipped=None)
    cards, problems = registry.scan()
    assert problems == [], problems
    for card in cards:
        registry.load(card.name)
    return [c.name for c in cards]


@pytest.fixture
def workdir():
    if classroom_load.mnist_path() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must provide MNIST through MNIST_NPZ")
        pytest.skip("real MNIST not available (set MNIST_NPZ)")
    with tempfile.TemporaryDirectory(prefix="digitlab-kill-") as folder:
        yield Path(folder)


def test_server_killed_while_training_saves_nothing_half_done(workdir):
    seen = kill_when("fitting", epochs=30, images=None, workdir=workdir)
    assert "Epoch" in seen
    models = workdir / "models"
    assert not models.exists() or assert_registry_consistent(models) == []


@pytest.mark.parametrize("delay", [0.0, 0.8])
def test_server_killed_while_saving_leaves_a_whole_model_or_none(workdir, delay):
    seen = kill_when("saving", epochs=1, images=2000, workdir=workdir, delay=delay)
    assert "saving" in seen
    names = assert_registry_consistent(workdir / "models") if (workdir / "models").exists() else []
    assert len(names) <= 1  # the run's model is either complete and loadable, or not there at all
