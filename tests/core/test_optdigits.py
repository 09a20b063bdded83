"""Real writers' 8x8 digits from scikit-learn: loaded in MNIST layout, as predict would see them as files."""

from __future__ import annotations

import numpy as np
from PIL import Image

from mnist_core.optdigits import as_optdigits, load_optdigits, load_optdigits_frames
from mnist_core.preprocessing import preprocess


def test_optdigits_are_1797_labelled_8x8_frames_of_light_ink():
    frames, labels = load_optdigits_frames()
    assert frames.shape == (1797, 8, 8) and frames.dtype == np.uint8
    assert np.bincount(labels).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert frames.max() == 255 and np.median(frames[:, 0, :]) == 0  # dark page, light ink


def test_optdigits_in_mnist_layout_are_what_an_8x8_file_gives_predict():
    frames, _ = load_optdigits_frames()
    images, _ = load_optdigits()
    assert images.shape == (1797, 28, 28) and images.dtype == np.uint8
    for i in range(0, 1797, 97):  # a file holds dark ink on white paper, as a scan is saved
        as_file = np.round(preprocess(Image.fromarray(255 - frames[i])).centred * 255).astype(int)
        assert np.abs(as_file - images[i]).max() <= 1


def test_mnist_made_as_coarse_as_optdigits_keeps_its_shape_in_17_levels():
    digit = np.zeros((28, 28), np.uint8)
    digit[4:24, 12:16] = 255  # a tall bar, a 1
    frame = as_optdigits(digit[None])[0]
    assert frame.shape == (8, 8)
    assert set(np.unique(frame)) <= {round(k / 16 * 255) for k in range(17)}
    rows, cols = np.nonzero(frame)
    assert rows.min() == 0 and rows.max() == 7  # the long side fills the bitmap
    assert cols.max() - cols.min() <= 2  # proportions kept: still a narrow bar
    assert not as_optdigits(np.zeros((1, 28, 28), np.uint8)).any()
