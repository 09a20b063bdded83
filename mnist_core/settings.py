"""Training settings and their bounds.

Settings come from sliders, the command line and JSON cards, so every field
is checked here once, with a message that names the field and its range.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from .errors import SettingsError

OPTIMIZERS = ("adam", "sgd", "rmsprop")
ACTIVATIONS = ("relu", "sigmoid", "tanh", "elu", "gelu")

MAX_LAYERS = 6
MAX_UNITS = 2048
RETIRED = ("extra",)  # written into cards and queued runs by earlier versions, never read


def _bounded(default: float | None, low: float, high: float) -> Any:
    """A number setting and its inclusive range, declared together so a new setting is one line.

    Validation, the command line's flags and the time estimate all read the range from here.
    """
    return field(default=default, metadata={"bounds": (low, high)})


def _one_of(default: str, choices: tuple[str, ...]) -> Any:
    """A setting that takes one of a few names."""
    return field(default=default, metadata={"choices": choices})


@dataclass(frozen=True)
class TrainSettings:
    """Everything a learner can change about one training run.

    A number setting declares its range here with ``_bounded`` and a choice its options with
    ``_one_of``; validation, the command line's flags and the time estimate are derived from these
    fields, so a new setting is one line here plus what it does in training.
    """

    epochs: int = _bounded(10, 1, 100)
    batch_size: int = _bounded(32, 8, 4096)
    learning_rate: float = _bounded(1e-3, 1e-5, 1.0)
    optimizer: str = _one_of("adam", OPTIMIZERS)
    hidden_units: tuple[int, ...] = (128,)
    dropout: float = _bounded(0.0, 0.0, 0.9)
    activation: str = _one_of("relu", ACTIVATIONS)
    validation_split: float = _bounded(0.0, 0.0, 0.5)
    augment: bool = False
    seed: int = _bounded(42, 0, 2**31 - 1)
    # use only the first N training images (quick demos); None is all of them
    train_limit: int | None = _bounded(None, 100, 60_000)
    # The *_fraction settings add images, each as a share of the training set (estimate.py counts them all).
    # extra synthetic pen-style digits
    synthetic_fraction: float = _bounded(0.0, 0.0, 0.5)
    # cosine decay to 5% of the rate over the run
    lr_schedule: bool = False
    # generated writers' digits (canvas and scan)
    pen_fraction: float = _bounded(0.0, 0.0, 1.0)
    # add USPS's training rows (other writers' scans)
    usps_train: bool = False
    # with usps_train: how many times each epoch shows those rows (real scans weigh more)
    usps_copies: int = _bounded(1, 1, 5)
    # copies stretched to fill a square frame (box_scans)
    box_fraction: float = _bounded(0.0, 0.0, 1.0)
    # copies made as coarse as optdigits' 8x8 (optdigits.as_optdigits)
    coarse_fraction: float = _bounded(0.0, 0.0, 1.0)
    # more generated writers' digits recorded as one resampled trajectory (handwriting.tablet_trajectory)
    tablet_fraction: float = _bounded(0.0, 0.0, 1.0)
    # more generated writers' canvas digits drawn fast and joined as the canvas joins them
    joined_fraction: float = _bounded(0.0, 0.0, 1.0)
    # a model name, folder or .keras file whose weights training continues from
    start_from: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["hidden_units"] = list(self.hidden_units)
        return data

    def with_changes(self, **changes: Any) -> "TrainSettings":
        """A validated copy: unknown names and bad values raise SettingsError."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise SettingsError(f"Unknown setting(s): {', '.join(unknown)}. Known: {', '.join(sorted(known))}.")
        clean = {k: v for k, v in changes.items() if v is not None or k in OPTIONAL}
        updated = replace(self, **clean)
        return validate(updated)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainSettings":
        """Settings as a card or a queued run stores them; fields that no longer exist are dropped."""
        return cls().with_changes(**{k: v for k, v in data.items() if k not in RETIRED})


_FIELDS = fields(TrainSettings)
# name: (low, high) inclusive
BOUNDS: dict[str, tuple[float, float]] = {f.name: f.metadata["bounds"] for f in _FIELDS if "bounds" in f.metadata}
WHOLE_NUMBERS = frozenset(f.name for f in _FIELDS if f.name in BOUNDS and str(f.type).startswith("int"))
CHOICES: dict[str, tuple[str, ...]] = {f.name: f.metadata["choices"] for f in _FIELDS if "choices" in f.metadata}
SWITCHES = tuple(f.name for f in _FIELDS if str(f.type) == "bool")  # on/off settings
OPTIONAL = frozenset(f.name for f in _FIELDS if f.default is None)  # None is a value, not "unchanged"
EXTRA_IMAGES = tuple(name for name in BOUNDS if name.endswith("_fraction"))  # each adds a share of the set


def plain(bound: float) -> str:
    """A bound as a person writes it: 2147483647 rather than 2.14748e+09, 0.9 and 1e-05 as they are."""
    return str(int(bound)) if float(bound).is_integer() else f"{bound:g}"


def _number(name: str, value: Any, integer: bool) -> float:
    kind = "a whole number" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SettingsError(f"{name} must be {kind}, got {value!r}.")
    if integer and float(value) != int(value):
        raise SettingsError(f"{name} must be {kind}, got {value!r}.")
    if value != value:  # NaN
        raise SettingsError(f"{name} must be {kind}, got NaN.")
    low, high = BOUNDS[name]
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {plain(low)} and {plain(high)}, got {value!r}.")
    return value


def validate(settings: TrainSettings) -> TrainSettings:
    """Check every field in the order it is declared; return settings with normalised types."""
    clean: dict[str, Any] = {}
    for name in BOUNDS:
        value = getattr(settings, name)
        if value is None and name in OPTIONAL:
            continue
        number = _number(name, value, name in WHOLE_NUMBERS)
        clean[name] = int(number) if name in WHOLE_NUMBERS else float(number)
    if clean["usps_copies"] > 1 and not settings.usps_train:
        raise SettingsError("usps_copies shows USPS's training rows more than once, so it needs usps_train.")
    start_from = settings.start_from
    if start_from is not None and (not isinstance(start_from, str) or not start_from.strip()):
        raise SettingsError(f"start_from must be a model name or path, got {start_from!r}.")
    for name, choices in CHOICES.items():
        if getattr(settings, name) not in choices:
            raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {getattr(settings, name)!r}.")
    clean.update({name: bool(getattr(settings, name)) for name in SWITCHES})
    return replace(settings, **clean, hidden_units=_hidden_units(settings.hidden_units))


def _hidden_units(value: Any) -> tuple[int, ...]:
    if isinstance(value, (int, str)):
        value = [value]
    try:
        units = tuple(int(v) for v in value)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"hidden_units must be a list of whole numbers, got {value!r}.") from exc
    if len(units) > MAX_LAYERS:
        raise SettingsError(f"At most {MAX_LAYERS} hidden layers are allowed, got {len(units)}.")
    for unit in units:
        if not 1 <= unit <= MAX_UNITS:
            raise SettingsError(f"Each hidden layer needs 1 to {MAX_UNITS} units, got {unit}.")
    return units
