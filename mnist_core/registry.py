"""Saved models: one folder each, written atomically, loaded safely.

A model folder holds ``model.keras`` (weights and architecture, no optimizer
state), ``card.json`` (what it is and how it did) and ``evaluation.npz``
(per-image test probabilities for the pages). Folders are assembled under a
hidden temporary name and renamed into place in one step, so a crash or a
killed server never leaves a half-written model that the list would show.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ModelError
from .tensorboard_logs import LOGS_FOLDER

MODEL_FILE = "model.keras"
CARD_FILE = "card.json"
ARRAYS_FILE = "evaluation.npz"
CARD_FORMAT = 1
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.\-]{0,63}$")
PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_DIR = PROJECT_ROOT / "shipped_models"
DEFAULT_MODEL = "digitlab-default"
USER_DIR_ENV = "DIGITLAB_MODELS"
STALE_TEMP_SECONDS = 3600


@dataclass
class ModelCard:
    """Everything known about a model, stored as JSON beside it."""

    name: str
    preset: str
    settings: dict[str, Any]
    history: dict[str, list[float]]
    metrics: dict[str, Any]
    dataset: str
    created: str
    train_seconds: float
    epochs_done: int
    stopped_early: bool = False
    parameters: int = 0
    search: dict[str, Any] = field(default_factory=dict)  # a hyper-parameter search's trials, if one made it
    epochs_run: float = 0.0  # fractional epochs really trained (0 on cards older than this field)
    format: int = CARD_FORMAT
    shipped: bool = field(default=False, compare=False)

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("shipped")
        return json.dumps(data, indent=1)

    @classmethod
    def from_json(cls, text: str, shipped: bool = False) -> "ModelCard":
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != CARD_FORMAT:
            raise ValueError("not a Digit Lab model card")
        fields = {k: data[k] for k in cls.__dataclass_fields__ if k in data and k != "shipped"}
        return cls(**fields, shipped=shipped)

    @property
    def test_accuracy(self) -> float | None:
        return self.metrics.get("test_accuracy")


def user_models_dir() -> Path:
    return Path(os.environ.get(USER_DIR_ENV) or Path.home() / ".digitlab" / "models").expanduser()


def check_name(name: str) -> str:
    """Refuse names that could escape the registry folder or confuse a file system."""
    if not isinstance(name, str):
        raise ModelError("A model name must be text.")
    clean = name.strip()
    if not NAME_PATTERN.match(clean) or ".." in clean:
        raise ModelError(
            f"{name!r} is not a valid model name: use 1-64 letters, digits, spaces, '-', '_' or '.', "
            "starting with a letter or digit."
        )
    return clean


def suggest_name(preset: str, epochs: int) -> str:
    """A readable unique default such as 'cnn-quick 3ep 2026-11-21 1930'."""
    return f"{preset} {epochs}ep {datetime.now().strftime('%Y-%m-%d %H%M%S')}"


@dataclass(frozen=True)
class Problem:
    """A folder in the registry that could not be read, reported instead of crashing."""

    folder: str
    reason: str


class Registry:
    """Shipped (read-only) models plus the user's own folder of trained models."""

    def __init__(self, root: str | os.PathLike | None = None, shipped: str | os.PathLike | None = SHIPPED_DIR):
        self.root = Path(root) if root is not None else user_models_dir()
        self.shipped = Path(shipped) if shipped is not None else None

    # ---- reading -------------------------------------------------------
    def _folders(self) -> list[tuple[Path, bool]]:
        found = []
        for base, shipped in ((self.shipped, True), (self.root, False)):
            if base is not None and base.is_dir():
                found += [(p, shipped) for p in sorted(base.iterdir()) if p.is_dir() and not p.name.startswith(".")]
        return found

    def scan(self) -> tuple[list[ModelCard], list[Problem]]:
        """All readable cards (shipped first, then newest first) and the folders that failed."""
        cards: dict[str, ModelCard] = {}
        problems = []
        for folder, shipped in self._folders():
            try:
                card = self._read_card(folder, shipped)
            except ModelError as exc:
                problems.append(Problem(str(folder), str(exc)))
                continue
            cards.setdefault(card.name, card)
        ordered = sorted(cards.values(), key=lambda c: (not c.shipped, _neg_time(c.created)))
        return ordered, problems

    def list(self) -> list[ModelCard]:
        return self.scan()[0]

    def names(self) -> list[str]:
        return [c.name for c in self.list()]

    def folder(self, name: str) -> Path:
        name = check_name(name)
        for base in (self.shipped, self.root):
            if base is not None and (base / name).is_dir():
                return base / name
        raise ModelError(f"There is no model called {name!r}.")

    def card(self, name: str) -> ModelCard:
        folder = self.folder(name)
        return self._read_card(folder, self._is_shipped(folder))

    def _is_shipped(self, folder: Path) -> bool:
        return self.shipped is not None and folder.parent == self.shipped

    def _read_card(self, folder: Path, shipped: bool) -> ModelCard:
        card_path, model_path = folder / CARD_FILE, folder / MODEL_FILE
        if not card_path.is_file() or not model_path.is_file():
            raise ModelError(f"{folder.name}: not a Digit Lab model (missing {CARD_FILE} or {MODEL_FILE}).")
        try:
            card = ModelCard.from_json(card_path.read_text(encoding="utf-8"), shipped)
        except (ValueError, TypeError, KeyError, UnicodeDecodeError, OSError) as exc:
            raise ModelError(f"{folder.name}: its {CARD_FILE} is corrupt or foreign ({exc}).") from exc
        if card.name != folder.name:
            card.name = folder.name  # the folder is the truth (renamed by hand, say)
        return card

    def load(self, name: str):
        """The Keras model, loaded in safe mode (no arbitrary code from the file)."""
        folder = self.folder(name)
        return load_model_file(folder / MODEL_FILE)

    def arrays(self, name: str) -> dict[str, np.ndarray]:
        """Per-image evaluation arrays; empty if the file is missing or unreadable."""
        path = self.folder(name) / ARRAYS_FILE
        try:
            with np.load(path, allow_pickle=False) as archive:
                return {k: archive[k] for k in archive.files}
        except (OSError, ValueError, EOFError):
            return {}

    # ---- writing -------------------------------------------------------
    def save(self, name: str, model, card: ModelCard, arrays: dict[str, np.ndarray] | None = None,
             overwrite: bool = False, logs: Path | None = None) -> Path:
        """Write a model atomically: all files under a temporary name, then one rename.

        ``logs`` (a run's TensorBoard folder) is moved in as ``tensorboard/``, inside the same rename.
        """
        name = check_name(name)
        if self.shipped is not None and (self.shipped / name).exists():
            raise ModelError(f"{name!r} is the name of a shipped model; choose another name.")
        target = self.root / name
        if target.exists() and not overwrite:
            raise ModelError(f"A model called {name!r} already exists; choose another name.")
        self.root.mkdir(parents=True, exist_ok=True)
        temp = self.root / f".tmp-{uuid.uuid4().hex}"
        temp.mkdir()
        try:
            card.name = name
            card.parameters = int(model.count_params())
            _save_inference_model(model, temp / MODEL_FILE)
            if arrays:
                np.savez_compressed(temp / ARRAYS_FILE, **arrays)
            if logs is not None and Path(logs).is_dir():
                shutil.move(str(logs), temp / LOGS_FOLDER)
            _write_text(temp / CARD_FILE, card.to_json())  # last: its presence marks a complete model
            _fsync_dir(temp)
            if target.exists():
                trash = self.root / f".trash-{uuid.uuid4().hex}"
                os.rename(target, trash)
                os.rename(temp, target)
                shutil.rmtree(trash, ignore_errors=True)
            else:
                os.rename(temp, target)
            _fsync_dir(self.root)
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
        return target

    def rename(self, old: str, new: str) -> None:
        old_folder = self.folder(old)
        if self._is_shipped(old_folder):
            raise ModelError(f"{old!r} ships with Digit Lab and cannot be renamed.")
        new = check_name(new)
        if new in self.names() or (self.root / new).exists():
            raise ModelError(f"A model called {new!r} already exists; choose another name.")
        card = self._read_card(old_folder, False)
        card.name = new
        _write_text(old_folder / CARD_FILE, card.to_json())
        os.rename(old_folder, self.root / new)

    def delete(self, name: str) -> None:
        folder = self.folder(name)
        if self._is_shipped(folder):
            raise ModelError(f"{name!r} ships with Digit Lab and cannot be deleted.")
        trash = self.root / f".trash-{uuid.uuid4().hex}"
        os.rename(folder, trash)  # atomic disappearance; the rest is cleanup
        shutil.rmtree(trash, ignore_errors=True)

    def clean_stale(self, older_than: float = STALE_TEMP_SECONDS) -> int:
        """Remove leftovers of crashed saves (hidden temp folders older than an hour)."""
        removed = 0
        if not self.root.is_dir():
            return 0
        for path in self.root.iterdir():
            if path.name.startswith((".tmp-", ".trash-")) and time.time() - path.stat().st_mtime > older_than:
                shutil.rmtree(path, ignore_errors=True)
                removed += 1
        return removed


def _neg_time(created: str) -> float:
    try:
        return -datetime.fromisoformat(created).timestamp()
    except (TypeError, ValueError):
        return 0.0


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _write_text(path: Path, text: str) -> None:
    """Atomic file write: temp file in the same folder, fsync, rename over."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _save_inference_model(model, path: Path) -> None:
    """Save without optimizer state: a third of the size, and nothing the pages need."""
    clone = model.__class__.from_config(model.get_config())  # get_config leaves the compile state out
    clone.set_weights(model.get_weights())
    clone.save(path)
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def load_model_file(path: Path):
    """Load a .keras file in safe mode; any failure becomes one ModelError sentence."""
    import keras

    try:
        return keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises many types for corrupt or foreign files
        raise ModelError(f"The model file {path.parent.name}/{path.name} could not be loaded ({type(exc).__name__}).") from exc
