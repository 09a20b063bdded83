"""Teach a model the class's handwriting: fine-tune on the class's drawings with MNIST replay.

A stratified part of the drawings is held out (never trained on) to measure
before and after. The rest is repeated with random warps (the same
augmentation as training) and mixed with a sample of MNIST training images,
so the network learns the class's 1s with flags and crossed 7s without
forgetting MNIST. It reports progress through the same TrainingListener and
stops on the same event as ``training.train``, so the app's training slot can
run it. The result is a new registry model whose card carries the before and
after figures; ``roles.check_default_candidate`` reads them.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from .averaging import inherited_settings
from .data import MnistData, to_model_input
from .drawings import Filter, arrays
from .errors import DigitLabError
from .registry import ModelCard, Registry, check_name
from .training import TrainingListener, TrainResult

MIN_DRAWINGS = 20


class FinetuneError(DigitLabError):
    """Fine-tuning cannot start (too few drawings, a missing model, a name taken)."""


@dataclass(frozen=True)
class FinetuneSettings:
    epochs: int = 4
    learning_rate: float = 2e-4
    batch_size: int = 64
    holdout: float = 0.2  # share of each digit's drawings kept aside for before/after
    class_per_epoch: int = 2000  # class drawings (repeated, warped) seen per epoch
    replay_per_epoch: int = 4000  # MNIST training images mixed in per epoch, against forgetting
    seed: int = 0

    def check(self) -> "FinetuneSettings":
        if not 1 <= self.epochs <= 50:
            raise FinetuneError("Epochs for fine-tuning must be between 1 and 50.")
        if not 0.0 <= self.holdout <= 0.5:
            raise FinetuneError("The held-out share must be between 0 and 0.5.")
        if not 1e-6 <= self.learning_rate <= 1e-1:
            raise FinetuneError("The learning rate must be between 0.000001 and 0.1.")
        return self


@dataclass(frozen=True)
class Scores:
    class_before: float | None
    class_after: float | None
    mnist_before: float
    mnist_after: float
    held_out: int
    trained_on: int

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def stratified_split(labels: np.ndarray, fraction: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, held-out indices): each digit gives ``fraction`` of its drawings, at least one if it has two."""
    rng = np.random.default_rng(seed)
    train, held = [], []
    for digit in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == digit))
        n_held = int(round(len(idx) * fraction))
        if fraction > 0 and n_held == 0 and len(idx) >= 2:
            n_held = 1
        held += idx[:n_held].tolist()
        train += idx[n_held:].tolist()
    return np.array(sorted(train), np.int64), np.array(sorted(held), np.int64)


def _accuracy(model, x: np.ndarray, y: np.ndarray) -> float | None:
    if len(x) == 0:
        return None
    from .predictor import Predictor

    probs = Predictor(model).predict_batch(to_model_input(x))
    return float((probs.argmax(axis=1) == y).mean())


def _warped(x: np.ndarray, seed: int) -> np.ndarray:
    """Random shifts, rotations and stroke changes of uint8 images, as float model input."""
    import tensorflow as tf

    from .augment import augment_batch

    return augment_batch(tf.constant(to_model_input(x)), tf.constant([seed, 11], tf.int64)).numpy()


def training_set(class_x: np.ndarray, class_y: np.ndarray, data: MnistData,
                 settings: FinetuneSettings) -> tuple[np.ndarray, np.ndarray]:
    """One epoch's worth of inputs: the class's drawings (as drawn and warped) and MNIST replay, shuffled."""
    rng = np.random.default_rng(settings.seed)
    repeats = max(1, int(np.ceil(settings.class_per_epoch / max(len(class_x), 1))))
    plain = to_model_input(class_x)
    warped = [_warped(class_x, settings.seed + r) for r in range(repeats - 1)]
    replay = rng.choice(len(data.x_train), size=min(settings.replay_per_epoch, len(data.x_train)), replace=False)
    x = np.concatenate([plain, *warped, to_model_input(data.x_train[replay])])
    y = np.concatenate([np.tile(class_y, repeats), data.y_train[replay]]).astype(np.int64)
    order = rng.permutation(len(x))
    return x[order], y[order]


def finetune(model, preset_name: str, class_x: np.ndarray, class_y: np.ndarray, data: MnistData,
             settings: FinetuneSettings | None = None, listener: TrainingListener | None = None,
             stop: threading.Event | None = None) -> tuple[TrainResult, Scores]:
    """Fine-tune a copy of ``model``; returns the result (as from training.train) and the before/after scores."""
    import keras

    from .presets import get_preset
    from .settings import TrainSettings
    from .training import _Progress, compile_for

    settings = (settings or FinetuneSettings()).check()
    if len(class_x) < MIN_DRAWINGS:
        raise FinetuneError(f"Fine-tuning needs at least {MIN_DRAWINGS} labelled drawings; the class has "
                            f"{len(class_x)}. Draw and label more on the Draw page.")
    train_idx, held_idx = stratified_split(class_y, settings.holdout, settings.seed)
    x_held, y_held = class_x[held_idx], class_y[held_idx]
    keras.utils.set_random_seed(settings.seed)
    tuned = keras.models.clone_model(model)
    tuned.set_weights(model.get_weights())
    preset = get_preset(preset_name)
    x, y = training_set(class_x[train_idx], class_y[train_idx], data, settings)
    labels = keras.utils.to_categorical(y, 10) if preset.loss == "categorical" else y
    steps = int(np.ceil(len(x) / settings.batch_size))
    train_settings = replace(TrainSettings(), epochs=settings.epochs, batch_size=settings.batch_size,
                             learning_rate=settings.learning_rate, optimizer="adam", lr_schedule=True,
                             seed=settings.seed, validation_split=0.0, augment=False)
    compile_for(tuned, preset, train_settings, steps * settings.epochs)
    listener = listener or TrainingListener()
    listener.on_start(settings.epochs, steps)
    started = time.perf_counter()
    history = tuned.fit(x, labels, batch_size=settings.batch_size, epochs=settings.epochs, shuffle=True,
                        callbacks=[_Progress(listener, steps, stop)], verbose=0)
    seconds = time.perf_counter() - started
    hist = {k: [float(v) for v in values] for k, values in history.history.items()}
    stopped = bool(stop is not None and stop.is_set())
    scores = Scores(
        class_before=_accuracy(model, x_held, y_held), class_after=_accuracy(tuned, x_held, y_held),
        mnist_before=_accuracy(model, data.x_test, data.y_test), mnist_after=_accuracy(tuned, data.x_test, data.y_test),
        held_out=len(held_idx), trained_on=len(train_idx),
    )
    result = TrainResult(tuned, preset_name, train_settings, hist, len(hist.get("loss", [])), stopped, seconds)
    return result, scores


def finetune_and_save(registry: Registry, base: str, name: str, data: MnistData,
                      settings: FinetuneSettings | None = None, listener: TrainingListener | None = None,
                      stop: threading.Event | None = None, url: str | None = None,
                      drawing_filter: Filter = Filter(),
                      before_save: Callable[[], bool] | None = None) -> ModelCard | None:
    """Fine-tune ``base`` on the stored drawings and save it as ``name``; None when stopped before an epoch ended.

    ``before_save`` (the worker's hand-over to "saving") may veto the save by returning False, when the run
    was given up meanwhile. A name taken while this trained does not throw the work away: the model is
    saved under a free name, which the returned card carries.
    """
    from .workflow import card_for
    from .evaluation import evaluate
    from .predictor import Predictor

    name = check_name(name)
    if name in registry.names():
        raise FinetuneError(f"A model called {name!r} already exists; choose another name.")
    base_card = registry.card(base)
    model = registry.load(base)
    class_x, class_y, _ = arrays(drawing_filter, url)
    result, scores = finetune(model, base_card.preset, class_x, class_y, data, settings, listener, stop)
    if result.epochs_done == 0:
        return None
    evaluation, saved_arrays = evaluate(Predictor(result.model), data)
    metrics = evaluation.to_dict()
    metrics["finetune"] = {"base": base_card.name, **scores.to_dict()}
    card = card_for(result, metrics, data, name)
    card.settings = {**inherited_settings(base_card), "finetune": (settings or FinetuneSettings()).__dict__}
    card.history = result.history
    if before_save is not None and not before_save():
        raise FinetuneError("This run was given up while it trained (its worker had stopped answering); "
                            "nothing was saved.")
    registry.save(name, result.model, card, saved_arrays, rename_if_taken=True)
    return card


def describe(scores: dict) -> str:
    """'class drawings 71.0% → 96.7%, MNIST test 99.66% → 99.61%' for cards, the CLI and the page."""
    def pct(value, digits=1):
        return "—" if value is None else f"{value:.{digits}%}"

    return (f"held-out class drawings {pct(scores.get('class_before'))} → {pct(scores.get('class_after'))} "
            f"({scores.get('held_out', 0)} drawings), MNIST test {pct(scores.get('mnist_before'), 2)} → "
            f"{pct(scores.get('mnist_after'), 2)}")
