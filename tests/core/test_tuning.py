"""Hyper-parameter search: KerasTuner chooses, Digit Lab trains, Stop keeps the best so far."""

import pytest

from mnist_core.cli import main
from mnist_core.errors import SettingsError
from mnist_core.presets import PRESETS, get_preset
from mnist_core.registry import Registry
from mnist_core.tuning import (SearchRange, SearchListener, SearchStopped, apply_values, available_knobs, check_range,
                               default_knobs, format_trials, search)
from mnist_core.workflow import search_and_save

SMALL = {"units": SearchRange("units", choices=(8, 16)),
         "learning_rate": SearchRange("learning_rate", 1e-3, 1e-2, log=True)}


def _base(**changes):
    return get_preset("mlp-128-64").defaults.with_changes(**{"epochs": 1, "batch_size": 64, **changes})


class Recorder(SearchListener):
    def __init__(self, stop=None, stop_after_trials=None):
        self.started, self.ended, self.batches = [], [], 0
        self.stop, self.stop_after = stop, stop_after_trials

    def on_trial_start(self, number, total, values):
        self.started.append((number, total, values))

    def on_batch(self, epoch, step, steps, logs):
        self.batches += 1

    def on_trial_end(self, record):
        self.ended.append(record)
        if self.stop_after is not None and len(self.ended) >= self.stop_after:
            self.stop.set()


@pytest.mark.parametrize("algorithm", ["random", "hyperband", "bayesian"])
def test_each_algorithm_runs_the_trials_and_keeps_the_best(tiny_data, algorithm, tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    recorder = Recorder()
    found = search("mlp-128-64", _base(epochs=2), tiny_data, recorder, trials=2, algorithm=algorithm, knobs=SMALL)
    assert [r.number for r in found.trials] == [1, 2] and [n for n, _, _ in recorder.started] == [1, 2]
    assert recorder.batches > 0 and len(recorder.ended) == 2
    for record in found.trials:
        assert set(record.values) == {"units", "learning_rate"} and record.status == "done"
        assert 0 <= record.val_accuracy <= 1 and record.seconds > 0
    best = max(found.trials, key=lambda r: r.val_accuracy)
    assert found.best_trial == best.number and not found.stopped
    assert found.best.history["val_accuracy"][-1] == best.val_accuracy
    assert found.best.model.layers[1].units == best.values["units"]
    assert not list(tmp_path.glob("digitlab-search-*")), "KerasTuner's scratch folder is removed"


def test_trials_get_a_validation_split_even_when_the_preset_has_none(tiny_data):
    found = search("logistic", get_preset("logistic").defaults.with_changes(epochs=1, validation_split=0.0),
                   tiny_data, trials=1, knobs={"batch_size": SearchRange("batch_size", choices=(64,))})
    assert found.best.settings.validation_split == 0.1 and found.trials[0].val_accuracy is not None


def test_stop_keeps_the_best_finished_trial(tiny_data):
    import threading

    stop = threading.Event()
    recorder = Recorder(stop=stop, stop_after_trials=1)
    found = search("mlp-128-64", _base(), tiny_data, recorder, stop, trials=5, knobs=SMALL)
    assert len(found.trials) == 1 and found.stopped and found.best_trial == 1


def test_stop_before_any_trial_finishes_saves_nothing(tiny_data):
    import threading

    stop = threading.Event()
    stop.set()
    with pytest.raises(SearchStopped, match="before any trial finished; nothing was saved"):
        search("mlp-128-64", _base(), tiny_data, stop=stop, trials=3, knobs=SMALL)


def test_time_budget_stops_the_running_trial(tiny_data):
    with pytest.raises(SearchStopped):
        search("mlp-128-64", _base(epochs=5), tiny_data, trials=3, max_minutes=1e-5, knobs=SMALL)


@pytest.mark.parametrize("options, message", [
    ({"knobs": {"dropout": SearchRange("dropout", 0.0, 0.95)}}, "dropout must be searched between 0 and 0.8"),
    ({"knobs": {"learning_rate": SearchRange("learning_rate", 0.1, 0.01)}}, "low below high"),
    ({"knobs": {"optimizer": SearchRange("optimizer", choices=("adam", "lion"))}}, "optimizer cannot take lion"),
    ({"knobs": {"epochs": SearchRange("epochs", 1, 5, integer=True)}}, "has no knob epochs"),
    ({"trials": 0}, "trials must be a whole number between 1 and 100"),
    ({"algorithm": "grid"}, "algorithm must be one of random, hyperband, bayesian"),
    ({"max_minutes": -1}, "max_minutes must be between"),
])
def test_bad_search_options_are_one_sentence(tiny_data, options, message):
    with pytest.raises(SettingsError, match=message):
        search("mlp-128-64", _base(), tiny_data, **options)


def test_knobs_follow_the_preset():
    assert "units" not in available_knobs("logistic") and "activation" not in available_knobs("cnn-accurate")
    assert {"learning_rate", "batch_size", "units", "dropout", "activation", "optimizer"} <= set(
        available_knobs("mlp-128-64"))
    assert set(default_knobs("mlp-128-64")) == {"learning_rate", "batch_size", "units", "dropout"}
    assert set(default_knobs("logistic")) == {"learning_rate", "batch_size"}
    for name in PRESETS:
        for knob in {**available_knobs(name), **default_knobs(name)}.values():
            check_range(name, knob)  # every offered range lies inside the knob's bounds
            knob_bounds = next(k for k in PRESETS[name].knobs if k.search_name == knob.name)
            assert knob_bounds.search is not None
    assert available_knobs("mlp-128-64")["dropout"] == SearchRange("dropout", 0.0, 0.8)  # the Train page's bounds


def test_a_narrowed_range_outside_the_knobs_bounds_is_one_sentence(tiny_data):
    with pytest.raises(SettingsError, match=r"^learning_rate must be searched between 1e-05 and 0.1, got 0.001..0.5.$"):
        search("mlp-128-64", _base(), tiny_data,
               knobs={"learning_rate": SearchRange("learning_rate", 1e-3, 0.5, log=True)})
    with pytest.raises(SettingsError, match=r"^units cannot take 4096.$"):
        search("mlp-128-64", _base(), tiny_data, knobs={"units": SearchRange("units", choices=(128, 4096))})


def test_trial_values_become_validated_settings():
    settings = apply_values(_base(hidden_units=[128, 64]), {"units": 256, "dropout": 0.2, "tuner/epochs": 3,
                                                            "tuner/round": 0})
    assert settings.hidden_units == (256, 64) and settings.dropout == 0.2 and settings.epochs == 3


def test_best_model_goes_to_the_registry_with_its_trials(tiny_data, tmp_path):
    registry = Registry(tmp_path / "models", shipped=None)
    card, found = search_and_save("mlp-128-64", _base(), tiny_data, registry, "searched", trials=2, knobs=SMALL)
    saved = registry.card("searched")
    assert saved.search["algorithm"] == "random" and len(saved.search["trials"]) == 2
    assert saved.search["best_trial"] == found.best_trial and saved.test_accuracy == card.test_accuracy
    assert (registry.folder("searched") / "tensorboard").is_dir()
    assert "<- best" in format_trials(found)


def test_cli_tune_prints_the_trials_and_the_best(tiny_npz, models_dir, capsys):
    code = main(["tune", "--preset", "logistic", "--trials", "2", "--epochs", "1", "--algorithm", "random",
                 "--knobs", "learning_rate,optimizer", "--name", "cli search", "--data", str(tiny_npz)])
    assert code == 0
    out, err = capsys.readouterr()
    assert "val acc" in out and "<- best" in out and "saved 'cli search'" in out
    assert "trial 1/2:" in err and "trial 2/2:" in err
    card = Registry(models_dir).card("cli search")
    assert card.search["knobs"] == ["learning_rate", "optimizer"] and len(card.search["trials"]) == 2


def test_cli_tune_bad_trials_is_one_line(tiny_npz, models_dir, capsys):
    assert main(["tune", "--trials", "0", "--data", str(tiny_npz)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: trials must be") and err.count("\n") == 1
    assert main(["tune", "--preset", "logistic", "--knobs", "units", "--data", str(tiny_npz)]) == 1
    assert "logistic has no knob units" in capsys.readouterr().err
