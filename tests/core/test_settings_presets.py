import math

import keras
import numpy as np
import pytest

from mnist_core.errors import SettingsError
from mnist_core.presets import PRESETS, build_model, get_preset, layer_table
from mnist_core.settings import BOUNDS, EXTRA_IMAGES, TrainSettings


@pytest.mark.parametrize("field, value, fragment", [
    ("epochs", 0, "between 1 and 100"),
    ("epochs", 10_000, "between 1 and 100"),
    ("epochs", 2.5, "whole number"),
    ("batch_size", -3, "between 8 and 4096"),
    ("learning_rate", 5.0, "between"),
    ("learning_rate", math.nan, "NaN"),
    ("dropout", 0.95, "between 0 and 0.9"),
    ("validation_split", 0.9, "between 0 and 0.5"),
    ("seed", -1, "between"),
    ("epochs", True, "whole number"),
    ("epochs", "ten", "whole number"),
    ("optimizer", "adagrad-xl", "optimizer must be one of"),
    ("activation", "softplus9", "activation must be one of"),
    ("hidden_units", [128] * 9, "At most 6"),
    ("hidden_units", [0], "1 to 2048"),
    ("hidden_units", ["x"], "whole numbers"),
    ("train_limit", 10, "between 100 and 60000"),
    ("box_fraction", 1.5, "between 0 and 1"),
    ("coarse_fraction", -0.1, "between 0 and 1"),
    ("tablet_fraction", 1.01, "between 0 and 1"),
    ("joined_fraction", -0.5, "between 0 and 1"),
    ("usps_copies", 0, "between 1 and 5"),
    ("usps_copies", 2.5, "a whole number"),
    ("usps_copies", 3, "needs usps_train"),
])
def test_out_of_bounds_settings_get_a_clear_message(field, value, fragment):
    with pytest.raises(SettingsError, match=fragment):
        TrainSettings().with_changes(**{field: value})


def test_unknown_setting_is_named():
    with pytest.raises(SettingsError, match="epochz"):
        TrainSettings().with_changes(epochz=3)


def test_valid_changes_are_normalised():
    s = TrainSettings().with_changes(epochs=5.0, hidden_units=["64", 32], learning_rate=1)
    assert s.epochs == 5 and s.hidden_units == (64, 32) and s.learning_rate == 1.0
    assert TrainSettings.from_dict(s.to_dict()) == s


def test_every_notebook_network_is_a_preset():
    assert {"logistic", "mlp-128-128-dropout", "dnn-3x128", "mlp-128-64", "cnn-quick", "cnn-accurate"} <= set(PRESETS)


def test_unknown_preset_lists_the_choices():
    with pytest.raises(SettingsError, match="cnn-quick"):
        get_preset("resnet-9000")


def dense_units(model):
    return [l.units for l in model.layers if isinstance(l, keras.layers.Dense)]


def test_logistic_is_one_sigmoid_layer():
    model = build_model("logistic")
    assert dense_units(model) == [10]
    assert model.layers[-1].activation is keras.activations.sigmoid
    assert get_preset("logistic").defaults.epochs == 20


def test_mlp_128_128_dropout_matches_the_notebook():
    preset = get_preset("mlp-128-128-dropout")
    model = build_model(preset.name)
    assert dense_units(model) == [128, 128, 10]
    dropouts = [l.rate for l in model.layers if isinstance(l, keras.layers.Dropout)]
    assert dropouts == [0.25]
    assert preset.loss == "categorical" and preset.defaults.batch_size == 512 and preset.defaults.epochs == 10


def test_dnn_3x128_and_mlp_128_64():
    assert dense_units(build_model("dnn-3x128")) == [128, 128, 128, 10]
    assert get_preset("dnn-3x128").defaults.validation_split == pytest.approx(0.1)
    assert get_preset("dnn-3x128").loss == "sparse"
    model = build_model("mlp-128-64")
    assert isinstance(model.layers[0], keras.layers.Flatten) and dense_units(model) == [128, 64, 10]


def test_accurate_cnn_has_batch_norm_dropout_and_augmentation():
    preset = get_preset("cnn-accurate")
    model = build_model(preset.name)
    kinds = {type(l).__name__ for l in model.layers}
    assert {"Conv2D", "BatchNormalization", "Dropout"} <= kinds
    assert preset.defaults.augment


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_maps_images_to_ten_probabilities(name):
    model = build_model(name)
    out = model(np.zeros((2, 28, 28, 1), np.float32))
    assert tuple(out.shape) == (2, 10)
    table = layer_table(model)
    assert sum(row["parameters"] for row in table) == model.count_params()


def test_hidden_units_setting_changes_the_network():
    settings = get_preset("mlp-128-64").defaults.with_changes(hidden_units=(32, 16, 8))
    assert dense_units(build_model("mlp-128-64", settings)) == [32, 16, 8, 10]


def test_every_preset_has_a_human_title():
    for preset in PRESETS.values():
        assert preset.title and preset.title != preset.name and preset.title[0].isupper()


# ---- the knobs each preset declares (the Train page, the Search view and the CLI read them) ----
def test_every_presets_knobs_start_at_its_defaults_and_give_them_back():
    for preset in PRESETS.values():
        assert preset.knobs, preset.name
        assert preset.settings(preset.start_values()) == preset.defaults, preset.name
        assert len({k.name for k in preset.knobs}) == len(preset.knobs), f"{preset.name} declares a knob twice"


def test_knob_bounds_lie_inside_the_settings_bounds():
    """A value a knob offers is never one the settings refuse."""
    from mnist_core.settings import ACTIVATIONS, BOUNDS, MAX_LAYERS, MAX_UNITS, OPTIMIZERS

    for preset in PRESETS.values():
        for knob in preset.knobs:
            if knob.kind == "toggle":
                continue
            if knob.kind == "layers":
                assert knob.high <= MAX_LAYERS and 1 <= min(knob.options) and max(knob.options) <= MAX_UNITS
            elif knob.kind == "choice" and isinstance(knob.options[0], str):
                assert set(knob.options) <= set(OPTIMIZERS) | set(ACTIVATIONS)
            else:
                low, high = knob.bounds
                assert BOUNDS[knob.name][0] <= low < high <= BOUNDS[knob.name][1], (preset.name, knob.name)


def test_knobs_follow_each_network():
    names = {p.name: {k.name for k in p.knobs} for p in PRESETS.values()}
    assert "hidden_units" not in names["logistic"] and "dropout" not in names["logistic"]
    assert "activation" in names["mlp-128-64"] and "activation" in names["cnn-quick"]
    assert "activation" not in names["cnn-accurate"]


@pytest.mark.parametrize("preset, values, message", [
    ("cnn-quick", {"epochs": 101}, "epochs must be between 1 and 100, got 101."),
    ("cnn-quick", {"dropout": 0.85}, "dropout must be between 0 and 0.8, got 0.85."),
    ("cnn-quick", {"optimizer": "lion"}, "optimizer must be one of adam, sgd, rmsprop, got 'lion'."),
    ("mlp-128-64", {"hidden_units": [64] * 5}, "hidden_units takes 0 to 4 layers, got 5."),
    ("mlp-128-64", {"hidden_units": [4096]}, "Each hidden layer needs 8 to 2048 units, got 4096."),
    ("logistic", {"dropout": 0.2}, "Logistic baseline has no dropout setting."),
])
def test_a_value_outside_its_knob_is_one_sentence(preset, values, message):
    with pytest.raises(SettingsError) as info:
        get_preset(preset).settings(values)
    assert str(info.value) == message


def test_settings_no_preset_shows_keep_the_settings_own_bounds_and_all_images_means_no_limit():
    settings = get_preset("cnn-handwriting").settings({"pen_fraction": 0.5, "box_fraction": 0.1, "train_limit": 60_000})
    assert settings.pen_fraction == 0.5 and settings.box_fraction == 0.1 and settings.train_limit is None
    assert get_preset("cnn-quick").settings({"train_limit": 5_000}, available=5_000).train_limit is None
    assert get_preset("cnn-quick").settings({"train_limit": 2_000}).train_limit == 2_000


@pytest.mark.parametrize("name", sorted(BOUNDS))
def test_every_number_setting_is_a_train_flag_held_to_its_bounds(name, capsys):
    """Settings are declared once, in TrainSettings; the command line offers each and checks its range."""
    from mnist_core import cli
    from mnist_core.settings import WHOLE_NUMBERS

    high = BOUNDS[name][1]
    too_big = int(high) + 1 if name in WHOLE_NUMBERS else high + 0.5
    flag = "--" + name.replace("_", "-")
    args = cli._parser().parse_args(["train", "--preset", "cnn-handwriting", flag, str(too_big)])
    assert getattr(args, name) == too_big
    with pytest.raises(SettingsError, match=f"{name} must be between"):
        cli._settings(args)


@pytest.mark.parametrize("name", EXTRA_IMAGES)
def test_every_share_of_extra_images_lengthens_the_time_estimate(name):
    from mnist_core.estimate import estimate_seconds

    base = TrainSettings()
    assert all(getattr(base, share) == 0 for share in EXTRA_IMAGES)
    more = base.with_changes(**{name: 0.5})
    assert estimate_seconds("cnn-quick", more) > estimate_seconds("cnn-quick", base)


def test_switches_and_choices_come_from_the_settings_themselves():
    from mnist_core import cli
    from mnist_core.settings import CHOICES, SWITCHES

    assert SWITCHES == ("augment", "lr_schedule", "usps_train")
    assert set(CHOICES) == {"optimizer", "activation"}
    args = cli._parser().parse_args(["train", "--preset", "cnn-handwriting", "--no-augment", "--usps-train",
                                     "--usps-copies", "3", "--optimizer", "sgd"])
    settings = cli._settings(args)
    assert (settings.augment, settings.usps_train, settings.usps_copies, settings.optimizer) == (False, True, 3, "sgd")


def test_a_large_bound_is_written_out_in_full():
    with pytest.raises(SettingsError) as info:
        TrainSettings().with_changes(seed=-1)
    assert str(info.value) == "seed must be between 0 and 2147483647, got -1."
