"""The tables of the class's database, one class each.

Columns are plain types every SQLAlchemy dialect knows (SQLite and
PostgreSQL both run in the tests). A change here needs a new Alembic
revision in ``migrations/versions``: the schema is versioned, never
recreated, so an upgrade keeps every drawing.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, Boolean, DateTime, Float, Integer, LargeBinary, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .database import Base


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Drawing(Base):
    """One labelled drawing from the class: what the network saw, what it said, what it is."""

    __tablename__ = "drawings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    # Idempotency: a drawing submitted twice (a rerun, a double tap) is stored once.
    client_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    browser: Mapped[str] = mapped_column(String(64), default="", index=True)  # anonymous per-browser id
    source: Mapped[str] = mapped_column(String(16), default="draw")  # draw, cli, import
    label: Mapped[int] = mapped_column(SmallInteger, index=True)  # the digit it really is
    predicted: Mapped[int | None] = mapped_column(SmallInteger)  # null: the model saw no digit
    probabilities: Mapped[list[float] | None] = mapped_column(JSON)
    model_name: Mapped[str] = mapped_column(String(64), default="", index=True)
    model_version: Mapped[str] = mapped_column(String(64), default="")
    pixels: Mapped[bytes] = mapped_column(LargeBinary)  # 28x28 uint8, what the network saw
    image_png: Mapped[bytes | None] = mapped_column(LargeBinary)  # the canvas image, size-capped


class Run(Base):
    """One run of the training worker (a training, later a fine-tuning or a search), live and finished.

    Every server replica and the worker read and write this row: the pages show
    its progress, Stop sets ``stop_requested``, the worker writes progress and a
    heartbeat. ``slot`` is set while the run is active: its UNIQUE constraint is
    what makes two Starts at the same moment give one run per free slot.
    Times are Unix seconds (float), comparable across processes and dialects.
    """

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)  # the queue's task names the run by id and key
    kind: Mapped[str] = mapped_column(String(16), default="train")  # train, finetune, tune
    status: Mapped[str] = mapped_column(String(16), index=True)  # queued ... done, stopped, failed
    slot: Mapped[int | None] = mapped_column(Integer, unique=True)  # 0..N-1 while active, NULL when finished
    owner: Mapped[str] = mapped_column(String(128), default="", index=True)
    preset: Mapped[str] = mapped_column(String(64), default="")
    name: Mapped[str] = mapped_column(String(64), default="")
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    options: Mapped[dict] = mapped_column(JSON, default=dict)  # kind-specific: keep_partial, data path, ...
    message: Mapped[str] = mapped_column(Text, default="")
    epochs: Mapped[int] = mapped_column(Integer, default=0)
    epoch: Mapped[int] = mapped_column(Integer, default=0)
    step: Mapped[int] = mapped_column(Integer, default=0)
    steps: Mapped[int] = mapped_column(Integer, default=0)
    history: Mapped[dict] = mapped_column(JSON, default=dict)
    batch_logs: Mapped[dict] = mapped_column(JSON, default=dict)
    card: Mapped[dict | None] = mapped_column(JSON)  # the saved model's card
    stop_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    worker: Mapped[str] = mapped_column(String(128), default="")  # host:pid of the worker running it
    queued_at: Mapped[float] = mapped_column(Float, index=True)
    started_at: Mapped[float | None] = mapped_column(Float)
    finished_at: Mapped[float | None] = mapped_column(Float)
    heartbeat_at: Mapped[float] = mapped_column(Float)


class ClassSetting(Base):
    """One teacher setting (limits, the class's default model), stored as JSON so replicas agree."""

    __tablename__ = "class_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[object] = mapped_column(JSON)
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class AuditEvent(Base):
    """Who unlocked, locked or changed what, and when: the class's paper trail."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    browser: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(500), default="")


class UnlockAttempts(Base):
    """Wrong teacher-key guesses per browser (or address): the wait grows with each one."""

    __tablename__ = "unlock_attempts"

    who: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure: Mapped[float] = mapped_column(Float, default=0.0)  # unix time


class ModelOwner(Base):
    """Which browser started the run that made a model: for "most models per pupil"."""

    __tablename__ = "model_owners"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64), index=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
