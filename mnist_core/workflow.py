"""Train -> evaluate -> save: the one path the CLI and the app both take."""

from __future__ import annotations

import threading
from typing import Callable

import numpy as np

from .data import MnistData
from .errors import DigitLabError
from .evaluation import Evaluation, evaluate
from .predictor import Predictor
from .registry import ModelCard, Registry, now_iso
from .settings import TrainSettings
from .training import TrainingListener, TrainResult, train
from .tuning import SearchListener, SearchResult, search


def card_for(result: TrainResult, metrics: dict, data: MnistData, name: str) -> ModelCard:
    return ModelCard(
        name=name, preset=result.preset, settings=result.settings.to_dict(), history=result.history,
        metrics=metrics, dataset=data.fingerprint, created=now_iso(), train_seconds=round(result.seconds, 2),
        epochs_done=result.epochs_done, stopped_early=result.stopped_early, search=result.search,
        epochs_run=round(result.epochs_run, 2),
    )


def calibrate_and_score(model, data: MnistData) -> tuple[dict, Evaluation, dict[str, np.ndarray]]:
    """Fit the model's temperature, then score it with it: what every new model's card and arrays hold."""
    from .calibration import calibrate

    predictor = Predictor(model)
    calibration = calibrate(predictor)
    predictor.temperature = calibration["temperature"]
    evaluation, arrays = evaluate(predictor, data)
    return calibration, evaluation, arrays


def evaluate_and_save(result: TrainResult, data: MnistData, registry: Registry, name: str,
                      overwrite: bool = False, rename_if_taken: bool = False) -> ModelCard:
    """Calibrate and score the trained model once, and store it with its card, atomically.

    With ``rename_if_taken`` a name taken while the model trained does not throw
    the run away: the card comes back with the free name it was saved under.
    """
    calibration, evaluation, arrays = calibrate_and_score(result.model, data)
    card = card_for(result, evaluation.to_dict(), data, name)
    card.calibration = calibration
    registry.save(name, result.model, card, arrays, overwrite=overwrite, rename_if_taken=rename_if_taken,
                  logs=result.tensorboard_dir)
    return card


def train_and_save(preset: str, settings: TrainSettings | None, data: MnistData, registry: Registry, name: str,
                   listener: TrainingListener | None = None, stop: threading.Event | None = None,
                   overwrite: bool = False, rename_if_taken: bool = False) -> ModelCard:
    result = train(preset, settings, data, listener=listener, stop=stop)
    return evaluate_and_save(result, data, registry, name, overwrite=overwrite, rename_if_taken=rename_if_taken)


def search_and_save(preset: str, settings: TrainSettings | None, data: MnistData, registry: Registry, name: str,
                    listener: SearchListener | None = None, stop: threading.Event | None = None,
                    overwrite: bool = False, rename_if_taken: bool = False,
                    before_save: Callable[[], bool] | None = None,
                    **search_options) -> tuple[ModelCard, SearchResult]:
    """Search, then score and store the best trial's model with every trial in its card.

    ``before_save`` (the worker's hand-over to "saving") may veto the save by
    returning False, when the run was given up while it searched.
    """
    found = search(preset, settings, data, listener=listener, stop=stop, **search_options)
    found.best.search = found.card_summary()
    if before_save is not None and not before_save():
        raise DigitLabError("This search was given up while it ran (its worker had stopped answering); "
                            "nothing was saved.")
    card = evaluate_and_save(found.best, data, registry, name, overwrite=overwrite, rename_if_taken=rename_if_taken)
    return card, found
