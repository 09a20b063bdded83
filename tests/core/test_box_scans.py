"""Digits stretched to fill their frame, as some scanning pipelines store them."""

import numpy as np
import pytest

from mnist_core.box_scans import box_normalise, box_normalised, box_scans, ink_box


def one():
    """A thin upright 1 with a flag, light ink on dark, in MNIST's 28x28."""
    image = np.zeros((28, 28), np.uint8)
    image[4:24, 13:15] = 255
    image[4:7, 10:13] = 255
    return image


def test_a_full_stretch_fills_the_frame_both_ways():
    frame = box_normalise(one(), 16, stretch=1.0)
    assert frame.shape == (16, 16)
    assert ink_box(frame) == (0, 16, 0, 16)


def test_no_stretch_keeps_the_proportions():
    top, bottom, left, right = ink_box(box_normalise(one(), 16, stretch=0.0))
    assert bottom - top == 16 and right - left <= 5


def test_a_threshold_keeps_one_bit_per_pixel():
    frame = box_normalise(one(), 16, threshold=0.5)
    assert set(np.unique(frame)) <= {0, 255}


def test_an_empty_image_gives_an_empty_frame():
    assert not box_normalise(np.zeros((28, 28), np.uint8), 16).any()


def test_copies_are_mnist_layout_centred_and_repeatable(real_data):
    digits = real_data.x_test[:40]
    copies = box_scans(digits, seed=3)
    assert copies.shape == (40, 28, 28) and copies.dtype == np.uint8
    np.testing.assert_array_equal(copies, box_scans(digits, seed=3))
    assert not np.array_equal(copies, box_scans(digits, seed=4))
    for copy in copies:
        rows, cols = np.indices(copy.shape)
        mass = copy.astype(float) / copy.sum()
        assert abs((rows * mass).sum() - 13.5) < 2 and abs((cols * mass).sum() - 13.5) < 2
        box = ink_box(copy)
        assert max(box[1] - box[0], box[3] - box[2]) in range(18, 22)  # MNIST's 20-pixel box


def test_a_stretched_1_is_a_wide_bar(real_data):
    ones = real_data.x_test[real_data.y_test == 1][:20]
    widths = [(ink_box(copy)[3] - ink_box(copy)[2], ink_box(plain)[3] - ink_box(plain)[2])
              for plain, copy in zip(ones, box_normalised(ones))]
    assert all(stretched > plain for stretched, plain in widths)  # wider than MNIST drew it, every one
    assert np.mean([s for s, _ in widths]) >= 1.5 * np.mean([p for _, p in widths])


@pytest.mark.parametrize("side", [12, 16, 32])
def test_every_frame_size_reads_as_the_same_kind_of_input(side, real_data):
    copy = box_normalised(real_data.x_test[:1], side=side)[0]
    assert copy.max() == 255 and ink_box(copy) is not None


def test_a_straight_1_is_never_copied_as_a_blank_image():
    straight = np.zeros((28, 28), np.uint8)
    straight[4:24, 12:16] = 255
    assert box_scans(np.stack([straight] * 8), seed=0).reshape(8, -1).any(axis=1).all()
