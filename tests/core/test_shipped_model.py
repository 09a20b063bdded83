"""The model a visitor meets first: real MNIST, USPS, drawn digits and non-digits, end to end."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from mnist_core.data import to_model_input
from mnist_core.detector import DETECTOR_DIR, DETECTOR_FILE, load_detector
from mnist_core.drawn_benchmark import samples, score
from mnist_core.evaluation import score as accuracy_and_loss
from mnist_core.handwriting_benchmark import (TABLET_BENCHMARK_POINTS, DigitSet, box_normalised_set, declined_negatives,
                                              held_out_negatives, held_out_pen, score_set)
from mnist_core.not_digits import PICTURES, SYMBOLS, UNSEEN
from mnist_core.optdigits import as_optdigits, load_optdigits
from mnist_core.predictor import Predictor
from mnist_core.preprocessing import scan_frames
from mnist_core.registry import DEFAULT_MODEL, MODEL_FILE, SHIPPED_DIR, Registry
from mnist_core.synthetic import _arc


@pytest.fixture(scope="module")
def shipped():
    registry = Registry(root=SHIPPED_DIR / ".none", shipped=SHIPPED_DIR)
    predictor = Predictor.for_card(registry.load(DEFAULT_MODEL), registry.card(DEFAULT_MODEL),
                                   load_detector(DETECTOR_DIR))
    return registry, predictor


def test_shipped_model_and_detector_are_small(shipped):
    assert (SHIPPED_DIR / DEFAULT_MODEL / MODEL_FILE).stat().st_size <= 5 * 1024 * 1024
    assert (DETECTOR_DIR / DETECTOR_FILE).stat().st_size <= 1024 * 1024


def test_shipped_model_reaches_99_6_percent_on_mnist(shipped, real_data):
    registry, predictor = shipped
    probs = predictor.predict_batch(to_model_input(real_data.x_test))
    accuracy, _ = accuracy_and_loss(probs, real_data.y_test.astype(int))
    assert accuracy >= 0.996
    card = registry.card(DEFAULT_MODEL)
    assert card.test_accuracy == pytest.approx(accuracy, abs=2e-4)  # the card tells the truth
    assert card.dataset == real_data.fingerprint
    assert card.preset == "cnn-handwriting"


def test_shipped_model_is_calibrated_on_held_out_data(shipped, real_data):
    """The temperature is fitted by likelihood on held-out digits; on MNIST test "99% sure" is right 99% of the time.

    This model comes out of training nearly calibrated (T close to 1), so the temperature may move the error
    either way by a hair; it must stay tiny and never grow by more than a few hundredths of a point.
    """
    from mnist_core.calibration import apply_temperature, expected_calibration_error

    registry, predictor = shipped
    card = registry.card(DEFAULT_MODEL)
    assert 0.5 < predictor.temperature < 3 and predictor.temperature == pytest.approx(card.calibration["temperature"])
    assert "calibration writers" in card.calibration["fitted_on"]
    raw = predictor.predict_batch(to_model_input(real_data.x_test), calibrated=False)
    labels = real_data.y_test.astype(int)
    calibrated = apply_temperature(raw, predictor.temperature)
    before, after = expected_calibration_error(raw, labels), expected_calibration_error(calibrated, labels)
    assert after < 0.003 and after <= before + 0.0005


def test_shipped_model_reads_drawn_digits_in_every_style(shipped, real_data):
    _, predictor = shipped

    def predict(canvas):
        _, probs = predictor.classify(canvas)
        return None if probs is None else int(probs.argmax())

    results = score(predict, samples(real_data.x_test, real_data.y_test, per_style=60))
    styles = {style for _, style in results}
    per_style = {s: sum(results[(src, s)][0] for src in ("mnist", "pen")) /
                 sum(results[(src, s)][1] for src in ("mnist", "pen")) for s in styles}
    overall = sum(c for c, _ in results.values()) / sum(t for _, t in results.values())
    assert overall >= 0.95, per_style
    assert min(per_style.values()) >= 0.92, per_style


def test_held_out_writers_are_read_and_not_declined(shipped):
    _, predictor = shipped
    for kind in ("canvas", "scan"):
        result = score_set(predictor, held_out_pen(writers=6, per_digit=3, kind=kind), predictor.detector)
        assert result.accuracy >= 0.97, result
        assert result.declined <= 0.02, result


def test_real_digits_are_rarely_declined_and_non_digits_mostly(shipped, real_data):
    _, predictor = shipped
    mnist = score_set(predictor, DigitSet("MNIST test", real_data.x_test[:3000], real_data.y_test[:3000]),
                      predictor.detector)
    assert mnist.declined <= 0.01
    negatives, _ = held_out_negatives(writers=20, per_writer=5)
    declined = declined_negatives(predictor.detector, negatives)
    assert declined.mean() >= 0.8


UNSEEN_FLOOR = 0.5  # both the shipped detector and the one before decline about 63% (README, "Not a digit")


def test_pictures_and_symbols_are_declined_and_so_are_kinds_it_never_trained_on(shipped):
    """A question mark, a house, a percent sign; an umbrella, a key, a boat. The detector before these were
    generated declined no question or exclamation marks and 64% of the kinds no detector trains on
    (`not_digits.UNSEEN`): it had learned its own non-digits by heart rather than what a digit is."""
    _, predictor = shipped
    negatives, names = held_out_negatives(writers=40, per_writer=5)
    new = np.isin(names, [*PICTURES, *SYMBOLS])
    assert declined_negatives(predictor.detector, negatives[new]).mean() >= 0.9
    unseen, _ = held_out_negatives(writers=20, per_writer=5, catalogue=UNSEEN)
    assert declined_negatives(predictor.detector, unseen).mean() >= UNSEEN_FLOOR


def _drawing(lines, width=18):
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (280, 280), "white")
    draw = ImageDraw.Draw(image)
    for line in lines:
        draw.line(line, fill="black", width=width, joint="curve")
    return np.asarray(image)


NOT_DIGITS = {
    "X": [[(60, 60), (220, 220)], [(220, 60), (60, 220)]],
    "A": [[(60, 230), (140, 40), (220, 230)], [(95, 150), (185, 150)]],
    "H": [[(80, 40), (80, 240)], [(200, 40), (200, 240)], [(80, 140), (200, 140)]],
    "a line": [[(40, 140), (240, 150)]],
    "triangle": [[(140, 40), (240, 230), (40, 230), (140, 40)]],
}
DIGITS = {
    1: [[(140, 40), (140, 240)]],
    7: [[(70, 50), (210, 50), (120, 240)]],
    4: [[(170, 40), (70, 170), (220, 170)], [(170, 40), (170, 240)]],
}


@pytest.mark.parametrize("name", NOT_DIGITS)
def test_the_issue_examples_are_declined(shipped, name):
    reading = shipped[1].read(_drawing(NOT_DIGITS[name]))
    assert reading.digit is None and reading.reason == "not a digit", reading.digit_score
    assert len(reading.probabilities) == 10


SYMBOLS_DRAWN = {
    "question mark": [[(95, 95), (110, 55), (150, 40), (190, 60), (195, 100), (140, 140), (140, 185)],
                      _arc(140, 232, 4, 4, 0, 360, 9)],  # the dot
    "percent sign": [[(215, 40), (65, 240)], _arc(85, 75, 25, 25, 0, 360, 17), _arc(195, 205, 25, 25, 0, 360, 17)],
}


@pytest.mark.parametrize("name", SYMBOLS_DRAWN)
def test_symbols_are_declined(shipped, name):
    """The detector before pictures and symbols read a question mark as a 3 or 7 and a percent sign as an 8."""
    reading = shipped[1].read(_drawing(SYMBOLS_DRAWN[name]))
    assert reading.digit is None and reading.reason == "not a digit", reading.digit_score


@pytest.mark.parametrize("digit", DIGITS)
def test_plain_digits_are_still_read(shipped, digit):
    european_one = [[(80, 110), (150, 40), (150, 240)], [(100, 240), (200, 240)]]
    for strokes in (DIGITS[digit], european_one if digit == 1 else DIGITS[digit]):
        reading = shipped[1].read(_drawing(strokes))
        assert reading.digit == digit and reading.reason == ""


def test_digits_stretched_to_their_frame_are_read_and_not_declined(shipped, real_data):
    """Scans normalised to fill a 16x16 frame at one bit per pixel: 1s used to be read as 7 and 4."""
    _, predictor = shipped
    for digits in (DigitSet("MNIST test", real_data.x_test[:2000], real_data.y_test[:2000]),
                   held_out_pen(writers=6, per_digit=3, kind="scan")):
        result = score_set(predictor, box_normalised_set(digits), predictor.detector)
        assert result.accuracy >= 0.98, result
        assert min(result.per_digit) >= 0.93, result
        assert result.declined <= 0.01, result


def test_reading_each_digit_also_zoomed_makes_fewer_errors_than_the_network_alone(shipped, real_data):
    """zooms.py on a development set, MNIST train's last 10,000 made as coarse as optdigits: 126 errors, 115 zoomed."""
    predictor = shipped[1]
    inputs = to_model_input(scan_frames(as_optdigits(real_data.x_train[-10_000:])))
    labels = real_data.y_train[-10_000:]
    alone = (predictor.predict_batch(inputs).argmax(axis=1) != labels).sum()
    zoomed = (predictor.predict_batch(inputs, reading=True).argmax(axis=1) != labels).sum()
    assert predictor.zooms and zoomed <= alone - 5, (alone, zoomed)


def test_real_writers_digits_at_8x8_are_read(shipped):
    """13 people in neither MNIST nor USPS, at 8x8: 97.33% read, 9s 83.3% (step 6 96.61%, the first default 96.33%)."""
    result = score_set(shipped[1], DigitSet("optdigits", *load_optdigits()), shipped[1].detector)
    assert result.accuracy >= 0.965
    assert min(result.per_digit) >= 0.82
    assert result.declined <= 0.01


def test_digits_drawn_with_fast_strokes_are_read_and_not_declined(shipped):
    """A slowly sampled pen turns curves into corners: 6s used to be read as 5, 3s as 2, and 4% were declined."""
    _, predictor = shipped
    result = score_set(predictor, held_out_pen(writers=6, per_digit=3, kind="canvas", fast=True), predictor.detector)
    assert result.accuracy >= 0.97, result
    assert min(result.per_digit) >= 0.9, result
    assert result.declined <= 0.02, result


def test_fast_digits_joined_as_the_draw_pages_canvas_joins_them_are_read(shipped):
    """The page's canvas drops each stroke's next-to-last point and rounds its corners: step 5 read 6s as 5s there.

    (40 held-out writers, 2,400 digits: steps 4 and 5 read 97.7% and 97.6%, their 6s 95.8% and 94.6%.)
    """
    _, predictor = shipped
    result = score_set(predictor, held_out_pen(writers=40, per_digit=6, kind="canvas", fast=True, joined=True),
                       predictor.detector)
    assert result.accuracy >= 0.979, result
    assert result.per_digit[6] >= 0.965, result
    assert result.declined <= 0.01, result


def test_digits_recorded_as_one_tablet_trajectory_are_read_and_not_declined(shipped):
    """Some tablets keep a digit as 8 points with the pen lifts joined: an 8 becomes a crossed polygon.

    (The detector before the tablet one declined 2.89% of 3,600 such held-out digits, mostly 8s; step 8 read
    them at 94.1%, its 4s at 87.5%. Step 9 with the tablet detector: 97.2%, 0.56% declined.)
    """
    _, predictor = shipped
    tablet = held_out_pen(writers=30, per_digit=2, kind="canvas", tablet=TABLET_BENCHMARK_POINTS)
    result = score_set(predictor, tablet, predictor.detector)
    assert result.accuracy >= 0.955, result
    assert min(result.per_digit) >= 0.9, result
    assert result.declined <= 0.01, result


def test_digit_styles_no_training_set_draws_are_read(shipped):
    """A 9 with an open head, a 7 with a foot, a 3 in two bowls... (`handwriting.UNSEEN_VARIANTS`): never trained on.

    (The first default, trained on MNIST alone, read these 400 at 98.75%, its open-looped 6s at 90%; the shipped
    model reads all of them.)
    """
    _, predictor = shipped
    plain = score_set(predictor, held_out_pen(writers=20, per_digit=2, kind="canvas", unseen=True), predictor.detector)
    assert plain.accuracy >= 0.99 and min(plain.per_digit) >= 0.95, plain
    assert plain.declined <= 0.01, plain
    joined = score_set(predictor, held_out_pen(writers=20, per_digit=2, kind="canvas", fast=True, joined=True,
                                               unseen=True), predictor.detector)
    assert joined.accuracy >= 0.98 and joined.declined <= 0.01, joined

def test_scans_photographed_in_uneven_light_are_read(shipped):
    """Lit from one side or shadowed in a corner: the shadow used to be taken for ink (90% of these read, 1s as 7)."""
    _, predictor = shipped
    result = score_set(predictor, held_out_pen(writers=10, per_digit=2, kind="photo"), predictor.detector)
    assert result.accuracy >= 0.98 and min(result.per_digit) >= 0.9, result
    assert result.declined <= 0.02, result

@pytest.mark.parametrize("how, least", [("very faint pencil", 0.97), ("a dim scan", 0.97),
                                       ("ruled paper", 0.96), ("a printed box", 0.95), ("a page on a desk", 0.97),
                                       ("specks of dust around it", 0.97)])
def test_scans_on_difficult_paper_are_read(shipped, how, least):
    """Held-out writers' scans, on paper the old preprocessing lost them on:

    * ink at 18% of its darkness was "nothing stands out" (84% called empty, 16% read);
    * at 45% exposure the paper is below mid-grey: taken for light ink on dark paper, all empty (0% read);
    * faint ruled lines and a form's printed box were ink: the crop took them in (88% and 86.5% of 600 read);
    * a photo of the page lying on a darker desk: the desk was taken for the paper, the page for ink (5% read);
    * written small on a page with three specks of dust: the crop took the specks in (18% of 600 read).
    """
    from mnist_core.handwriting import HELD_OUT_SEED, dusty, faded, lined, on_a_desk, writer_digits
    from mnist_core.handwriting_benchmark import CANVAS, benchmark_styles

    _, predictor = shipped
    items = list(writer_digits(HELD_OUT_SEED, 10, 2, kinds=("scan",), canvas=CANVAS, styles=benchmark_styles()))
    rng = np.random.default_rng(1)
    render = {"very faint pencil": lambda scan: faded(scan, 0.18),
              "a dim scan": lambda scan: (scan * 0.45).round().astype(np.uint8),
              "ruled paper": lambda scan: lined(scan, rng, "ruled"),
              "a printed box": lambda scan: lined(scan, rng, "box"),
              "a page on a desk": lambda scan: on_a_desk(scan, rng, 0.5),
              "specks of dust around it": lambda scan: dusty(scan, rng, 3)}[how]
    readings = [predictor.read(render(item[4])) for item in items]
    right = np.mean([reading.digit == item[3] for reading, item in zip(readings, items)])
    assert right >= least, right
    assert np.mean([reading.reason != "" for reading in readings]) <= 0.02


def test_predict_reads_16x16_scan_files_cropped_to_the_digit(real_data, tmp_path, capsys):
    """The public surface end to end: tight 16x16 PNGs, dark ink on white, stretched to their frame."""
    import json

    from mnist_core.box_scans import box_normalise
    from mnist_core.cli import main

    picked = [i for d in (1, 4, 7, 9) for i in np.flatnonzero(real_data.y_test == d)[:10]]
    paths = []
    for i in picked:
        path = tmp_path / f"{i}.png"
        Image.fromarray(255 - box_normalise(real_data.x_test[i], 16, threshold=0.5)).save(path)
        paths.append(str(path))
    assert main(["predict", *paths]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    right = sum(line["digit"] == int(real_data.y_test[i]) for line, i in zip(lines, picked))
    assert right >= 38, lines


def test_predict_reads_scans_with_dust_on_the_page(tmp_path, capsys):
    """`predict` on JPEG scans of held-out writers' digits written small, three specks of dust on each page:
    the crop used to take the specks in (18% of 600 such scans read, 61% declined as not a digit)."""
    import json

    from mnist_core.cli import main
    from mnist_core.handwriting import HELD_OUT_SEED, dusty, writer_digits
    from mnist_core.handwriting_benchmark import CANVAS, benchmark_styles

    items = list(writer_digits(HELD_OUT_SEED + 100, 3, 1, kinds=("scan",), canvas=CANVAS, styles=benchmark_styles()))
    rng = np.random.default_rng(5)
    paths = []
    for k, item in enumerate(items):
        path = tmp_path / f"{k}.jpg"
        Image.fromarray(dusty(item[4], rng, 3)).save(path, quality=80)
        paths.append(str(path))
    assert main(["predict", *paths]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sum(line["digit"] == item[3] for line, item in zip(lines, items)) >= 29, lines
