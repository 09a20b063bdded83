import threading

import numpy as np
import pytest
import tensorflow as tf

from mnist_core.augment import augment_batch
from mnist_core.errors import SettingsError
from mnist_core.presets import PRESETS, get_preset
from mnist_core.training import TrainingListener, prepare_arrays, train


class Recorder(TrainingListener):
    def __init__(self, stop_after_batches=None, stop=None):
        self.starts, self.batches, self.epochs = [], [], []
        self.stop_after, self.stop = stop_after_batches, stop

    def on_start(self, epochs, steps):
        self.starts.append((epochs, steps))

    def on_batch(self, epoch, step, steps, logs):
        self.batches.append((epoch, step, steps))
        if self.stop_after is not None and len(self.batches) >= self.stop_after:
            self.stop.set()

    def on_epoch(self, epoch, logs):
        self.epochs.append((epoch, logs))


def quick(name, **changes):
    """Small and fast: no extra synthetic, generated or USPS digits unless a test asks for them."""
    return get_preset(name).defaults.with_changes(**{"epochs": 1, "batch_size": 64, "synthetic_fraction": 0.0,
                                                     "pen_fraction": 0.0, "usps_train": False, **changes})


def test_progress_is_reported_per_batch_and_epoch(tiny_data):
    recorder = Recorder()
    result = train("mlp-128-64", quick("mlp-128-64", epochs=2), tiny_data, listener=recorder)
    assert recorder.starts == [(2, 13)]
    assert [e for e, _ in recorder.epochs] == [0, 1]
    assert recorder.batches[-1] == (1, 13, 13)
    assert set(recorder.epochs[0][1]) >= {"loss", "accuracy"}
    assert result.epochs_done == 2 and not result.stopped_early
    assert len(result.history["loss"]) == 2


def test_stop_ends_cleanly_between_batches(tiny_data):
    stop = threading.Event()
    recorder = Recorder(stop_after_batches=1, stop=stop)
    settings = quick("mlp-128-64", epochs=5, batch_size=8)
    result = train("mlp-128-64", settings, tiny_data, listener=recorder, stop=stop)
    assert result.stopped_early and result.epochs_done <= 1
    assert len(recorder.batches) < 100  # 100 batches per epoch: it did not finish even one
    assert result.model.predict(np.zeros((1, 28, 28, 1)), verbose=0).shape == (1, 10)


def weights_after(data, name="cnn-quick", **changes):
    model = train(name, quick(name, **changes), data).model
    return np.concatenate([w.ravel() for w in model.get_weights()])


def test_same_seed_same_model(tiny_data):
    np.testing.assert_allclose(weights_after(tiny_data, seed=3), weights_after(tiny_data, seed=3), atol=1e-5)


def test_other_seed_other_model(tiny_data):
    assert not np.allclose(weights_after(tiny_data, seed=3), weights_after(tiny_data, seed=4))


def test_augmented_training_is_reproducible(tiny_data):
    a = weights_after(tiny_data, "mlp-128-64", seed=9, augment=True)
    b = weights_after(tiny_data, "mlp-128-64", seed=9, augment=True)
    np.testing.assert_allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_trains_and_learns(tiny_data, name):
    result = train(name, quick(name, epochs=2, batch_size=32, validation_split=0.1), tiny_data)
    assert "val_loss" in result.history
    assert result.history["loss"][-1] < result.history["loss"][0] * 1.05


def test_validation_split_and_train_limit(tiny_data):
    result = train("mlp-128-64", quick("mlp-128-64", validation_split=0.25, train_limit=400), tiny_data)
    assert "val_accuracy" in result.history


def test_train_limit_beyond_data_is_refused(tiny_data):
    with pytest.raises(SettingsError, match="exceeds"):
        train("logistic", quick("logistic", train_limit=5000), tiny_data)


def test_synthetic_digits_can_be_mixed_in(tiny_data):
    recorder = Recorder()
    train("logistic", quick("logistic", synthetic_fraction=0.5, batch_size=100), tiny_data, listener=recorder)
    assert recorder.starts == [(1, 12)]  # 800 real + 400 synthetic


def test_augmentation_keeps_shape_range_and_varies():
    images = np.zeros((16, 28, 28, 1), np.float32)
    images[:, 6:22, 12:16] = 1.0
    seed = tf.constant([1, 2], tf.int64)
    out = augment_batch(tf.constant(images), seed).numpy()
    assert out.shape == images.shape and out.min() >= 0 and out.max() <= 1
    assert not np.allclose(out[0], out[1])
    np.testing.assert_allclose(out, augment_batch(tf.constant(images), seed).numpy())
    assert abs(out.sum() / images.sum() - 1) < 0.5  # ink is moved and re-stroked, not lost


def test_generated_writers_and_usps_join_the_training_set(tiny_data, monkeypatch):
    import mnist_core.usps as usps

    monkeypatch.setattr(usps, "load_usps_part", lambda part: (np.zeros((30, 28, 28), np.uint8), np.zeros(30, np.uint8)))
    settings = quick("mlp-128-64", train_limit=200, pen_fraction=0.5, usps_train=True)
    x, y = prepare_arrays(get_preset("mlp-128-64"), settings, tiny_data)
    assert 200 + 90 + 30 <= len(x) <= 200 + 100 + 30 and len(x) == len(y)


def test_continuing_from_a_model_starts_from_its_weights(tiny_data, tmp_path):
    from mnist_core.registry import Registry
    from mnist_core.workflow import train_and_save

    registry = Registry(tmp_path, shipped=None)
    first = quick("mlp-128-64", train_limit=300)
    train_and_save("mlp-128-64", first, tiny_data, registry, "base")
    base = registry.load("base")
    cont = train("mlp-128-64", quick("mlp-128-64", train_limit=300, learning_rate=1e-5, start_from=str(tmp_path / "base")),
                 tiny_data)
    fresh = train("mlp-128-64", quick("mlp-128-64", train_limit=300, learning_rate=1e-5, seed=7), tiny_data)
    drift = lambda m: max(float(np.abs(a - b).max()) for a, b in zip(m.get_weights(), base.get_weights()))
    assert drift(cont.model) < 0.01 < 0.05 < drift(fresh.model)
