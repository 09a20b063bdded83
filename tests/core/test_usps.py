"""USPS parts: the stored 16x16 frames, and the same in MNIST layout."""

from __future__ import annotations

import os

import numpy as np
import pytest

from mnist_core.errors import DatasetError
from mnist_core.preprocessing import scan_frames
from mnist_core.usps import CALIBRATION_ROWS, load_usps_frames, load_usps_part


@pytest.fixture
def usps_file(tmp_path):
    """A small file in usps.npz's layout: 1,010 training rows (the last 1,000 kept out), 5 test rows."""
    rng = np.random.default_rng(0)
    x = np.zeros((1015, 16, 16), np.uint8)
    x[:, 3:13, 7:9] = 255  # a stroke in every frame
    x[:, 3, 4:9] = rng.integers(100, 256, (1015, 5))
    split = np.array([0] * (CALIBRATION_ROWS + 10) + [1] * 5)
    path = tmp_path / "usps.npz"
    np.savez(path, x=x, y=np.arange(1015) % 10, split=split)
    return path, x


def test_frames_are_the_stored_rows_of_their_part(usps_file):
    path, x = usps_file
    frames, labels = load_usps_frames("test", path)
    assert np.array_equal(frames, x[-5:]) and list(labels) == [(1010 + k) % 10 for k in range(5)]
    assert len(load_usps_frames("train", path)[0]) == 10
    assert len(load_usps_frames("calibration", path)[0]) == CALIBRATION_ROWS


def test_a_part_in_mnist_layout_is_its_frames_preprocessed(usps_file):
    path, _ = usps_file
    frames, labels = load_usps_frames("train", path)
    images, same_labels = load_usps_part("train", path)
    assert images.shape == (10, 28, 28) and np.array_equal(images, scan_frames(frames))
    assert np.array_equal(labels, same_labels)


def test_a_missing_file_is_one_sentence(tmp_path):
    with pytest.raises(DatasetError, match="USPS is not available"):
        load_usps_frames("test", tmp_path / "nowhere.npz")


def test_a_part_is_preprocessed_once_per_file_version_and_cannot_be_changed(usps_file):
    """Every training run reads the calibration rows: the second read is the first one's arrays, read-only."""
    path, x = usps_file
    images, labels = load_usps_part("train", path)
    again, _ = load_usps_part("train", path)
    assert again is images
    with pytest.raises(ValueError):
        images[0, 0, 0] = 1
    with pytest.raises(ValueError):
        labels[0] = 9
    x[:10, 3:13, 7:9] = 0  # the file rewritten: its new rows are read, not the cached ones
    x[:10, 5, 2:14] = 255
    before = path.stat().st_mtime_ns
    np.savez(path, x=x, y=np.arange(1015) % 10, split=np.array([0] * (CALIBRATION_ROWS + 10) + [1] * 5))
    os.utime(path, ns=(before + 10**9, before + 10**9))  # a later version, however coarse the clock
    changed, _ = load_usps_part("train", path)
    assert changed is not images and np.array_equal(changed, scan_frames(x[:10]))
