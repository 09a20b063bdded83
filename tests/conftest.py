"""Shared fixtures: small data for fast tests, and the real MNIST when it is available."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest



@pytest.fixture(scope="session", autouse=True)
def _own_temp_folder(tmp_path_factory):
    """Temporary files of this run (worker locks and logs, TensorBoard folders of runs killed on purpose, servers'
    folders) go into pytest's own temp folder, which pytest prunes, and into none of the system's.

    TMPDIR reaches every process a test starts (servers, workers, Chromium); ``tempfile.tempdir`` this process,
    which may already have asked for the temp folder. (A PostgreSQL cluster run by the postgres user cannot
    reach this folder, so ``tests/postgres.py`` keeps its own in /tmp and removes it.)
    """
    folder = tmp_path_factory.mktemp("temp")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TMPDIR", str(folder))
        patch.setattr(tempfile, "tempdir", str(folder))
        yield folder


@pytest.fixture(scope="session", autouse=True)
def _own_queue(tmp_path_factory):
    """No test process starts a training worker by itself, nor touches ~/.digitlab's queue.

    Tests that need a worker run one (tests/runtools.py); servers started by the browser harness
    turn autostart back on for their own database and queue.
    """
    folder = tmp_path_factory.mktemp("digitlab-queue")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DIGITLAB_QUEUE", f"sqlite:///{folder / 'queue.db'}")
        patch.setenv("DIGITLAB_WORKER_AUTOSTART", "0")
        yield folder


@pytest.fixture(scope="session", autouse=True)
def _own_disk_cache(tmp_path_factory):
    """The arrays every training run makes (calibration digits, USPS in MNIST layout) are kept for this run
    only, shared by the processes it starts (workers, servers), and never in ~/.digitlab/cache."""
    folder = tmp_path_factory.mktemp("digitlab-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DIGITLAB_CACHE", str(folder))
        yield folder


@pytest.fixture(autouse=True)
def class_database(tmp_path_factory, monkeypatch):
    """Every test gets its own class database and one-person mode; nothing touches ~/.digitlab."""
    folder = tmp_path_factory.mktemp("classdb")
    monkeypatch.setenv("DIGITLAB_DB", f"sqlite:///{folder}/class.db")
    monkeypatch.delenv("DIGITLAB_TEACHER_KEY", raising=False)
    return folder


@pytest.fixture(scope="session")
def tiny_data():
    """800 train / 300 test synthetic pen digits: MNIST-shaped, made in a second, no file needed."""
    from mnist_core.data import MnistData
    from mnist_core.synthetic import synthetic_mnist

    x_train, y_train = synthetic_mnist(800, seed=1000)
    x_test, y_test = synthetic_mnist(300, seed=2000)
    return MnistData(x_train, y_train, x_test, y_test, source="synthetic")


@pytest.fixture
def tiny_npz(tmp_path, tiny_data) -> Path:
    """The tiny synthetic set as an mnist.npz file, for commands run in another process."""
    path = tmp_path / "tiny.npz"
    np.savez(path, x_train=tiny_data.x_train, y_train=tiny_data.y_train, x_test=tiny_data.x_test,
             y_test=tiny_data.y_test)
    return path


@pytest.fixture(scope="session")
def real_data():
    """The real MNIST; in CI its absence is a failure, elsewhere a skip."""
    from mnist_core.data import find_dataset, load_mnist

    path = find_dataset()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("CI must provide MNIST through MNIST_NPZ")
        pytest.skip("real MNIST not available (set MNIST_NPZ)")
    return load_mnist(path)


@pytest.fixture
def models_dir(tmp_path, monkeypatch):
    path = tmp_path / "models"
    monkeypatch.setenv("DIGITLAB_MODELS", str(path))
    return path


def write_npz(path: Path, **overrides) -> Path:
    """A small valid MNIST-layout file, with any array replaced or removed (None)."""
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (50, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, 50, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, 20, dtype=np.uint8),
    }
    for key, value in overrides.items():
        if value is None:
            arrays.pop(key)
        else:
            arrays[key] = value
    np.savez(path, **arrays)
    return path
