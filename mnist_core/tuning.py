"""Hyper-parameter search over a preset's knobs with KerasTuner.

KerasTuner's oracles (random search, Hyperband, Bayesian optimisation) choose
the settings; every trial is an ordinary Digit Lab training run
(:func:`mnist_core.training.train`), so it reports progress through the same
listener, stops on the same event, validates its settings with the same
bounds and writes the same TensorBoard logs. The search is shaped like
``train`` (preset, settings, data, listener, stop), so a job runner can run it
in the training slot. The best trial's model is kept in memory and goes to the
registry with every trial in its card; KerasTuner's scratch files live in a
temporary folder that is removed afterwards.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from .data import MnistData
from .errors import DigitLabError, SettingsError
from .presets import Knob, get_preset
from .settings import TrainSettings
from .training import TrainingListener, TrainingStopped, TrainResult, train

ALGORITHMS = ("random", "hyperband", "bayesian")
OBJECTIVE = "val_accuracy"
SEARCH_VALIDATION = 0.1  # a search needs held-out images to compare trials on


@dataclass(frozen=True)
class SearchRange:
    """Where a search looks for one knob: a numeric range (``log`` for rates) or a list of choices."""

    name: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    integer: bool = False
    choices: tuple = ()

    def describe(self) -> str:
        if self.choices:
            return f"{self.name} in {{{', '.join(map(str, self.choices))}}}"
        return f"{self.name} {self.low:g}..{self.high:g}{' (log)' if self.log else ''}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for a run order that crosses to the worker."""
        return {**asdict(self), "choices": list(self.choices)}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> "SearchRange":
        try:
            return cls(**{**raw, "choices": tuple(raw.get("choices") or ())})
        except TypeError:
            raise SettingsError(f"A search knob cannot be read from {raw!r}.") from None


def searchable(preset_name: str) -> dict[str, Knob]:
    """The preset's knobs a search can vary, by the name the search uses (see ``Knob.search_name``)."""
    return {k.search_name: k for k in get_preset(preset_name).knobs if k.search is not None}


def search_range(knob: Knob, low: Any = None, high: Any = None, choices: tuple | None = None) -> SearchRange:
    """A knob's search range: the given ends or choices, else the range the knob starts a search from."""
    if knob.ranged:
        start_low, start_high = knob.search
        return SearchRange(knob.search_name, start_low if low is None else low, start_high if high is None else high,
                           log=knob.kind == "log", integer=knob.kind == "int")
    return SearchRange(knob.search_name, choices=tuple(knob.search if choices is None else choices))


def widest_range(knob: Knob) -> SearchRange:
    """The most a search may try for a knob: the knob's own bounds, or all its options."""
    if knob.ranged:
        return search_range(knob, *knob.bounds)
    return search_range(knob, choices=knob.options)


def available_knobs(preset_name: str) -> dict[str, SearchRange]:
    """Every knob a preset lets a search vary, with the widest range it may use (the knob's own bounds)."""
    return {name: widest_range(knob) for name, knob in searchable(preset_name).items()}


def default_knobs(preset_name: str) -> dict[str, SearchRange]:
    """What a search tries unless told otherwise: the knobs that matter most, in ranges that train well
    (the knobs' ``search`` ranges in presets.py).

    (Plain SGD at a tiny rate or sigmoid units mostly waste a trial on a 10-minute budget.)
    """
    return {name: search_range(knob) for name, knob in searchable(preset_name).items() if knob.search_first}


def check_range(preset_name: str, wanted: SearchRange) -> SearchRange:
    """A search range must name a knob the preset has and lie inside that knob's bounds: else one sentence."""
    knobs = searchable(preset_name)
    knob = knobs.get(wanted.name)
    if knob is None:
        raise SettingsError(f"{preset_name} has no knob {wanted.name}; it has {', '.join(knobs)}.")
    if knob.ranged:
        low, high = knob.bounds
        if wanted.choices or wanted.low is None or wanted.high is None or not wanted.low < wanted.high:
            raise SettingsError(f"{wanted.name} needs a range with low below high, got {wanted.low}..{wanted.high}.")
        if not low <= wanted.low < wanted.high <= high:
            raise SettingsError(f"{wanted.name} must be searched between {low:g} and {high:g}, "
                                f"got {wanted.low:g}..{wanted.high:g}.")
        return wanted
    bad = []
    for choice in wanted.choices:
        try:
            knob.check(choice if knob.kind != "layers" else (choice,))
        except SettingsError:
            bad.append(choice)
    if bad or not wanted.choices:
        raise SettingsError(f"{wanted.name} cannot take {', '.join(map(str, bad)) or 'no values'}.")
    return wanted


def _declare(hp, knob: SearchRange) -> None:
    """Register a knob with KerasTuner's HyperParameters."""
    if knob.choices:
        hp.Choice(knob.name, list(knob.choices))
    elif knob.integer:
        hp.Int(knob.name, int(knob.low), int(knob.high), sampling="log" if knob.log else "linear")
    else:
        hp.Float(knob.name, float(knob.low), float(knob.high), sampling="log" if knob.log else "linear")


def apply_values(base: TrainSettings, values: dict[str, Any]) -> TrainSettings:
    """Settings for one trial: the knob values over the base settings (validated)."""
    changes = {k: v for k, v in values.items() if not k.startswith("tuner/") and k != "units"}
    if "units" in values and base.hidden_units:
        changes["hidden_units"] = (int(values["units"]), *base.hidden_units[1:])
    if "tuner/epochs" in values:
        changes["epochs"] = int(values["tuner/epochs"])
    return base.with_changes(**changes)


@dataclass
class TrialRecord:
    """One trial as the card and the tables show it."""

    number: int
    values: dict[str, Any]
    val_accuracy: float | None
    seconds: float
    epochs: float  # fractional when the trial was stopped
    status: str  # "done", "stopped" (by Stop or the time budget) or "failed"
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class SearchListener(TrainingListener):
    """A training listener that also hears when each trial starts and ends."""

    def on_trial_start(self, number: int, total: int, values: dict[str, Any]) -> None: ...

    def on_trial_end(self, record: TrialRecord) -> None: ...


@dataclass
class SearchResult:
    best: TrainResult
    trials: list[TrialRecord]
    algorithm: str
    knobs: list[str]
    stopped: bool  # Stop or the time budget ended the search early
    seconds: float
    best_trial: int = 0
    note: str = ""

    def card_summary(self) -> dict[str, Any]:
        """What the model card keeps about the search."""
        return {"algorithm": self.algorithm, "knobs": self.knobs, "best_trial": self.best_trial,
                "stopped": self.stopped, "seconds": round(self.seconds, 1),
                "trials": [t.to_dict() for t in self.trials]}


class _Halt(Exception):
    """Raised between trials when Stop was pressed, the budget is spent or enough trials ran."""


@dataclass
class _Run:
    """Everything a search tracks while KerasTuner drives it."""

    preset: str
    base: TrainSettings
    data: MnistData
    listener: SearchListener
    stop: threading.Event
    trials: int
    deadline: float | None
    records: list[TrialRecord] = field(default_factory=list)
    best: TrainResult | None = None
    best_trial: int = 0
    failure: DigitLabError | None = None

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def over(self) -> bool:
        return self.stop.is_set() or self.out_of_time() or len(self.records) >= self.trials


class _TrialStop:
    """What a trial's training loop polls: the search's Stop, or the time budget running out."""

    def __init__(self, run: _Run) -> None:
        self.run = run

    def is_set(self) -> bool:
        deadline = self.run.deadline
        return self.run.stop.is_set() or (deadline is not None and time.monotonic() >= deadline)


def _finish(run: _Run, record: TrialRecord) -> None:
    run.records.append(record)
    run.listener.on_trial_end(record)


def _run_trial(run: _Run, values: dict[str, Any]) -> float:
    """Train one trial; record it; keep its model if it is the best finished one."""
    number = len(run.records) + 1
    settings = apply_values(run.base, values)
    shown = {k: v for k, v in values.items() if not k.startswith("tuner/")}
    run.listener.on_trial_start(number, run.trials, shown)
    started = time.perf_counter()
    try:
        result = train(run.preset, settings, run.data, listener=run.listener, stop=_TrialStop(run))
    except TrainingStopped:  # by Stop or the budget, before its first batch
        _finish(run, TrialRecord(number, shown, None, time.perf_counter() - started, 0.0, "stopped"))
        return 0.0
    except DigitLabError as exc:
        _finish(run, TrialRecord(number, shown, None, time.perf_counter() - started, 0.0, "failed", str(exc)))
        run.failure = run.failure or exc
        return 0.0
    accuracy = (result.history.get(OBJECTIVE) or [None])[-1]
    status = "stopped" if result.stopped_early else "done"
    _finish(run, TrialRecord(number, shown, accuracy, result.seconds, round(result.epochs_run, 2), status))
    best = run.records[run.best_trial - 1].val_accuracy if run.best_trial else None
    if status == "done" and accuracy is not None and (best is None or accuracy > best):
        run.best, run.best_trial = result, number
    return float(accuracy or 0.0)


def _oracle(algorithm: str, trials: int, epochs: int, seed: int, hp):
    import keras_tuner as kt

    objective = kt.Objective(OBJECTIVE, direction="max")
    common = dict(objective=objective, seed=seed, hyperparameters=hp, max_consecutive_failed_trials=trials + 1)
    if algorithm == "hyperband":
        # as many brackets as it takes to reach the number of trials asked for
        return kt.oracles.HyperbandOracle(max_epochs=max(epochs, 2), factor=3, hyperband_iterations=trials, **common)
    if algorithm == "bayesian":
        # KerasTuner starts with 3 random trials per knob (12 for four): more than a short search has,
        # which would make it a random search. A third of the trials explore; the rest follow the model.
        return kt.oracles.BayesianOptimizationOracle(max_trials=trials, num_initial_points=max(2, trials // 3),
                                                     **common)
    return kt.oracles.RandomSearchOracle(max_trials=trials, **common)


def _tuner(run: _Run, oracle, directory: str):
    import keras_tuner as kt

    class DigitLabTuner(kt.Tuner):
        """Each trial is a Digit Lab training run; models are kept by the search, not on disk."""

        def pre_create_trial(self) -> None:
            if run.over():
                raise _Halt()

        def run_trial(self, trial, *args, **kwargs):
            return {OBJECTIVE: _run_trial(run, dict(trial.hyperparameters.values))}

        def save_model(self, trial_id, model, step=0) -> None:
            pass

        def load_model(self, trial):
            return None

    return DigitLabTuner(oracle, directory=directory, project_name="search", overwrite=True)


def search(preset_name: str, settings: TrainSettings | None, data: MnistData,
           listener: SearchListener | None = None, stop: threading.Event | None = None, *,
           trials: int = 10, max_minutes: float | None = None, algorithm: str = "random",
           knobs: dict[str, SearchRange] | None = None) -> SearchResult:
    """Search the preset's knobs; Stop or the time budget keeps the best trial finished so far."""
    import keras_tuner as kt

    if algorithm not in ALGORITHMS:
        raise SettingsError(f"algorithm must be one of {', '.join(ALGORITHMS)}, got {algorithm!r}.")
    if not isinstance(trials, int) or isinstance(trials, bool) or not 1 <= trials <= 100:
        raise SettingsError(f"trials must be a whole number between 1 and 100, got {trials!r}.")
    if max_minutes is not None and not (isinstance(max_minutes, (int, float)) and 0 < max_minutes <= 24 * 60):
        raise SettingsError(f"max_minutes must be between 0 and 1440, got {max_minutes!r}.")
    base = settings or get_preset(preset_name).defaults
    if base.validation_split == 0:
        base = base.with_changes(validation_split=SEARCH_VALIDATION)
    base = base.with_changes()  # validated
    chosen = {name: check_range(preset_name, knob) for name, knob in (knobs or default_knobs(preset_name)).items()}
    hp = kt.HyperParameters()
    for knob in chosen.values():
        _declare(hp, knob)
    deadline = None if max_minutes is None else time.monotonic() + 60 * max_minutes
    run = _Run(preset_name, base, data, listener or SearchListener(), stop or threading.Event(), trials, deadline)
    scratch = tempfile.mkdtemp(prefix="digitlab-search-")
    started = time.perf_counter()
    try:
        tuner = _tuner(run, _oracle(algorithm, trials, base.epochs, base.seed, hp), scratch)
        try:
            tuner.search(verbose=0)
        except _Halt:
            pass
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return _result(run, algorithm, list(chosen), time.perf_counter() - started)


def _result(run: _Run, algorithm: str, knobs: list[str], seconds: float) -> SearchResult:
    if run.best is None:
        if run.failure is not None:
            raise run.failure
        raise SearchStopped("The search was stopped before any trial finished; nothing was saved.")
    stopped = run.stop.is_set() or run.out_of_time() or any(r.status == "stopped" for r in run.records)
    return SearchResult(run.best, run.records, algorithm, knobs, stopped, seconds, run.best_trial)


class SearchStopped(DigitLabError):
    """Stop (or the time budget) came before any trial finished, so there is no model to keep."""


def format_trials(result: SearchResult) -> str:
    """The trials as a terminal table, the best marked."""
    names = sorted({k for r in result.trials for k in r.values})
    header = f"{'#':>3}  " + "  ".join(f"{n:>13}" for n in names) + f"  {'val acc':>8} {'epochs':>6} {'time':>7}  status"
    lines = [header]
    for r in result.trials:
        cells = "  ".join(f"{_cell(r.values.get(n)):>13}" for n in names)
        acc = "" if r.val_accuracy is None else f"{r.val_accuracy:.2%}"
        mark = "  <- best" if r.number == result.best_trial else ""
        lines.append(f"{r.number:>3}  {cells}  {acc:>8} {r.epochs:>6g} {r.seconds:>6.0f}s  {r.status}{mark}")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if value >= 1e-2 or value == 0 else f"{value:.2e}"
    return "" if value is None else str(value)
