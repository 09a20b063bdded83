"""Generated non-digits: letters, shapes and scribbles, with the digit-like ones left out."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_core.handwriting import Writer, canvas_image, scan_image
from mnist_core.not_digits import KINDS, LETTERS, SHAPES, non_digits
from mnist_core.preprocessing import preprocess
from mnist_core.synthetic import STYLES


def test_digit_like_letters_and_shapes_are_not_negatives():
    for digit_like in ("O", "o", "I", "l", "S", "s", "Z", "z", "B", "b", "g", "q", "D"):
        assert digit_like not in LETTERS
    for shape in ("circle", "ellipse", "vertical line"):
        assert shape not in SHAPES


def test_letters_shapes_and_scribbles_are_all_there():
    assert {"A", "X", "H", "K", "M", "a", "e", "m"} <= set(LETTERS)
    assert {"triangle", "square", "star", "heart", "arrow", "plus", "scribble", "zigzag", "blobs",
            "hatching"} <= set(SHAPES)


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_kind_renders_on_canvas_and_as_a_scan(name):
    r = np.random.default_rng(len(name))
    writer = Writer.from_seed(3)
    strokes = writer.shape(KINDS[name](r), r)
    for image in (canvas_image(strokes, STYLES["large-centred"], r), scan_image(strokes, writer, r)):
        assert not preprocess(image).is_empty, name


def test_horizontal_lines_stay_far_from_a_one():
    r = np.random.default_rng(0)
    for _ in range(50):
        (x0, y0), (x1, y1) = SHAPES["line"](r)[0]
        assert abs(y1 - y0) < abs(x1 - x0) * 0.5  # under ~27 degrees from horizontal before the writer's slant


def test_non_digits_are_deterministic_per_writer():
    first = [(s, n, k) for s, n, k, _ in non_digits(50, 2, 3)]
    again = [(s, n, k) for s, n, k, _ in non_digits(50, 2, 3)]
    assert first == again and len(first) == 2 * 3 * 2
    assert {k for _, _, k, _ in non_digits(50, 1, 2)} == {"train", "scan"}
