"""The command line shows its own sentences, not TensorFlow's start-up notices."""

import subprocess
import sys
from pathlib import Path

from mnist_core.cli import main
from mnist_core.tf_notices import without_notices

ROOT = Path(__file__).resolve().parents[2]

NOTICES = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    "I0000 00:00:1795525490.519991    1317 port.cc:153] oneDNN custom operations are on. You may see slightly "
    "different numerical results due to floating-point round-off errors from different computation orders. To turn "
    "them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.\n"
    "I0000 00:00:1795525490.578352    1317 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use "
    "available CPU instructions in performance-critical operations.\n"
    "To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild TensorFlow with the "
    "appropriate compiler flags.\n"
)


def test_only_the_start_up_notices_are_dropped():
    other = "E0000 00:00:1.0 1 cuda_dnn.cc:8] Unable to register cuDNN factory\nUserWarning: something real\n"
    assert without_notices(NOTICES) == ""
    assert without_notices(NOTICES + other + NOTICES) == other


def test_a_cli_error_is_the_one_sentence_on_stderr(tmp_path):
    missing = tmp_path / "missing.png"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DIGITLAB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "mnist_core", "predict", str(missing)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == f"{missing}: No such file or directory\n"


def test_a_bound_from_a_presets_knob_is_written_out_in_full(capsys):
    assert main(["train", "--preset", "cnn-quick", "--seed", "-1"]) == 1
    assert capsys.readouterr().err == "error: seed must be between 0 and 2147483647, got -1.\n"
