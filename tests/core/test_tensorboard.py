"""TensorBoard logs: written by every run, moved beside the model atomically, never left behind."""

import gc

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from mnist_core import tensorboard_logs
from mnist_core.presets import get_preset
from mnist_core.registry import Registry
from mnist_core.training import train
from mnist_core.workflow import train_and_save


def _settings(**changes):
    return get_preset("mlp-128-64").defaults.with_changes(
        **{"epochs": 2, "batch_size": 64, "hidden_units": [16], "validation_split": 0.1, **changes})


def _tags(folder):
    events = EventAccumulator(str(folder), size_guidance={"tensors": 0}).Reload()
    return events.Tags()["tensors"]


def test_a_run_writes_epoch_scalars_and_weight_histograms(tiny_data):
    result = train("mlp-128-64", _settings(), tiny_data)
    logs = result.tensorboard_dir
    assert any(logs.rglob("*.tfevents.*"))
    train_tags, val_tags = _tags(logs / "train"), _tags(logs / "validation")
    assert "epoch_loss" in train_tags and "epoch_accuracy" in train_tags and "epoch_accuracy" in val_tags
    assert any("histogram" in tag for tag in train_tags)


def test_weight_histograms_are_tensorboards_own_layout(tiny_data):
    """Counted by NumPy, written as TensorBoard's histogram plugin data: 30 buckets covering every weight."""
    import numpy as np
    from tensorboard.util import tensor_util

    result = train("mlp-128-64", _settings(epochs=1), tiny_data)
    events = EventAccumulator(str(result.tensorboard_dir / "train"), size_guidance={"tensors": 0}).Reload()
    tag = next(t for t in events.Tags()["tensors"] if t.endswith("kernel/histogram"))
    assert events.SummaryMetadata(tag).plugin_data.plugin_name == "histograms"
    buckets = tensor_util.make_ndarray(events.Tensors(tag)[0].tensor_proto)
    kernel = next(w for w in result.model.weights if w.path.replace(":", "_") + "/histogram" == tag)
    assert buckets.shape == (30, 3) and buckets[:, 2].sum() == np.prod(kernel.shape)
    assert buckets[0, 0] == float(np.min(kernel.numpy())) and buckets[-1, 1] == float(np.max(kernel.numpy()))


def test_saving_moves_the_logs_into_the_model_folder(tiny_data, tmp_path):
    registry = Registry(tmp_path / "models", shipped=None)
    train_and_save("mlp-128-64", _settings(), tiny_data, registry, "with logs")
    folder = registry.folder("with logs")
    assert tensorboard_logs.has_logs(folder)
    assert sorted(p.name for p in folder.iterdir()) == ["card.json", "evaluation.npz", "model.keras", "tensorboard"]
    assert not list((tmp_path / "models").glob(".tmp-*"))
    command = tensorboard_logs.command(folder)
    assert command == f"tensorboard --logdir '{folder / 'tensorboard'}'"  # quoted: the name has a space


def test_a_run_that_is_not_saved_leaves_nothing_behind(tiny_data):
    result = train("mlp-128-64", _settings(epochs=1, validation_split=0.0), tiny_data)
    logs = result.tensorboard_dir
    assert logs.is_dir()
    del result
    gc.collect()
    assert not logs.exists()


def test_a_failed_run_removes_its_logs(tiny_data, monkeypatch, tmp_path):
    made = []
    original = tensorboard_logs.new_log_dir

    def remember():
        made.append(original())
        return made[-1]

    monkeypatch.setattr(tensorboard_logs, "new_log_dir", remember)

    class Boom(Exception):
        pass

    from mnist_core.training import TrainingListener

    class Failing(TrainingListener):
        def on_batch(self, *args):
            raise Boom()

    with pytest.raises(Boom):
        train("mlp-128-64", _settings(epochs=1), tiny_data, listener=Failing())
    assert made and not made[0].exists()
