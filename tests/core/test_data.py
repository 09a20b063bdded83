import numpy as np
import pytest

from mnist_core import data
from mnist_core.errors import DatasetError
from tests.conftest import write_npz


@pytest.fixture(autouse=True)
def no_env(monkeypatch, tmp_path):
    monkeypatch.delenv("MNIST_NPZ", raising=False)
    monkeypatch.setattr(data, "candidate_paths", _only_explicit_and_env(data.candidate_paths))


def _only_explicit_and_env(original):
    """Ignore the machine's cache places so tests see only what they set up."""
    def paths(explicit=None):
        import os
        from pathlib import Path
        found = [Path(explicit)] if explicit else []
        if os.environ.get("MNIST_NPZ"):
            found.append(Path(os.environ["MNIST_NPZ"]))
        return found
    return paths


def test_loads_from_explicit_path(tmp_path):
    loaded = data.load_mnist(write_npz(tmp_path / "m.npz"))
    assert loaded.x_train.shape == (50, 28, 28) and loaded.y_test.shape == (20,)
    assert loaded.x_train.dtype == np.uint8


def test_loads_from_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_NPZ", str(write_npz(tmp_path / "env.npz")))
    assert len(data.load_mnist().x_test) == 20


def test_env_pointing_nowhere_names_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("MNIST_NPZ", str(tmp_path / "nope.npz"))
    with pytest.raises(DatasetError, match="MNIST_NPZ"):
        data.load_mnist()


def test_offline_without_file_says_where_to_put_it():
    with pytest.raises(DatasetError) as info:
        data.load_mnist(allow_download=False)
    message = str(info.value)
    assert "MNIST_NPZ" in message and "mnist.npz" in message and "\n" not in message


def test_download_failure_becomes_one_sentence(monkeypatch):
    import keras.datasets.mnist as kmnist

    def fail():
        raise OSError("network unreachable")
    monkeypatch.setattr(kmnist, "load_data", fail)
    with pytest.raises(DatasetError, match="MNIST_NPZ"):
        data.load_mnist(allow_download=True)


@pytest.mark.parametrize("overrides, fragment", [
    ({"x_train": None}, "lacks x_train"),
    ({"x_test": np.zeros((20, 32, 32), np.uint8)}, "expected 28x28"),
    ({"x_train": np.zeros((50, 28, 28), np.float32)}, "expected uint8"),
    ({"y_train": np.zeros(49, np.uint8)}, "49 labels for 50 images"),
    ({"y_test": np.full(20, 11, np.uint8)}, "outside 0-9"),
])
def test_rejects_files_that_are_not_mnist(tmp_path, overrides, fragment):
    with pytest.raises(DatasetError, match=fragment):
        data.load_mnist(write_npz(tmp_path / "bad.npz", **overrides))


def test_corrupt_file_is_reported_not_raised_raw(tmp_path):
    path = tmp_path / "corrupt.npz"
    path.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(DatasetError, match="could not be read"):
        data.load_mnist(path)


def test_truncated_file_is_reported(tmp_path):
    good = write_npz(tmp_path / "good.npz").read_bytes()
    path = tmp_path / "short.npz"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(DatasetError):
        data.load_mnist(path)


def test_fingerprint_is_stable_and_sensitive(tmp_path):
    a = data.load_mnist(write_npz(tmp_path / "a.npz"))
    b = data.load_mnist(write_npz(tmp_path / "b.npz", y_test=np.zeros(20, np.uint8)))
    assert a.fingerprint == data.read_npz(tmp_path / "a.npz").fingerprint
    assert a.fingerprint != b.fingerprint


def test_class_counts_and_model_input():
    assert data.class_counts(np.array([0, 0, 9], np.uint8)) == [2, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    x = data.to_model_input(np.full((2, 28, 28), 255, np.uint8))
    assert x.shape == (2, 28, 28, 1) and x.dtype == np.float32 and x.max() == 1.0


def test_real_mnist_has_the_standard_split(real_data):
    assert real_data.x_train.shape == (60000, 28, 28)
    assert real_data.x_test.shape == (10000, 28, 28)
    assert data.class_counts(real_data.y_test)[1] == 1135
