"""SIGKILL the real Streamlit server while pupils label drawings: no half-written drawing afterwards."""

from __future__ import annotations

import asyncio
import os
import signal
import tempfile
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from devtools import appserver, classroom, labelling
from mnist_core import database, drawings

pytestmark = pytest.mark.slow


def test_server_killed_while_drawings_are_saved_leaves_only_whole_drawings():
    if appserver.mnist_path() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must provide MNIST through MNIST_NPZ")
        pytest.skip("real MNIST not available (set MNIST_NPZ)")
    workdir = Path(tempfile.mkdtemp(prefix="digitlab-class-kill-"))
    shipped = None if classroom.SHIPPED_DEFAULT.is_file() else classroom.quick_model(
        workdir / "shipped", appserver.mnist_path(), log=lambda *_: None)
    server = classroom.Server(workdir, appserver.mnist_path(), shipped, session_ttl=10,
                                   log=lambda *_: None)
    server.start()
    url = server.db_url  # the server's own database: drawings and runs
    leave = threading.Event()  # once the server is dead the pupils go home instead of knocking until 40 s
    pupils = threading.Thread(target=lambda: asyncio.run(labelling.run_class(server, 6, 40, leave=leave)),
                              daemon=True)
    pupils.start()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and drawings.count(url=url) < 3:
            time.sleep(0.2)
        assert drawings.count(url=url) >= 3, "the pupils' labelled drawings never reached the database"
        os.killpg(server.proc.pid, signal.SIGKILL)  # in the middle of the class's saves
        server.proc.wait(timeout=30)
    finally:
        leave.set()
        server.stop()
        pupils.join(timeout=60)
    engine = database.get_engine(url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        rows = connection.execute(sa.text(
            "SELECT label, predicted, length(pixels) AS n, probabilities, model_name, browser FROM drawings")).all()
    assert rows and all(r.n == 784 and 0 <= r.label <= 9 and r.predicted is not None for r in rows)
    assert all(r.probabilities and r.model_name and r.browser for r in rows)
    assert len(drawings.query(url=url)) == len(rows)  # every row reads back as a whole drawing
