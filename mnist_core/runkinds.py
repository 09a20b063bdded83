"""What the worker can run: one function per kind of run, registered in ``KINDS``.

A kind receives a :class:`RunContext` (the order from the database, a
progress listener, the stop event, and the registry) and returns a
:class:`RunOutcome`. Adding a kind (fine-tuning, hyper-parameter search) means
writing such a function and adding one line to ``KINDS``; the queue, the run
store, the heartbeat and the pages stay as they are. Heavy imports (Keras)
happen inside the functions, so a web server can import this module to check
a kind's name without loading TensorFlow.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .registry import ModelCard, Registry, configured_registry, taken_note
from .runs import RunOrder

if TYPE_CHECKING:
    from .training import TrainingListener


@dataclass(frozen=True)
class RunOutcome:
    status: str  # done, stopped, failed
    message: str
    card: ModelCard | None = None


@dataclass
class RunContext:
    """Everything a kind needs; ``begin_saving`` returns False if the run is no longer this worker's."""

    order: RunOrder
    listener: TrainingListener
    stop: threading.Event
    begin_saving: Callable[[], bool]
    registry: Callable[[], Registry] = configured_registry


LOST = "This run was given up while it trained (its worker had stopped answering); nothing was saved."


def load_run_data(options: dict):
    """The dataset the page used, if this machine has that file; otherwise this worker's own MNIST."""
    from .data import load_mnist

    path = options.get("data")
    return load_mnist(path) if path and Path(path).is_file() else load_mnist()


def _saved_as(order: RunOrder, card: ModelCard, message: str) -> str:
    """The outcome's sentence, led by why the name changed when another save took it meanwhile."""
    if card.name == order.name:
        return message
    return f"{taken_note(order.name, card.name)} {message}"


def run_training(ctx: RunContext) -> RunOutcome:
    """A preset trained from scratch, scored and saved (a stopped run keeps what it learned if asked)."""
    from .settings import TrainSettings
    from .training import TrainingStopped, train
    from .workflow import evaluate_and_save

    order = ctx.order
    settings = TrainSettings.from_dict(order.settings)
    data = load_run_data(order.options)
    try:
        result = train(order.preset, settings, data, listener=ctx.listener, stop=ctx.stop)
    except TrainingStopped as exc:  # stopped before the first batch: nothing to keep
        return RunOutcome("stopped", str(exc))
    if result.stopped_early and not order.options.get("keep_partial", True):
        return RunOutcome("stopped", f"Stopped ({result.stop_note}); nothing was saved, as chosen at Start.")
    if not ctx.begin_saving():
        return RunOutcome("failed", LOST)
    # a name taken while this trained (another server, the CLI) must not throw the run away
    card = evaluate_and_save(result, data, ctx.registry(), order.name, rename_if_taken=True)
    status = "stopped" if result.stopped_early else "done"
    note = f" ({result.stop_note})" if result.stopped_early else ""
    return RunOutcome(status, _saved_as(order, card, f"Saved {card.name!r}{note}: test accuracy "
                                                     f"{card.test_accuracy:.2%}."), card)


def run_finetune(ctx: RunContext) -> RunOutcome:
    """A model taught the class's drawings (mnist_core.finetune), with before/after on its card."""
    from .finetune import FinetuneSettings, describe, finetune_and_save

    order = ctx.order
    settings = FinetuneSettings(**order.settings).check()
    data = load_run_data(order.options)
    card = finetune_and_save(ctx.registry(), order.options["base"], order.name, data, settings, ctx.listener,
                             ctx.stop, url=order.options.get("db"), before_save=ctx.begin_saving)
    if card is None:
        return RunOutcome("stopped", "Stopped before the first epoch finished; nothing was saved.")
    message = _saved_as(order, card, f"Saved {card.name!r}: {describe(card.metrics['finetune'])}.")
    return RunOutcome("stopped" if card.stopped_early else "done", message, card)


def run_search(ctx: RunContext) -> RunOutcome:
    """A KerasTuner search over the preset's knobs; the best trial is saved with every trial in its card.

    The order's options carry trials, max_minutes, algorithm and knobs (name -> SearchRange.to_dict()).
    Stop (or the time budget) keeps the best trial finished so far.
    """
    from .settings import TrainSettings
    from .tuning import SearchRange, SearchStopped
    from .workflow import search_and_save

    order = ctx.order
    options = order.options
    settings = TrainSettings.from_dict(order.settings) if order.settings else None
    knobs = {name: SearchRange.from_dict(raw) for name, raw in (options.get("knobs") or {}).items()} or None
    data = load_run_data(options)
    try:
        card, found = search_and_save(
            order.preset, settings, data, ctx.registry(), order.name, ctx.listener, ctx.stop,
            rename_if_taken=True, before_save=ctx.begin_saving, trials=int(options.get("trials", 10)),
            max_minutes=options.get("max_minutes"), algorithm=options.get("algorithm", "random"), knobs=knobs)
    except SearchStopped as exc:
        return RunOutcome("stopped", str(exc))
    best = found.trials[found.best_trial - 1]
    stopped = ctx.stop.is_set()
    ended = "stopped, " if stopped else "time budget reached, " if found.stopped else ""
    message = (f"{len(found.trials)} trials ({ended}{found.seconds:.0f} s); best: trial {best.number} with "
               f"validation accuracy {best.val_accuracy:.2%}. Saved {card.name!r}: "
               f"test accuracy {card.test_accuracy:.2%}.")
    return RunOutcome("stopped" if stopped else "done", _saved_as(order, card, message), card)


# kind -> function.
KINDS: dict[str, Callable[[RunContext], RunOutcome]] = {
    "train": run_training,
    "finetune": run_finetune,
    "tune": run_search,
}
