"""Reading a digit as it is and zoomed out and in (mnist_core/zooms.py, Predictor.reading)."""

import numpy as np
import pytest

from mnist_core.predictor import Predictor
from mnist_core.presets import build_model
from mnist_core.registry import ModelCard
from mnist_core.zooms import ZOOMS, averaged, views, zoom


def _square(side: int) -> np.ndarray:
    """A filled square of `side` px centred in a 28 px frame, (1, 28, 28, 1) floats."""
    image = np.zeros((1, 28, 28, 1), np.float32)
    start = (28 - side) // 2
    image[0, start:start + side, start:start + side] = 1.0
    return image


def _ink_width(image: np.ndarray) -> int:
    columns = np.flatnonzero(image.reshape(28, 28).max(axis=0) > 0.5)
    return int(columns[-1] - columns[0] + 1)


def test_a_zoom_scales_the_digit_about_the_centre_and_keeps_the_frame():
    square = _square(20)
    assert _ink_width(zoom(square, 1.1)) == 22 and _ink_width(zoom(square, 0.9)) == 18
    for factor in ZOOMS:
        out = zoom(square, factor)
        assert out.shape == square.shape and 0.0 <= out.min() and out.max() <= 1.0
        rows, cols = np.nonzero(out.reshape(28, 28) > 0.5)
        assert abs(rows.mean() - 13.5) < 0.6 and abs(cols.mean() - 13.5) < 0.6  # still centred


def test_views_are_the_inputs_then_each_zoom_and_average_back_per_input():
    batch = np.concatenate([_square(12), _square(20)])
    stacked = views(batch)
    assert len(stacked) == 2 * (1 + len(ZOOMS))
    np.testing.assert_array_equal(stacked[:2], batch)
    np.testing.assert_array_equal(stacked[2:4], zoom(batch, ZOOMS[0]))
    per_view = np.arange(len(stacked) * 3, dtype=float).reshape(len(stacked), 3)
    np.testing.assert_allclose(averaged(per_view, 2), per_view.reshape(-1, 2, 3).mean(axis=0))


def test_a_zooming_reading_is_the_mean_of_the_networks_answers_over_the_views():
    model = build_model("mlp-128-64")
    batch = np.concatenate([_square(10), _square(16), _square(20)])
    plain, zooming = Predictor(model), Predictor(model, zooms=True)
    np.testing.assert_array_equal(plain.reading(batch), plain.probabilities(batch))
    expected = plain.probabilities(views(batch)).reshape(1 + len(ZOOMS), 3, 10).mean(axis=0)
    np.testing.assert_allclose(zooming.reading(batch), expected, rtol=1e-6)
    np.testing.assert_allclose(zooming.predict_batch(batch, batch_size=2, reading=True), expected, rtol=1e-6)
    np.testing.assert_allclose(zooming.reading(batch).sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(zooming.predict_batch(batch), plain.probabilities(batch))  # the network alone


@pytest.mark.parametrize("augment", [True, False])
def test_only_models_trained_with_augmentation_read_zoomed(augment):
    card = ModelCard(name="m", preset="cnn-quick", settings={"augment": augment}, history={}, metrics={},
                     dataset="", created="", train_seconds=0.0, epochs_done=1)
    assert Predictor.for_card(build_model("logistic"), card).zooms is augment
