"""Thirty writers at once, writers in several processes, a writer killed mid-save, and upgrades."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from mnist_core import database, drawings
from mnist_core.drawings import NewDrawing

ROOT = Path(__file__).resolve().parents[2]


def _item(label: int, key: str) -> NewDrawing:
    return NewDrawing(label=label, pixels=np.full((28, 28), label * 20, np.uint8), predicted=label,
                      probabilities=[0.1] * 10, model_name="m", browser="b", client_key=key)


def test_thirty_threads_lose_no_write_and_store_repeats_once(db_url):
    drawings.warm(db_url)
    errors: list[BaseException] = []

    def pupil(n: int) -> None:
        try:
            for i in range(10):
                drawings.add(_item(i, f"p{n}-{i}"), db_url)
                if i % 3 == 0:
                    drawings.add(_item(i, f"p{n}-{i}"), db_url)  # a double tap
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=pupil, args=(n,)) for n in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert drawings.count(url=db_url) == 300
    assert drawings.stats(db_url).per_digit == [30] * 10


WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    from mnist_core import drawings
    url, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    for i in range(n):
        drawings.add(drawings.NewDrawing(label=i % 10, pixels=np.zeros((28, 28)), client_key=f"{name}-{i}"), url)
        print(i, flush=True)
""")


def _writer(url: str, name: str, n: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WRITER, url, name, str(n)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))


def test_writers_in_several_processes_lose_nothing(db_url):
    procs = [_writer(db_url, f"proc{k}", 40) for k in range(4)]  # they also race to migrate the database
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        assert "locked" not in err
    assert drawings.count(url=db_url) == 160


KILLED = textwrap.dedent("""
    import sys
    import numpy as np
    from mnist_core import drawings
    url = sys.argv[1]
    rng = np.random.default_rng(0)
    batch = 0
    while True:
        x = rng.integers(0, 256, (drawings.CHUNK, 28, 28)).astype(np.uint8)
        drawings.import_arrays(x, rng.integers(0, 10, drawings.CHUNK), url=url)
        drawings.add(drawings.NewDrawing(label=1, pixels=x[0], predicted=2, probabilities=[0.1] * 10,
                                         image_png=b"p" * 5000, client_key=f"single-{batch}"), url)
        batch += 1
        print(batch, flush=True)
""")


def test_sigkill_while_saving_leaves_no_half_written_drawing(sqlite_url):
    drawings.warm(sqlite_url)
    proc = subprocess.Popen([sys.executable, "-c", KILLED, sqlite_url], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    try:
        assert proc.stdout.readline().strip() == "1"  # one round stored, the next one under way
        time.sleep(0.15)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    engine = database.get_engine(sqlite_url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        rows = connection.execute(sa.text("SELECT label, length(pixels) AS n, source, image_png FROM drawings")).all()
    imported = [r for r in rows if r.source == "import"]
    assert len(imported) % drawings.CHUNK == 0  # a chunk is stored whole or not at all
    assert all(r.n == 784 and 0 <= r.label <= 9 for r in rows)
    assert all(r.image_png == b"p" * 5000 for r in rows if r.source == "draw")


def _alembic_config():
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(database.MIGRATIONS))
    return config


def test_upgrade_from_the_previous_schema_keeps_every_drawing(tmp_path):
    from alembic import command

    url = f"sqlite:///{tmp_path}/old.db"
    engine = sa.create_engine(url)
    config = _alembic_config()
    with engine.begin() as connection:  # a database as release 0001 left it
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(sa.text(
            "INSERT INTO drawings (created, browser, source, label, model_name, model_version, pixels) "
            "VALUES ('2026-11-01 10:00:00', 'b', 'draw', 4, 'm', 'v', :pixels)"), {"pixels": bytes(784)})
    engine.dispose()
    assert drawings.count(url=url) == 1  # first use migrates to the newest schema
    [old] = drawings.query(url=url)
    assert old.label == 4 and old.pixels.shape == (28, 28)
    with database.get_engine(url).connect() as connection:
        tables = set(sa.inspect(connection).get_table_names())
    assert {"drawings", "class_settings", "audit_events", "unlock_attempts", "model_owners"} <= tables


def test_empty_database_migrates_to_head(db_url):
    from alembic.script import ScriptDirectory

    drawings.warm(db_url)
    with database.get_engine(db_url).connect() as connection:
        version = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        tables = set(sa.inspect(connection).get_table_names())
    assert version == ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert {"drawings", "class_settings", "audit_events", "unlock_attempts", "model_owners"} <= tables
