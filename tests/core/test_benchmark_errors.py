"""A benchmark given a model that does not exist says so in one sentence, not in a traceback."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["one_or_seven", "handwriting"])
def test_an_unknown_model_is_one_sentence(tmp_path, name):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DIGITLAB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", f"benchmarks.{name}", "--model", "nosuch",
                             "--models-dir", str(tmp_path)], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.splitlines()[-1] == "There is no model called 'nosuch'."
