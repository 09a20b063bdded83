"""The not-a-digit gate: the decision, its explanation, saving and loading, and the predictor's answer."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_core.detector import (Detector, Reading, build_detector, choose_threshold, explain, judge,
                                 load_detector, read)
from mnist_core.errors import ModelError
from mnist_core.predictor import Predictor
from mnist_core.preprocessing import preprocess
from mnist_core.presets import build_model


def constant_detector(score: float, threshold: float = 0.5) -> Detector:
    """A detector whose P(digit) is `score` for every input."""
    import keras

    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(1, activation="sigmoid", kernel_initializer="zeros")])
    model.layers[-1].bias.assign([float(np.log(score / (1 - score)))])
    return Detector(model, threshold, {"note": "test"})


def _stroke_canvas() -> np.ndarray:
    canvas = np.full((140, 140, 3), 255, np.uint8)
    canvas[20:120, 66:74] = 0
    return canvas


def test_low_score_declines_and_keeps_the_best_guess():
    steps = preprocess(_stroke_canvas())
    probs = np.eye(10)[4] * 0.9 + 0.01
    reading = read(steps, probs, constant_detector(0.1))
    assert reading.digit is None and reading.reason == "not a digit" and reading.best_guess == 4
    assert reading.digit_score == pytest.approx(0.1, abs=1e-3) and reading.threshold == 0.5
    assert len(reading.probabilities) == 10


def test_high_score_reads_the_digit():
    steps = preprocess(_stroke_canvas())
    reading = read(steps, np.eye(10)[1], constant_detector(0.9))
    assert reading.digit == 1 and reading.reason == ""


def test_empty_drawing_has_its_own_reason():
    steps = preprocess(np.full((140, 140, 3), 255, np.uint8))
    reading = read(steps, None, constant_detector(0.9))
    assert reading.digit is None and reading.reason == "empty" and reading.probabilities is None


def test_without_a_detector_nothing_is_declined():
    reading = judge(np.zeros((1, 28, 28, 1)), np.eye(10)[3], None)
    assert reading.digit == 3 and reading.digit_score is None
    assert "No not-a-digit check" in explain(reading)


def test_explanation_says_why_with_the_score():
    declined = Reading(None, np.eye(10)[4], None, "not a digit", 0.031, 0.2)
    text = explain(declined)
    assert "3.1%" in text and "20.0%" in text and "does not name a digit" in text
    accepted = Reading(None, np.eye(10)[4], 4, "", 0.97, 0.2)
    assert "97.0%" in explain(accepted) and "reads as a digit" in explain(accepted)


def test_predictor_gates_any_model_and_keeps_ten_probabilities():
    predictor = Predictor(build_model("mlp-128-64"), detector=constant_detector(0.05))
    reading = predictor.read(_stroke_canvas())
    assert reading.reason == "not a digit" and reading.probabilities.shape == (10,)
    assert predictor.probabilities(np.zeros((2, 28, 28))).shape == (2, 10)
    assert predictor.read_input(np.zeros((28, 28))).reason == "not a digit"


def test_save_and_load_round_trip(tmp_path):
    detector = constant_detector(0.7, threshold=0.25)
    detector.save(tmp_path / "det")
    loaded = load_detector(tmp_path / "det")
    assert loaded.threshold == 0.25 and loaded.card["note"] == "test"
    assert loaded.scores(np.zeros((3, 28, 28))) == pytest.approx([0.7] * 3, abs=1e-4)
    assert load_detector(tmp_path / "nothing") is None


def test_a_folder_the_detector_cannot_be_saved_in_is_one_sentence(tmp_path):
    (tmp_path / "notes.txt").write_text("not a folder")
    with pytest.raises(ModelError, match="Cannot save the detector in"):
        constant_detector(0.7).save(tmp_path / "notes.txt" / "det")
    assert (tmp_path / "notes.txt").read_text() == "not a folder"


def test_corrupt_detector_card_is_one_sentence(tmp_path):
    constant_detector(0.7).save(tmp_path / "det")
    (tmp_path / "det" / "detector.json").write_text("{broken")
    with pytest.raises(ModelError, match="detector.json"):
        load_detector(tmp_path / "det")


def test_environment_can_switch_the_detector_off(monkeypatch):
    monkeypatch.setenv("DIGITLAB_DETECTOR", "")
    assert load_detector() is None


def test_threshold_declines_the_target_share_of_held_out_digits():
    scores = np.linspace(0, 1, 1001)
    assert (scores < choose_threshold(scores, 0.01)).mean() == pytest.approx(0.01, abs=0.002)


def test_the_detector_network_is_small():
    # 240k since the 60k version underfitted dense scribbles; still under 1 MB and about 1 ms per drawing
    assert build_detector().count_params() < 300_000


def test_training_data_also_shows_digits_and_non_digits_stretched_to_their_frame(real_data, monkeypatch):
    import mnist_core.usps as usps
    from mnist_core.detector import BOX_SHARE, POSITIVE_WRITERS, training_data
    from mnist_core.errors import DatasetError
    from mnist_core.handwriting import writer_digits

    def no_usps(part):
        raise DatasetError("no USPS here")

    monkeypatch.setattr(usps, "load_usps_part", no_usps)
    x, y = training_data(real_data.x_train, real_data.y_train, mnist_count=400, pen_writers=4, negative_writers=4)
    pen = sum(1 for _ in writer_digits(POSITIVE_WRITERS[0], 4, 1))  # each digit once, on the canvas and scanned
    base = 400 + pen
    copies = int((y == 1).sum()) - base
    assert 0.9 * BOX_SHARE * base <= copies <= BOX_SHARE * base  # a copy that came out a solid block is left out
    assert all(img.any() for img in x)  # a copy that came out empty or a solid block (a blob) is left out
    negatives = int((y == 0).sum())
    assert negatives > 4 * 14  # the writers' non-digits and their stretched copies


def test_training_data_has_digits_and_non_digits_drawn_fast_and_recorded_by_a_tablet(real_data, monkeypatch):
    import mnist_core.handwriting as handwriting
    import mnist_core.not_digits as not_digits
    from mnist_core.detector import TABLET_POINTS, TABLET_SHARE, training_data

    asked = {}

    def recording(module, name):
        real = getattr(module, name)

        def call(*args, **kwargs):
            asked[name] = (kwargs.get("fast", 0.0), kwargs.get("tablet", 0.0), kwargs.get("tablet_points"))
            return real(*args, **kwargs)
        monkeypatch.setattr(module, name, call)

    recording(handwriting, "writer_digits")
    recording(not_digits, "non_digits")
    training_data(real_data.x_train, real_data.y_train, mnist_count=100, pen_writers=2, negative_writers=2)
    both = (handwriting.FAST_SHARE, TABLET_SHARE, TABLET_POINTS)
    assert asked == {"writer_digits": both, "non_digits": both} and 0 < TABLET_SHARE < 0.5
    # few points are what turns a digit into a polygon (an 8 of 8 points); many look like canvas strokes already
    assert TABLET_POINTS[0] == 8 and TABLET_POINTS[1] < handwriting.TABLET_POINTS[1]


def test_a_solid_block_is_not_taken_as_a_stretched_digit(real_data):
    from mnist_core.box_scans import box_normalised
    from mnist_core.detector import _solid

    block = np.zeros((28, 28), np.uint8)
    block[4:24, 4:24] = 255
    assert _solid(block)
    assert not any(_solid(img) for img in box_normalised(real_data.x_test[:50]))


class InkCounter:
    """A stand-in detector whose 'digit score' falls as ink grows, like a stretched digit's."""

    threshold = 0.5

    def scores(self, inputs):
        ink = (np.asarray(inputs).reshape(len(inputs), -1) > 0.5).mean(axis=1)
        return 1.0 - ink


def test_stretched_digits_are_checked_but_do_not_choose_the_threshold(real_data):
    from mnist_core.calibration import calibration_parts
    from mnist_core.detector import THRESHOLD_ROWS, choose_threshold, pick_threshold

    detector = InkCounter()
    threshold, described, stretched = pick_threshold(detector, real_data.x_train)
    plain = [x for x, _ in calibration_parts().values()] + [real_data.x_train[-THRESHOLD_ROWS:]]
    assert threshold == pytest.approx(choose_threshold([detector.scores(x / 255.0) for x in plain]))
    assert "stretched" not in described and "MNIST training images" in described
    assert 0.002 < stretched < 1  # more ink, lower scores: more of them fall below, and that is reported
