"""Fixtures for the Streamlit app tests (streamlit.testing.v1.AppTest).

The app reads everything from the environment: MNIST_NPZ (the dataset),
DIGITLAB_MODELS (trained models) and DIGITLAB_SHIPPED (shipped models; ""
means none). Each test gets its own environment through monkeypatch; the
tiny models are trained once per session, small enough for a 2-core CI box.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mnist_core.data import find_dataset
from tests.app.apptools import LOGISTIC, QUICK


@pytest.fixture(scope="session")
def mnist_path() -> Path:
    path = find_dataset()
    if path is None:
        pytest.skip("MNIST is not available (set MNIST_NPZ=/path/to/mnist.npz)")
    return path


@pytest.fixture(scope="session")
def mnist(mnist_path):
    from mnist_core.data import load_mnist

    return load_mnist(mnist_path)


@pytest.fixture(scope="session")
def trained_models(tmp_path_factory, mnist) -> Path:
    """A registry folder with two tiny models: a 1-epoch CNN and a 1-epoch logistic baseline."""
    from mnist_core.presets import get_preset
    from mnist_core.registry import Registry
    from mnist_core.workflow import train_and_save

    root = tmp_path_factory.mktemp("models")
    registry = Registry(root, shipped=None)
    small = mnist.subset(train=2000)  # scoring on 2,000 training images instead of 60,000 saves time
    quick = get_preset("cnn-quick").defaults.with_changes(epochs=1, train_limit=2000)
    train_and_save("cnn-quick", quick, small, registry, QUICK)
    logistic = get_preset("logistic").defaults.with_changes(epochs=1, train_limit=1000)
    train_and_save("logistic", logistic, small, registry, LOGISTIC)
    return root


@pytest.fixture
def app_env(monkeypatch, mnist_path, trained_models):
    """Environment of a working installation: dataset present, two trained models, no shipped ones."""
    monkeypatch.setenv("MNIST_NPZ", str(mnist_path))
    monkeypatch.setenv("DIGITLAB_MODELS", str(trained_models))
    monkeypatch.setenv("DIGITLAB_SHIPPED", "")
    return trained_models


@pytest.fixture
def empty_models(monkeypatch, tmp_path, mnist_path):
    """Dataset present, but no trained and no shipped models."""
    root = tmp_path / "no-models"
    root.mkdir()
    monkeypatch.setenv("MNIST_NPZ", str(mnist_path))
    monkeypatch.setenv("DIGITLAB_MODELS", str(root))
    monkeypatch.setenv("DIGITLAB_SHIPPED", "")
    return root


@pytest.fixture
def copied_models(monkeypatch, tmp_path, mnist_path, trained_models):
    """A private copy of the trained models that a test may change (break, add to)."""
    root = tmp_path / "models"
    shutil.copytree(trained_models, root)
    monkeypatch.setenv("MNIST_NPZ", str(mnist_path))
    monkeypatch.setenv("DIGITLAB_MODELS", str(root))
    monkeypatch.setenv("DIGITLAB_SHIPPED", "")
    return root
