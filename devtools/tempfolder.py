"""One temp folder for a benchmark and every process it starts, removed when it ends.

Servers, training workers and Chromium write lock files, logs and profiles into the system's temp
folder, and a training worker's lock must be found where its server put it. Pointing ``TMPDIR`` at a
folder of the benchmark's own makes them all agree and leaves nothing behind in ``/tmp``
(``tests/conftest.py`` does the same for the tests, with pytest's folder).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator


@contextlib.contextmanager
def own_temp_folder(prefix: str = "digitlab-bench-", keep: bool = False) -> Iterator[Path]:
    """Inside, this process (``tempfile``) and its children (``TMPDIR``) use a new folder; after, it is gone
    unless ``keep`` (a benchmark's ``--keep``, to read its servers' logs afterwards)."""
    folder = tempfile.mkdtemp(prefix=prefix)
    before_env, before_dir = os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["TMPDIR"], tempfile.tempdir = folder, folder
    try:
        yield Path(folder)
    finally:
        tempfile.tempdir = before_dir
        if before_env is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = before_env
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
