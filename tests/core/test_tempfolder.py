"""Benchmarks run inside a temp folder of their own that every process they start shares."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from devtools.tempfolder import own_temp_folder


def test_the_process_and_its_children_share_one_folder_and_nothing_is_left():
    before_env, before_dir = os.environ.get("TMPDIR"), tempfile.gettempdir()
    with own_temp_folder("digitlab-test-") as folder:
        assert tempfile.gettempdir() == str(folder)
        child = subprocess.run([sys.executable, "-c", "import tempfile; print(tempfile.gettempdir())"],
                               capture_output=True, text=True, check=True)
        assert child.stdout.strip() == str(folder)
        (Path(tempfile.mkdtemp()) / "worker.lock").write_text("1")  # what a server or worker leaves
    assert not folder.exists()
    assert os.environ.get("TMPDIR") == before_env and tempfile.gettempdir() == before_dir


def test_the_folder_is_removed_when_the_benchmark_fails():
    try:
        with own_temp_folder("digitlab-test-") as folder:
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    assert not folder.exists()


def test_keep_leaves_the_folder_for_reading_afterwards(tmp_path):
    with own_temp_folder("digitlab-test-", keep=True) as folder:
        Path(tempfile.gettempdir(), "streamlit.log").write_text("server log")
    assert (folder / "streamlit.log").read_text() == "server log"
    assert tempfile.gettempdir() != str(folder)
