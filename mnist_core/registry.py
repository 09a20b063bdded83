"""Saved models: one folder each, written atomically, loaded safely.

A model folder holds ``model.keras`` (weights and architecture, no optimizer
state), ``card.json`` (what it is and how it did) and ``evaluation.npz``
(per-image test probabilities for the pages). Folders are assembled under a
hidden temporary name and renamed into place in one step, so a crash or a
killed server never leaves a half-written model that the list would show.

Saves are exclusive across threads, processes and servers sharing the folder:
the final step (is the name free? rename into place) runs under an exclusive
``flock`` on ``.registry.lock`` in the folder, and the rename itself refuses to
replace anything (``renameat2(RENAME_NOREPLACE)``), so a name that appeared
meanwhile, even from a writer that skips the lock, is never overwritten. The
slow part (writing the model) runs outside the lock, so saves do not queue.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
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
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np

from .card_check import check_card_fields
from .errors import ModelError
from .model_check import model_file_problem
from .tensorboard_logs import LOGS_FOLDER

MODEL_FILE = "model.keras"
CARD_FILE = "card.json"
ARRAYS_FILE = "evaluation.npz"
LOAD_FAILED_FILE = ".load-failed.json"  # written when a model that looked sound failed to load
LOCK_FILE = ".registry.lock"
CARD_FORMAT = 1
MAX_CARD_BYTES = 2_000_000  # a real card is about 10 kB
MAX_NAME = 64
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.()\-]{0,63}$")
PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_DIR = PROJECT_ROOT / "shipped_models"
DEFAULT_MODEL = "digitlab-default"
USER_DIR_ENV = "DIGITLAB_MODELS"
SHIPPED_ENV = "DIGITLAB_SHIPPED"
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
    calibration: dict[str, Any] = field(default_factory=dict)  # {"temperature": T, ...}; empty: uncalibrated
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
        check_card_fields(data)
        fields = {k: data[k] for k in cls.__dataclass_fields__ if k in data and k != "shipped"}
        return cls(**fields, shipped=shipped)

    @property
    def test_accuracy(self) -> float | None:
        return self.metrics.get("test_accuracy")

    @property
    def temperature(self) -> float:
        """The softmax temperature fitted after training (1.0: none)."""
        value = self.calibration.get("temperature", 1.0) if isinstance(self.calibration, dict) else 1.0
        return float(value) if isinstance(value, (int, float)) and 0.05 <= value <= 20 else 1.0


def user_models_dir() -> Path:
    return Path(os.environ.get(USER_DIR_ENV) or Path.home() / ".digitlab" / "models").expanduser()


def shipped_models_dir() -> Path | None:
    """The read-only shipped models; ``DIGITLAB_SHIPPED`` overrides it ("" means none)."""
    value = os.environ.get(SHIPPED_ENV)
    if value is None:
        return SHIPPED_DIR
    return Path(value) if value else None


def configured_registry() -> "Registry":
    """The registry this process is configured for (``DIGITLAB_MODELS``, ``DIGITLAB_SHIPPED``)."""
    return Registry(user_models_dir(), shipped=shipped_models_dir())


def check_folder_writable(folder: Path, doing: str) -> None:
    """ModelError ("<doing> <folder>: ... is not a writable folder") unless the folder, or the nearest part of its
    path that exists, is a folder this process may write in; nothing is made, so a refusal leaves no trace."""
    existing = folder.expanduser()
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK):
        raise ModelError(f"{doing} {folder}: {existing} is not a writable folder.")


def check_name(name: str) -> str:
    """Refuse names that could escape the registry folder or confuse a file system."""
    if not isinstance(name, str):
        raise ModelError("A model name must be text.")
    clean = name.strip()
    if not NAME_PATTERN.match(clean) or ".." in clean:
        raise ModelError(
            f"{name!r} is not a valid model name: use 1-64 letters, digits, spaces, '-', '_', '.' or "
            "brackets, starting with a letter or digit."
        )
    return clean


def suggest_name(preset: str, epochs: int) -> str:
    """A readable unique default such as 'cnn-quick 3ep 2026-11-21 1930'."""
    return f"{preset} {epochs}ep {datetime.now().strftime('%Y-%m-%d %H%M%S')}"


def numbered_name(name: str, number: int) -> str:
    """'same' -> 'same (2)', shortened so the result is still a valid name."""
    suffix = f" ({number})"
    return name[:MAX_NAME - len(suffix)].rstrip() + suffix


def taken_note(wanted: str, saved: str) -> str:
    """The sentence a person sees when their save found its name taken meanwhile."""
    return (f"{wanted!r} was taken by another model saved while this one was being made, "
            f"so it was saved as {saved!r}.")


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

    def listing_version(self) -> tuple:
        """Changes whenever :meth:`scan` could answer differently, read with a few ``stat`` calls and no
        file contents: a cache of the scan keyed on it is never stale. Every save, rename, delete and
        load-failure note replaces a folder or a file, which changes a folder listing or one of these times
        and sizes (a card edited in place changes its own)."""
        parts: list = []
        for base in (self.shipped, self.root):
            if base is None:
                continue
            try:
                parts.append((str(base), base.stat().st_mtime_ns))
            except OSError:
                parts.append((str(base), None))
        for folder, _ in self._folders():
            for path in (folder, folder / CARD_FILE, folder / MODEL_FILE, folder / LOAD_FAILED_FILE):
                try:
                    stat = path.stat()
                    parts.append((stat.st_mtime_ns, stat.st_size, stat.st_ino))
                except OSError:
                    parts.append(None)
        return tuple(parts)

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
        """The folder's card if the card is sound and the model file looks usable, else ModelError."""
        card = self._parse_card(folder, shipped)
        problem = model_file_problem(folder / MODEL_FILE) or _recorded_load_failure(folder)
        if problem:
            raise ModelError(f"{folder.name}: {problem}.")
        return card

    def _parse_card(self, folder: Path, shipped: bool) -> ModelCard:
        card_path, model_path = folder / CARD_FILE, folder / MODEL_FILE
        if not card_path.is_file() or not model_path.is_file():
            raise ModelError(f"{folder.name}: not a Digit Lab model (missing {CARD_FILE} or {MODEL_FILE}).")
        try:
            if card_path.stat().st_size > MAX_CARD_BYTES:
                raise ValueError(f"{CARD_FILE} is larger than any real card")
            card = ModelCard.from_json(card_path.read_text(encoding="utf-8"), shipped)
        except (ValueError, TypeError, KeyError, UnicodeDecodeError, OSError, RecursionError) as exc:
            raise ModelError(f"{folder.name}: its {CARD_FILE} is corrupt or foreign ({exc}).") from exc
        if card.name != folder.name:
            card.name = folder.name  # the folder is the truth (renamed by hand, say)
        return card

    def load(self, name: str):
        """The Keras model, loaded in safe mode (no arbitrary code from the file).

        A file that passed the listing's cheap check but still fails to load is
        recorded beside it, so every page and process lists it as broken from now on.
        """
        folder = self.folder(name)
        problem = model_file_problem(folder / MODEL_FILE)
        if problem:
            raise ModelError(f"The model {folder.name!r} cannot be used: {problem}.")
        try:
            return load_model_file(folder / MODEL_FILE)
        except ModelError as exc:
            if not self._is_shipped(folder):
                _record_load_failure(folder, exc)
            raise

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
             overwrite: bool = False, rename_if_taken: bool = False, logs: Path | None = None) -> Path:
        """Write a model atomically and exclusively: all files under a temporary name, then one rename.

        If the name is taken when the model is ready (another save won the race),
        ``overwrite`` replaces it, ``rename_if_taken`` keeps this model under the
        first free name 'name (2)', 'name (3)'..., and otherwise ModelError is
        raised and nothing is changed. ``card.name`` ends as the name used.
        ``logs`` (a run's TensorBoard folder) is moved in as ``tensorboard/``, inside the same rename.
        """
        name = check_name(name)
        if not rename_if_taken and (not overwrite or self._is_shipped_name(name)):
            self.check_free(name)  # early, before the slow write
        temp = self.root / f".tmp-{uuid.uuid4().hex}"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            temp.mkdir()
        except OSError as exc:
            raise ModelError(f"Cannot save models in {self.root}: {exc.strerror or exc}.") from exc
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
            with self._locked():
                final = self._place(temp, card, overwrite, rename_if_taken)
            _fsync_dir(self.root)
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
        return final

    def _place(self, temp: Path, card: ModelCard, overwrite: bool, rename_if_taken: bool) -> Path:
        """The final step, under the registry lock: move the finished folder to its name."""
        name = card.name
        if self._is_shipped_name(name) or (self.root / name).exists() and not overwrite:
            if not rename_if_taken:
                self.check_free(name)
            name = self._free_name(name)
            card.name = name
            _write_text(temp / CARD_FILE, card.to_json())
        target = self.root / name
        if target.exists():  # overwrite: swap the old folder out, the new one in
            trash = self.root / f".trash-{uuid.uuid4().hex}"
            os.rename(target, trash)
            _rename_into_place(temp, target)
            shutil.rmtree(trash, ignore_errors=True)
            return target
        try:
            _rename_into_place(temp, target)
        except FileExistsError:  # a writer that skips the lock got there first: never replace it
            raise ModelError(f"A model called {name!r} appeared while this one was saved; "
                             "nothing was replaced.") from None
        return target

    def _is_shipped_name(self, name: str) -> bool:
        return self.shipped is not None and (self.shipped / name).exists()

    def check_writable(self) -> None:
        """ModelError if models cannot be saved here, checked before slow work and without making anything."""
        check_folder_writable(self.root, "Cannot save models in")

    def check_free(self, name: str) -> None:
        """ModelError if ``name`` is a shipped model's or an existing trained model's name."""
        if self._is_shipped_name(name):
            raise ModelError(f"{name!r} is the name of a shipped model; choose another name.")
        if (self.root / name).exists():
            raise ModelError(f"A model called {name!r} already exists; choose another name.")

    def _free_name(self, name: str) -> str:
        for number in range(2, 10_000):
            candidate = numbered_name(name, number)
            if not self._is_shipped_name(candidate) and not (self.root / candidate).exists():
                return candidate
        raise ModelError(f"There are too many models called {name!r}; choose another name.")

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Exclusive across threads, processes and servers sharing this folder (one flock per call)."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def rename(self, old: str, new: str) -> None:
        """Rename a trained model; never onto a name that exists, even one that appeared a moment ago."""
        old_folder = self.folder(old)
        if self._is_shipped(old_folder):
            raise ModelError(f"{old!r} ships with Digit Lab and cannot be renamed.")
        new = check_name(new)
        with self._locked():
            self.check_free(new)
            card = self._parse_card(old_folder, False)
            try:
                _rename_into_place(old_folder, self.root / new)
            except FileExistsError:
                raise ModelError(f"A model called {new!r} already exists; choose another name.") from None
            except FileNotFoundError:
                raise ModelError(f"There is no model called {old!r} any more.") from None
            card.name = new
            _write_text(self.root / new / CARD_FILE, card.to_json())

    def delete(self, name: str) -> None:
        folder = self.folder(name)
        if self._is_shipped(folder):
            raise ModelError(f"{name!r} ships with Digit Lab and cannot be deleted.")
        trash = self.root / f".trash-{uuid.uuid4().hex}"
        try:
            os.rename(folder, trash)  # atomic disappearance; the rest is cleanup
        except FileNotFoundError:
            raise ModelError(f"There is no model called {name!r} any more.") from None
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


def _find_renameat2():
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # not Linux/glibc: the registry lock alone guards the rename
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return function


_RENAMEAT2 = _find_renameat2()
_AT_FDCWD = -100
_RENAME_NOREPLACE = 1


def _rename_into_place(source: Path, target: Path) -> None:
    """Rename that never replaces: FileExistsError if ``target`` exists (even an empty folder).

    Uses Linux's atomic renameat2(RENAME_NOREPLACE); where that is missing, a
    check and a rename, which the caller's registry lock makes exclusive
    among Digit Lab's own writers.
    """
    if _RENAMEAT2 is not None:
        if _RENAMEAT2(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), _RENAME_NOREPLACE) == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):  # unsupported file system: fall back
            raise OSError(code, os.strerror(code), str(source), None, str(target))
    if os.path.lexists(target):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target))
    os.rename(source, target)


def _record_load_failure(folder: Path, exc: Exception) -> None:
    """Note beside the model that this exact file failed to load, for every later listing."""
    try:
        stat = (folder / MODEL_FILE).stat()
        _write_text(folder / LOAD_FAILED_FILE, json.dumps(
            {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "reason": str(exc)}))
    except OSError:
        pass  # a read-only folder: the page still says it could not be loaded


def _recorded_load_failure(folder: Path) -> str | None:
    """The recorded load failure, if it is about the model file as it is now."""
    marker = folder / LOAD_FAILED_FILE
    if not marker.is_file():
        return None
    try:
        note = json.loads(marker.read_text(encoding="utf-8"))
        stat = (folder / MODEL_FILE).stat()
        if note["size"] == stat.st_size and note["mtime_ns"] == stat.st_mtime_ns:
            return "its model file failed to load earlier, so it is skipped"
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return None


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


def load_model_from(source: str):
    """A model by registry name, model folder or .keras file: where training may continue from."""
    path = Path(source).expanduser()
    if path.is_file():
        return load_model_file(path)
    if (path / MODEL_FILE).is_file():
        return load_model_file(path / MODEL_FILE)
    return Registry().load(source)
