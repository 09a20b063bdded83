"""Generated non-digits: letters, shapes and scribbles, with the digit-like ones left out."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_core.handwriting import Writer, canvas_image, scan_image
from mnist_core.not_digits import KINDS, LETTERS, PICTURES, SHAPES, SYMBOLS, UNSEEN, non_digits
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


def test_little_pictures_and_symbols_are_drawn_too():
    """What people draw when asked for anything but a digit: the detector learned none of these before."""
    assert {"house", "sun", "cloud", "flower", "fish", "envelope", "car"} <= set(PICTURES)
    assert {"question mark", "exclamation mark", "ampersand", "at sign", "percent", "dollar"} <= set(SYMBOLS)
    assert set(PICTURES) | set(SYMBOLS) <= set(KINDS)


def test_unseen_kinds_are_kept_apart_from_the_trained_ones():
    assert len(UNSEEN) >= 8 and not set(UNSEEN) & set(KINDS)
    names = {n for _, n, _, _ in non_digits(70, 10, 4, catalogue=UNSEEN)}
    assert names <= set(UNSEEN) and len(names) >= 6
    assert not {n for _, n, _, _ in non_digits(70, 10, 4)} & set(UNSEEN)


@pytest.mark.parametrize("name", sorted(KINDS) + sorted(UNSEEN))
def test_every_kind_renders_on_canvas_and_as_a_scan(name):
    r = np.random.default_rng(len(name))
    writer = Writer.from_seed(3)
    strokes = writer.shape({**KINDS, **UNSEEN}[name](r), r)
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


def test_scribbles_are_dense_and_cross_themselves_often():
    from mnist_core.not_digits import _crossings

    r = np.random.default_rng(1)
    for _ in range(20):
        (stroke,) = SHAPES["scribble"](r)
        assert len(stroke) >= 60 and _crossings(np.asarray(stroke)[::2]) >= 6  # not a 2, 3 or 8-like squiggle


def test_arrows_point_anywhere_with_a_head_on_both_sides():
    r = np.random.default_rng(2)
    angles = []
    for _ in range(200):
        shaft, *head = SHAPES["arrow"](r)
        (x0, y0), (x1, y1) = shaft
        angles.append(np.degrees(np.arctan2(y1 - y0, x1 - x0)))
        barbs = [p for stroke in head[:2] for p in stroke if p != (x1, y1)][:2]
        assert len(barbs) == 2  # two barbs at the tip: a one-sided barb on an upright line is a 1's flag
    assert np.histogram(angles, bins=8, range=(-180, 180))[0].min() > 5  # every direction


def test_crossings_are_two_diagonals_never_an_upright_and_a_bar():
    r = np.random.default_rng(3)
    for _ in range(100):
        for (x0, y0), (x1, y1) in SHAPES["crossing"](r):
            angle = abs(np.degrees(np.arctan2(y1 - y0, x1 - x0))) % 180
            assert 19.9 <= min(angle, 180 - angle) <= 70.1  # a + with a long leg reads as a 4 or a t


def test_the_scribble_family_is_there():
    assert {"scratch", "crossing", "scribble", "arrow"} <= set(SHAPES)
    assert not {"curved arrow", "tangle"} & set(SHAPES)  # both came out as 2s and 8s at 28 pixels


def test_emphasis_draws_the_weak_kinds_more_often_and_only_when_asked(monkeypatch):
    import mnist_core.not_digits as nd

    monkeypatch.setattr(nd, "canvas_image", lambda *a, **k: None)
    monkeypatch.setattr(nd, "scan_image", lambda *a, **k: None)
    plain = [n for _, n, _, _ in nd.non_digits(10, 40, 10)]
    weighted = [n for _, n, _, _ in nd.non_digits(10, 40, 10, emphasis={"scribble": 6.0})]
    assert weighted.count("scribble") > 2.5 * max(1, plain.count("scribble"))
    assert plain == [n for _, n, _, _ in nd.non_digits(10, 40, 10)]  # held-out sets stay as they were


def test_non_digits_can_be_drawn_fast_like_the_digits():
    plain = list(non_digits(60, 2, 3, kinds=("canvas",), canvas=96))
    fast = list(non_digits(60, 2, 3, kinds=("canvas",), canvas=96, fast=1.0))
    assert len(fast) == len(plain) == 6 and fast[0][1] == plain[0][1]
    assert sum(not np.array_equal(a[3], b[3]) for a, b in zip(plain, fast)) >= 5


def test_fast_non_digits_can_be_joined_as_the_draw_pages_canvas_joins_them():
    fast = list(non_digits(60, 2, 3, kinds=("canvas",), canvas=96, fast=1.0))
    joined = list(non_digits(60, 2, 3, kinds=("canvas",), canvas=96, fast=1.0, joined=1.0))
    assert [item[:3] for item in joined] == [item[:3] for item in fast]  # the same drawings, joined otherwise
    assert sum(not np.array_equal(a[3], b[3]) for a, b in zip(fast, joined)) >= 4


def test_non_digits_can_be_recorded_as_one_tablet_trajectory_like_the_digits():
    plain = list(non_digits(60, 2, 3, kinds=("canvas",), canvas=96))
    tablet = list(non_digits(60, 2, 3, kinds=("canvas",), canvas=96, tablet=1.0, tablet_points=(8, 8)))
    assert [item[:3] for item in tablet] == [item[:3] for item in plain]  # the same drawings, recorded otherwise
    assert sum(not np.array_equal(a[3], b[3]) for a, b in zip(plain, tablet)) >= 5
    scans = list(non_digits(60, 2, 3, kinds=("scan",), tablet=1.0))  # ink on paper is never a tablet recording
    assert all(np.array_equal(a[3], b[3]) for a, b in zip(scans, non_digits(60, 2, 3, kinds=("scan",))))
