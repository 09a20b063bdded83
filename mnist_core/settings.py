"""Training settings and their bounds.

Settings come from sliders, the command line and JSON cards, so every field
is checked here once, with a message that names the field and its range.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from .errors import SettingsError

OPTIMIZERS = ("adam", "sgd", "rmsprop")
ACTIVATIONS = ("relu", "sigmoid", "tanh", "elu", "gelu")

# name: (low, high) inclusive
BOUNDS: dict[str, tuple[float, float]] = {
    "epochs": (1, 100),
    "batch_size": (8, 4096),
    "learning_rate": (1e-5, 1.0),
    "dropout": (0.0, 0.9),
    "validation_split": (0.0, 0.5),
    "seed": (0, 2**31 - 1),
    "train_limit": (100, 60_000),
    "synthetic_fraction": (0.0, 0.5),
    "pen_fraction": (0.0, 1.0),
    "box_fraction": (0.0, 1.0),
    "coarse_fraction": (0.0, 1.0),
    "tablet_fraction": (0.0, 1.0),
    "joined_fraction": (0.0, 1.0),
    "usps_copies": (1, 5),
}
MAX_LAYERS = 6
MAX_UNITS = 2048
RETIRED = ("extra",)  # written into cards and queued runs by earlier versions, never read


@dataclass(frozen=True)
class TrainSettings:
    """Everything a learner can change about one training run."""

    epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 1e-3
    optimizer: str = "adam"
    hidden_units: tuple[int, ...] = (128,)
    dropout: float = 0.0
    activation: str = "relu"
    validation_split: float = 0.0
    augment: bool = False
    seed: int = 42
    train_limit: int | None = None  # use only the first N training images (quick demos)
    synthetic_fraction: float = 0.0  # extra synthetic pen-style digits, as a share of the training set
    lr_schedule: bool = False  # cosine decay to 5% of the rate over the run
    pen_fraction: float = 0.0  # generated writers' digits (canvas and scan), as a share of the training set
    usps_train: bool = False  # add USPS's training rows (other writers' scans)
    usps_copies: int = 1  # with usps_train: how many times each epoch shows those rows (real scans weigh more)
    box_fraction: float = 0.0  # copies stretched to fill a square frame (box_scans), as a share of the training set
    coarse_fraction: float = 0.0  # copies made as coarse as optdigits' 8x8 (optdigits.as_optdigits), as box_fraction
    tablet_fraction: float = 0.0  # more generated writers' digits recorded as one resampled trajectory, as box_fraction
    joined_fraction: float = 0.0  # more generated writers' canvas digits drawn fast and joined as the canvas joins them
    start_from: str | None = None  # a model name, folder or .keras file whose weights training continues from

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
        clean = {k: v for k, v in changes.items() if v is not None or k in ("train_limit", "start_from")}
        updated = replace(self, **clean)
        return validate(updated)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainSettings":
        """Settings as a card or a queued run stores them; fields that no longer exist are dropped."""
        return cls().with_changes(**{k: v for k, v in data.items() if k not in RETIRED})


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
        raise SettingsError(f"{name} must be between {low:g} and {high:g}, got {value!r}.")
    return value


def validate(settings: TrainSettings) -> TrainSettings:
    """Check every field; return settings with normalised types."""
    epochs = int(_number("epochs", settings.epochs, True))
    batch_size = int(_number("batch_size", settings.batch_size, True))
    learning_rate = float(_number("learning_rate", settings.learning_rate, False))
    dropout = float(_number("dropout", settings.dropout, False))
    validation_split = float(_number("validation_split", settings.validation_split, False))
    seed = int(_number("seed", settings.seed, True))
    synthetic = float(_number("synthetic_fraction", settings.synthetic_fraction, False))
    pen = float(_number("pen_fraction", settings.pen_fraction, False))
    box = float(_number("box_fraction", settings.box_fraction, False))
    coarse = float(_number("coarse_fraction", settings.coarse_fraction, False))
    tablet = float(_number("tablet_fraction", settings.tablet_fraction, False))
    joined = float(_number("joined_fraction", settings.joined_fraction, False))
    usps_copies = int(_number("usps_copies", settings.usps_copies, True))
    if usps_copies > 1 and not settings.usps_train:
        raise SettingsError("usps_copies shows USPS's training rows more than once, so it needs usps_train.")
    start_from = settings.start_from
    if start_from is not None and (not isinstance(start_from, str) or not start_from.strip()):
        raise SettingsError(f"start_from must be a model name or path, got {start_from!r}.")
    limit = settings.train_limit
    if limit is not None:
        limit = int(_number("train_limit", limit, True))
    if settings.optimizer not in OPTIMIZERS:
        raise SettingsError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {settings.optimizer!r}.")
    if settings.activation not in ACTIVATIONS:
        raise SettingsError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {settings.activation!r}.")
    units = _hidden_units(settings.hidden_units)
    return replace(
        settings, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, dropout=dropout,
        validation_split=validation_split, seed=seed, train_limit=limit, hidden_units=units,
        synthetic_fraction=synthetic, augment=bool(settings.augment), lr_schedule=bool(settings.lr_schedule),
        pen_fraction=pen, usps_train=bool(settings.usps_train), usps_copies=usps_copies,
        box_fraction=box, coarse_fraction=coarse, tablet_fraction=tablet, joined_fraction=joined,
        start_from=start_from,
    )


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
