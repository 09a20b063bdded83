"""The generated writers: consistent hands, every style variant, canvas and scan renderings."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_core.handwriting import (CALIBRATION_SEED, FAST_POINTS, HELD_OUT_SEED, TABLET_SEED, UNSEEN_VARIANTS,
                                    VARIANTS, Writer, canvas_image, canvas_joined, fast_strokes, handwriting_mnist,
                                    photo_image, scan_image, tablet_trajectory, to_mnist_layout, writer_digits)
from mnist_core.handwriting_benchmark import held_out_pen
from mnist_core.preprocessing import preprocess
from mnist_core.synthetic import STYLES, place


def test_every_digit_has_the_styles_mnist_lacks():
    names = {d: {v.__name__ for v in VARIANTS[d]} for d in VARIANTS}
    assert {"_one_long_flag", "_one_long_flag_base", "_one_plain"} <= names[1]
    assert {"_seven_crossbar", "_seven_looped"} <= names[7]
    assert {"_nine_straight", "_nine_curled", "_nine_hooked"} <= names[9]
    assert {"_four_open", "_four_closed"} <= names[4]
    assert {"_two", "_two_loop"} <= names[2]


def assert_each_renders_as_a_digit_sized_input(variants, writer: Writer, r: np.random.Generator) -> None:
    """On the canvas and scanned, each variant in this writer's hand preprocesses to a full 20-pixel digit."""
    for variant in variants:
        strokes = writer.shape(variant(r), r)
        for image in (canvas_image(strokes, STYLES["large-centred"], r), scan_image(strokes, writer, r)):
            steps = preprocess(image)
            assert not steps.is_empty, variant.__name__
            assert steps.centred.max() > 0.5 and max(steps.scaled.shape) == 20


@pytest.mark.parametrize("digit", range(10))
def test_every_variant_renders_as_a_digit_sized_input(digit):
    assert_each_renders_as_a_digit_sized_input(VARIANTS[digit], Writer.from_seed(digit), np.random.default_rng(digit))


@pytest.mark.parametrize("digit", range(10))
def test_every_unseen_style_renders_as_a_digit_sized_input_and_is_never_a_trained_variant(digit):
    assert UNSEEN_VARIANTS[digit] and not set(UNSEEN_VARIANTS[digit]) & set(VARIANTS[digit])
    assert_each_renders_as_a_digit_sized_input(UNSEEN_VARIANTS[digit], Writer.from_seed(HELD_OUT_SEED + digit),
                                               np.random.default_rng(digit))


def test_unseen_styles_are_written_only_when_asked_and_leave_the_trained_sets_as_they_were():
    trained = list(writer_digits(40, 2, 1, kinds=("canvas",), canvas=96))
    unseen = list(writer_digits(40, 2, 1, kinds=("canvas",), canvas=96, catalogue=UNSEEN_VARIANTS))
    again = list(writer_digits(40, 2, 1, kinds=("canvas",), canvas=96))
    assert [item[3] for item in unseen] == [item[3] for item in trained] == list(range(10)) * 2
    assert all(np.array_equal(x[4], y[4]) for x, y in zip(trained, again))
    assert sum(not np.array_equal(x[4], y[4]) for x, y in zip(trained, unseen)) >= 18
    digits = held_out_pen(writers=2, per_digit=1, unseen=True)
    assert "styles no training set draws" in digits.name and len(digits.y) == 20


def test_a_writer_is_the_same_person_every_time():
    a, b = Writer.from_seed(123), Writer.from_seed(123)
    assert (a.slant, a.aspect, a.pressure) == (b.slant, b.aspect, b.pressure)
    assert all(np.array_equal(a.habits[d], b.habits[d]) for d in range(10))
    assert Writer.from_seed(124).slant != a.slant
    # a writer mostly keeps to one variant of each digit
    assert all(weights.max() > 0.5 for weights in a.habits.values())


def test_scan_is_dark_ink_on_light_grayscale_paper():
    r = np.random.default_rng(0)
    writer = Writer.from_seed(5)
    scan = scan_image(writer.strokes(4, r), writer, r)
    assert scan.ndim == 2 and scan.dtype == np.uint8
    border = np.concatenate([scan[0], scan[-1], scan[:, 0], scan[:, -1]])
    assert np.median(border) > 150 and scan.min() < np.median(border) - 60


def test_a_photo_is_the_scan_in_uneven_light():
    writer = Writer.from_seed(HELD_OUT_SEED)
    strokes = writer.strokes(3, np.random.default_rng(0))
    scan, photo = scan_image(strokes, writer, np.random.default_rng(1)), photo_image(strokes, writer, np.random.default_rng(1))
    assert photo.shape == scan.shape and photo.dtype == np.uint8
    assert (photo <= scan).all() and photo.mean() < scan.mean() - 10  # the same page, darker in places
    ratio = photo.astype(np.float32) / np.maximum(scan, 1)
    assert np.ptp(np.percentile(ratio[scan > 150], [5, 95])) > 0.15  # unevenly
    assert [item[1] for item in writer_digits(HELD_OUT_SEED, 1, 1, kinds=("photo",))] == ["photo"] * 10


def test_writer_sets_are_deterministic_and_labelled():
    first = list(writer_digits(10, 2, 1, kinds=("canvas",), canvas=96))
    again = list(writer_digits(10, 2, 1, kinds=("canvas",), canvas=96))
    assert [item[3] for item in first] == list(range(10)) * 2
    assert all(np.array_equal(x[4], y[4]) for x, y in zip(first, again))
    images, empty = to_mnist_layout(item[4] for item in first)
    assert images.shape == (20, 28, 28) and images.dtype == np.uint8 and not empty.any()


def test_handwriting_mnist_gives_mnist_layout_digits():
    x, y = handwriting_mnist(60, first_seed=7)
    assert x.shape[1:] == (28, 28) and len(x) == len(y) and len(y) >= 55
    assert set(np.unique(y)) == set(range(10))


def test_seed_ranges_for_training_calibration_and_report_do_not_overlap():
    # training draws writers from 0 upwards (a few thousand at most), the detector from 100,000 and 200,000,
    # tablet recordings from 1,000,000
    assert 300_000 < TABLET_SEED < TABLET_SEED + 10_000 < HELD_OUT_SEED < CALIBRATION_SEED


def test_a_fast_stroke_is_a_few_points_that_bunch_at_the_ends():
    r = np.random.default_rng(0)
    writer = Writer.from_seed(3)
    strokes = writer.strokes(6, r)
    for _ in range(20):
        for dense, fast in zip(strokes, fast_strokes(strokes, r)):
            assert FAST_POINTS[0] <= len(fast) <= FAST_POINTS[1] < len(dense)
            np.testing.assert_allclose(fast[[0, -1]], dense[[0, -1]], atol=1e-9)  # same start and end
            steps = np.linalg.norm(np.diff(fast, axis=0), axis=1)
            assert steps[0] < steps[len(steps) // 2]  # the pen starts slowly


def test_fast_strokes_change_canvas_digits_only_and_only_when_asked():
    plain = list(writer_digits(40, 2, 1, kinds=("canvas",), canvas=96))
    fast = list(writer_digits(40, 2, 1, kinds=("canvas",), canvas=96, fast=1.0))
    assert [item[3] for item in fast] == [item[3] for item in plain]
    assert all(not np.array_equal(a[4], b[4]) for a, b in zip(plain, fast))
    images, empty = to_mnist_layout(item[4] for item in fast)
    assert not empty.any() and images.max() == 255
    scans = list(writer_digits(40, 2, 1, kinds=("scan",)))  # ink on paper: nothing sampled
    assert all(np.array_equal(a[4], b[4]) for a, b in zip(scans, writer_digits(40, 2, 1, kinds=("scan",), fast=1.0)))


def test_place_scales_strokes_to_a_height_and_centres_their_box():
    strokes = [np.array([[0.0, 0.0], [0.5, 1.0]]), np.array([[0.1, 0.5], [0.6, 0.5]])]
    placed = np.concatenate(place(strokes, 100.0, (140.0, 150.0)))
    assert np.ptp(placed[:, 1]) == pytest.approx(100.0) and np.ptp(placed[:, 0]) == pytest.approx(60.0)
    assert (placed.max(axis=0) + placed.min(axis=0)) / 2 == pytest.approx([140.0, 150.0])


def test_score_set_reports_the_log_loss_that_still_separates_models_at_equal_accuracy():
    from mnist_core.handwriting_benchmark import DigitSet, score_set

    class Sure:  # right on both digits; only how sure differs
        temperature = 1.0
        zooms = False

        def __init__(self, p):
            self.p = p

        def predict_batch(self, inputs, calibrated=True, reading=False):
            return np.array([[self.p, 1 - self.p] + [0.0] * 8, [1 - self.p, self.p] + [0.0] * 8])

    digits = DigitSet("two", np.zeros((2, 28, 28), np.uint8), np.array([0, 1], np.uint8))
    confident, hesitant = score_set(Sure(0.99), digits), score_set(Sure(0.6), digits)
    assert confident.accuracy == hesitant.accuracy == 1.0
    assert confident.log_loss == pytest.approx(-np.log(0.99)) and hesitant.log_loss == pytest.approx(-np.log(0.6))


def test_canvas_joined_drops_the_next_to_last_point_and_rounds_corners_as_the_page_does():
    square = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    path = canvas_joined(square)
    assert path[0].tolist() == [0.0, 0.0] and path[-1].tolist() == [0.0, 1.0]
    assert np.min(np.hypot(*(path - [1.0, 1.0]).T)) > 0.3  # the dropped corner is never reached
    assert np.min(np.hypot(*(path - [0.5, 0.0]).T)) < 1e-9  # the curves pass through the midpoints
    assert np.min(np.hypot(*(path - [1.0, 0.0]).T)) > 0.1  # and cut the corner they turn at


def test_canvas_joined_leaves_a_finely_sampled_stroke_where_it_was():
    t = np.linspace(0, 2 * np.pi, 200)
    circle = np.stack([np.cos(t), np.sin(t)], axis=1)
    path = canvas_joined(circle)
    assert np.abs(np.hypot(*path.T) - 1).max() < 0.01
    assert canvas_joined(circle[:2]).tolist() == circle[:2].tolist()


def test_joined_fast_digits_are_the_same_fast_digits_as_the_canvas_would_draw_them():
    fast = list(writer_digits(40, 2, 1, kinds=("canvas",), canvas=96, fast=1.0))
    joined = list(writer_digits(40, 2, 1, kinds=("canvas",), canvas=96, fast=1.0, joined=1.0))
    assert [item[:4] for item in joined] == [item[:4] for item in fast]
    assert sum(not np.array_equal(a[4], b[4]) for a, b in zip(fast, joined)) >= len(fast) // 2
    half = list(writer_digits(40, 2, 1, kinds=("canvas",), canvas=96, fast=1.0, joined=0.5))
    assert [item[:4] for item in half] == [item[:4] for item in fast]


def test_a_tablet_trajectory_is_one_stroke_of_evenly_spaced_points_with_the_pen_lifts_joined():
    first, second = np.array([[0.0, 0.0], [0.0, 1.0]]), np.array([[1.0, 0.0], [1.0, 1.0]])
    (path,) = tablet_trajectory([first, second], 8)
    assert len(path) == 8
    np.testing.assert_allclose(path[[0, -1]], [[0.0, 0.0], [1.0, 1.0]])  # the first stroke's start, the last's end
    # the path is 1 down, sqrt(2) along the pen lift's line back to the top, 1 down again: 7 equal parts of it
    along = np.linspace(0, 2 + np.sqrt(2), 8)
    on_lift = (along > 1) & (along < 1 + np.sqrt(2))
    np.testing.assert_allclose(path[on_lift][:, 0], (along[on_lift] - 1) / np.sqrt(2))
    np.testing.assert_allclose(path[~on_lift][:, 0], np.where(along[~on_lift] <= 1, 0.0, 1.0))
    (line,) = tablet_trajectory([np.array([[0.0, 0.0], [0.0, 0.1], [0.0, 1.0]])], 5)
    np.testing.assert_allclose(line[:, 1], [0.0, 0.25, 0.5, 0.75, 1.0])  # evenly spaced, wherever the pen was
    (dot,) = tablet_trajectory([np.array([[0.3, 0.3], [0.3, 0.3]])], 8)
    assert np.allclose(dot, 0.3)  # a dot stays a dot


def test_tablet_digits_are_canvas_digits_recorded_as_one_trajectory_and_only_when_asked():
    plain = list(writer_digits(40, 2, 1, kinds=("canvas",), canvas=96))
    assert all(np.array_equal(a[4], b[4]) for a, b in zip(plain, writer_digits(40, 2, 1, kinds=("canvas",),
                                                                               canvas=96, tablet=0.0)))
    tablet = list(writer_digits(40, 2, 1, kinds=("canvas",), canvas=96, tablet=1.0, tablet_points=(8, 8)))
    assert [item[3] for item in tablet] == [item[3] for item in plain]
    assert all(not np.array_equal(a[4], b[4]) for a, b in zip(plain, tablet))
    x, y = handwriting_mnist(40, first_seed=TABLET_SEED, kinds=("canvas",), tablet=1.0)
    assert x.shape == (40, 28, 28) and set(np.unique(y)) == set(range(10))
    named = held_out_pen(1, 1, "canvas", tablet=8)
    assert named.name == "held-out writers, canvas, one trajectory of 8 points" and len(named.y) == 10


def test_a_writer_can_write_only_some_digits_and_the_pen_strokes_come_as_written():
    """benchmarks/one_or_seven measures the flag of 1s on the writer's own strokes, not on the sampled ones."""
    fast = list(writer_digits(40, 2, 3, kinds=("canvas",), canvas=96, fast=1.0, joined=1.0, digits=(1,)))
    plain = list(writer_digits(40, 2, 3, kinds=("canvas",), canvas=96, digits=(1,)))
    assert [item[3] for item in fast] == [1] * 6 and [item[0] for item in fast] == [40] * 3 + [41] * 3
    first_fast, first_plain = fast[0], plain[0]
    assert all(np.array_equal(a, b) for a, b in zip(first_fast[5], first_plain[5]))  # drawn before any sampling
    assert not np.array_equal(first_fast[4], first_plain[4])  # the canvas sampled and joined them
    assert all(np.asarray(stroke).ndim == 2 and np.asarray(stroke).shape[1] == 2 for stroke in first_fast[5])
