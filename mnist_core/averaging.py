"""Average trained networks weight by weight: one network that reads like the runs it came from, together.

Runs continued from the same weights with the same recipe and different seeds end
close to one another, so the mean of their weights is itself a good network (a
"model soup", Wortsman et al. 2022), and it often makes fewer errors than any of
them, as averaging their answers would, but at no cost at run time: it is one
network of the same size and speed, so the zoomed reading, Look inside, the TFLite
export and fine-tuning all work on it unchanged. Networks of different shapes, or
trained from different starts, cannot be averaged meaningfully; shapes are checked,
the common start is the caller's responsibility (the card records the sources).
The average is calibrated and scored like any trained model before it is saved.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .data import MnistData
from .errors import ModelError
from .registry import CARD_FILE, ModelCard, Registry, check_name, now_iso

MIN_SOURCES = 2
SOURCES_KEY, SEEDS_KEY = "averaged_from", "averaged_seeds"  # what an average's card adds to its settings


def averaged_runs(card: ModelCard) -> int:
    """How many runs' weights this model is the mean of; 0 for a model trained or fine-tuned as one."""
    runs = card.settings.get(SOURCES_KEY)
    return len(runs) if isinstance(runs, list) else 0


def inherited_settings(card: ModelCard) -> dict:
    """The settings a model made from this one (fine-tuned, say) carries on: not that this one was an average."""
    return {k: v for k, v in card.settings.items() if k not in (SOURCES_KEY, SEEDS_KEY)}


def check_count(count: int) -> None:
    if count < MIN_SOURCES:
        raise ModelError(f"Averaging needs at least {MIN_SOURCES} models; {count} given.")


def average_weights(models: list) -> "keras.Model":  # noqa: F821 (keras is imported lazily)
    """A new network whose every weight (batch-norm statistics included) is the mean of the models'."""
    import keras

    check_count(len(models))
    shapes = [[w.shape for w in model.get_weights()] for model in models]
    for number, model_shapes in enumerate(shapes[1:], start=2):
        if model_shapes != shapes[0]:
            raise ModelError(f"Model {number} is not the same network as model 1 (its layers or sizes differ), "
                             "so their weights cannot be averaged.")
    averaged = keras.models.clone_model(models[0])
    weights = [model.get_weights() for model in models]
    averaged.set_weights([np.mean(np.stack(group), axis=0).astype(group[0].dtype) for group in zip(*weights)])
    return averaged


def averaged_card(cards: list[ModelCard], sources: list[str], metrics: dict, data: MnistData,
                  name: str) -> ModelCard:
    """The first source's settings, plus where the weights came from; training time is the runs' total.

    A run listed more than once (to weigh it more, by name or by folder) was trained once, so its time counts once.
    """
    settings = {**inherited_settings(cards[0]), SOURCES_KEY: list(sources),
                SEEDS_KEY: [card.settings.get("seed") for card in cards]}
    runs = [card for number, card in enumerate(cards) if card not in cards[:number]]
    return ModelCard(
        name=name, preset=cards[0].preset, settings=settings, history={}, metrics=metrics,
        dataset=data.fingerprint, created=now_iso(), train_seconds=round(sum(c.train_seconds for c in runs), 2),
        epochs_done=max(card.epochs_done for card in cards), epochs_run=max(card.epochs_run for card in cards),
    )


def open_source(source: str, registry: Registry) -> tuple[ModelCard, "keras.Model"]:  # noqa: F821
    """A model's card and network, by its folder (one holding a card) or its name in ``registry``."""
    folder = Path(source).expanduser()
    if (folder / CARD_FILE).is_file():
        registry = Registry(folder.parent, shipped=None)
        source = folder.name
    return registry.card(source), registry.load(source)


def average_and_save(sources: list[str], registry: Registry, name: str, data: MnistData,
                     overwrite: bool = False, target: Registry | None = None) -> ModelCard:
    """Average ``sources`` (names in ``registry``, or folders), calibrate and score it, save it as ``name``.

    ``target`` is where it is saved (default: ``registry``); the shipped model is made into a bare folder.
    """
    from .workflow import calibrate_and_score

    target = target or registry
    check_count(len(sources))
    name = check_name(name)
    if not overwrite:
        target.check_free(name)  # before the slow part: a taken name should not cost the scoring
    cards, models = zip(*(open_source(source, registry) for source in sources))
    presets = {card.preset for card in cards}
    if len(presets) > 1:
        raise ModelError(f"Only networks of one preset can be averaged; these are {', '.join(sorted(presets))}.")
    model = average_weights(list(models))
    calibration, evaluation, arrays = calibrate_and_score(model, data)
    card = averaged_card(list(cards), sources, evaluation.to_dict(), data, name)
    card.calibration = calibration
    target.save(name, model, card, arrays, overwrite=overwrite)
    return card
