"""SIGKILL the real Streamlit server while pupils label drawings: no half-written drawing afterwards."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import class_labelling  # noqa: E402
import classroom_load  # noqa: E402

from mnist_core import database, drawings  # noqa: E402

pytestmark = pytest.mark.slow


def test_server_killed_while_drawings_are_saved_leaves_only_whole_drawings():
    if classroom_load.mnist_path() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must provide MNIST through MNIST_NPZ")
        pytest.skip("real MNIST not available (set MNIST_NPZ)")
    workdir = Path(tempfile.mkdtemp(prefix="digitlab-class-kill-"))
    shipped = None if classroom_load.SHIPPED_DEFAULT.is_file() else classroom_load.quick_model(
        workdir / "shipped", classroom_load.mnist_path(), log=lambda *_: None)
    server = classroom_load.Server(workdir, classroom_load.mnist_path(), shipped, session_ttl=10,
                                   log=lambda *_: None)
    server.start()
    url = server.db_url  # the server's own database: drawings and runs
    pupils = threading.Thread(target=lambda: asyncio.run(class_labelling.run_class(server, 6, 40)), daemon=True)
    pupils.start()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and drawings.count(url=url) < 3:
            time.sleep(0.2)
        assert drawings.count(url=url) >= 3, "the pupils' labelled drawings never reached the database"
        os.killpg(server.proc.pid, signal.SIGKILL)  # in the middle of the class's saves
        server.proc.wait(timeout=30)
    finally:
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
