"""The class's database: one SQLAlchemy engine per URL, schema kept by Alembic.

Everything that two server replicas (or a server and the training worker) must
agree on lives here: the class's drawings, run state, the teacher's settings.
An SQLite file is the default so one machine needs nothing installed; a school
server points ``DIGITLAB_DB`` at PostgreSQL. The schema is versioned with
Alembic migrations (``mnist_core/migrations``), applied on first use, so an
upgrade never loses a drawing.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from .errors import DigitLabError

DB_ENV = "DIGITLAB_DB"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_MS = 30_000  # thirty pupils saving at once wait their turn, never "database is locked"


class Base(DeclarativeBase):
    """The declarative base every table of Digit Lab derives from."""


def default_url() -> str:
    """``sqlite:///~/.digitlab/digitlab.db``, beside the default models folder."""
    path = Path.home() / ".digitlab" / "digitlab.db"
    return f"sqlite:///{path}"


def database_url(url: str | None = None) -> str:
    """The URL to use: an explicit one, then ``DIGITLAB_DB``, then the default SQLite file."""
    return url or os.environ.get(DB_ENV) or default_url()


def _prepare_sqlite(engine: Engine) -> None:
    """WAL (readers never block the writer), a long busy wait, foreign keys on."""
    database = engine.url.database
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API objects
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


@functools.lru_cache(maxsize=8)
def _engine_for(url: str) -> Engine:
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_MS / 1000})
            _prepare_sqlite(engine)
        else:
            engine = create_engine(url, pool_pre_ping=True)
    except Exception as exc:  # bad URL, missing driver
        raise DigitLabError(f"Cannot use the database {_safe(url)!r}: {exc}") from exc
    upgrade(engine)
    return engine


def get_engine(url: str | None = None) -> Engine:
    """The engine for ``url`` (or the configured database), migrated to the newest schema."""
    return _engine_for(database_url(url))


_upgrade_lock = threading.Lock()


def upgrade(engine: Engine) -> None:
    """Bring the schema to Alembic's head; safe to call from several processes at once.

    Two servers (or a server and the worker) starting together must not both
    create the same table, so migrations run under a lock: a file lock beside
    an SQLite file, an advisory lock on PostgreSQL.
    """
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with _upgrade_lock, _migration_lock(engine), engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(74871)")
        config.attributes["connection"] = connection
        try:
            command.upgrade(config, "head")
        except Exception as exc:
            raise DigitLabError(f"Cannot bring the database {_safe(str(engine.url))!r} up to date: {exc}") from exc


@contextlib.contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """An exclusive file lock next to an SQLite database file; nothing for other databases."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    import fcntl

    lock_path = Path(database).expanduser().with_name(Path(database).name + ".migrate-lock")
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    factory = sessionmaker(get_engine(url), expire_on_commit=False)
    with factory.begin() as session:
        yield session


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "the configured database"
