"""The networks Digit Lab can train, by name.

The dense presets reproduce the notebooks Digit Lab grew out of, with the
settings those notebooks used; the convolutional ones are what their "future
work" asked for. Every preset takes (28, 28, 1) float inputs in [0, 1], so the
app, the CLI and the predictor never care which one they hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import keras
from keras import layers

from .errors import SettingsError
from .settings import ACTIVATIONS, OPTIMIZERS, TrainSettings, plain

INPUT_SHAPE = (28, 28, 1)


KNOB_KINDS = ("int", "float", "number", "log", "choice", "toggle", "layers")


@dataclass(frozen=True)
class Knob:
    """One setting a preset lets people change, with its bounds: plain data the Train page, the Search
    view and the CLI all read, so a preset's rules live here and nowhere else.

    kind: "int" / "float" (a slider from low to high in steps of step), "number" (a number box), "log" /
    "choice" (one of options; "log" ones are searched as a continuous log range), "toggle" (on/off),
    "layers" (hidden_units: 0 to high layers, each one of options wide). ``search`` is the range a new
    search starts from ((low, high), or options), None when the knob is not searched; ``search_first``
    puts it among the knobs a search tries unless told otherwise. ``more`` tucks it under "More options".
    """

    name: str  # the TrainSettings field it sets
    label: str
    kind: str
    low: float | None = None
    high: float | None = None
    step: float | None = None
    options: tuple = ()
    default: Any = None  # None: the preset's own default for this setting
    help: str = ""
    search: tuple | None = None
    search_first: bool = False
    more: bool = False

    @property
    def search_name(self) -> str:
        """The name a search and its trials use (a search varies the first hidden layer's width)."""
        return "units" if self.kind == "layers" else self.name

    @property
    def ranged(self) -> bool:
        """Searched as a low..high range (numbers, learning rate on a log scale); else as options to try."""
        return self.kind in ("int", "float", "log")

    @property
    def bounds(self) -> tuple[float, float]:
        """Lowest and highest value (for "layers": one layer's width)."""
        if self.kind in ("log", "choice", "layers") and self.options and not isinstance(self.options[0], str):
            return min(self.options), max(self.options)
        return self.low, self.high

    def check(self, value: Any) -> Any:
        """The value if it is within bounds, else SettingsError in one sentence naming the setting."""
        if self.kind == "toggle":
            return bool(value)
        if self.kind == "choice" and self.options and isinstance(self.options[0], str):
            if value not in self.options:
                raise SettingsError(f"{self.name} must be one of {', '.join(self.options)}, got {value!r}.")
            return value
        if self.kind == "layers":
            return self._check_layers(value)
        low, high = self.bounds
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or not low <= value <= high:
            raise SettingsError(f"{self.name} must be between {plain(low)} and {plain(high)}, got {value!r}.")
        return value

    def _check_layers(self, value: Any) -> tuple[int, ...]:
        if isinstance(value, (int, str)):
            value = [value]
        try:
            units = tuple(int(v) for v in value)
        except (TypeError, ValueError):
            raise SettingsError(f"hidden_units must be a list of whole numbers, got {value!r}.") from None
        low, high = self.bounds
        if not self.low <= len(units) <= self.high:
            raise SettingsError(f"hidden_units takes {plain(self.low)} to {plain(self.high)} layers, got {len(units)}.")
        bad = [u for u in units if not low <= u <= high]
        if bad:
            raise SettingsError(f"Each hidden layer needs {plain(low)} to {plain(high)} units, got {bad[0]}.")
        return units


BATCH_SIZES = (8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
RATES = (1e-5, 3e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 3e-2, 0.1)
UNITS = (8, 16, 32, 64, 128, 256, 512, 1024, 2048)
TRAIN_IMAGES = 60_000

EPOCHS = Knob("epochs", "Epochs", "int", 1, 100, 1, help="How many times the network sees every training image.")
BATCH = Knob("batch_size", "Batch size", "choice", options=BATCH_SIZES, help="Images per weight update.",
             search=(64, 128, 256), search_first=True)
RATE = Knob("learning_rate", "Learning rate", "log", options=RATES, help="How big each update step is.",
            search=(3e-4, 3e-3), search_first=True)
IMAGES = Knob("train_limit", "Training images", "int", 1_000, TRAIN_IMAGES, 1_000, default=TRAIN_IMAGES,
              help="Use only the first N training images: faster, less accurate.")
DROPOUT = Knob("dropout", "Dropout", "float", 0.0, 0.8, 0.05, search=(0.0, 0.4), search_first=True,
               help="Randomly silences this share of units while training, against overfitting.")
VALIDATION = Knob("validation_split", "Validation split", "float", 0.0, 0.5, 0.05,
                  help="Held out from training to draw the validation curves.")
AUGMENT = Knob("augment", "Augment (random shifts, rotations, strokes)", "toggle")
SEED = Knob("seed", "Random seed", "number", 0, 2**31 - 1, 1, help="Same seed and settings give the same network.")
LAYERS = Knob("hidden_units", "Hidden dense layers", "layers", 0, 4, options=UNITS,
              help="Fully connected layers before the output layer.", search=(128, 256, 512), search_first=True)
CONV_LAYERS = Knob("hidden_units", "Hidden dense layers", "layers", 0, 4, options=UNITS,
                   help="Fully connected layers before the output layer. They come after the convolutions.",
                   search=(128, 256, 512), search_first=True)
OPTIMIZER = Knob("optimizer", "Optimizer", "choice", options=OPTIMIZERS, search=OPTIMIZERS, more=True)
ACTIVATION = Knob("activation", "Activation", "choice", options=ACTIVATIONS, search=ACTIVATIONS, more=True)
SCHEDULE = Knob("lr_schedule", "Learning-rate decay (cosine)", "toggle", more=True)
SYNTHETIC = Knob("synthetic_fraction", "Extra synthetic pen digits", "float", 0.0, 0.5, 0.05, more=True,
                 help="Adds computer-drawn digits, as a share of the training set.")

COMMON = (EPOCHS, BATCH, RATE, IMAGES, VALIDATION, AUGMENT, SEED, OPTIMIZER, SCHEDULE, SYNTHETIC)
DENSE_KNOBS = (*COMMON, DROPOUT, LAYERS, ACTIVATION)
CONV_KNOBS = (*COMMON, DROPOUT, CONV_LAYERS)


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    description: str
    kind: str  # "dense" or "conv"
    loss: str  # "sparse" or "categorical" (one-hot labels)
    defaults: TrainSettings
    build: Callable[[TrainSettings], keras.Model]
    knobs: tuple[Knob, ...] = COMMON

    def knob(self, name: str) -> Knob | None:
        return next((k for k in self.knobs if k.name == name), None)

    def start_values(self) -> dict[str, Any]:
        """Each knob's starting value: its own default, else the preset's setting."""
        values = {}
        for knob in self.knobs:
            value = knob.default if knob.default is not None else getattr(self.defaults, knob.name)
            values[knob.name] = tuple(value) if knob.kind == "layers" else value
        return values

    def settings(self, values: dict[str, Any], available: int = TRAIN_IMAGES) -> TrainSettings:
        """The one way knob values (the page's settings dict, the CLI's flags) become TrainSettings.

        A value for one of the preset's knobs must lie in that knob's bounds; a knob another preset has but
        this one does not is refused; settings no preset shows (e.g. pen_fraction, start_from) keep the
        settings' own bounds. All training images (or more) means no limit.
        """
        changes = {}
        for name, value in values.items():
            knob = self.knob(name)
            if knob is not None:
                changes[name] = knob.check(value) if value is not None else value
            elif name in knob_names():
                raise SettingsError(f"{self.title} has no {name} setting.")
            else:
                changes[name] = value
        limit = changes.get("train_limit")
        if limit is not None and limit >= available:
            changes["train_limit"] = None
        return self.defaults.with_changes(**changes)


def _dense_stack(settings: TrainSettings, dropout_after_all: bool) -> list[layers.Layer]:
    stack: list[layers.Layer] = []
    for units in settings.hidden_units:
        stack.append(layers.Dense(units, activation=settings.activation))
        if dropout_after_all and settings.dropout > 0:
            stack.append(layers.Dropout(settings.dropout))
    if not dropout_after_all and settings.dropout > 0:
        stack.append(layers.Dropout(settings.dropout))
    return stack


def _sequential(name: str, body: list[layers.Layer], activation: str = "softmax") -> keras.Model:
    return keras.Sequential(
        [keras.Input(INPUT_SHAPE), *body, layers.Dense(10, activation=activation, name="digits")], name=name
    )


def build_logistic(settings: TrainSettings) -> keras.Model:
    return _sequential("logistic", [layers.Flatten()], activation="sigmoid")


def build_dense(settings: TrainSettings) -> keras.Model:
    """Flatten -> hidden Dense layers -> (dropout) -> softmax: all three MLP notebooks."""
    return _sequential("dense", [layers.Flatten(), *_dense_stack(settings, dropout_after_all=False)])


def _conv_block(filters: int, count: int, batch_norm: bool) -> list[layers.Layer]:
    block: list[layers.Layer] = []
    for _ in range(count):
        block.append(layers.Conv2D(filters, 3, padding="same", use_bias=not batch_norm))
        if batch_norm:
            block.append(layers.BatchNormalization())
        block.append(layers.Activation("relu"))
    block.append(layers.MaxPooling2D())
    return block


def build_cnn_quick(settings: TrainSettings) -> keras.Model:
    """Two small conv layers: about 99%, quick to train on two CPU cores, for training live in class."""
    body = [
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Flatten(), *_dense_stack(settings, dropout_after_all=True),
    ]
    return _sequential("cnn_quick", body)


def build_cnn_accurate(settings: TrainSettings) -> keras.Model:
    """Two double-conv blocks with batch norm and dropout: the shipped default's architecture."""
    body = [
        *_conv_block(32, 2, batch_norm=True), layers.Dropout(min(settings.dropout, 0.25) / 2),
        *_conv_block(64, 2, batch_norm=True), layers.Dropout(min(settings.dropout, 0.25) / 2),
        layers.Flatten(),
    ]
    for units in settings.hidden_units:
        body += [layers.Dense(units, use_bias=False), layers.BatchNormalization(), layers.Activation("relu")]
    if settings.dropout > 0:
        body.append(layers.Dropout(settings.dropout))
    return _sequential("cnn_accurate", body)


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset(
            "logistic", "Logistic baseline",
            "One Dense(10) layer with sigmoid on the 784 pixels: the notebooks' first baseline.",
            "dense", "sparse", TrainSettings(epochs=20, batch_size=32, hidden_units=(), validation_split=0.1),
            build_logistic, knobs=COMMON,
        ),
        Preset(
            "mlp-128-128-dropout", "MLP 128-128 + dropout",
            "128 ReLU -> 128 ReLU -> Dropout 0.25 -> softmax, one-hot labels, batch 512.",
            "dense", "categorical",
            TrainSettings(epochs=10, batch_size=512, hidden_units=(128, 128), dropout=0.25, validation_split=0.1),
            build_dense, knobs=DENSE_KNOBS,
        ),
        Preset(
            "dnn-3x128", "Deep MLP 3x128",
            "Three 128-unit ReLU layers, sparse labels, 10% of training held out for validation.",
            "dense", "sparse",
            TrainSettings(epochs=10, batch_size=32, hidden_units=(128, 128, 128), validation_split=0.1), build_dense,
            knobs=DENSE_KNOBS,
        ),
        Preset(
            "mlp-128-64", "MLP 128-64",
            "Flatten -> 128 -> 64 -> softmax, 10 epochs.",
            "dense", "sparse", TrainSettings(epochs=10, batch_size=32, hidden_units=(128, 64), validation_split=0.1),
            build_dense, knobs=DENSE_KNOBS,
        ),
        Preset(
            "cnn-quick", "Quick CNN",
            "Conv 32 -> pool -> conv 64 -> pool -> dense 128, 4 epochs with cosine decay: "
            "about 99%, the quickest CNN to train live in class.",
            "conv", "sparse",
            TrainSettings(epochs=4, batch_size=128, hidden_units=(128,), dropout=0.25, learning_rate=2e-3,
                          lr_schedule=True),
            build_cnn_quick, knobs=(*CONV_KNOBS, ACTIVATION),
        ),
        Preset(
            "cnn-accurate", "Accurate CNN (default)",
            "Two double-conv blocks with batch norm, dropout and drawing-style augmentation: the shipped model.",
            "conv", "sparse",
            TrainSettings(
                epochs=15, batch_size=128, hidden_units=(128,), dropout=0.4, learning_rate=2e-3, augment=True,
                validation_split=0.0, synthetic_fraction=0.25, lr_schedule=True,
            ),
            build_cnn_accurate, knobs=CONV_KNOBS,
        ),
        Preset(
            "cnn-handwriting", "Handwriting CNN",
            "The accurate CNN, continued on MNIST plus generated writers' pen digits (drawn, some quickly, and "
            "scanned) and USPS: reads more handwriting styles. Use with --from to continue from a trained "
            "accurate CNN.",
            "conv", "sparse",
            TrainSettings(
                epochs=4, batch_size=128, hidden_units=(128,), dropout=0.4, learning_rate=4e-4, augment=True,
                validation_split=0.0, pen_fraction=0.7, usps_train=True, box_fraction=0.25, lr_schedule=True,
            ),
            build_cnn_accurate, knobs=CONV_KNOBS,
        ),
    ]
}


def knob_names() -> set[str]:
    """Every setting some preset shows as a knob (the CLI refuses those a preset does not show)."""
    return {knob.name for preset in PRESETS.values() for knob in preset.knobs}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise SettingsError(f"Unknown preset {name!r}. Choose one of: {', '.join(PRESETS)}.") from None


def build_model(preset_name: str, settings: TrainSettings | None = None) -> keras.Model:
    """Build (not compile) a preset's network with the given or default settings."""
    preset = get_preset(preset_name)
    return preset.build(settings or preset.defaults)


def layer_table(model: keras.Model) -> list[dict[str, object]]:
    """Layers, output shapes and parameter counts, for the Train and Look Inside pages."""
    rows = []
    for layer in model.layers:
        shape = getattr(layer, "output", None)
        rows.append({
            "layer": layer.name,
            "type": type(layer).__name__,
            "output shape": str(tuple(shape.shape)) if shape is not None else "?",
            "parameters": int(layer.count_params()),
        })
    return rows
