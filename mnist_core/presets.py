"""The networks Digit Lab can train, by name.

The dense presets reproduce the notebooks Digit Lab grew out of, with the
settings those notebooks used; the convolutional ones are what their "future
work" asked for. Every preset takes (28, 28, 1) float inputs in [0, 1], so the
app, the CLI and the predictor never care which one they hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import keras
from keras import layers

from .errors import SettingsError
from .settings import TrainSettings

INPUT_SHAPE = (28, 28, 1)


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    description: str
    kind: str  # "dense" or "conv"
    loss: str  # "sparse" or "categorical" (one-hot labels)
    defaults: TrainSettings
    build: Callable[[TrainSettings], keras.Model]


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
    """Two small conv layers: ~99% in about a minute on two CPU cores, for training live in class."""
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
            build_logistic,
        ),
        Preset(
            "mlp-128-128-dropout", "MLP 128-128 + dropout",
            "128 ReLU -> 128 ReLU -> Dropout 0.25 -> softmax, one-hot labels, batch 512.",
            "dense", "categorical",
            TrainSettings(epochs=10, batch_size=512, hidden_units=(128, 128), dropout=0.25, validation_split=0.1),
            build_dense,
        ),
        Preset(
            "dnn-3x128", "Deep MLP 3x128",
            "Three 128-unit ReLU layers, sparse labels, 10% of training held out for validation.",
            "dense", "sparse",
            TrainSettings(epochs=10, batch_size=32, hidden_units=(128, 128, 128), validation_split=0.1), build_dense,
        ),
        Preset(
            "mlp-128-64", "MLP 128-64",
            "Flatten -> 128 -> 64 -> softmax, 10 epochs.",
            "dense", "sparse", TrainSettings(epochs=10, batch_size=32, hidden_units=(128, 64), validation_split=0.1),
            build_dense,
        ),
        Preset(
            "cnn-quick", "Quick CNN",
            "Conv 32 -> pool -> conv 64 -> pool -> dense 128, 4 epochs with cosine decay: "
            "99% in about a minute, for live demos.",
            "conv", "sparse",
            TrainSettings(epochs=4, batch_size=128, hidden_units=(128,), dropout=0.25, learning_rate=2e-3,
                          lr_schedule=True),
            build_cnn_quick,
        ),
        Preset(
            "cnn-accurate", "Accurate CNN (default)",
            "Two double-conv blocks with batch norm, dropout and drawing-style augmentation: the shipped model.",
            "conv", "sparse",
            TrainSettings(
                epochs=15, batch_size=128, hidden_units=(128,), dropout=0.4, learning_rate=2e-3, augment=True,
                validation_split=0.0, synthetic_fraction=0.25, lr_schedule=True,
            ),
            build_cnn_accurate,
        ),
        Preset(
            "cnn-handwriting", "Handwriting CNN",
            "The accurate CNN, continued on MNIST plus generated writers' pen digits (canvas and scanned) and "
            "USPS: reads more handwriting styles. Use with --from to continue from a trained accurate CNN.",
            "conv", "sparse",
            TrainSettings(
                epochs=4, batch_size=128, hidden_units=(128,), dropout=0.4, learning_rate=4e-4, augment=True,
                validation_split=0.0, pen_fraction=0.7, usps_train=True, lr_schedule=True,
            ),
            build_cnn_accurate,
        ),
    ]
}


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
