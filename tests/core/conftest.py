"""Databases for the class's tests: an SQLite file always, a throwaway PostgreSQL cluster when possible.

Without PostgreSQL's binaries the PostgreSQL cases are skipped locally; under
``CI=true`` that is a failure (``.ci/run`` installs Debian's postgresql).
"""

from __future__ import annotations

import itertools
import os

import pytest

from tests import postgres

_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_cluster():
    reason = postgres.missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must be able to start PostgreSQL: {reason}")
        pytest.skip(f"PostgreSQL not available: {reason}")
    with postgres.cluster() as url:
        yield url


def _fresh_pg_database(cluster_url: str) -> str:
    import sqlalchemy as sa

    name = f"digitlab_{os.getpid()}_{next(_counter)}"
    engine = sa.create_engine(cluster_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return cluster_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path, monkeypatch):
    """An empty database of each kind, also set as DIGITLAB_DB for code that reads the environment."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/class.db"
    else:
        url = _fresh_pg_database(request.getfixturevalue("pg_cluster"))
    monkeypatch.setenv("DIGITLAB_DB", url)
    yield url
    from mnist_core.database import _engine_for

    if request.param == "postgresql":
        _engine_for(url).dispose()  # close pooled connections before the cluster goes


@pytest.fixture
def sqlite_url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/class.db"
    monkeypatch.setenv("DIGITLAB_DB", url)
    return url
