"""The database foundation: URL choice, migrations from empty, SQLite settings."""

from __future__ import annotations

import sqlalchemy as sa

from mnist_core import database
from mnist_core.tables import Drawing


def test_url_comes_from_argument_then_environment_then_default(monkeypatch, tmp_path):
    monkeypatch.delenv(database.DB_ENV, raising=False)
    assert database.database_url().endswith("/.digitlab/digitlab.db")
    monkeypatch.setenv(database.DB_ENV, f"sqlite:///{tmp_path}/env.db")
    assert database.database_url() == f"sqlite:///{tmp_path}/env.db"
    assert database.database_url("sqlite://") == "sqlite://"


def test_empty_database_is_migrated_to_head_and_usable(tmp_path):
    url = f"sqlite:///{tmp_path}/sub/class.db"  # the folder is created too
    with database.session_scope(url) as session:
        session.add(Drawing(label=3, pixels=bytes(784), browser="b1", model_name="m", model_version="v"))
    with database.session_scope(url) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Drawing)) == 1
    engine = database.get_engine(url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        version = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    from alembic.script import ScriptDirectory
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(database.MIGRATIONS))
    assert version == ScriptDirectory.from_config(config).get_current_head()


def test_upgrade_twice_changes_nothing(tmp_path):
    url = f"sqlite:///{tmp_path}/twice.db"
    engine = database.get_engine(url)
    database.upgrade(engine)  # a second server starting against the same file
    with database.session_scope(url) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Drawing)) == 0
