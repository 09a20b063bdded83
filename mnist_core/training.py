"""One training function for the command line and the app.

It reports progress through a listener (per batch, throttled, and per epoch)
so a terminal bar and a Streamlit page can both follow it, and it can be
stopped cleanly between batches from another thread.
"""

from __future__ import annotations

import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


import keras
import numpy as np
import tensorflow as tf

from . import tensorboard_logs as tensorboard
from .augment import augment_batch
from .data import MnistData, to_model_input
from .errors import DigitLabError, SettingsError
from .presets import Preset, get_preset
from .settings import TrainSettings, validate


class TrainingListener:
    """Override what you need; every method is optional."""

    def on_start(self, epochs: int, steps_per_epoch: int) -> None: ...

    def on_batch(self, epoch: int, step: int, steps: int, logs: dict[str, float]) -> None: ...

    def on_epoch(self, epoch: int, logs: dict[str, float]) -> None: ...


@dataclass
class TrainResult:
    model: keras.Model
    preset: str
    settings: TrainSettings
    history: dict[str, list[float]]
    epochs_done: int  # epochs Keras ran, as in `history`; when stopped, the last one may be partial
    stopped_early: bool
    seconds: float
    search: dict[str, Any] = field(default_factory=dict)  # a KerasTuner search's trials, for the card
    tensorboard_dir: Path | None = None  # this run's TensorBoard logs, until a save moves them beside the model
    epochs_run: float = 0.0  # what was really done: 1.74 means one epoch and 74% of the second

    @property
    def stop_note(self) -> str:
        """How far a stopped run got, for people: "stopped at 0.74 of epoch 1" (empty if it finished)."""
        return stop_note(self.epochs_run, self.settings.epochs) if self.stopped_early else ""

    def __post_init__(self) -> None:
        if self.tensorboard_dir is not None:
            tensorboard.remove_when_dropped(self, self.tensorboard_dir)


class _Progress(keras.callbacks.Callback):
    """Bridges Keras callbacks to a listener; cheap enough to run on every batch."""

    def __init__(self, listener: TrainingListener, steps: int, stop: threading.Event | None,
                 min_interval: float = 0.1) -> None:
        super().__init__()
        self.listener, self.steps, self.stop = listener, steps, stop
        self.min_interval = min_interval
        self.epoch = 0
        self.step = 0  # batches finished in the current epoch
        self._last = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch, self.step = epoch, 0

    @property
    def epochs_run(self) -> float:
        """Whole epochs plus the finished share of the current one."""
        return self.epoch + self.step / max(self.steps, 1)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.step = batch + 1
        if self.stop is not None and self.stop.is_set():
            self.model.stop_training = True
        now = time.perf_counter()
        if now - self._last >= self.min_interval or batch + 1 == self.steps:
            self._last = now
            self.listener.on_batch(self.epoch, batch + 1, self.steps, _floats(logs))

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.listener.on_epoch(epoch, _floats(logs))


def stop_note(epochs_run: float, epochs: int) -> str:
    """ "stopped at 0.74 of epoch 2" mid-epoch, "stopped after 2 of 5 epochs" between epochs."""
    whole = int(epochs_run)
    part = epochs_run - whole
    if part < 0.005:
        return f"stopped after {whole} of {epochs} epoch{'s' if epochs != 1 else ''}"
    return f"stopped at {part:.2f} of epoch {whole + 1}"


class TrainingStopped(DigitLabError):
    """Stop came before the first batch: nothing was learned, so there is nothing to save."""


def _floats(logs: dict | None) -> dict[str, float]:
    return {k: float(v) for k, v in (logs or {}).items()}


def _optimizer(settings: TrainSettings, total_steps: int) -> keras.optimizers.Optimizer:
    rate: Any = settings.learning_rate
    if settings.lr_schedule:
        rate = keras.optimizers.schedules.CosineDecay(settings.learning_rate, max(total_steps, 1), alpha=0.05)
    if settings.optimizer == "sgd":
        return keras.optimizers.SGD(rate, momentum=0.9)
    if settings.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(rate)
    return keras.optimizers.Adam(rate)


def compile_for(model: keras.Model, preset: Preset, settings: TrainSettings, total_steps: int) -> None:
    loss = "categorical_crossentropy" if preset.loss == "categorical" else "sparse_categorical_crossentropy"
    model.compile(optimizer=_optimizer(settings, total_steps), loss=loss, metrics=["accuracy"])


def prepare_arrays(preset: Preset, settings: TrainSettings, data: MnistData) -> tuple[np.ndarray, np.ndarray]:
    """Training inputs and labels, with the optional synthetic pen digits mixed in."""
    x, y = data.x_train, data.y_train
    if settings.train_limit is not None:
        x, y = x[: settings.train_limit], y[: settings.train_limit]
    if settings.synthetic_fraction > 0:
        from .synthetic import synthetic_mnist

        count = int(len(x) * settings.synthetic_fraction)
        sx, sy = synthetic_mnist(count, seed=settings.seed + 1)
        rng = np.random.default_rng(settings.seed)
        order = rng.permutation(len(x) + count)
        x, y = np.concatenate([x, sx])[order], np.concatenate([y, sy])[order]
    x, y = _add_other_writers(x, y, settings)
    inputs = to_model_input(x)
    labels = keras.utils.to_categorical(y, 10) if preset.loss == "categorical" else y.astype(np.int64)
    return inputs, labels


def _add_other_writers(x: np.ndarray, y: np.ndarray, settings: TrainSettings) -> tuple[np.ndarray, np.ndarray]:
    """Generated writers' pen digits, USPS's training rows, box-normalised and coarse copies, digits recorded
    as tablet trajectories and digits drawn fast and joined as the canvas joins them, shuffled into MNIST's."""
    extra_x, extra_y = [x], [y]
    if settings.pen_fraction > 0:
        from .handwriting import FAST_SHARE, JOINED_SHARE, TRAIN_SEED, handwriting_mnist

        px, py = handwriting_mnist(int(len(x) * settings.pen_fraction), first_seed=TRAIN_SEED + settings.seed,
                                   fast=FAST_SHARE, joined=JOINED_SHARE)
        extra_x.append(px)
        extra_y.append(py)
    if settings.usps_train:
        from .usps import load_usps_part

        ux, uy = load_usps_part("train")
        extra_x.extend([ux] * settings.usps_copies)
        extra_y.extend([uy] * settings.usps_copies)
    if settings.box_fraction > 0 or settings.coarse_fraction > 0:  # copies are made of these, never of copies
        pool_x, pool_y = np.concatenate(extra_x), np.concatenate(extra_y)
    if settings.box_fraction > 0:
        from .box_scans import box_scans

        rows = _copied_rows(len(x), settings.box_fraction, len(pool_x), settings.seed + 3)
        extra_x.append(box_scans(pool_x[rows], seed=settings.seed + 4))
        extra_y.append(pool_y[rows])
    if settings.coarse_fraction > 0:
        from .optdigits import as_optdigits
        from .preprocessing import scan_frames

        rows = _copied_rows(len(x), settings.coarse_fraction, len(pool_x), settings.seed + 5)
        extra_x.append(scan_frames(as_optdigits(pool_x[rows])))
        extra_y.append(pool_y[rows])
    if settings.tablet_fraction > 0:  # other writers again, each digit recorded as one resampled trajectory
        from .handwriting import TABLET_SEED, handwriting_mnist

        tx, ty = handwriting_mnist(int(len(x) * settings.tablet_fraction), first_seed=TABLET_SEED + settings.seed,
                                   kinds=("canvas",), tablet=1.0)
        extra_x.append(tx)
        extra_y.append(ty)
    if settings.joined_fraction > 0:  # and others, every canvas digit drawn fast and joined as the Draw page joins it
        from .handwriting import JOINED_SEED, handwriting_mnist

        jx, jy = handwriting_mnist(int(len(x) * settings.joined_fraction), first_seed=JOINED_SEED + settings.seed,
                                   kinds=("canvas",), fast=1.0, joined=1.0)
        extra_x.append(jx)
        extra_y.append(jy)
    if len(extra_x) == 1:
        return x, y
    x, y = np.concatenate(extra_x), np.concatenate(extra_y)
    order = np.random.default_rng(settings.seed + 2).permutation(len(x))
    return x[order], y[order]


def _copied_rows(base: int, fraction: float, pool: int, seed: int) -> np.ndarray:
    """Which rows of the pool to copy: `fraction` of the base set's size, at most the whole pool, no row twice."""
    count = min(int(base * fraction), pool)
    return np.random.default_rng(seed).choice(pool, count, replace=False)


def initial_model(preset: Preset, settings: TrainSettings) -> keras.Model:
    """A fresh network, or the weights of `settings.start_from` to continue from (same architecture)."""
    model = preset.build(settings)
    if settings.start_from is None:
        return model
    from .registry import load_model_from

    source = load_model_from(settings.start_from)
    try:
        model.set_weights(source.get_weights())
    except ValueError as exc:
        raise SettingsError(
            f"{settings.start_from!r} is not a {preset.name} network with these settings, so training cannot "
            "continue from it."
        ) from exc
    return model


def _datasets(x: np.ndarray, y: np.ndarray, settings: TrainSettings) -> tuple[Any, Any, int]:
    """Numpy arrays when plain (fastest), a tf.data pipeline when augmenting."""
    n_val = int(len(x) * settings.validation_split)
    x_train, y_train = x[: len(x) - n_val], y[: len(y) - n_val]
    val = (x[len(x) - n_val:], y[len(y) - n_val:]) if n_val else None
    steps = int(np.ceil(len(x_train) / settings.batch_size))
    if not settings.augment:
        return (x_train, y_train), val, steps
    base = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    base = base.shuffle(len(x_train), seed=settings.seed, reshuffle_each_iteration=True)
    batched = base.batch(settings.batch_size).enumerate()
    seed = tf.constant([settings.seed, 7], dtype=tf.int64)

    def warp(index: tf.Tensor, batch: tuple[tf.Tensor, tf.Tensor]) -> tuple[tf.Tensor, tf.Tensor]:
        images, labels = batch
        step_seed = tf.stack([seed[0], seed[1] + index])
        return augment_batch(images, step_seed), labels

    pipeline = batched.map(warp, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
    return pipeline, val, steps


def train(preset_name: str, settings: TrainSettings | None, data: MnistData,
          listener: TrainingListener | None = None, stop: threading.Event | None = None,
          verbose: int = 0) -> TrainResult:
    """Train a preset; stop early (keeping what was learned) when `stop` is set."""
    preset = get_preset(preset_name)
    settings = validate(settings or preset.defaults)
    if settings.train_limit is not None and settings.train_limit > len(data.x_train):
        raise SettingsError(f"train_limit {settings.train_limit} exceeds the {len(data.x_train)} training images.")
    keras.utils.set_random_seed(settings.seed)
    x, y = prepare_arrays(preset, settings, data)
    train_data, val, steps = _datasets(x, y, settings)
    model = initial_model(preset, settings)
    compile_for(model, preset, settings, steps * settings.epochs)
    if stop is not None and stop.is_set():
        raise TrainingStopped("Stopped before the first batch: nothing was learned and nothing was saved.")
    listener = listener or TrainingListener()
    listener.on_start(settings.epochs, steps)
    progress = _Progress(listener, steps, stop)
    log_dir = tensorboard.new_log_dir()
    started = time.perf_counter()
    fit_args: dict[str, Any] = dict(epochs=settings.epochs, validation_data=val, verbose=verbose,
                                    callbacks=[progress, tensorboard.callback(log_dir)])
    try:
        if isinstance(train_data, tuple):
            history = model.fit(*train_data, batch_size=settings.batch_size, shuffle=True, **fit_args)
        else:
            history = model.fit(train_data, shuffle=False, **fit_args)  # tf.data shuffles itself
    except BaseException:
        shutil.rmtree(log_dir, ignore_errors=True)
        raise
    seconds = time.perf_counter() - started
    hist = {k: [float(v) for v in values] for k, values in history.history.items()}
    epochs_done = len(hist.get("loss", []))
    stopped = bool(stop is not None and stop.is_set() and progress.epochs_run < settings.epochs)
    return TrainResult(model, preset_name, settings, hist, epochs_done, stopped, seconds, tensorboard_dir=log_dir,
                       epochs_run=round(progress.epochs_run, 4))
