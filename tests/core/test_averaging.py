"""Averaging runs weight by weight: the mean network, its card, and refusals as sentences."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_core.averaging import average_and_save, average_weights
from mnist_core.cli import main
from mnist_core.errors import ModelError
from mnist_core.registry import Registry


@pytest.fixture(scope="module")
def runs(tmp_path_factory, tiny_data):
    """Two one-epoch runs of one MLP with different seeds, and a logistic regression beside them."""
    from mnist_core.presets import get_preset
    from mnist_core.workflow import train_and_save

    root = tmp_path_factory.mktemp("avg-models")
    registry = Registry(root, shipped=None)
    for name, seed in (("run a", 1), ("run b", 2)):
        settings = get_preset("mlp-128-64").defaults.with_changes(epochs=1, seed=seed)
        train_and_save("mlp-128-64", settings, tiny_data, registry, name)
    train_and_save("logistic", get_preset("logistic").defaults.with_changes(epochs=1), tiny_data, registry, "flat")
    return root


@pytest.fixture
def registry(runs, tmp_path):
    import shutil

    shutil.copytree(runs, tmp_path / "models")
    return Registry(tmp_path / "models", shipped=None)


def test_every_weight_is_the_mean_and_the_runs_are_untouched(registry):
    a, b = registry.load("run a"), registry.load("run b")
    before = [w.copy() for w in a.get_weights()]
    averaged = average_weights([a, b])
    for mean, wa, wb in zip(averaged.get_weights(), a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(mean, (wa + wb) / 2, rtol=1e-6)
    assert all(np.array_equal(x, y) for x, y in zip(before, a.get_weights()))
    assert not np.allclose(a.get_weights()[0], b.get_weights()[0])  # two seeds really are two runs


def test_the_saved_average_is_calibrated_scored_and_says_where_it_came_from(registry, tiny_data):
    folder_b = str(registry.root / "run b")  # a folder works as well as a name
    card = average_and_save(["run a", folder_b], registry, "mean", tiny_data)
    stored = registry.card("mean")
    assert stored.settings["averaged_from"] == ["run a", folder_b]
    assert stored.settings["averaged_seeds"] == [1, 2]
    assert stored.preset == "mlp-128-64" and stored.history == {}
    assert 0.05 <= stored.temperature <= 20 and "fitted_on" in stored.calibration
    assert stored.test_accuracy == card.test_accuracy and 0.0 <= stored.test_accuracy <= 1.0
    runs = [registry.card(name) for name in ("run a", "run b")]
    assert stored.train_seconds == pytest.approx(sum(c.train_seconds for c in runs), abs=0.02)
    expected = average_weights([registry.load("run a"), registry.load("run b")]).get_weights()
    for saved, mean in zip(registry.load("mean").get_weights(), expected):
        np.testing.assert_allclose(saved, mean, rtol=1e-6)


def test_a_run_listed_again_to_weigh_it_more_counts_its_training_time_once(registry, tiny_data):
    """The shipped model weighs the previous one three times: that is one run of training, not three."""
    folder_a = str(registry.root / "run a")  # the same run by its name and by its folder
    stored = average_and_save(["run a", "run a", folder_a, "run b"], registry, "weighed", tiny_data)
    runs = [registry.card(name) for name in ("run a", "run b")]
    assert stored.train_seconds == pytest.approx(sum(c.train_seconds for c in runs), abs=0.02)
    assert registry.card("weighed").settings["averaged_seeds"] == [1, 1, 1, 2]


def test_refusals_are_sentences_and_save_nothing(registry, tiny_data):
    cases = [
        (["run a"], "at least 2 models; 1 given"),
        (["run a", "flat"], "Only networks of one preset can be averaged"),
        (["run a", "nowhere"], "There is no model called 'nowhere'"),
    ]
    for sources, message in cases:
        with pytest.raises(ModelError, match=message):
            average_and_save(sources, registry, "mean", tiny_data)
    with pytest.raises(ModelError, match="already exists"):
        average_and_save(["run a", "run b"], registry, "run a", tiny_data)
    assert sorted(registry.names()) == ["flat", "run a", "run b"]


def test_networks_of_other_shapes_are_refused(registry):
    import keras

    wider = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(129),
                              keras.layers.Dense(64), keras.layers.Dense(10)])
    with pytest.raises(ModelError, match="Model 2 is not the same network as model 1"):
        average_weights([registry.load("run a"), wider])


def test_cli_average_saves_and_refuses_in_one_line(registry, tiny_npz, capsys):
    root = str(registry.root)
    assert main(["--models-dir", root, "average", "run a", "run b", "--name", "cli mean",
                 "--data", str(tiny_npz)]) == 0
    out = capsys.readouterr().out
    assert "saved 'cli mean'" in out and "the average of 2 models" in out and "test accuracy" in out
    assert main(["--models-dir", root, "average", "run a", "flat", "--name", "x", "--data", str(tiny_npz)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Only networks of one preset") and err.count("\n") == 1
    assert "x" not in Registry(root, shipped=None).names()


def test_a_model_fine_tuned_from_an_average_is_not_called_an_average(registry, tiny_data, sqlite_url):
    from mnist_core import drawings
    from mnist_core.averaging import averaged_runs
    from mnist_core.finetune import FinetuneSettings, finetune_and_save

    mean = average_and_save(["run a", "run b"], registry, "mean", tiny_data)
    assert averaged_runs(mean) == 2
    drawings.import_arrays(tiny_data.x_test[:40], tiny_data.y_test[:40], url=sqlite_url)
    quick = FinetuneSettings(epochs=1, class_per_epoch=100, replay_per_epoch=100)
    tuned = finetune_and_save(registry, "mean", "tuned", tiny_data, quick, url=sqlite_url)
    assert averaged_runs(tuned) == 0 and averaged_runs(registry.card("tuned")) == 0
    assert tuned.metrics["finetune"]["base"] == "mean" and tuned.settings["seed"] == 1
