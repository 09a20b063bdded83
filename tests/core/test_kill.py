"""Kill a real process while it saves or trains: the registry must stay consistent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mnist_core.registry import Registry

ROOT = Path(__file__).resolve().parents[2]

SAVE_LOOP = """
import sys
from mnist_core.presets import build_model
from mnist_core.registry import ModelCard, Registry, now_iso
from mnist_core.settings import TrainSettings
import numpy as np
model = build_model("mlp-128-64", TrainSettings(hidden_units=(2048, 1024)))  # ~12 MB: saving takes a while
registry = Registry(sys.argv[1], shipped=None)
arrays = {"test_probabilities": np.random.default_rng(0).random((10000, 10)).astype(np.float16)}
for i in range(10_000):
    card = ModelCard(f"m{i}", "mlp-128-64", {}, {}, {"test_accuracy": 0.5}, "x", now_iso(), 1.0, 1)
    registry.save(f"m{i % 3}", model, card, arrays, overwrite=True)
    print("saved", i, flush=True)
"""


def run_and_kill(args: list[str], wait_for: str, extra_delay: float, env_extra: dict | None = None) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env_extra or {})}
    proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    seen = []
    deadline = time.time() + 120
    try:
        for line in proc.stdout:
            seen.append(line)
            if wait_for in line or time.time() > deadline:
                break
        time.sleep(extra_delay)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    return "".join(seen)


def assert_consistent(root: Path) -> list[str]:
    registry = Registry(root, shipped=None)
    cards, problems = registry.scan()
    assert problems == [], problems
    for card in cards:
        registry.load(card.name)  # everything listed really loads
        assert registry.card(card.name).metrics
    return [c.name for c in cards]


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 0.05, 0.15])
def test_kill_while_saving_never_leaves_a_half_model(tmp_path, delay):
    root = tmp_path / "models"
    output = run_and_kill(["-c", SAVE_LOOP, str(root)], "saved 1", delay)
    assert "saved 1" in output, output[-2000:]
    names = assert_consistent(root)
    assert set(names) <= {"m0", "m1", "m2"} and names
    leftovers = [p.name for p in root.iterdir() if p.name.startswith((".tmp-", ".trash-"))]
    # a killed save may leave a hidden temp folder: invisible, and removed once stale
    registry = Registry(root, shipped=None)
    for path in root.iterdir():
        if path.name.startswith((".tmp-", ".trash-")):
            os.utime(path, (0, 0))
    assert registry.clean_stale() == len(leftovers)
    assert assert_consistent(root) == names


@pytest.mark.slow
def test_kill_during_training_saves_nothing(tmp_path, tiny_npz):
    npz = tiny_npz
    root = tmp_path / "models"
    output = run_and_kill(["-m", "mnist_core", "--models-dir", str(root), "train", "--preset", "mlp-128-64",
                           "--epochs", "100", "--batch-size", "8", "--name", "never", "--data", str(npz)],
                          "epoch 2/100", 0.2)
    assert "epoch 2/100" in output
    assert not root.exists() or assert_consistent(root) == []
