import re
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
                                                     "pen_fraction": 0.0, "usps_train": False, "box_fraction": 0.0,
                                                     **changes})


def test_progress_is_reported_per_batch_and_epoch(tiny_data):
    recorder = Recorder()
    result = train("mlp-128-64", quick("mlp-128-64", epochs=2), tiny_data, listener=recorder)
    assert recorder.starts == [(2, 12)]  # 720 of 800 images: the preset holds 10% out for validation
    assert [e for e, _ in recorder.epochs] == [0, 1]
    assert recorder.batches[-1] == (1, 12, 12)
    assert set(recorder.epochs[0][1]) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
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
    assert recorder.starts == [(1, 11)]  # 800 real + 400 synthetic, less the 10% held out for validation


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


def test_usps_copies_show_the_real_scans_more_often(tiny_data, monkeypatch):
    import mnist_core.usps as usps

    scans = np.full((30, 28, 28), 7, np.uint8)
    monkeypatch.setattr(usps, "load_usps_part", lambda part: (scans, np.full(30, 3, np.uint8)))
    settings = quick("mlp-128-64", train_limit=200, usps_train=True, usps_copies=3)
    x, y = prepare_arrays(get_preset("mlp-128-64"), settings, tiny_data)
    from_usps = np.isclose(x[..., 0], 7 / 255).all(axis=(1, 2))
    assert len(x) == 200 + 90 and from_usps.sum() == 90 and (y[from_usps] == 3).all()


def test_generated_writers_write_some_digits_fast_and_some_of_those_joined_as_the_canvas_does(tiny_data, monkeypatch):
    import mnist_core.handwriting as handwriting

    asked = []
    real = handwriting.handwriting_mnist

    def recording(count, first_seed=0, per_writer=40, fast=0.0, joined=0.0):
        asked.append((fast, joined))
        return real(count, first_seed, per_writer, fast, joined)

    monkeypatch.setattr(handwriting, "handwriting_mnist", recording)
    settings = quick("mlp-128-64", train_limit=100, pen_fraction=0.2)
    prepare_arrays(get_preset("mlp-128-64"), settings, tiny_data)
    assert asked == [(handwriting.FAST_SHARE, handwriting.JOINED_SHARE)]
    assert 0 < handwriting.FAST_SHARE < 1 and 0 < handwriting.JOINED_SHARE <= 1


def test_box_normalised_copies_join_the_training_set_with_their_labels(tiny_data):
    settings = quick("mlp-128-64", train_limit=200, box_fraction=0.25)
    x, y = prepare_arrays(get_preset("mlp-128-64"), settings, tiny_data)
    assert len(x) == len(y) == 250
    plain = {img.tobytes() for img in (tiny_data.x_train[:200].astype(np.float32) / 255.0)}
    copies = [i for i, img in enumerate(x[..., 0]) if img.tobytes() not in plain]
    assert len(copies) == 50
    wider = 0
    for i in copies:  # each copy is one of the 200 digits, stretched: its label came with it
        rows, cols = np.nonzero(x[i, ..., 0] > 0.5)
        wider += (cols.max() - cols.min()) >= (rows.max() - rows.min()) - 2
    assert wider >= 40  # stretched to a square box: as wide as tall, 1s included


def test_tablet_digits_join_the_training_set_and_leave_the_rest_alone(tiny_data):
    plain = prepare_arrays(get_preset("mlp-128-64"), quick("mlp-128-64", train_limit=200), tiny_data)
    x, y = prepare_arrays(get_preset("mlp-128-64"), quick("mlp-128-64", train_limit=200, tablet_fraction=0.1),
                          tiny_data)
    assert len(x) == len(y) == 220
    before = {img.tobytes() for img in plain[0]}
    added = [i for i, img in enumerate(x) if img.tobytes() not in before]
    assert len(added) == 20 and {img.tobytes() for img in plain[0]} <= {img.tobytes() for img in x}
    assert set(np.argmax(y[added], axis=1) if y.ndim == 2 else y[added]) <= set(range(10))


def test_digits_drawn_fast_and_joined_come_from_their_own_writers_and_leave_the_rest_alone(tiny_data):
    """--joined-fraction adds other writers' canvas digits, every one drawn fast and joined as the canvas joins
    them (the long-flagged 1s a visitor draws quickly), and nothing else in the set changes."""
    from mnist_core.data import to_model_input
    from mnist_core.handwriting import JOINED_SEED, handwriting_mnist

    plain = prepare_arrays(get_preset("mlp-128-64"), quick("mlp-128-64", train_limit=200), tiny_data)
    x, y = prepare_arrays(get_preset("mlp-128-64"), quick("mlp-128-64", train_limit=200, joined_fraction=0.1),
                          tiny_data)
    assert len(x) == len(y) == 220
    before = {img.tobytes() for img in plain[0]}
    assert before <= {img.tobytes() for img in x}
    added = {img.tobytes() for img in x} - before
    seed = quick("mlp-128-64").seed
    joined, _ = handwriting_mnist(20, first_seed=JOINED_SEED + seed, kinds=("canvas",), fast=1.0, joined=1.0)
    slow, _ = handwriting_mnist(20, first_seed=JOINED_SEED + seed, kinds=("canvas",))
    assert added == {img.tobytes() for img in to_model_input(joined)}
    assert added.isdisjoint(img.tobytes() for img in to_model_input(slow))  # the same writers, drawn fast


def test_coarse_copies_join_the_training_set_with_their_labels_and_leave_the_rest_alone(tiny_data):
    plain = prepare_arrays(get_preset("mlp-128-64"), quick("mlp-128-64", train_limit=200), tiny_data)
    boxed = prepare_arrays(get_preset("mlp-128-64"), quick("mlp-128-64", train_limit=200, box_fraction=0.25), tiny_data)
    x, y = prepare_arrays(get_preset("mlp-128-64"), quick("mlp-128-64", train_limit=200, box_fraction=0.25,
                                                          coarse_fraction=0.1), tiny_data)
    assert len(x) == len(y) == 270
    before = {img.tobytes() for img in boxed[0]}
    added = [i for i, img in enumerate(x) if img.tobytes() not in before]
    assert len(added) == 20  # the box copies are the same with coarse copies beside them
    assert {img.tobytes() for img in plain[0]} <= before
    sources = {img.tobytes(): int(label) for img, label in zip(tiny_data.x_train[:200], tiny_data.y_train[:200])}
    from mnist_core.optdigits import as_optdigits
    from mnist_core.preprocessing import scan_frames
    coarse = {scan_frames(as_optdigits(np.frombuffer(key, np.uint8).reshape(1, 28, 28)))[0].tobytes(): label
              for key, label in sources.items()}
    for i in added:  # each is one of the 200 digits made coarse, with that digit's label
        key = np.round(x[i, ..., 0] * 255).astype(np.uint8).tobytes()
        assert coarse[key] == y[i]


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


class StopAtStep(TrainingListener):
    """Sets Stop once a reported step reaches `step`.

    Reports are throttled (every 0.1 s, plus an epoch's first and last batch), so on a fast machine a whole
    tiny epoch can pass between two reports: the tests stop at step 1, which is always reported, to stay
    mid-epoch whatever the machine's speed (Stop is seen at the next batch's end: 2 of 100 batches).
    """

    def __init__(self, stop, step):
        self.stop, self.step = stop, step

    def on_batch(self, epoch, step, steps, logs):
        if step >= self.step:
            self.stop.set()


def test_stop_records_the_fraction_of_the_epoch_that_was_done(tiny_data):
    stop = threading.Event()
    settings = quick("mlp-128-64", epochs=3, batch_size=8, validation_split=0.0)  # 100 batches per epoch
    result = train("mlp-128-64", settings, tiny_data, listener=StopAtStep(stop, 1), stop=stop)
    assert result.stopped_early and 0 < result.epochs_run < 1
    assert result.stop_note == "stopped at 0.02 of epoch 1"
    assert len(result.history["loss"]) == 1  # Keras reports the partial epoch as one: hence the fraction


def test_a_finished_run_has_whole_epochs_and_no_stop_note(tiny_data):
    result = train("mlp-128-64", quick("mlp-128-64", epochs=2), tiny_data)
    assert result.epochs_run == 2 and result.stop_note == ""


def test_stop_notes_read_well():
    from mnist_core.training import stop_note

    assert stop_note(0.74, 1) == "stopped at 0.74 of epoch 1"
    assert stop_note(2.5, 5) == "stopped at 0.50 of epoch 3"
    assert stop_note(2.0, 5) == "stopped after 2 of 5 epochs"


def test_stop_before_the_first_batch_saves_nothing_and_says_so(tiny_data, tmp_path, monkeypatch):
    from mnist_core.registry import Registry
    from mnist_core.training import TrainingStopped
    from mnist_core.workflow import train_and_save

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    stop = threading.Event()
    stop.set()
    registry = Registry(tmp_path / "models", shipped=None)
    with pytest.raises(TrainingStopped, match="before the first batch: nothing was learned and nothing was saved"):
        train_and_save("mlp-128-64", quick("mlp-128-64"), tiny_data, registry, "never", stop=stop)
    assert registry.names() == [] and not list(tmp_path.glob("digitlab-tensorboard-*"))


def test_the_card_keeps_the_fraction(tiny_data, tmp_path):
    from mnist_core.registry import Registry
    from mnist_core.workflow import train_and_save

    stop = threading.Event()
    registry = Registry(tmp_path / "models", shipped=None)
    card = train_and_save("mlp-128-64", quick("mlp-128-64", epochs=2, batch_size=8, validation_split=0.0),
                          tiny_data, registry, "half", listener=StopAtStep(stop, 1), stop=stop)
    assert card.stopped_early and 0 < card.epochs_run < 1
    assert registry.card("half").epochs_run == card.epochs_run


@pytest.mark.parametrize("name", ["logistic", "mlp-128-128-dropout", "dnn-3x128", "mlp-128-64"])
def test_dense_presets_hold_out_ten_percent_for_validation(name):
    assert get_preset(name).defaults.validation_split == 0.1
