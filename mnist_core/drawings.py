"""The class's drawings: add, list, count, delete, export and import.

Every drawing is one row of the ``drawings`` table: the 28x28 input the
network saw, the label a person gave it, what the model answered, and a
size-capped PNG of the canvas. The Draw page, the Class page and the CLI all
come through here, so an export from one is an import for the others.

Thirty pupils save at once: each save is one short INSERT transaction (no
read-then-write upgrade that SQLite could refuse), retried with a short
back-off if the database still reports itself busy, and idempotent through
``client_key`` so a retried or double-tapped save is stored once.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import os
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable, Sequence, TypeVar

import numpy as np
import sqlalchemy as sa
from PIL import Image
from sqlalchemy.exc import IntegrityError, OperationalError

from .database import get_engine, session_scope
from .errors import DigitLabError
from .tables import Drawing

log = logging.getLogger("digitlab.drawings")

SIDE = 28
PNG_MAX_SIDE = 200  # the canvas picture is kept for the gallery, not for training
PNG_MAX_BYTES = 64_000
RETRIES = 8
CSV_PIXELS = [f"pixel{i}" for i in range(SIDE * SIDE)]
CSV_HEADER = ["id", "label", "predicted", "model_name", "model_version", "created", "source", *CSV_PIXELS]
T = TypeVar("T")


class DrawingsError(DigitLabError):
    """A drawing could not be stored, found, exported or imported."""


@dataclass(frozen=True)
class NewDrawing:
    """What the Draw page (or the CLI) knows about one labelled drawing."""

    label: int
    pixels: np.ndarray  # 28x28, float in [0, 1] or uint8
    predicted: int | None = None
    probabilities: Sequence[float] | None = None
    model_name: str = ""
    model_version: str = ""
    browser: str = ""
    source: str = "draw"
    client_key: str | None = None
    image_png: bytes | None = None


@dataclass(frozen=True)
class StoredDrawing:
    """A drawing read back from the database (the PNG only when asked for)."""

    id: int
    created: datetime
    label: int
    predicted: int | None
    probabilities: list[float] | None
    model_name: str
    model_version: str
    browser: str
    source: str
    pixels: np.ndarray  # uint8 28x28
    image_png: bytes | None = None

    @property
    def answered(self) -> bool:
        """A model saw it when it was drawn; imported drawings were seen by none (see ``answered_clause``)."""
        return bool(self.model_name) or self.predicted is not None

    @property
    def right(self) -> bool:
        return self.answered and self.predicted == self.label

    @property
    def wrong(self) -> bool:
        """A miss: the model named another digit, or declined ("not a digit") what is a digit."""
        return self.answered and self.predicted != self.label


def verdict(drawing: StoredDrawing) -> str:
    """The gallery's and the CLI's mark: "✓ read 7", "✗ read 1", "✗ said: not a digit" or "no model's answer"."""
    if not drawing.answered:
        return "no model's answer"
    mark = "✗" if drawing.wrong else "✓"
    return f"{mark} said: not a digit" if drawing.predicted is None else f"{mark} read {drawing.predicted}"


# The one definition of right and wrong, in SQL: the gallery, its filter, the stats, the per-model accuracy and
# the CLI all use these (and StoredDrawing's properties say the same in Python). A drawing a model declined
# (predicted NULL) but the pupil labelled with a digit is a miss; one imported without a model is neither.
def answered_clause():
    return sa.or_(Drawing.model_name != "", Drawing.predicted.is_not(None))


def right_clause():
    return sa.and_(answered_clause(), Drawing.predicted.is_not(None), Drawing.predicted == Drawing.label)


def wrong_clause():
    return sa.and_(answered_clause(), sa.or_(Drawing.predicted.is_(None), Drawing.predicted != Drawing.label))


@dataclass(frozen=True)
class Filter:
    """Which drawings to show: a digit, only the ones the network got wrong, one model's."""

    digit: int | None = None
    wrong_only: bool = False
    model_name: str | None = None
    browser: str | None = None

    def where(self) -> list:
        clauses = []
        if self.digit is not None:
            clauses.append(Drawing.label == int(self.digit))
        if self.wrong_only:
            clauses.append(wrong_clause())
        if self.model_name:
            clauses.append(Drawing.model_name == self.model_name)
        if self.browser:
            clauses.append(Drawing.browser == self.browser)
        return clauses


@dataclass(frozen=True)
class Stats:
    total: int
    per_digit: list[int]
    wrong: int
    browsers: int
    answered: int = 0  # drawings a model answered; imported ones are neither right nor wrong
    per_model: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (drawings, right)
    latest_id: int = 0


# ---- checks and conversions ------------------------------------------------------
def check_label(label: object) -> int:
    """A digit 0-9 from an int or a text like "7"; anything else is one clear sentence."""
    if isinstance(label, (bool, float)) or not isinstance(label, (int, np.integer, str)):
        raise DrawingsError(f"{label!r} is not a digit: a label is a whole number from 0 to 9.")
    try:
        value = int(label)
    except ValueError:
        raise DrawingsError(f"{label!r} is not a digit: a label is a whole number from 0 to 9.") from None
    if not 0 <= value <= 9:
        raise DrawingsError(f"{label!r} is not a digit: a label is a whole number from 0 to 9.")
    return value


def to_uint8(pixels: np.ndarray) -> np.ndarray:
    """A 28x28 image as uint8 0-255 (floats are read as 0-1, like the network's input)."""
    array = np.asarray(pixels)
    if array.size != SIDE * SIDE:
        raise DrawingsError(f"A drawing is {SIDE}x{SIDE} pixels; this one has shape {array.shape}.")
    array = array.reshape(SIDE, SIDE)
    if array.dtype == np.uint8:
        return array.copy()
    values = array.astype(np.float64)
    if not np.isfinite(values).all():
        raise DrawingsError("A drawing's pixels must be finite numbers.")
    if values.max(initial=0) <= 1.0:
        values = values * 255
    return np.clip(np.round(values), 0, 255).astype(np.uint8)


def cap_png(image: np.ndarray | Image.Image | None, max_side: int = PNG_MAX_SIDE,
            max_bytes: int = PNG_MAX_BYTES) -> bytes | None:
    """The canvas as a small PNG for the gallery: at most ``max_side`` pixels, ``max_bytes`` bytes."""
    if image is None:
        return None
    picture = image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image).astype(np.uint8))
    if picture.mode == "RGBA":  # the canvas: flatten onto white, as it looked
        background = Image.new("RGBA", picture.size, (255, 255, 255, 255))
        picture = Image.alpha_composite(background, picture)
    picture = picture.convert("L")
    picture.thumbnail((max_side, max_side))
    for colours in (None, 16, 4):
        candidate = picture if colours is None else picture.quantize(colours)
        buffer = io.BytesIO()
        candidate.save(buffer, format="PNG")
        if buffer.tell() <= max_bytes:
            return buffer.getvalue()
    return None  # a picture that will not shrink is not worth storing


def content_key(label: int, pixels: np.ndarray, prefix: str) -> str:
    """A key from the label and pixels: importing the same file twice stores each drawing once."""
    digest = hashlib.sha256(bytes([label]) + to_uint8(pixels).tobytes()).hexdigest()
    return f"{prefix}-{digest[:48]}"


def _row(drawing: NewDrawing) -> Drawing:
    label = check_label(drawing.label)
    probabilities = None
    if drawing.probabilities is not None:
        probabilities = [round(float(p), 6) for p in drawing.probabilities]
        if len(probabilities) != 10:
            raise DrawingsError("A drawing's probabilities are ten numbers, one per digit.")
    predicted = None if drawing.predicted is None else check_label(drawing.predicted)
    return Drawing(
        client_key=drawing.client_key, browser=drawing.browser[:64], source=drawing.source[:16], label=label,
        predicted=predicted, probabilities=probabilities, model_name=drawing.model_name[:64],
        model_version=str(drawing.model_version)[:64], pixels=to_uint8(drawing.pixels).tobytes(),
        image_png=drawing.image_png,
    )


def _busy(exc: OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text or "could not serialize" in text or "deadlock" in text


def with_retry(work: Callable[[], T], retries: int = RETRIES) -> T:
    """Run a short transaction, retrying while the database says it is busy (never shown to a person)."""
    for attempt in range(retries):
        try:
            return work()
        except OperationalError as exc:
            if not _busy(exc) or attempt == retries - 1:
                raise DrawingsError(f"The drawing could not be saved: the database is not answering ({exc.orig}).") from exc
            time.sleep(min(0.05 * 2 ** attempt, 1.0))
    raise AssertionError("unreachable")


# ---- writing -----------------------------------------------------------------------
CHUNK = 200


def _copy(row: Drawing) -> Drawing:
    return Drawing(**{c.key: getattr(row, c.key) for c in Drawing.__table__.columns if c.key != "id"})


def _insert_one(row: Drawing, url: str | None) -> tuple[int, bool]:
    """(id, stored now); a row whose client_key is already there gives that row's id and False."""
    def insert() -> tuple[int, bool]:
        try:
            with session_scope(url) as session:
                fresh = _copy(row)
                session.add(fresh)
                session.flush()
                return fresh.id, True
        except IntegrityError:
            if row.client_key is None:
                raise
            return _id_for_key(row.client_key, url), False

    return with_retry(insert)


def add(drawing: NewDrawing, url: str | None = None) -> int:
    """Store one drawing; a second save with the same ``client_key`` returns the first one's id."""
    return _insert_one(_row(drawing), url)[0]


def _id_for_key(client_key: str, url: str | None) -> int:
    with session_scope(url) as session:
        found = session.scalar(sa.select(Drawing.id).where(Drawing.client_key == client_key))
    if found is None:
        raise DrawingsError("The drawing could not be saved (a conflicting save vanished); please try again.")
    return int(found)


def add_many(drawings: Iterable[NewDrawing], url: str | None = None) -> tuple[int, int]:
    """Store many drawings, a chunk per transaction; returns (added, already there)."""
    rows = [_row(d) for d in drawings]  # every row is checked before anything is written
    added = skipped = 0
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]

        def insert_chunk() -> None:
            with session_scope(url) as session:
                session.add_all([_copy(r) for r in chunk])

        try:
            with_retry(insert_chunk)
            added += len(chunk)
        except IntegrityError:  # some were there already: one by one, skipping those
            for row in chunk:
                new = _insert_one(row, url)[1]
                added += new
                skipped += not new
    return added, skipped


def delete(ids: Iterable[int], url: str | None = None) -> int:
    """Remove drawings by id; returns how many were there."""
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return 0

    def remove() -> int:
        with session_scope(url) as session:
            result = session.execute(sa.delete(Drawing).where(Drawing.id.in_(wanted)))
            return int(result.rowcount or 0)

    return with_retry(remove)


# ---- reading -----------------------------------------------------------------------
def count(filter: Filter = Filter(), url: str | None = None) -> int:
    with session_scope(url) as session:
        return int(session.scalar(sa.select(sa.func.count(Drawing.id)).where(*filter.where())) or 0)


def query(filter: Filter = Filter(), limit: int | None = None, offset: int = 0, with_png: bool = False,
          url: str | None = None) -> list[StoredDrawing]:
    """Drawings matching ``filter``, newest first."""
    columns = [Drawing.id, Drawing.created, Drawing.label, Drawing.predicted, Drawing.probabilities,
               Drawing.model_name, Drawing.model_version, Drawing.browser, Drawing.source, Drawing.pixels]
    if with_png:
        columns.append(Drawing.image_png)
    statement = sa.select(*columns).where(*filter.where()).order_by(Drawing.id.desc()).offset(offset)
    if limit is not None:
        statement = statement.limit(limit)
    with session_scope(url) as session:
        rows = session.execute(statement).all()
    return [
        StoredDrawing(id=r.id, created=r.created, label=r.label, predicted=r.predicted,
                      probabilities=r.probabilities, model_name=r.model_name, model_version=r.model_version,
                      browser=r.browser, source=r.source,
                      pixels=np.frombuffer(r.pixels, np.uint8).reshape(SIDE, SIDE).copy(),
                      image_png=r.image_png if with_png else None)
        for r in rows
    ]


def arrays(filter: Filter = Filter(), url: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x uint8 (n, 28, 28), y uint8 (n,), ids) in id order: what training and scoring take."""
    statement = sa.select(Drawing.id, Drawing.label, Drawing.pixels).where(*filter.where()).order_by(Drawing.id)
    with session_scope(url) as session:
        rows = session.execute(statement).all()
    x = np.zeros((len(rows), SIDE, SIDE), np.uint8)
    for i, row in enumerate(rows):
        x[i] = np.frombuffer(row.pixels, np.uint8).reshape(SIDE, SIDE)
    y = np.array([r.label for r in rows], np.uint8)
    ids = np.array([r.id for r in rows], np.int64)
    return x, y, ids


def stats(url: str | None = None) -> Stats:
    """How many drawings, per digit, how many the network got wrong, per model."""
    with session_scope(url) as session:
        per_label = dict(session.execute(sa.select(Drawing.label, sa.func.count()).group_by(Drawing.label)).all())
        wrong, answered = session.execute(sa.select(sa.func.sum(sa.case((wrong_clause(), 1), else_=0)),
                                                    sa.func.sum(sa.case((answered_clause(), 1), else_=0)))).one()
        browsers = session.scalar(sa.select(sa.func.count(sa.distinct(Drawing.browser))).where(Drawing.browser != ""))
        right = sa.func.sum(sa.case((right_clause(), 1), else_=0))
        models = session.execute(sa.select(Drawing.model_name, sa.func.count(), right)
                                 .where(Drawing.model_name != "").group_by(Drawing.model_name)).all()
        latest = session.scalar(sa.select(sa.func.max(Drawing.id)))
    per_digit = [int(per_label.get(d, 0)) for d in range(10)]
    return Stats(total=sum(per_digit), per_digit=per_digit, wrong=int(wrong or 0), browsers=int(browsers or 0),
                 answered=int(answered or 0),
                 per_model={name: (int(n), int(ok or 0)) for name, n, ok in models}, latest_id=int(latest or 0))


def version(url: str | None = None) -> tuple[int, int]:
    """(count, newest id): changes whenever a drawing is added or removed; a cache key for the pages."""
    with session_scope(url) as session:
        n, newest = session.execute(sa.select(sa.func.count(Drawing.id), sa.func.max(Drawing.id))).one()
    return int(n or 0), int(newest or 0)


# ---- export and import ---------------------------------------------------------------
def export_npz(path: str | os.PathLike | io.BytesIO, filter: Filter = Filter(), url: str | None = None) -> int:
    """Write MNIST's layout: ``x`` uint8 (n, 28, 28) and ``y`` uint8 (n,), plus ``predicted`` and ``ids``."""
    drawings = list(reversed(query(filter, url=url)))
    x = np.stack([d.pixels for d in drawings]) if drawings else np.zeros((0, SIDE, SIDE), np.uint8)
    payload = {
        "x": x,
        "y": np.array([d.label for d in drawings], np.uint8),
        "predicted": np.array([-1 if d.predicted is None else d.predicted for d in drawings], np.int16),
        "ids": np.array([d.id for d in drawings], np.int64),
    }
    _write_atomically(path, lambda handle: np.savez_compressed(handle, **payload))
    return len(drawings)


def export_csv(path: str | os.PathLike | io.BytesIO, filter: Filter = Filter(), url: str | None = None) -> int:
    """One row per drawing: id, label, answer, model, time, source, then pixel0..pixel783 (0-255)."""
    drawings = list(reversed(query(filter, url=url)))

    def write(handle) -> None:
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        writer = csv.writer(text)
        writer.writerow(CSV_HEADER)
        for d in drawings:
            writer.writerow([d.id, d.label, "" if d.predicted is None else d.predicted, d.model_name,
                             d.model_version, d.created.isoformat() if d.created else "", d.source,
                             *d.pixels.reshape(-1).tolist()])
        text.flush()
        text.detach()

    _write_atomically(path, write)
    return len(drawings)


def export(path: str | os.PathLike, filter: Filter = Filter(), url: str | None = None, kind: str | None = None) -> int:
    """Export by the file's extension (``.npz`` or ``.csv``) or an explicit ``kind``."""
    kind = kind or Path(path).suffix.lower().lstrip(".")
    if kind == "npz":
        return export_npz(path, filter, url)
    if kind == "csv":
        return export_csv(path, filter, url)
    raise DrawingsError(f"Cannot export to {Path(path).name!r}: use a name ending in .npz or .csv.")


def _write_atomically(path: str | os.PathLike | io.BytesIO, write: Callable) -> None:
    if isinstance(path, io.BytesIO):
        write(path)
        return
    target = Path(path)
    fd, temp = tempfile.mkstemp(dir=target.parent if str(target.parent) else ".", prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def read_npz(data: bytes | str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) from our export (``x``, ``y``) or a Keras-style MNIST file (train and test joined)."""
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    try:
        with np.load(source, allow_pickle=False) as archive:
            names = set(archive.files)
            if {"x", "y"} <= names:
                x, y = archive["x"], archive["y"]
            elif {"x_train", "y_train"} <= names:
                x = np.concatenate([archive["x_train"], archive.get("x_test", np.zeros((0, SIDE, SIDE), np.uint8))])
                y = np.concatenate([archive["y_train"], archive.get("y_test", np.zeros(0, np.uint8))])
            else:
                raise DrawingsError("The npz file has neither x and y nor x_train and y_train arrays.")
    except DrawingsError:
        raise
    except (OSError, ValueError, EOFError, KeyError) as exc:
        raise DrawingsError(f"The file is not a readable npz archive ({exc}).") from exc
    return _checked(x, y)


def read_csv(data: bytes | str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) from our CSV export, or any CSV with a ``label`` column and ``pixel0``..``pixel783``."""
    try:
        raw = data if isinstance(data, bytes) else Path(data).read_bytes()
        reader = csv.DictReader(io.StringIO(raw.decode("utf-8-sig")))
        if not reader.fieldnames or "label" not in reader.fieldnames or not set(CSV_PIXELS) <= set(reader.fieldnames):
            raise DrawingsError("The CSV needs a 'label' column and the columns pixel0 to pixel783.")
        rows = list(reader)
        x = np.array([[int(float(r[p])) for p in CSV_PIXELS] for r in rows], np.int64).reshape(-1, SIDE, SIDE)
        y = np.array([int(float(r["label"])) for r in rows], np.int64)
    except DrawingsError:
        raise
    except (OSError, UnicodeDecodeError, ValueError, TypeError, csv.Error) as exc:
        raise DrawingsError(f"The CSV file could not be read ({exc}).") from exc
    return _checked(x, y)


def _checked(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if x.ndim != 3 or x.shape[1:] != (SIDE, SIDE) or y.ndim != 1 or len(x) != len(y):
        raise DrawingsError(f"Expected x of shape (n, 28, 28) and n labels; got {x.shape} and {y.shape}.")
    if not np.issubdtype(x.dtype, np.number) or not np.issubdtype(y.dtype, np.integer):
        raise DrawingsError("The images must be numbers and the labels whole numbers.")
    if len(y) and (y.min() < 0 or y.max() > 9):
        raise DrawingsError("Every label must be a digit from 0 to 9.")
    if len(x) and (x.min() < 0 or x.max() > 255):
        raise DrawingsError("Pixels must be between 0 and 255.")
    return x.astype(np.uint8), y.astype(np.uint8)


def import_arrays(x: np.ndarray, y: np.ndarray, url: str | None = None, source: str = "import",
                  browser: str = "") -> tuple[int, int]:
    """Store (x, y) as drawings; returns (added, already there). Re-importing a file adds nothing."""
    rows = [NewDrawing(label=int(label), pixels=image, source=source, browser=browser,
                       client_key=content_key(int(label), image, source))
            for image, label in zip(x, y)]
    return add_many(rows, url)


def import_file(path: str | os.PathLike, url: str | None = None, data: bytes | None = None) -> tuple[int, int]:
    """Import an ``.npz`` (our export or MNIST's layout) or ``.csv``; returns (added, already there)."""
    name = Path(path).name
    kind = Path(path).suffix.lower()
    try:
        payload = data if data is not None else Path(path).read_bytes()
    except OSError as exc:
        raise DrawingsError(f"{name}: {exc.strerror or exc}.") from exc
    if kind == ".npz":
        x, y = read_npz(payload)
    elif kind == ".csv":
        x, y = read_csv(payload)
    else:
        raise DrawingsError(f"Cannot import {name!r}: use an .npz or .csv file.")
    return import_arrays(x, y, url)


def warm(url: str | None = None) -> None:
    """Open the engine (and migrate) before the first pupil saves."""
    get_engine(url)
