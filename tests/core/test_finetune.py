"""Fine-tuning on the class's drawings: held-out split, replay, progress, stop, the saved card, the CLI."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from mnist_core import drawings
from mnist_core.cli import main
from mnist_core.finetune import FinetuneError, FinetuneSettings, finetune_and_save, stratified_split
from mnist_core.registry import Registry
from mnist_core.training import TrainingListener

QUICK = FinetuneSettings(epochs=1, class_per_epoch=200, replay_per_epoch=200)


@pytest.fixture(scope="module")
def base_registry(tmp_path_factory, tiny_data):
    from mnist_core.presets import get_preset
    from mnist_core.workflow import train_and_save

    root = tmp_path_factory.mktemp("ft-models")
    registry = Registry(root, shipped=None)
    settings = get_preset("mlp-128-64").defaults.with_changes(epochs=2)
    train_and_save("mlp-128-64", settings, tiny_data, registry, "base")
    return root


@pytest.fixture
def registry(base_registry, tmp_path):
    import shutil

    root = tmp_path / "models"
    shutil.copytree(base_registry, root)
    return Registry(root, shipped=None)


@pytest.fixture
def class_drawings(sqlite_url, tiny_data):
    x, y = tiny_data.x_test[:60], tiny_data.y_test[:60]
    drawings.import_arrays(x, y, url=sqlite_url)
    return sqlite_url


def test_split_is_stratified_and_disjoint():
    labels = np.repeat(np.arange(10), 5)
    train, held = stratified_split(labels, 0.2, seed=1)
    assert not set(train) & set(held) and len(train) + len(held) == 50
    assert np.bincount(labels[held], minlength=10).tolist() == [1] * 10


def test_finetune_saves_a_card_with_before_and_after(registry, class_drawings, tiny_data):
    epochs = []
    listener = TrainingListener()
    listener.on_epoch = lambda epoch, logs: epochs.append(epoch)
    card = finetune_and_save(registry, "base", "tuned", tiny_data, QUICK, listener, threading.Event(),
                             url=class_drawings)
    scores = card.metrics["finetune"]
    assert scores["base"] == "base" and scores["held_out"] + scores["trained_on"] == 60
    assert 10 <= scores["held_out"] <= 15  # a fifth of each digit
    for key in ("class_before", "class_after", "mnist_before", "mnist_after"):
        assert 0.0 <= scores[key] <= 1.0
    assert epochs == [0] and "tuned" in registry.names()
    assert registry.card("tuned").metrics["finetune"] == scores


def test_stop_before_the_first_epoch_saves_nothing(registry, class_drawings, tiny_data):
    stop = threading.Event()
    stop.set()
    card = finetune_and_save(registry, "base", "stopped", tiny_data, QUICK, None, stop, url=class_drawings)
    assert card is None or card.stopped_early
    # Keras finishes the batch it is in: a stopped run either saved nothing or says it stopped early


def test_refusals_are_sentences(registry, sqlite_url, tiny_data):
    with pytest.raises(FinetuneError, match="at least 20 labelled drawings"):
        finetune_and_save(registry, "base", "x", tiny_data, QUICK, url=sqlite_url)
    with pytest.raises(FinetuneError, match="already exists"):
        finetune_and_save(registry, "base", "base", tiny_data, QUICK, url=sqlite_url)
    with pytest.raises(FinetuneError, match="Epochs"):
        FinetuneSettings(epochs=0).check()


def test_cli_prints_before_and_after(registry, class_drawings, tiny_data, tmp_path, capsys):
    path = tmp_path / "tiny.npz"
    np.savez(path, x_train=tiny_data.x_train, y_train=tiny_data.y_train, x_test=tiny_data.x_test,
             y_test=tiny_data.y_test)
    code = main(["--models-dir", str(registry.root), "finetune", "--from", "base", "--name", "cli tuned",
                 "--epochs", "1", "--data", str(path)])
    out = capsys.readouterr().out
    assert code == 0 and "saved 'cli tuned'" in out and "held-out class drawings" in out and "MNIST test" in out
    assert main(["--models-dir", str(registry.root), "finetune", "--from", "nope", "--name", "y",
                 "--data", str(path)]) == 1
