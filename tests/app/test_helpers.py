"""The pure helpers behind the pages (no Streamlit run needed)."""

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from mnist_core.presets import PRESETS
from ui import charts
from mnist_core.estimate import estimate_seconds
from ui.helpers import (
    cell_indices, duration, esc, filter_errors, format_when, guess, mosaic, per_digit_accuracy, percent, pixelate,
    short_duration,
)


def test_guess_text_contract():
    probs = np.full(10, 0.01)
    probs[7] = 0.91
    g = guess(probs)
    assert g.headline == "Prediction: 7"
    assert g.confidence_text == "91% sure"
    assert g.sure


def test_guess_not_sure_and_runner_up():
    probs = np.array([0.05, 0.3, 0, 0, 0, 0, 0, 0.45, 0.2, 0])
    g = guess(probs)
    assert (g.digit, g.runner_up) == (7, 1)
    assert not g.sure


@pytest.mark.parametrize("value, text", [(0.984, "98%"), (0.996, "99%"), (1.0, "100%"), (0.004, "0%"), (0.5, "50%")])
def test_percent_never_rounds_up_to_certainty(value, text):
    assert percent(value) == text


def test_escape_makes_user_text_literal():
    assert esc("net_1 *bold* [x](y) <b>") == r"net\_1 \*bold\* \[x\]\(y\) \<b\>"


def test_pixelate_is_nearest_neighbour():
    image = np.array([[0.0, 1.0], [0.5, 0.0]], dtype=np.float32)
    big = pixelate(image, 3)
    assert big.shape == (6, 6) and big.dtype == np.uint8
    assert (big[:3, 3:] == 255).all() and (big[:3, :3] == 0).all() and (big[3:, :3] == 128).all()


def test_mosaic_layout():
    images = np.full((3, 28, 28), 200, np.uint8)
    tiled = mosaic(images, columns=2, scale=2, gap=1)
    assert tiled.shape == (2 * 56 + 1, 2 * 56 + 1)
    assert tiled[0, 0] == 200 and tiled[-1, -1] != 200  # the fourth cell is empty


def test_time_texts():
    now = datetime(2026, 1, 2, 12, 0, tzinfo=timezone.utc)
    assert format_when((now - timedelta(hours=2)).isoformat(), now).endswith("(2 hours ago)")
    assert format_when("not a date") == "unknown"
    assert duration(5) == "a few seconds"
    assert short_duration(150) == "≈ 2½ min"
    assert short_duration(4000) == "≈ 1 h 7 min"


def test_per_digit_accuracy_and_cells():
    confusion = np.eye(10, dtype=int) * 9
    confusion[4, 9] = 1
    acc = per_digit_accuracy(confusion)
    assert acc[4] == pytest.approx(0.9) and acc[0] == 1.0
    probs = np.zeros((4, 10))
    probs[[0, 1, 2, 3], [9, 9, 4, 9]] = [0.6, 0.9, 0.8, 0.7]
    labels = np.array([4, 4, 4, 1])
    assert cell_indices(probs, labels, 4, 9).tolist() == [1, 0]


def test_filter_errors():
    errors = [{"true": t, "predicted": p} for t, p in [(4, 9), (7, 1), (4, 6), (4, 9)]]
    assert len(filter_errors(errors, 4, None, 10)) == 3
    assert len(filter_errors(errors, 4, 9, 1)) == 1
    assert filter_errors(errors, 1, 1, 10) == []


def test_estimates_grow_with_work():
    quick = PRESETS["cnn-quick"].defaults
    small = estimate_seconds("cnn-quick", quick.with_changes(epochs=1, train_limit=1000))
    big = estimate_seconds("cnn-quick", quick.with_changes(epochs=5))
    assert 0 < small < big
    for name, preset in PRESETS.items():
        assert estimate_seconds(name, preset.defaults) > 0
    accurate = estimate_seconds("cnn-accurate", PRESETS["cnn-accurate"].defaults)
    assert accurate > estimate_seconds("logistic", PRESETS["logistic"].defaults)


def test_quick_cnn_estimate_is_the_minute_measured_and_its_description_leaves_time_to_the_estimate():
    """The whole run measured about a minute on a quiet machine (README); the Train page puts the computed
    estimate beside the description (tests/app/test_train.py), so the description names no time of its own."""
    preset = PRESETS["cnn-quick"]
    seconds = estimate_seconds("cnn-quick", preset.defaults)
    assert 45 <= seconds <= 80 and "minute" not in preset.description
    assert duration(seconds) in ("about 50 seconds", "about 60 seconds", "about 1 minute")


def test_charts_have_fixed_ranges():
    fig = charts.probability_bars(np.full(10, 0.1))
    assert tuple(fig.layout.yaxis.range)[0] == 0 and tuple(fig.layout.yaxis.range)[1] >= 1
    heat = charts.confusion_figure(np.eye(10) * 5, normalised=True)
    assert heat.data[0].text[0][0] == "100%"
    assert len(heat.data[1].x) == 100  # a clickable marker per cell


def test_the_running_curve_meets_each_epochs_train_point_and_restarts():
    """The live "train, mean so far this epoch" line ends on the per-epoch train value and starts afresh."""
    xs, ys = charts.running_trace([0.3, 0.6, 1.0, 1.4], [0.5, 0.7, 0.79, 0.93], [0.8])
    assert xs == [0.3, 0.6, 1.0, None, 1.4] and ys == [0.5, 0.7, 0.8, None, 0.93]
    fig = charts.history_figure({"": {"accuracy": [0.8]}}, "accuracy", live={charts.RUNNING_LABEL: (xs, ys)}, epochs=3)
    train, running = fig.data
    assert (train.x[0], train.y[0]) == (1, 0.8) and running.name == "train, mean so far this epoch"
    assert (running.x[2], running.y[2]) == (1.0, 0.8), "the two curves agree where the epoch ends"
    assert charts.running_trace([0.5, 1.0], [0.6, 0.7], []) == ([0.5, 1.0, None], [0.6, 0.7, None]), \
        "an epoch's last batch shows until its per-epoch value arrives"
