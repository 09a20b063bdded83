"""Finding, loading and checking MNIST.

The dataset is looked up in this order: an explicit path, the ``MNIST_NPZ``
environment variable, a few well-known cache places, and only then Keras's
download (for users with internet). Whatever is loaded is checked before use,
because a truncated or foreign file would otherwise surface as a confusing
shape error deep inside training.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .errors import DatasetError

ENV_VAR = "MNIST_NPZ"
OFFLINE_ENV_VAR = "DIGITLAB_OFFLINE"
EXPECTED_KEYS = ("x_train", "y_train", "x_test", "y_test")
CLASS_COUNT = 10
IMAGE_SHAPE = (28, 28)


@dataclass(frozen=True)
class MnistData:
    """The four MNIST arrays, uint8, exactly as keras.datasets returns them."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str

    @property
    def fingerprint(self) -> str:
        """A short hash so a model card can say which data it was trained on."""
        return dataset_fingerprint(self)

    def subset(self, train: int | None = None, test: int | None = None) -> "MnistData":
        """Take the first N images of each split: small data for tests and demos."""
        return MnistData(
            self.x_train[:train], self.y_train[:train],
            self.x_test[:test], self.y_test[:test], self.source,
        )


def candidate_paths(explicit: str | os.PathLike | None = None) -> list[Path]:
    """Where the dataset may live, most specific first."""
    paths: list[Path] = []
    if explicit:
        paths.append(Path(explicit).expanduser())
    env = os.environ.get(ENV_VAR)
    if env:
        paths.append(Path(env).expanduser())
    project_root = Path(__file__).resolve().parent.parent
    paths += [
        Path.home() / ".keras" / "datasets" / "mnist.npz",
        project_root / "data" / "mnist.npz",
        project_root.parent / "shared" / "data" / "mnist.npz",
    ]
    return paths


def find_dataset(explicit: str | os.PathLike | None = None) -> Path | None:
    """The first candidate place that holds a file, or None: no download is tried."""
    return next((p for p in candidate_paths(explicit) if p.is_file()), None)


def where_to_put_it() -> str:
    """The one sentence users see when no dataset is available."""
    return (
        "MNIST is not available offline: download mnist.npz and either set "
        f"{ENV_VAR}=/path/to/mnist.npz or put it at "
        f"{Path.home() / '.keras' / 'datasets' / 'mnist.npz'}."
    )


def load_mnist(path: str | os.PathLike | None = None, allow_download: bool | None = None) -> MnistData:
    """Load and validate MNIST, raising :class:`DatasetError` with one clear sentence."""
    if path is not None and not Path(path).expanduser().is_file():
        raise DatasetError(f"MNIST file not found at {path}; {where_to_put_it()}")
    env = os.environ.get(ENV_VAR)
    if path is None and env and not Path(env).expanduser().is_file():
        raise DatasetError(f"{ENV_VAR} points to {env}, which does not exist; {where_to_put_it()}")
    found = find_dataset(path)
    if found is not None:
        return _load_cached(str(found.resolve()), found.stat().st_mtime_ns)
    if allow_download is None:
        allow_download = os.environ.get(OFFLINE_ENV_VAR, "") not in ("1", "true", "yes")
    if allow_download:
        return _download()
    raise DatasetError(where_to_put_it())


def read_only(array: np.ndarray) -> np.ndarray:
    """The same array, no longer writeable: for arrays a cache hands to every caller, who must not change them."""
    array.setflags(write=False)
    return array


@lru_cache(maxsize=2)
def _load_cached(path: str, _mtime: int) -> MnistData:
    """Reading 55 MB takes a second: cache by path and modification time."""
    return read_npz(path)


def read_npz(path: str | os.PathLike) -> MnistData:
    """Read one .npz file and check it really is MNIST."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [k for k in EXPECTED_KEYS if k not in archive.files]
            if missing:
                raise DatasetError(
                    f"{path} is not an MNIST file: it lacks {', '.join(missing)}; {where_to_put_it()}"
                )
            arrays = {k: archive[k] for k in EXPECTED_KEYS}
    except DatasetError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise DatasetError(f"{path} could not be read as an MNIST .npz file ({exc}); {where_to_put_it()}") from exc
    data = MnistData(**arrays, source=str(path))
    validate(data)
    return data


def validate(data: MnistData) -> None:
    """Reject anything that is not 28x28 uint8 images with labels 0-9."""
    for split in ("train", "test"):
        x = getattr(data, f"x_{split}")
        y = getattr(data, f"y_{split}")
        where = f"{data.source} ({split} split)"
        if x.ndim != 3 or x.shape[1:] != IMAGE_SHAPE:
            raise DatasetError(f"{where} holds images of shape {x.shape[1:]}, expected 28x28.")
        if x.dtype != np.uint8:
            raise DatasetError(f"{where} holds {x.dtype} images, expected uint8.")
        if y.ndim != 1 or len(y) != len(x):
            raise DatasetError(f"{where} has {len(y)} labels for {len(x)} images.")
        if len(y) and (y.min() < 0 or y.max() >= CLASS_COUNT):
            raise DatasetError(f"{where} has labels outside 0-9.")


def _download() -> MnistData:
    """Keras's own download, for users with internet; any failure becomes one sentence."""
    try:
        from keras.datasets import mnist

        (x_train, y_train), (x_test, y_test) = mnist.load_data()
    except Exception as exc:  # network errors come in many types
        raise DatasetError(where_to_put_it()) from exc
    data = MnistData(x_train, y_train, x_test, y_test, source="keras download")
    validate(data)
    return data


def dataset_fingerprint(data: MnistData) -> str:
    """Hash of the test split plus train labels and size: fast and order-sensitive enough."""
    digest = hashlib.sha256()
    for array in (data.x_test, data.y_test, data.y_train):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(str(data.x_train.shape).encode())
    return digest.hexdigest()[:16]


def class_counts(labels: np.ndarray) -> list[int]:
    """How many images each digit has (the Dataset page shows this)."""
    return np.bincount(labels.astype(np.int64), minlength=CLASS_COUNT).tolist()


def to_model_input(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 (N, 28, 28, 1) in [0, 1], the layout every preset takes."""
    return (images.astype(np.float32) / 255.0)[..., np.newaxis]
